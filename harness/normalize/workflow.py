"""The Argo/Kubernetes-aware canonical form of one manifest document.

Each rule below is one function (or one table in :mod:`harness.spec.fields`) with the
reason it exists. The rules declared in :mod:`harness.diff.builtin_rules` travel on
:class:`~harness.normalize.canonical.Leaf` nodes so that the differ can say which rule decided.
The form rules (what is dropped, filled in, reordered or moved: ``live-object``,
``volume-level``, ``kubernetes-default``, ``empty-is-absent``, ``keyed-list``,
``requests-default-to-limits``, and the fold of ``dependencies`` into ``depends``) leave nothing
to carry a rule; when a :class:`~harness.normalize.canonical.FormRecord` is passed in, each notes
where it acted, so ``parity diff --show-cosmetic`` names the rule that really made two manifests
written differently equal. Without one, nothing is noted and nothing is paid.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from harness.diff.builtin_rules import (
    ANY_STRING,
    DAG_DEPENDS_FORM,
    EMBEDDED_DOCUMENT,
    EMPTY_IS_ABSENT,
    IMAGE_PULL_POLICY_DEFAULT,
    INT_OR_STRING,
    KEYED_LIST,
    KUBERNETES_DEFAULT,
    LIVE_OBJECT,
    QUANTITY,
    REQUESTS_DEFAULT_TO_LIMITS,
    SET_LIKE_LIST,
    TYPED_SCALAR,
    VOLUME_LEVEL,
    BuiltinRule,
)
from harness.diff.paths import Index, Item, Key, Segment
from harness.normalize import dag, programs
from harness.normalize.canonical import ABSENT, FormRecord, Keyed, Leaf, freeze, json_value
from harness.normalize.quantity import QuantityError, parse_quantity
from harness.spec import fields as F
from harness.spec import tags
from harness.spec.fields import default_pull_policy


def canonical_document(doc: dict[str, Any], record: FormRecord | None = None) -> dict[str, Any]:
    """The canonical form of one Kubernetes object (a dict straight from YAML or a builder);
    ``record``, when given, notes where each form rule acted (paths as the document is written)."""
    doc = copy.deepcopy(doc)
    strip_live_fields(doc, record)
    spec_kind = F.SPEC_KINDS.get(str(doc.get("kind")), "spec")
    for at, spec in _workflow_specs(doc, spec_kind):
        lift_template_volumes(spec, record, at)
    return _Normalizer(spec_kind, record).mapping(doc, "object") or {}


# --- live objects --------------------------------------------------------------------------------


def strip_live_fields(doc: dict[str, Any], record: FormRecord | None = None) -> None:
    """Rule ``live-object``: drop what the API server and the Argo controller add to an object.

    So that ``kubectl get wf X -o yaml`` compares to a built manifest: status, server metadata
    (uid, resourceVersion, creationTimestamp, managedFields, generation...), the controller's
    labels and annotations, and a ``name`` the server generated from ``generateName``.
    """
    meta = doc.get("metadata")
    live = any(key in doc for key in F.LIVE_TOP_LEVEL_FIELDS) or (
        isinstance(meta, dict) and any(key in meta for key in F.SERVER_METADATA_FIELDS)
    )
    for key in F.LIVE_TOP_LEVEL_FIELDS:
        if doc.pop(key, ABSENT) is not ABSENT and record is not None:
            record.note((Key(key),), LIVE_OBJECT)
    if not isinstance(meta, dict):
        return
    for key in F.SERVER_METADATA_FIELDS:
        if meta.pop(key, ABSENT) is not ABSENT and record is not None:
            record.note((Key("metadata"), Key(key)), LIVE_OBJECT)
    generate_name = meta.get("generateName")
    name = meta.get("name")
    # Only on a live object: in a manifest to submit, a name wins over generateName (a fixed name,
    # so a second submission fails), which is a real difference.
    if live and isinstance(generate_name, str) and isinstance(name, str) and name.startswith(generate_name):
        del meta["name"]
        if record is not None:
            record.note((Key("metadata"), Key("name")), LIVE_OBJECT)
    for field, known in (("labels", F.CONTROLLER_LABELS), ("annotations", F.CONTROLLER_ANNOTATIONS)):
        values = meta.get(field)
        if isinstance(values, dict):
            dropped = [key for key in known if values.pop(key, ABSENT) is not ABSENT]
            if record is not None and dropped:
                if not values:  # only the controller's: the whole map is what it added
                    record.note((Key("metadata"), Key(field)), LIVE_OBJECT)
                for key in dropped:
                    record.note((Key("metadata"), Key(field), Key(key)), LIVE_OBJECT)


# --- volumes -------------------------------------------------------------------------------------


def _workflow_specs(doc: dict[str, Any], spec_kind: str) -> Iterator[tuple[tuple[Segment, ...], dict[str, Any]]]:
    """Each workflow spec of a document, with where it sits."""
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        return
    if spec_kind == "workflowSpec":
        yield (Key("spec"),), spec
    elif spec_kind == "cronWorkflowSpec" and isinstance(spec.get("workflowSpec"), dict):
        yield (Key("spec"), Key("workflowSpec")), spec["workflowSpec"]


def _mounted_names(node: Any) -> set[str]:
    """Volume names mounted anywhere inside a template (all its containers)."""
    names: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "volumeMounts" and isinstance(value, list):
                names.update(m["name"] for m in value if isinstance(m, dict) and isinstance(m.get("name"), str))
            else:
                names |= _mounted_names(value)
    elif isinstance(node, list):
        for item in node:
            names |= _mounted_names(item)
    return names


def lift_template_volumes(
    spec: dict[str, Any], record: FormRecord | None = None, at: tuple[Segment, ...] = (Key("spec"),)
) -> None:
    """Rule ``volume-level``: a volume declared on the template that mounts it equals the same
    volume declared on the workflow.

    Argo adds a template's ``volumes`` to that template's pod, and the workflow's ``volumes`` to
    every pod that mounts them: for a template that mounts the volume the pod is the same. A
    volume is lifted only when that is certainly so: the template mounts it, no other template or
    the workflow defines the name differently, and no template relies on a workflow-level
    declaration that does not exist (lifting would repair a pod that fails today).
    """
    templates = spec.get("templates")
    if not isinstance(templates, list):
        return
    normalizer = _Normalizer("workflowSpec")

    def canon(volume: dict[str, Any]) -> Any:
        return freeze(normalizer.mapping(copy.deepcopy(volume), "volume"))

    workflow_volumes = spec.get("volumes") if isinstance(spec.get("volumes"), list) else []
    assert isinstance(workflow_volumes, list)
    workflow_defs = {
        v["name"]: canon(v) for v in workflow_volumes if isinstance(v, dict) and isinstance(v.get("name"), str)
    }
    template_defs: dict[str, set[Any]] = {}
    declared_by: dict[str, list[int]] = {}
    mounts: list[set[str]] = []
    for index, template in enumerate(templates):
        if not isinstance(template, dict):
            mounts.append(set())
            continue
        mounts.append(_mounted_names({k: v for k, v in template.items() if k != "volumes"}))
        declared = template.get("volumes")
        for volume in declared if isinstance(declared, list) else []:
            if isinstance(volume, dict) and isinstance(volume.get("name"), str):
                template_defs.setdefault(volume["name"], set()).add(canon(volume))
                declared_by.setdefault(volume["name"], []).append(index)

    lifted: dict[str, dict[str, Any]] = {}
    # Where each template sits in the canonical form (by name when the names are distinct).
    template_at = _item_segments(templates, F.KEYED_LISTS["templates"]) if record is not None else []
    for name, defs in template_defs.items():
        if len(defs) != 1:
            continue  # two templates define the name differently
        (definition,) = defs
        if name in workflow_defs and workflow_defs[name] != definition:
            continue
        owners = declared_by[name]
        if any(name not in mounts[i] for i in owners):
            continue  # declared but not mounted: the pod still attaches it
        users = [i for i, m in enumerate(mounts) if name in m]
        if name not in workflow_defs and any(i not in owners for i in users):
            continue  # some template mounts it without declaring it: lifting would fix that pod
        for i in owners:
            before = templates[i]["volumes"]
            moved, any_left = _take_template_volume(templates[i], name, lifted)
            if record is not None:
                where = (*at, Key("templates"), template_at[i], Key("volumes"))
                segments = _item_segments(before, F.KEYED_LISTS["volumes"])
                for path in [(*where, segments[m]) for m in moved] if any_left else [where]:
                    record.note(path, VOLUME_LEVEL)
        if name in workflow_defs:
            lifted.pop(name, None)
    if lifted:
        spec["volumes"] = [*workflow_volumes, *lifted.values()]
        if record is not None:
            added = _item_segments(spec["volumes"], F.KEYED_LISTS["volumes"])[len(workflow_volumes) :]
            for path in [(*at, Key("volumes"), seg) for seg in added] if workflow_volumes else [(*at, Key("volumes"))]:
                record.note(path, VOLUME_LEVEL)


def _take_template_volume(
    template: dict[str, Any], name: str, lifted: dict[str, dict[str, Any]]
) -> tuple[list[int], bool]:
    """Move the volume ``name`` out of ``template`` into ``lifted``: the indices it had in the
    template's volumes, and whether the template keeps any volume."""
    kept = []
    moved = []
    for index, volume in enumerate(template["volumes"]):
        if isinstance(volume, dict) and volume.get("name") == name:
            lifted.setdefault(name, volume)
            moved.append(index)
        else:
            kept.append(volume)
    if kept:
        template["volumes"] = kept
    else:
        del template["volumes"]
    return moved, bool(kept)


# --- the recursive normalizer --------------------------------------------------------------------


class _Normalizer:
    def __init__(self, spec_kind: str, record: FormRecord | None = None) -> None:
        self.spec_kind = spec_kind
        # Only with a record: where the node being normalised sits (readable segments), so that
        # each form rule notes where it acted. Every `record is None` branch is the fast path.
        self.record = record
        self.path: list[Segment] = []

    def note(self, rule: BuiltinRule, *below: Segment) -> None:
        """Record ``rule`` at the current path (and ``below`` it); only called with a record."""
        assert self.record is not None
        self.record.note((*self.path, *below), rule)

    def at(self, seg: Segment, normalize: Callable[[Any, str], Any], value: Any, kind: str) -> Any:
        """``normalize(value, kind)`` with ``seg`` appended to the path (recording only)."""
        self.path.append(seg)
        try:
            return normalize(value, kind)
        finally:
            self.path.pop()

    def each(self, items: list[Any], normalize: Callable[[Any, str], Any], kind: str) -> list[Any]:
        """``normalize(item, kind)`` over ``items`` (recording: each at its index)."""
        if self.record is None:
            return [normalize(i, kind) for i in items]
        return [self.at(Index(n), normalize, i, kind) for n, i in enumerate(items)]

    def child_kind(self, parent: str, key: str) -> str:
        if parent == "object" and key == "spec":
            return self.spec_kind
        return F.child_kind(parent, key)

    def mapping(self, raw: dict[str, Any], kind: str) -> dict[str, Any] | None:
        """Canonical mapping, or None when nothing is left (empty equals absent)."""
        defaults = F.FIELD_DEFAULTS.get("container" if kind in F.CONTAINER_KINDS else kind, {})
        hook = _KIND_HOOKS.get(kind)
        if hook is not None:
            raw = hook(self, raw)
        out: dict[str, Any] = {}
        record = self.record
        for raw_key, value in raw.items():
            key = str(raw_key)
            if value is None:  # rule `empty-is-absent`: null is no value
                if record is not None:
                    self.note(EMPTY_IS_ABSENT, Key(key))
                continue
            if key in defaults and _same_scalar(value, defaults[key]):
                if record is not None:  # rule `kubernetes-default`: equal to what the server fills in
                    self.note(KUBERNETES_DEFAULT, Key(key))
                continue
            if record is None:
                node = self.field(kind, key, value, raw)
            else:
                self.path.append(Key(key))
                try:
                    node = self.field(kind, key, value, raw)
                finally:
                    self.path.pop()
                if node is ABSENT:  # emptied: `{}`, `[]`, or a mapping left with nothing
                    self.note(EMPTY_IS_ABSENT, Key(key))
            if node is not ABSENT:
                out[key] = node
        if kind in F.CONTAINER_KINDS:
            _pull_policy(raw, out)
            if record is not None and F.IMAGE_PULL_POLICY_FIELD in raw and F.IMAGE_PULL_POLICY_FIELD not in out:
                self.note(IMAGE_PULL_POLICY_DEFAULT, Key(F.IMAGE_PULL_POLICY_FIELD))
        return out or None

    def field(self, kind: str, key: str, value: Any, parent: dict[str, Any]) -> Any:
        if (kind, key) in F.INT_OR_STRING_FIELDS:
            return int_or_string_node(value)
        if (kind, key) in F.ANY_STRING_FIELDS:
            return any_string(value)
        if (kind, key) in F.QUANTITY_FIELDS:
            return quantity(value)
        if key in F.QUANTITY_MAPS and kind in {"resources", "volumeResources"} and isinstance(value, dict):
            if self.record is not None:
                for k in (k for k, v in value.items() if v is None):
                    self.note(EMPTY_IS_ABSENT, Key(str(k)))
            return {str(k): quantity(v) for k, v in value.items() if v is not None} or ABSENT
        if (kind, key) in F.EMBEDDED_DOCUMENT_FIELDS and isinstance(value, str):
            return embedded_document(value)
        if kind == "script" and key == "source" and isinstance(value, str):
            return programs.script_source(value, parent.get("command"))
        return self.value(value, self.child_kind(kind, key), key, kind)

    def value(self, value: Any, kind: str, key: str, parent_kind: str) -> Any:
        if isinstance(value, dict):
            if not value:
                return {} if key in F.PRESENCE_SIGNIFICANT else ABSENT
            node = self.mapping(value, kind)
            if node is None:
                return {} if key in F.PRESENCE_SIGNIFICANT else ABSENT
            return node
        if isinstance(value, list):
            if not value:
                return [] if key in F.PRESENCE_SIGNIFICANT else ABSENT
            return self.sequence(value, key, parent_kind)
        return scalar(value)

    def sequence(self, items: list[Any], key: str, parent_kind: str) -> Any:
        item_kind = F.item_kind(key)
        if key in F.STEP_GROUP_LISTS and parent_kind == "template":
            return self.each(items, self.step_group, item_kind)
        if key in F.SET_LIKE_LISTS or (parent_kind, key) in F.SET_LIKE_LISTS_BY_PARENT:
            canon = self.each(items, self.item, item_kind)
            return Leaf(frozenset(freeze(c) for c in canon), [json_value(c) for c in canon], SET_LIKE_LIST)
        identity = F.KEYED_LISTS_BY_PARENT.get((parent_kind, key)) or F.KEYED_LISTS.get(key)
        if identity is not None:
            # env too: the one way its order counts (Kubernetes expands `$(A)` in a value only from
            # vars defined earlier) is already in the values, compared after expansion
            # (rule `kubernetes-var-expansion`, the container hook below).
            return self.keyed_or_list(items, identity, item_kind)
        return self.each(items, self.item, item_kind)

    def step_group(self, group: Any, kind: str) -> Any:
        """One group of a steps template: its steps run in parallel, by name."""
        return self.keyed_or_list(group, ("name",), kind) if isinstance(group, list) else self.item(group, kind)

    def item(self, item: Any, kind: str) -> Any:
        if isinstance(item, dict):
            return self.mapping(item, kind) or {}
        if isinstance(item, list):
            return self.each(item, self.item, kind)
        return scalar(item)

    def keyed_or_list(self, items: list[Any], identity: tuple[str, ...], kind: str) -> Any:
        """Rule ``keyed-list``: items by identity when every item has a distinct one."""
        names = _identities(items, identity)
        if names is None:
            return self.each(items, self.item, kind)
        keyed = Keyed()
        if self.record is None:
            for name, item in zip(names, items, strict=True):
                keyed[name] = self.item(item, kind)
            return keyed
        self.note(KEYED_LIST)  # the order of this list is gone
        for name, item in zip(names, items, strict=True):
            keyed[name] = self.at(Item(name), self.item, item, kind)
        return keyed


def _identities(items: list[Any], identity: tuple[str, ...]) -> list[str] | None:
    """Each item's identity: the first field of ``identity`` every item has, distinct (None: none)."""
    for field in identity:
        names = [_dig(i, field) for i in items]
        if all(isinstance(n, str | int) and not isinstance(n, bool) for n in names) and len(
            set(map(str, names))
        ) == len(names):
            return [str(n) for n in names]
    return None


def _item_segments(items: list[Any], identity: tuple[str, ...]) -> list[Segment]:
    """Where each item of a list sits in the canonical form: by identity, or by index."""
    names = _identities(items, identity)
    if names is None:
        return [Index(n) for n in range(len(items))]
    return [Item(name) for name in names]


def _dig(item: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(item, dict):
            return None
        item = item.get(part)
    return item


def _same_scalar(value: Any, default: Any) -> bool:
    return type(value) is type(default) and value == default


# --- kind hooks: rules that look at a whole object before its fields ------------------------------


def _resources_hook(normalizer: _Normalizer, raw: dict[str, Any]) -> dict[str, Any]:
    """Rule ``requests-default-to-limits``: Kubernetes sets a container's request for a resource
    to its limit when only the limit is given."""
    limits = raw.get("limits")
    if not isinstance(limits, dict) or not limits:
        return raw
    requests = raw.get("requests") if isinstance(raw.get("requests"), dict) else {}
    assert isinstance(requests, dict)
    filled = {k: v for k, v in limits.items() if v is not None and k not in requests}
    if normalizer.record is not None and filled:
        if not requests:  # the whole of requests is the limits
            normalizer.note(REQUESTS_DEFAULT_TO_LIMITS, Key("requests"))
        for k in filled:
            normalizer.note(REQUESTS_DEFAULT_TO_LIMITS, Key("requests"), Key(str(k)))
    return {**raw, "requests": {**filled, **requests}}


def _container_hook(normalizer: _Normalizer, raw: dict[str, Any]) -> dict[str, Any]:
    """Rules ``kubernetes-var-expansion``, ``argv-code`` and ``code-in-env``: env values, command
    and args are compared after Kubernetes expands ``$(VAR)`` and ``$$`` in them, and a program
    the container runs from its argv (``["bash", "-c", "..."]``) or from an env var
    (``python -c "$PYTHON_CODE"``) is compared as that program, not as text."""
    return programs.container_programs(raw)


def _dag_hook(normalizer: _Normalizer, raw: dict[str, Any]) -> dict[str, Any]:
    """Rule ``dag-depends-form``: a DAG task's ``depends`` or ``dependencies`` is one condition,
    compared with the whole DAG by meaning (:mod:`harness.normalize.dag`). A ``dependencies``
    written is folded into that ``depends``: recorded there under the same rule."""
    out = dag.dag_hook(raw)
    tasks = raw.get("tasks")
    if normalizer.record is None or not isinstance(tasks, list):
        return out
    where = _item_segments(tasks, F.KEYED_LISTS["tasks"])
    for seg, written, task in zip(where, tasks, out["tasks"], strict=True):
        if task is not written and isinstance(written, dict) and "dependencies" in written:
            normalizer.note(DAG_DEPENDS_FORM, Key("tasks"), seg, Key("dependencies"))
    return out


_KIND_HOOKS: dict[str, Callable[[_Normalizer, dict[str, Any]], dict[str, Any]]] = {
    "dag": _dag_hook,
    "resources": _resources_hook,
    "container": _container_hook,
    "script": _container_hook,
}


# --- scalar rules --------------------------------------------------------------------------------


def scalar(value: Any) -> Any:
    """Strings and integers compare as themselves. Booleans and floats are wrapped so that Python's
    ``True == 1 == 1.0`` cannot hide a type change the controller would reject."""
    if isinstance(value, Leaf):
        return value
    if isinstance(value, bool):
        return Leaf(("bool", value), value, TYPED_SCALAR)
    if isinstance(value, float):
        return Leaf(("float", value), value, TYPED_SCALAR)
    if isinstance(value, str | int):
        return value
    # Dates and other YAML-typed values: compared as their text, shown as text.
    return Leaf(("other", str(value)), str(value), TYPED_SCALAR)


def int_or_string_node(value: Any) -> Any:
    """Rule ``int-or-string``: intstr.IntOrString fields take ``2`` and ``"2"`` alike; a string is
    the number Argo reads from it (:func:`harness.spec.fields.int_or_string`, ``strconv.Atoi``),
    any other string stays a string."""
    if isinstance(value, int) and not isinstance(value, bool):
        return Leaf(("int", value), value, INT_OR_STRING)
    if isinstance(value, str):
        try:
            return Leaf(("int", F.int_or_string(value)), value, INT_OR_STRING)
        except ValueError:
            pass  # "soon", "{{inputs.parameters.n}}": not a number Argo reads
    return scalar(value)


def any_string(value: Any) -> Any:
    """Rule ``any-string``: Argo parameter values accept numbers and booleans and keep their text."""
    if isinstance(value, bool):
        return Leaf(("str", "true" if value else "false"), value, ANY_STRING)
    if isinstance(value, int | float):
        return Leaf(("str", str(value)), value, ANY_STRING)
    if isinstance(value, str):
        return Leaf(("str", value), value, ANY_STRING)
    if isinstance(value, list):
        return [any_string(v) for v in value]
    return scalar(value)


def quantity(value: Any) -> Any:
    """Rule ``quantity``: resource quantities compare by value (``1`` = ``1000m``, ``1Gi`` = ``1024Mi``)."""
    try:
        return Leaf(("amount", parse_quantity(value)), value, QUANTITY)
    except QuantityError:
        return scalar(value)  # not a quantity (an Argo expression?): compared as written


def embedded_document(text: str) -> Any:
    """Rule ``embedded-document``: a manifest or patch held in a string is compared as the data
    it holds (YAML or JSON formatting does not reach the API server).

    Text that does not load as one mapping is compared as text: so is text that
    :mod:`harness.yaml_input` refuses (a duplicate key, an alias bomb, deep nesting, NaN). Such a
    string is still a valid value of the field, so the manifest around it is not bad input;
    comparing it as written is the cautious reading (two texts that differ are reported, never
    equated), and the limits keep the normaliser from expanding or recursing into it.
    """
    from harness.errors import ParityInputError
    from harness.yaml_input import load_yaml_documents

    if tags.OPEN in text:
        # Argo substitutes {{...}} into the text before it is parsed: quoting around a tag can
        # change what the substituted value parses to, so the text is the meaning here.
        return Leaf(("text", text.strip()), text, EMBEDDED_DOCUMENT)
    try:
        docs = load_yaml_documents(text, source="<embedded document>")
    except ParityInputError:
        return Leaf(("text", text.strip()), text, EMBEDDED_DOCUMENT)
    if len(docs) != 1 or not isinstance(docs[0], dict):
        return Leaf(("text", text.strip()), text, EMBEDDED_DOCUMENT)
    return Leaf(("data", freeze(_plain(docs[0]))), text, EMBEDDED_DOCUMENT)


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return scalar(node)


# --- image pull policy -----------------------------------------------------------------------------


def _pull_policy(raw: dict[str, Any], out: dict[str, Any]) -> None:
    """Rule ``image-pull-policy-default``: an absent imagePullPolicy is the one Kubernetes derives
    from the image tag; an explicit one equal to it changes nothing."""
    image = raw.get("image")
    explicit = raw.get(F.IMAGE_PULL_POLICY_FIELD)
    effective = explicit or (default_pull_policy(image) if isinstance(image, str) else None)
    if effective is None:
        out.pop(F.IMAGE_PULL_POLICY_FIELD, None)
        return
    out[F.IMAGE_PULL_POLICY_FIELD] = Leaf(("policy", effective), explicit, IMAGE_PULL_POLICY_DEFAULT)
