"""One safe reader for every YAML (or JSON) text a user hands the harness.

Manifests, scenario fixtures, waivers and rules files, ``rollout.yaml``, a builder's YAML output
and YAML documents embedded in a manifest's strings all come through here, so every one of them
gets the same checks. PyYAML's safe loader alone is not enough for input the harness then walks
recursively and writes into JSON reports:

* **Alias bombs.** Anchors that alias anchors ("billion laughs") load in microseconds into shared
  Python objects, then expand to billions of nodes in the normaliser, which walks the tree without
  sharing. go-yaml, which Kubernetes uses, refuses such documents ("document contains excessive
  aliasing"); so does this reader, before constructing anything.
* **Deep nesting.** The normaliser and the differ recurse once per level (several Python frames
  each), so a document nested a few hundred levels deep ends in a RecursionError; refused here.
* **Duplicate keys.** YAML forbids them and Kubernetes' strict decoding (sigs.k8s.io/yaml's
  ``YAMLToJSONStrict``, go-yaml v2 in strict mode) rejects them; PyYAML silently keeps the last
  value, so the harness would compare something strict Kubernetes tooling refuses.
* **NaN and Infinity.** ``.nan`` and ``.inf`` are YAML floats but not JSON numbers: no Kubernetes
  object can hold them, and they would make the JSON report invalid.

Every refusal is a :class:`~harness.errors.ParityInputError` naming the file and, where known,
the line, so the CLI prints one line and exits 2.
"""

from __future__ import annotations

import math
from typing import Any, NoReturn

import yaml
from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from harness.errors import ParityInputError

__all__ = ["MAX_ALIAS_NODES", "MAX_NESTING", "load_yaml", "load_yaml_documents"]

# The deepest nesting of mappings and sequences accepted (the document itself is level 1).
# Why 100: the normaliser and the differ recurse about three Python frames per level and, at
# Python's default recursion limit of 1000, fail near 330 levels of nested mappings; 100 leaves
# room for the frames of whoever called them (the CLI, pytest, the report writers). Real
# manifests are far shallower: the deepest of ~250 public Argo examples and Hera's ports of them
# (tests/test_diff_corpus.py) nests 12 levels. (libyaml itself stops at 1000.)
MAX_NESTING = 100

# The most nodes that alias expansion may add to a document beyond the nodes written in it.
# Why: a few hundred bytes of anchors aliasing anchors expand to billions of nodes, and the
# harness walks the expanded tree (9 levels of 9 aliases ran 385 s, then MemoryError). go-yaml,
# which Kubernetes uses, refuses "excessive aliasing" for the same reason. Legitimate reuse (an
# env block or a template shared by a few entries) adds hundreds or thousands of nodes; 100,000 is
# about a hundred times a 200-line manifest, and `parity diff` of two documents at the limit takes
# about two seconds. The count is of nodes, not bytes: a long string reached through many aliases
# counts once per alias, like a short one.
MAX_ALIAS_NODES = 100_000


def nesting_depth(data: Any) -> int:
    """How deep JSON-like ``data`` nests (a scalar is 0, ``{"a": 1}`` is 1), counted without
    recursion, so that data from a builder is held to :data:`MAX_NESTING` as YAML text is."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_NESTING:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


_MERGE_TAG = "tag:yaml.org,2002:merge"
_VALUE_TAG = "tag:yaml.org,2002:value"
_STR_TAG = "tag:yaml.org,2002:str"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _Refused(Exception):
    """A problem found while loading; :func:`_load` adds the file name."""


def load_yaml_documents(text: str | bytes, *, source: str, invalid: str = "not valid YAML") -> list[Any]:
    """The documents in ``text``, empty (null) documents left out, as every caller wants.

    ``source`` names the input in errors (a path, ``<stdin>``); ``invalid`` is how a caller words
    a syntax error ("not valid YAML", "invalid YAML"), followed by the line, column and problem.
    Raises :class:`~harness.errors.ParityInputError` for a syntax error, a duplicate key, aliases
    expanding past :data:`MAX_ALIAS_NODES`, nesting past :data:`MAX_NESTING`, or NaN/Infinity.
    """
    return [doc for doc in _load(text, source=source, invalid=invalid, single=False) if doc is not None]


def load_yaml(text: str | bytes, *, source: str, invalid: str = "not valid YAML") -> Any:
    """The one document in ``text`` (None for an empty text); more than one document is a syntax
    error, as with ``yaml.safe_load``. Otherwise as :func:`load_yaml_documents`."""
    documents = _load(text, source=source, invalid=invalid, single=True)
    return documents[0] if documents else None


def _load(text: str | bytes, *, source: str, invalid: str, single: bool) -> list[Any]:
    # An alias is written `*name`: without a `*` anywhere the document is a plain tree, and only
    # its depth needs checking (the cheaper walk; most manifests use no anchors).
    aliased = "*" in text if isinstance(text, str) else b"*" in text
    loader = _StrictLoader(text)
    try:
        if single:
            node = loader.get_single_node()
            nodes = [] if node is None else [node]
            return [_construct(loader, node, aliased) for node in nodes]
        documents = []
        while loader.check_node():
            node = loader.get_node()
            if node is not None:  # check_node() said one is there; None only to the type checker
                documents.append(_construct(loader, node, aliased))
        return documents
    except _Refused as exc:
        raise ParityInputError(str(exc), file=source) from None
    except yaml.YAMLError as exc:
        raise ParityInputError(_syntax_message(exc, invalid), file=source) from None
    except (ValueError, OverflowError) as exc:
        # A constructor's own error without a position (an explicit `!!int` tag on text that is
        # not a number, say): still bad input, not a crash.
        raise ParityInputError(f"{invalid}: {exc}", file=source) from None
    finally:
        loader.dispose()


def _construct(loader: _StrictLoader, node: Node, aliased: bool) -> Any:
    # Measured on the composed node graph, before any Python object is built: composing shares
    # an aliased node instead of copying it, so this costs one visit per node written.
    if aliased:
        _check_shape(node)
    else:
        _check_depth(node)
    try:
        return loader.construct_document(node)
    finally:
        loader.flattened.clear()  # this document's nodes: nothing in the next one refers to them


def _syntax_message(exc: yaml.YAMLError, invalid: str) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
    # "while parsing a block mapping" only says what the parser was doing; other contexts carry
    # the meaning ("expected a single document in the stream, but found another document").
    context = getattr(exc, "context", None)
    if context and not context.startswith("while "):
        problem = f"{context}, {problem}"
    return f"{invalid}{where}: {problem}"


def _check_shape(root: Node) -> None:
    """Refuse a document nested deeper than MAX_NESTING, one whose aliases expand past
    MAX_ALIAS_NODES, or one that contains itself (JSON cannot hold a cycle; go-yaml refuses it too).

    An iterative post-order walk (a recursive one would hit the very limit it guards) that
    remembers each finished collection's expanded size and height, so a node reached again
    through an alias costs one dictionary look-up, and that stops at the first limit passed.
    """
    if not isinstance(root, MappingNode | SequenceNode):
        return
    finished: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded node count, height)
    on_path: set[int] = {id(root)}
    # Nodes that aliases add beyond those written: each alias to a finished collection adds its
    # whole expanded size (an alias to a scalar adds one node, like the scalar written out).
    from_aliases = 0
    # One frame per open collection: [node, collection children left, expanded node count so
    # far, tallest child]. Scalars are counted when the frame opens, so that the loop below,
    # Python code, runs only over the collections (a third or so of a manifest's nodes).
    stack: list[list[Any]] = [_frame(root)]
    while stack:
        frame = stack[-1]
        descended = False
        for child in frame[1]:
            key = id(child)
            done = finished.get(key)
            if done is not None:  # reached again through an alias
                size, height = done
                from_aliases += size
                if from_aliases > MAX_ALIAS_NODES:
                    _alias_bomb(child)
                if len(stack) + height > MAX_NESTING:
                    _too_deep(child)
                frame[2] += size
                frame[3] = max(frame[3], height)
                continue
            if key in on_path:
                raise _Refused(
                    f"YAML alias to the node at line {child.start_mark.line + 1} is inside that node "
                    "(a recursive structure, which JSON cannot hold)"
                )
            if len(stack) >= MAX_NESTING:
                _too_deep(child)
            on_path.add(key)
            stack.append(_frame(child))
            descended = True
            break
        if descended:
            continue
        stack.pop()
        node, size, height = frame[0], frame[2], frame[3] + 1
        on_path.discard(id(node))
        finished[id(node)] = (size, height)
        if stack:
            parent = stack[-1]
            parent[2] += size
            parent[3] = max(parent[3], height)


def _check_depth(root: Node) -> None:
    """:func:`_check_shape` for a document without aliases (a tree): only the depth can be wrong."""
    stack: list[tuple[Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, MappingNode):
            collections = [child for pair in node.value for child in pair if not isinstance(child, ScalarNode)]
        elif isinstance(node, SequenceNode):
            collections = [child for child in node.value if not isinstance(child, ScalarNode)]
        else:
            continue
        if collections:
            if depth >= MAX_NESTING:
                _too_deep(collections[0])
            stack.extend([(child, depth + 1) for child in collections])


def _frame(node: Node) -> list[Any]:
    """A new frame for :func:`_check_shape`: the node counts itself and its scalar children."""
    if isinstance(node, MappingNode):
        count = 2 * len(node.value)
        collections = [child for pair in node.value for child in pair if not isinstance(child, ScalarNode)]
    else:
        count = len(node.value)
        collections = [child for child in node.value if not isinstance(child, ScalarNode)]
    return [node, iter(collections), 1 + count - len(collections), 0]


def _too_deep(node: Node) -> NoReturn:
    raise _Refused(
        f"YAML nested more than {MAX_NESTING} levels deep at line {node.start_mark.line + 1} "
        f"(the limit is {MAX_NESTING} levels)"
    )


def _alias_bomb(node: Node) -> NoReturn:
    raise _Refused(
        f"YAML aliases expand to more than {MAX_ALIAS_NODES} nodes (an alias bomb?); "
        f"see the anchor at line {node.start_mark.line + 1}"
    )


class _StrictLoader(yaml.CSafeLoader):
    """PyYAML's safe loader on libyaml (the C parser and composer: fast), whose constructor,
    Python code even here, also refuses duplicate keys and NaN/Infinity and merges as YAML 1.1
    says."""

    def __init__(self, stream: str | bytes) -> None:
        super().__init__(stream)
        # Mappings whose merge keys have been resolved. Resolving rewrites the pairs in place, so
        # such a mapping, met again (an alias to it, or a merge of it), must not be checked or
        # resolved again: its merged keys would look like duplicates of its own.
        self.flattened: set[MappingNode] = set()

    def flatten_mapping(self, node: MappingNode) -> None:
        """Refuse duplicate keys, then resolve merge keys as YAML 1.1 (yaml.org/type/merge.html)
        and go-yaml do. The base class calls this for every mapping, just before building it.

        A key written twice in one mapping is an error. Keys that come from a merge
        (``<<: *base``) are not compared with the keys written beside them: YAML 1.1 lets an
        explicit key override a merged one. (sigs.k8s.io/yaml's strict decoding, go-yaml v2,
        refuses that collision too, so this never refuses what Kubernetes accepts.)

        Of several merged mappings (``<<: [*a, *b]``, or several ``<<`` keys) the earlier wins.
        PyYAML 6.0.4's own version lets the later one win for keys longer than one character
        (yaml/pyyaml#953): the harness would read another object than Kubernetes does. The
        result has PyYAML's shape: the merged pairs, lowest precedence first, then the written
        ones, which the base constructor applies in order. Merges are aliases, so the alias
        limit already bounds what they can add.
        """
        if node in self.flattened:
            return
        seen: dict[Any, Mark] = {}
        has_merge = False
        for key_node, _ in node.value:
            tag = key_node.tag
            if tag == _MERGE_TAG:
                has_merge = True
                continue
            if tag == _VALUE_TAG:  # the `=` key, which PyYAML reads as a plain string
                key_node.tag = tag = _STR_TAG
            if not isinstance(key_node, ScalarNode):
                continue  # a collection key is unhashable: the base class refuses it
            if tag == _STR_TAG:  # nearly every key: the text is the key
                key: Any = key_node.value
                identity: Any = key
            else:
                # `yes` and `true` are one key, `1` and `"1"` two, as in go-yaml: compare the
                # constructed values with their type. (Cached per node: built once.)
                key = self.construct_object(key_node)
                identity = (type(key), key)
            first = seen.get(identity)
            if first is not None:
                here = key_node.start_mark
                where, earlier = f"line {here.line + 1}", f"line {first.line + 1}"
                if here.line == first.line:  # a flow mapping on one line: the columns tell them apart
                    where, earlier = f"{where}, column {here.column + 1}", f"{earlier}, column {first.column + 1}"
                raise _Refused(f"duplicate key {key!r} at {where} (first at {earlier})")
            seen[identity] = key_node.start_mark
        if not has_merge:
            return  # the common case: nothing to rewrite
        sources: list[MappingNode] = []
        written: list[tuple[Node, Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE_TAG:
                written.append((key_node, value_node))
                continue
            for source in value_node.value if isinstance(value_node, SequenceNode) else [value_node]:
                if not isinstance(source, MappingNode):
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"expected a mapping or list of mappings for merging, but found {source.id}",
                        source.start_mark,
                    )
                if source not in sources:  # the same mapping merged twice adds nothing
                    sources.append(source)
        merged: list[tuple[Node, Node]] = []
        for source in reversed(sources):  # lowest precedence first: later pairs win
            self.flatten_mapping(source)  # checks its keys too, before anything rewrites it
            merged.extend(source.value)
        node.value = merged + written
        self.flattened.add(node)

    def construct_finite_float(self, node: ScalarNode) -> float:
        value = self.construct_yaml_float(node)
        if not math.isfinite(value):
            mark = node.start_mark
            raise _Refused(
                f"{node.value} at line {mark.line + 1}, column {mark.column + 1} is NaN or Infinity, "
                "which JSON (and so a Kubernetes object) cannot hold"
            )
        return value

    def construct_checked_timestamp(self, node: ScalarNode) -> Any:
        # `expires: 2024-02-30` in a waivers file matches the timestamp pattern but is no date:
        # PyYAML raises a bare ValueError; give it the position like any syntax error.
        try:
            return self.construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(None, None, f"{node.value}: {exc}", node.start_mark) from None


_StrictLoader.add_constructor(_FLOAT_TAG, _StrictLoader.construct_finite_float)
_StrictLoader.add_constructor(_TIMESTAMP_TAG, _StrictLoader.construct_checked_timestamp)


def parse_listing_file(text: str, *, key: str, source: str) -> list[Any]:
    """The entries of a user's YAML (or JSON) file that holds one list, either bare or under
    ``key`` (``rules:``, ``waivers:``); an empty file is an empty list. Errors name ``source``."""
    data = load_yaml(text, source=source, invalid="not valid YAML or JSON")
    if data is None:
        return []
    if isinstance(data, dict):
        unknown = set(data) - {key}
        if unknown:
            found = sorted(map(str, unknown))
            raise ParityInputError(f"unknown top-level key(s) {found}; expected '{key}'", file=source)
        data = data.get(key) or []
    if not isinstance(data, list):
        raise ParityInputError(f"expected a '{key}:' list", file=source, field=key)
    return data
