"""Inputs generated for any input model (:mod:`harness.input_models`).

- The built-in python job keeps its rich strategies (:func:`harness.fuzz.builder_inputs` and the
  strategies of :mod:`harness.fuzz.strategies`: programs, requirement strings, env maps...).
- A team's model gets strategies derived from its JSON Schema
  (``TypeAdapter(Model).json_schema()``), so its constraints hold: ``pattern``, ``ge``/``le``,
  ``min_length``/``max_length``, enums and literals, nested models, optional fields. Objects,
  arrays, unions and references are walked here (objects as fixed dictionaries, so an optional
  field shrinks away to its default); each scalar's schema goes to hypothesis-jsonschema. (Its
  own object generator relies on Hypothesis internals that Hypothesis 6.1xx no longer has.)
  Every generated value is validated by the model and handed on in its plain shape (defaults
  filled in), exactly as a scenario's inputs would reach a builder.
- A field the schema cannot describe well (a free-text field whose interesting values the schema
  does not know, a value that must be a real image name) gets a strategy of its own, registered by
  its dotted path: through a list, the path names the field of every item (``"spec.items.name"``)::

      from hypothesis import strategies as st
      from harness.fuzz.model_strategies import register_field_strategy

      register_field_strategy("image", st.sampled_from(["python:3.11", "busybox"]))

  or per run (``FuzzConfig(field_strategies={"image": ...})``), or in ``[tool.parity]`` as
  ``fuzz_strategies = {"image" = "mypkg.fuzzing:images"}`` (:func:`resolve_field_strategies`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from harness.errors import ParityInputError
from harness.input_models.model import DEFAULT_INPUT_MODEL, InputModel, InputsInvalid, resolve_input_model
from harness.references import import_reference

FUZZ_STRATEGIES_OPTION = "fuzz_strategies"

# Registered for every model, by dotted field path (register_field_strategy).
_REGISTERED: dict[str, st.SearchStrategy[Any]] = {}


def register_field_strategy(path: str, strategy: st.SearchStrategy[Any] | str) -> None:
    """Generate the field at dotted ``path`` with ``strategy`` (a strategy, or a ``pkg.mod:name``
    reference to one or to a function returning one) in every search of this process. A strategy
    given to one search (``FuzzConfig.field_strategies``) takes precedence."""
    _REGISTERED.update(resolve_field_strategies({path: strategy}))


def unregister_field_strategy(path: str) -> None:
    """Forget what :func:`register_field_strategy` registered for ``path``."""
    _REGISTERED.pop(path, None)


def registered_field_strategies() -> dict[str, st.SearchStrategy[Any]]:
    """The strategies registered so far, by field path."""
    return dict(_REGISTERED)


def resolve_field_strategies(
    strategies: Mapping[str, st.SearchStrategy[Any] | str] | None, *, option: str = FUZZ_STRATEGIES_OPTION
) -> dict[str, st.SearchStrategy[Any]]:
    """``{"field.path": strategy or "pkg.mod:name"}`` as strategies, for ``fuzz_strategies`` in
    the project configuration. A reference names a strategy, or a function called without
    arguments that returns one. Raises ParityInputError naming ``option`` and the path otherwise."""
    resolved: dict[str, st.SearchStrategy[Any]] = {}
    for path, value in (strategies or {}).items():
        where = f"{option}.{path}"
        if not isinstance(path, str) or not path or any(not part for part in path.split(".")):
            raise ParityInputError(f"a field path must be dotted field names, got {path!r}", field=option)
        strategy = _import_strategy(value, where) if isinstance(value, str) else value
        if callable(strategy) and not isinstance(strategy, st.SearchStrategy):
            try:
                strategy = strategy()
            except Exception as exc:
                raise ParityInputError(f"{value!r} raised {type(exc).__name__}: {exc}", field=where) from None
        if not isinstance(strategy, st.SearchStrategy):
            raise ParityInputError(f"{value!r} is not a Hypothesis strategy", field=where)
        resolved[path] = strategy
    return resolved


def model_inputs(
    model: InputModel | str | None = None,
    *,
    field_strategies: Mapping[str, st.SearchStrategy[Any] | str] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Complete inputs for ``model`` (None: the python job), in its plain shape.

    Per-field strategies (registered ones, then ``field_strategies``) replace what is generated at
    their paths; the result is validated by the model, and an example it refuses is discarded.
    """
    resolved = resolve_input_model(model)
    overrides = {**_REGISTERED, **resolve_field_strategies(field_strategies)}
    schema = resolved.json_schema() if overrides else {}
    for path in overrides:
        if not field_path_exists(schema, path):
            raise ParityInputError(
                f"{resolved.reference} has no field at {path!r}: a strategy for it would never be used",
                field=f"{FUZZ_STRATEGIES_OPTION}.{path}",
            )
    if resolved.is_builtin:
        from harness.fuzz.inputs import builder_inputs

        if not overrides:
            return builder_inputs()
        return _with_overrides(builder_inputs(), overrides, resolved)
    return _with_overrides(
        schema_inputs(resolved, skip=frozenset(p for p in overrides if "." not in p)), overrides, resolved
    )


def schema_inputs(model: InputModel, *, skip: frozenset[str] = frozenset()) -> st.SearchStrategy[Any]:
    """Raw data for ``model`` from its JSON Schema (top-level fields in ``skip`` left out: a
    strategy of their own fills them). Unknown keys are never generated."""
    schema = copy.deepcopy(model.json_schema())
    if skip and isinstance(schema.get("properties"), dict):
        for name in skip:
            schema["properties"].pop(name, None)
        if isinstance(schema.get("required"), list):
            schema["required"] = [name for name in schema["required"] if name not in skip]
    try:
        return _SchemaWalk(schema).strategy(schema)
    except (InvalidArgument, NotImplementedError, ValueError, TypeError, KeyError) as exc:
        raise ParityInputError(
            f"cannot derive inputs for {model.reference} from its JSON Schema ({exc}); register a strategy "
            "for the fields it cannot describe (register_field_strategy, fuzz_strategies)",
            field="--inputs-model",
        ) from None


def field_path_exists(schema: Mapping[str, Any], path: str) -> bool:
    """Whether dotted ``path`` names a field of ``schema`` (through lists, optional values and
    ``$defs`` references, as :func:`register_field_strategy` reads a path)."""
    definitions: Mapping[str, Any] = schema.get("$defs", {})

    def holders(node: Any, seen: frozenset[str] = frozenset()) -> list[Mapping[str, Any]]:
        # The object schemas that ``node`` may be: a list's items, a union's members, a reference's target.
        if not isinstance(node, Mapping):
            return []
        reference = node.get("$ref")
        if isinstance(reference, str) and reference.startswith("#/$defs/"):
            name = reference.removeprefix("#/$defs/")
            return [] if name in seen else holders(definitions.get(name), seen | {name})
        found = [node] if isinstance(node.get("properties"), Mapping) else []
        for union in ("anyOf", "oneOf", "allOf"):
            for member in node.get(union, ()):
                found.extend(holders(member, seen))
        if "items" in node:
            found.extend(holders(node["items"], seen))
        return found

    current: list[Mapping[str, Any]] = holders(schema)
    for name in path.split("."):
        children = [node["properties"][name] for node in current if name in node["properties"]]
        if not children:
            return False
        current = [holder for child in children for holder in holders(child)]
    return True


# Keys of a schema that say nothing about which values are valid.
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "$comment", "deprecated", "readOnly"})
_SCALARS = frozenset({"string", "integer", "number", "boolean", "null"})


class _SchemaWalk:
    """One JSON Schema (pydantic's dialect: ``$defs`` and local ``$ref``) as a strategy."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.defs: dict[str, Any] = dict(root.get("$defs", {}))
        self.refs: dict[str, st.SearchStrategy[Any]] = {}

    def strategy(self, schema: Any) -> st.SearchStrategy[Any]:
        if schema is True or schema == {} or (isinstance(schema, dict) and set(schema) <= _ANNOTATIONS | {"$defs"}):
            return _json_values()
        if schema is False:
            return st.nothing()
        if not isinstance(schema, dict):
            raise TypeError(f"not a schema: {schema!r}")
        if "$ref" in schema:
            return self._ref(schema["$ref"])
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return st.sampled_from(list(schema["enum"]))
        for union in ("anyOf", "oneOf"):
            if union in schema:
                return st.one_of([self.strategy(member) for member in schema[union]])
        if "allOf" in schema and len(schema["allOf"]) == 1:
            return self.strategy({**{k: v for k, v in schema.items() if k != "allOf"}, **schema["allOf"][0]})
        kind = schema.get("type")
        if isinstance(kind, list):
            return st.one_of([self.strategy({**schema, "type": each}) for each in kind])
        if kind == "object":
            return self._object(schema)
        if kind == "array":
            return self._array(schema)
        if kind in _SCALARS or "allOf" in schema:
            from hypothesis_jsonschema import from_schema

            leaf = {key: value for key, value in schema.items() if key not in _ANNOTATIONS and key != "$defs"}
            return from_schema(leaf, allow_x00=False)
        return _json_values()

    def _ref(self, reference: str) -> st.SearchStrategy[Any]:
        prefix = "#/$defs/"
        if not reference.startswith(prefix):
            raise NotImplementedError(f"reference {reference!r} outside the schema's $defs")
        name = reference[len(prefix) :]
        if name not in self.refs:
            target = self.defs[name]
            # Deferred: a model may refer to itself (a tree of steps).
            self.refs[name] = st.deferred(lambda: self.strategy(target))
        return self.refs[name]

    def _object(self, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
        properties: dict[str, Any] = schema.get("properties", {})
        if properties:
            required = set(schema.get("required", ()))
            return st.fixed_dictionaries(
                {name: self.strategy(sub) for name, sub in properties.items() if name in required},
                optional={name: self.strategy(sub) for name, sub in properties.items() if name not in required},
            )
        values = schema.get("additionalProperties", True)
        if values is False:
            return st.just({})
        names = schema.get("propertyNames")
        keys = self.strategy({"type": "string", **names}) if isinstance(names, dict) else st.text(max_size=20)
        return st.dictionaries(
            keys,
            self.strategy(values),
            min_size=int(schema.get("minProperties", 0)),
            max_size=schema.get("maxProperties"),
        )

    def _array(self, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
        prefix = schema.get("prefixItems")
        if isinstance(prefix, list):  # a tuple
            return st.tuples(*(self.strategy(item) for item in prefix)).map(list)
        items = self.strategy(schema.get("items", True))
        unique = bool(schema.get("uniqueItems"))
        return st.lists(
            items,
            min_size=int(schema.get("minItems", 0)),
            max_size=schema.get("maxItems"),
            unique_by=repr if unique else None,
        )


def _json_values() -> st.SearchStrategy[Any]:
    """Any JSON value (a field typed ``Any``), small."""
    scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
        max_leaves=8,
    )


def _with_overrides(
    base: st.SearchStrategy[Any], overrides: Mapping[str, st.SearchStrategy[Any]], model: InputModel
) -> st.SearchStrategy[dict[str, Any]]:
    paths = sorted(overrides, key=lambda path: path.count("."))

    @st.composite
    def inputs(draw: st.DrawFn) -> dict[str, Any]:
        value = draw(base)
        for path in paths:
            value = _set_path(value, path.split("."), overrides[path], draw)
        try:
            return model.validate(value)
        except InputsInvalid:
            reject()

    return inputs()


def _set_path(data: Any, parts: list[str], strategy: st.SearchStrategy[Any], draw: st.DrawFn) -> Any:
    """``data`` with the value at ``parts`` drawn from ``strategy``; through a list, in every item."""
    if isinstance(data, list):
        return [_set_path(item, parts, strategy, draw) for item in data]
    if not isinstance(data, dict):
        return data
    head, rest = parts[0], parts[1:]
    if not rest:
        return {**data, head: draw(strategy)}
    if head not in data:
        return data
    return {**data, head: _set_path(data[head], rest, strategy, draw)}


def _import_strategy(reference: str, where: str) -> Any:
    return import_reference(
        reference, what="strategy reference", form="'package.module:name'", option=where, contain=True
    )


__all__ = [
    "DEFAULT_INPUT_MODEL",
    "FUZZ_STRATEGIES_OPTION",
    "model_inputs",
    "register_field_strategy",
    "registered_field_strategies",
    "resolve_field_strategies",
    "schema_inputs",
    "unregister_field_strategy",
]
