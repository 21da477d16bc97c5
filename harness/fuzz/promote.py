"""Turn a minimal counterexample into a permanent regression fixture.

The fixture is an ordinary scenario (``harness.scenarios``): ``parity run --scenarios DIR`` builds
it with both builders and reports the divergence until a builder is fixed, then keeps it fixed.
Its inputs are written so that they load back *exactly* (checked after writing), because a
fixture that drifted from the counterexample in one character would prove nothing. For a team's
input model the fixture holds the model's shape and loads back through that model
(``parity run --inputs-model REF --call MODE``).
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import yaml

from harness.atomic_files import write_atomic
from harness.errors import ParityInputError
from harness.fuzz.property import Divergence, DivergenceKind
from harness.input_models.model import CallMode, InputModel, InputsInvalid
from harness.input_models.python_job import DEFAULT_INPUTS, python_job_kind
from harness.scenarios import parse_scenarios

FIXTURE_PREFIX = "fuzz-"


def fixture_name(divergence: Divergence) -> str:
    """``fuzz-<10 hex digits of the input's hash>``: the same input always gets the same name."""
    return FIXTURE_PREFIX + divergence.short_id


def scenario_kind(inputs: dict[str, Any], model: InputModel | None = None) -> str:
    """The fixture kind for an input: the first input (in this order) that is not at its default.

    A minimal counterexample keeps only the inputs the failure needs at a non-default value, so
    this names what the failure is about. For a team's input model: the first field (as a label)
    not at its default, ``plain`` when every one is.
    """
    if model is None or model.is_builtin:
        return python_job_kind(inputs)
    for key in _non_default_keys(inputs, model, required=False):
        label = re.sub(r"[^a-z0-9]+", "-", str(key).lower()).strip("-")[:100].strip("-")
        if label:
            return label
    return "plain"


def fixture_text(
    divergence: Divergence,
    *,
    legacy: str,
    new: str,
    found: datetime.date | None = None,
    seed: int | None = None,
    readable: bool = True,
    input_model: InputModel | None = None,
    call: str | CallMode = CallMode.DICT,
) -> str:
    """The YAML text of the regression fixture for ``divergence``: block scalars for multi-line
    code where that reads back exactly (``readable``), else every string double-quoted. With a
    team's ``input_model`` the inputs are in its shape (and the description says how to run it)."""
    day = (found or datetime.date.today()).isoformat()
    how = f"parity fuzz --seed {seed}" if seed is not None else "parity fuzz"
    model_note = ""
    if input_model is not None and not input_model.is_builtin:
        model_note = f", input model {input_model.reference}, --call {CallMode(call).value}"
    description = (
        f"{_describe(divergence)} (legacy {legacy} vs new {new}{model_note}; found {day} by `{how}`, minimal example)"
    )
    document = {
        "name": fixture_name(divergence),
        "kind": scenario_kind(divergence.inputs, input_model),
        "description": description,
        "inputs": _minimal_inputs(divergence.inputs, input_model),
        "expect": {"parity": "equivalent"},
    }
    header = (
        "# Promoted by `parity fuzz --promote`: a minimal input on which the two builders disagreed.\n"
        "# Keep it: once the builder is fixed it guards against the divergence coming back.\n"
    )
    if readable:
        body = yaml.dump(document, Dumper=_FixtureDumper, sort_keys=False, allow_unicode=True, width=100)
    else:  # every string double-quoted with escapes: always reads back exactly
        body = yaml.safe_dump(document, sort_keys=False, allow_unicode=False, width=100, default_style='"')
    return header + body


def promote(
    divergence: Divergence,
    directory: Path,
    *,
    legacy: str,
    new: str,
    found: datetime.date | None = None,
    seed: int | None = None,
    input_model: InputModel | None = None,
    call: str | CallMode = CallMode.DICT,
) -> Path:
    """Write the fixture for ``divergence`` to ``directory/fuzz-<id>.yaml`` and return its path.

    An existing fixture for the same input is kept as it is (its description records when it was
    first found). Raises ``ParityInputError`` if ``directory`` is not a folder, and ``PromotionError``
    if no fixture would load back to the same inputs. ``input_model``: the inputs' model (None:
    the python job); the fixture then loads back through it.
    """
    if directory.exists() and not directory.is_dir():
        raise ParityInputError("--promote must name a folder", file=str(directory), field="--promote")
    path = directory / f"{fixture_name(divergence)}.yaml"
    if path.exists():
        return path
    expected = _expected_inputs(divergence, input_model)
    for readable in (True, False):
        text = fixture_text(
            divergence,
            legacy=legacy,
            new=new,
            found=found,
            seed=seed,
            readable=readable,
            input_model=input_model,
            call=call,
        )
        # Checked before writing: a fixture that loads differently must never land in the folder.
        if _loads_back(text, expected, input_model):
            write_atomic(path, text)
            return path
    raise PromotionError(
        f"cannot promote {fixture_name(divergence)}: no fixture loads back to exactly these inputs "
        "(an input the scenario schema cannot hold?)"
    )


class PromotionError(RuntimeError):
    """A counterexample that cannot be written as a fixture that reproduces it."""


def _expected_inputs(divergence: Divergence, model: InputModel | None) -> dict[str, Any]:
    if model is None or model.is_builtin:
        return {**DEFAULT_INPUTS, **divergence.inputs}
    try:
        return model.validate(divergence.inputs)
    except InputsInvalid as exc:
        raise PromotionError(
            f"cannot promote {fixture_name(divergence)}: the input model {model.reference} refuses it ({exc})"
        ) from None


def _loads_back(text: str, expected: dict[str, Any], model: InputModel | None = None) -> bool:
    try:
        [scenario] = parse_scenarios(text, source="<promoted fixture>", input_model=model)
    except ParityInputError:
        return False
    return scenario.inputs.for_builder() == expected


def _minimal_inputs(inputs: dict[str, Any], model: InputModel | None = None) -> dict[str, Any]:
    # Defaults are left out so the fixture shows only what the failure needs.
    if model is not None and not model.is_builtin:
        keep = set(_non_default_keys(inputs, model))
        return {key: value for key, value in inputs.items() if key in keep}
    return {
        key: value for key, value in inputs.items() if key == "python_code" or DEFAULT_INPUTS.get(key, ...) != value
    }


def _non_default_keys(inputs: dict[str, Any], model: InputModel, *, required: bool = True) -> list[str]:
    """The top-level keys of ``inputs`` a fixture must spell out: required ones (unless not
    ``required``), and those whose value is not what the model gives when the key is left out."""
    try:
        whole = model.validate(inputs)
    except InputsInvalid:
        return list(inputs)
    keys = []
    for key in inputs:
        try:
            without = model.validate({name: value for name, value in inputs.items() if name != key})
        except InputsInvalid:
            if required:
                keys.append(key)
            continue
        if without != whole:
            keys.append(key)
    return keys


def _describe(divergence: Divergence) -> str:
    if divergence.kind is DivergenceKind.SEMANTIC_DIFFERENCE:
        paths = ", ".join(sorted({f"{d.path} [{d.rule}]" for d in divergence.differences}))
        return f"fuzz: the manifests differ semantically at {paths}"
    return f"fuzz: {divergence.summary()}"


class _FixtureDumper(yaml.SafeDumper):
    """Block style for readable multi-line text; quoted style wherever a plain or block scalar
    would not read back as the same string (YAML-special words, line breaks YAML folds, tabs)."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value and _block_safe(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


def _block_safe(value: str) -> bool:
    # A literal block keeps every line exactly, except: other line breaks (CR, NEL, LS, PS) and
    # characters YAML cannot print unescaped, leading blanks on the first line, blank-only lines
    # with trailing spaces, and trailing whitespace the chomping indicator cannot express.
    if any(ch in value for ch in "\r\x85\u2028\u2029\ufeff\t") or _unprintable(value):
        return False
    first = value.split("\n", 1)[0]
    if first[:1] == " " or any(line != line.rstrip(" ") for line in value.split("\n")):
        return False
    return not value.endswith("\n\n") and not value.endswith(" ")


def _unprintable(value: str) -> bool:
    return any(not ch.isprintable() and ch != "\n" for ch in value)


_FixtureDumper.add_representer(str, _represent_str)
