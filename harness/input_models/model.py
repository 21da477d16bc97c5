"""An input model: the shape of what a suite's builders take, and how they take it.

A team's builders need not take the python job (:mod:`harness.input_models.python_job`). Its input
model is a pydantic model, a dataclass or a TypedDict named by ``package.module:Model``
(``--inputs-model``, ``inputs_model`` in ``[tool.parity]``); pydantic's ``TypeAdapter`` validates
all three alike. A scenario's ``inputs`` are validated against it (unknown keys are errors, whatever
the model's own ``extra`` setting says, since a fixture author's typo must not vanish), and kept as
plain JSON-ready data: that is what travels to the builder processes, what the fuzzer generates
and what a promoted fixture holds.

The call mode (``--call``, ``call``) says how a builder receives one input, always built afresh in
the builder's own process from that plain data:

- ``dict`` (default): one plain-data argument, a fresh deep copy;
- ``kwargs``: ``builder(**inputs)``;
- ``model``: ``builder(Model(...))``, an instance validated from the plain data.
"""

from __future__ import annotations

import copy
import dataclasses
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from enum import StrEnum
from functools import cached_property
from typing import Any

from pydantic import BaseModel, GetCoreSchemaHandler, TypeAdapter, ValidationError
from pydantic_core import core_schema
from typing_extensions import is_typeddict

from harness.errors import ParityInputError
from harness.input_models.python_job import BUILTIN_SCENARIO_KINDS, Inputs
from harness.references import import_reference

BUILTIN_INPUT_MODEL_REF = "harness.input_models.python_job:Inputs"
INPUTS_MODEL_OPTION = "--inputs-model"
CALL_OPTION = "--call"


class CallMode(StrEnum):
    """How a builder receives one input (see the module docstring)."""

    DICT = "dict"
    KWARGS = "kwargs"
    MODEL = "model"


def call_mode(value: str | CallMode, *, option: str = CALL_OPTION) -> CallMode:
    """``value`` as a :class:`CallMode`; a ParityInputError naming ``option`` otherwise."""
    try:
        return CallMode(value)
    except ValueError:
        choices = ", ".join(mode.value for mode in CallMode)
        raise ParityInputError(f"unknown call mode {value!r}; choose from {choices}", field=option) from None


class ModelInputs(dict[str, Any]):
    """A scenario's inputs validated against a team's input model, as plain JSON-ready data (the
    built-in model keeps its :class:`~harness.input_models.python_job.Inputs` instead)."""

    def for_builder(self) -> dict[str, Any]:
        """Plain data for a builder call; a fresh copy each time so one builder cannot change what
        the other receives."""
        return copy.deepcopy(dict(self))

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        # Only an instance is one: a plain dict in a scenario is the built-in model's to validate.
        return core_schema.is_instance_schema(
            cls, serialization=core_schema.plain_serializer_function_ser_schema(dict, when_used="always")
        )


class InputsInvalid(ValueError):
    """Inputs the model refuses; ``errors`` are pydantic-shaped (``type``, ``loc``, ``msg``,
    ``input``), each location as the author wrote it (no union member names)."""

    def __init__(self, errors: Sequence[Mapping[str, Any]]) -> None:
        self.errors = [dict(error) for error in errors]
        first = self.errors[0] if self.errors else {"loc": (), "msg": "invalid"}
        where = ".".join(str(part) for part in first["loc"])
        super().__init__(f"{where}: {first['msg']}" if where else str(first["msg"]))


class InputModel:
    """One input model: validation, plain data, builder calls. Create with :meth:`from_reference`
    (or :data:`DEFAULT_INPUT_MODEL`, the python job)."""

    def __init__(self, target: Any, *, reference: str | None = None) -> None:
        self.target = target
        self.reference = reference or f"{target.__module__}:{target.__qualname__}"

    def __repr__(self) -> str:
        return f"InputModel({self.reference})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, InputModel) and other.target is self.target

    def __hash__(self) -> int:
        return hash(id(self.target))

    @classmethod
    def from_reference(cls, reference: str | None, *, option: str = INPUTS_MODEL_OPTION) -> InputModel:
        """The model named by ``package.module:Model`` (None or empty: the built-in python job).

        Raises ParityInputError naming ``option`` for a reference that does not import, or names
        something that is not a pydantic model, a dataclass or a TypedDict pydantic can validate.
        """
        if not reference or reference == BUILTIN_INPUT_MODEL_REF:
            return DEFAULT_INPUT_MODEL
        target = _import_object(reference, option)
        if target is Inputs:
            return DEFAULT_INPUT_MODEL
        if not _is_model(target):
            raise ParityInputError(
                f"{reference!r} is {_describe(target)}, not a pydantic model, a dataclass or a TypedDict", field=option
            )
        model = cls(_validatable(target), reference=reference)
        try:
            model.adapter  # noqa: B018 - built now, so a type pydantic cannot validate is bad input here
        except Exception as exc:  # pydantic's schema errors, a forward reference that does not resolve
            raise ParityInputError(f"pydantic cannot validate {reference!r}: {exc}", field=option) from None
        return model

    # --- what it is -----------------------------------------------------------------------------

    @property
    def is_builtin(self) -> bool:
        return self.target is Inputs

    @property
    def name(self) -> str:
        return str(getattr(self.target, "__qualname__", self.reference))

    @property
    def scenario_kinds(self) -> tuple[str, ...] | None:
        """The kinds a fixture may name: the built-in suite's for the python job, any label
        (``[a-z0-9-]``) for a team's model (None)."""
        return BUILTIN_SCENARIO_KINDS if self.is_builtin else None

    @cached_property
    def adapter(self) -> TypeAdapter[Any]:
        return TypeAdapter(self.target)

    def json_schema(self) -> dict[str, Any]:
        """The model's JSON Schema (validation mode): what the fuzzer derives its strategies from."""
        return self.adapter.json_schema(mode="validation")

    # --- data -----------------------------------------------------------------------------------

    def validate(self, raw: Any) -> dict[str, Any]:
        """``raw`` validated, as plain JSON-ready data (defaults filled in, as a builder gets it).

        Raises :class:`InputsInvalid` with every problem; an unknown key is one, even where the
        model itself would ignore it.
        """
        if self.is_builtin:
            try:
                return Inputs.model_validate(raw).for_builder()
            except ValidationError as exc:
                raise InputsInvalid([_as_error(error) for error in exc.errors()]) from None
        try:
            value = self.adapter.validate_python(raw)
        except ValidationError as exc:
            raise InputsInvalid(
                [
                    {**_as_error(error), "loc": written_location(error["loc"], raw, error["type"])}
                    for error in exc.errors()
                ]
            ) from None
        plain = self.plain(value)
        unknown = [
            {"type": "extra_forbidden", "loc": loc, "msg": "Extra inputs are not permitted", "input": item}
            for loc, item in _unknown_keys(raw, plain, ())
        ]
        if unknown:
            raise InputsInvalid(unknown)
        return plain

    def plain(self, value: Any) -> dict[str, Any]:
        """A validated value (what :meth:`instance` returns) as plain JSON-ready data."""
        data = self.adapter.dump_python(value, mode="json", by_alias=True)
        if not isinstance(data, dict):
            raise InputsInvalid([{"type": "dict_type", "loc": (), "msg": "inputs must be a mapping", "input": data}])
        return copy.deepcopy(data)

    def instance(self, data: Mapping[str, Any]) -> Any:
        """An instance of the model built from plain data (a dict for a TypedDict)."""
        return self.adapter.validate_python(copy.deepcopy(dict(data)))

    def scenario_inputs(self, raw: Any) -> Inputs | ModelInputs:
        """What :attr:`harness.scenarios.Scenario.inputs` holds for ``raw``: the python job's
        :class:`Inputs`, or a team model's plain data. Raises :class:`InputsInvalid`."""
        if self.is_builtin:
            try:
                return Inputs.model_validate(raw)
            except ValidationError as exc:
                raise InputsInvalid([_as_error(error) for error in exc.errors()]) from None
        return ModelInputs(self.validate(raw))

    # --- calls ----------------------------------------------------------------------------------

    def caller(self, builder: Callable[..., Any], call: str | CallMode = CallMode.DICT) -> Callable[[Any], Any]:
        """``builder`` as a one-argument callable on plain inputs, called the ``call`` way; the
        model instance (``model``) is built inside the call, in whatever process makes it."""
        mode = call_mode(call)
        if mode is CallMode.DICT:
            return builder

        if mode is CallMode.KWARGS:

            def with_keywords(inputs: Mapping[str, Any]) -> Any:
                return builder(**copy.deepcopy(dict(inputs)))

            return with_keywords

        def with_instance(inputs: Mapping[str, Any]) -> Any:
            return builder(self.instance(inputs))

        return with_instance

    def call(self, builder: Callable[..., Any], inputs: Mapping[str, Any], call: str | CallMode = CallMode.DICT) -> Any:
        """Call ``builder`` on plain ``inputs`` the ``call`` way (``dict``: on a deep copy)."""
        if call_mode(call) is CallMode.DICT:
            return builder(copy.deepcopy(dict(inputs)))
        return self.caller(builder, call)(inputs)


DEFAULT_INPUT_MODEL = InputModel(Inputs, reference=BUILTIN_INPUT_MODEL_REF)


def resolve_input_model(reference: str | InputModel | None, *, option: str = INPUTS_MODEL_OPTION) -> InputModel:
    """The input model for ``reference`` (``package.module:Model``, an InputModel, or None for the
    built-in python job); a ParityInputError naming ``option`` when it is no usable model."""
    if isinstance(reference, InputModel):
        return reference
    return InputModel.from_reference(reference, option=option)


def written_location(loc: Sequence[int | str], data: Any, error_type: str = "") -> tuple[int | str, ...]:
    """A pydantic error location as the author wrote it: the keys and indexes found in ``data``.

    pydantic adds the union member it tried (``TeamVolume``, ``int``, ``function-after[...]``,
    ``[key]``) to a location; those are left out, since the author never wrote them. The last
    part stays when it names a missing (or unknown) key.
    """
    written: list[int | str] = []
    current: Any = data
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if _holds(current, part):
            written.append(part)
            current = current[part]
        elif last and error_type in {
            "missing",
            "extra_forbidden",
            "missing_keyword_argument",
            "unexpected_keyword_argument",
        }:
            written.append(part)
    return tuple(written)


def _holds(data: Any, part: int | str) -> bool:
    if isinstance(data, Mapping):
        return part in data
    return isinstance(part, int) and isinstance(data, list | tuple) and 0 <= part < len(data)


def _as_error(error: Any) -> dict[str, Any]:
    return {key: error[key] for key in ("type", "loc", "msg", "input") if key in error} | {"ctx": error.get("ctx")}


def _unknown_keys(raw: Any, plain: Any, loc: tuple[int | str, ...]) -> Iterator[tuple[tuple[int | str, ...], Any]]:
    """Keys of ``raw`` the validated, dumped ``plain`` does not hold: what the model ignored."""
    if isinstance(raw, Mapping) and isinstance(plain, Mapping):
        for key, item in raw.items():
            if key not in plain:
                yield (*loc, key), item
            else:
                yield from _unknown_keys(item, plain[key], (*loc, key))
    elif isinstance(raw, list | tuple) and isinstance(plain, list) and len(raw) == len(plain):
        for index, (item, dumped) in enumerate(zip(raw, plain, strict=True)):
            yield from _unknown_keys(item, dumped, (*loc, index))


def _is_model(target: Any) -> bool:
    if not isinstance(target, type) and not is_typeddict(target):
        return False
    return (
        (isinstance(target, type) and issubclass(target, BaseModel))
        or (dataclasses.is_dataclass(target) and isinstance(target, type))
        or is_typeddict(target)
    )


def _validatable(target: Any) -> Any:
    """``target``, or for a ``typing.TypedDict`` on Python < 3.12 the same TypedDict rebuilt with
    ``typing_extensions`` (pydantic refuses the former there: it cannot see which keys are
    required). Its instances are plain dicts either way, so builders see no difference."""
    import typing

    import typing_extensions

    from_typing = typing.is_typeddict(target) and type(target).__module__ == "typing"
    if sys.version_info >= (3, 12) or not from_typing:
        return target
    hints = typing.get_type_hints(target, include_extras=True)
    required, optional = typing_extensions.Required, typing_extensions.NotRequired
    annotations = {
        name: required[hint] if name in target.__required_keys__ else optional[hint] for name, hint in hints.items()
    }
    rebuilt: Any = typing_extensions.TypedDict(target.__name__, annotations)  # type: ignore[misc]
    rebuilt.__module__ = target.__module__
    rebuilt.__qualname__ = target.__qualname__
    return rebuilt


def _describe(target: Any) -> str:
    if isinstance(target, type):
        return f"the class {target.__qualname__}"
    return f"an object of type {type(target).__name__}"


def _import_object(reference: str, option: str) -> Any:
    return import_reference(
        reference, what="input model reference", form="'package.module:Model'", option=option, contain=True
    )
