"""Scenario fixtures: the inputs both builders receive and what the run should show.

A fixture file holds one scenario or several (a YAML list, or several YAML documents). Every
error names the file, the scenario and the field, because a fixture author fixes YAML by hand.

A scenario's ``inputs`` are validated against the suite's input model (:mod:`harness.input_models`):
the built-in python job (``Scenario.inputs`` is then an :class:`Inputs`, and ``kind`` one of the
built-in suite's kinds), or a team's model (``Scenario.inputs`` is its validated plain data, a
:class:`~harness.input_models.ModelInputs`, and ``kind`` any ``[a-z0-9-]`` label). Either way
``scenario.inputs.for_builder()`` is what a builder call gets.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    ValidationError,
    field_validator,
)

from harness.errors import ParityInputError, Problem
from harness.input_models.model import InputModel, InputsInvalid, ModelInputs, resolve_input_model
from harness.input_models.python_job import (
    BUILTIN_SCENARIO_KINDS,
    BuiltinScenarioKind,
    EnvValue,
    Inputs,
    SecretEnv,
    SecretKeyRef,
    VolumeInput,
)
from harness.run_config import RunConfig
from harness.suites import DEFAULT_SUITE, SUITE_FILE, SuiteConfig
from harness.yaml_input import load_yaml_documents

# A scenario's kind: for the built-in suite one of BUILTIN_SCENARIO_KINDS (enforced), for a team's
# input model any label.
ScenarioKind = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", max_length=100)]
ScenarioName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", max_length=100)]

# Files under these names are not scenarios: waivers and rules live beside the fixtures.
NOT_SCENARIO_FILES = frozenset({"waivers.yaml", "waivers.yml", "rules.yaml", "rules.yml"})

__all__ = [
    "BUILTIN_SCENARIO_KINDS",
    "NOT_SCENARIO_FILES",
    "BuiltinScenarioKind",
    "DiffersExpectation",
    "EnvValue",
    "ExecutionExpectation",
    "Expectation",
    "ExpectedDifferences",
    "Inputs",
    "ModelInputs",
    "Scenario",
    "ScenarioKind",
    "ScenarioName",
    "SecretEnv",
    "SecretKeyRef",
    "VolumeInput",
    "WaivedExpectation",
    "load_run_scenarios",
    "load_scenario_file",
    "load_scenarios",
    "parse_scenarios",
    "suite_of",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExecutionExpectation(_Strict):
    exit_code: int | None = None
    stdout_contains: list[str] = Field(default_factory=list)
    files: dict[str, str] = Field(default_factory=dict)


class WaivedExpectation(_Strict):
    waived: list[str] = Field(min_length=1)


class ExpectedDifferences(_Strict):
    """Where a planted difference must show: exact readable paths (no ``*``: a glob would let one
    expectation absorb any real regression at the places it covers, with none of a waiver's owner
    and expiry), and why the scenario plants it."""

    paths: list[str] = Field(min_length=1)
    reason: str = Field(min_length=1)

    @field_validator("paths")
    @classmethod
    def _paths_are_exact(cls, paths: list[str]) -> list[str]:
        from harness.diff.paths import PathPattern, PathSyntaxError

        for path in paths:
            if "*" in path:
                raise ValueError(
                    f"{path!r}: a planted difference names exact readable paths, not globs (to accept "
                    "differences wherever they fall, write a waiver, with its owner and expiry)"
                )
            try:
                PathPattern.compile(path)
            except PathSyntaxError as exc:
                raise ValueError(f"{path!r} is not a readable path ({exc})") from None
        return paths


class DiffersExpectation(_Strict):
    """``parity: {differs: {paths: [...], reason: ...}}``: the new builder carries a planted
    mistake and the harness must catch it. The scenario passes (status ``caught``) only when the
    comparison finds semantic differences at every one of ``paths`` and no unwaived semantic
    difference elsewhere; a planted difference the harness does not report fails the scenario."""

    differs: ExpectedDifferences


def _parity_form(value: Any) -> str:
    # Which form an author wrote, so an error is reported against that form alone (not "unknown
    # key 'differs'" from the waived form). The tags are the forms' names, which error paths omit.
    if isinstance(value, dict | DiffersExpectation | WaivedExpectation):
        differs = isinstance(value, DiffersExpectation) or (isinstance(value, dict) and "differs" in value)
        return "DiffersExpectation" if differs else "WaivedExpectation"
    return "literal['equivalent']"


ParityExpectation = Annotated[
    Annotated[Literal["equivalent"], Tag("literal['equivalent']")]
    | Annotated[WaivedExpectation, Tag("WaivedExpectation")]
    | Annotated[DiffersExpectation, Tag("DiffersExpectation")],
    Discriminator(_parity_form),
]


class Expectation(_Strict):
    parity: ParityExpectation = "equivalent"
    execution: ExecutionExpectation | None = None
    # Both builders must refuse this input (ValueError): a scenario that pins down what is
    # refused, so a builder that starts accepting it fails the run.
    rejected: bool = False

    @property
    def waiver_ids(self) -> tuple[str, ...]:
        return tuple(self.parity.waived) if isinstance(self.parity, WaivedExpectation) else ()

    @property
    def planted(self) -> ExpectedDifferences | None:
        """The planted difference the harness must find, if the scenario has one."""
        return self.parity.differs if isinstance(self.parity, DiffersExpectation) else None


class Scenario(_Strict):
    name: ScenarioName
    kind: ScenarioKind
    description: str = ""
    # The python job's Inputs, or a team model's validated plain data (see the module docstring).
    inputs: Inputs | ModelInputs
    expect: Expectation = Field(default_factory=Expectation)
    # Where the scenario came from, for error messages and reports; not part of the fixture.
    source: str = Field(default="", exclude=True)
    # The suite it belongs to (harness.run_config.SuiteConfig): its builders build it.
    suite: str = Field(default=DEFAULT_SUITE, exclude=True)


class _BuiltinFixture(Scenario):
    """A fixture of the built-in suite, as validated: the python job, one of its kinds."""

    kind: BuiltinScenarioKind
    inputs: Inputs


class _ModelFixture(Scenario):
    """A fixture of a team's suite, as validated: its inputs go to the input model separately."""

    inputs: Any


def load_scenarios(
    location: str | Path, *, input_model: InputModel | str | None = None, suite: str = DEFAULT_SUITE
) -> list[Scenario]:
    """Load every scenario under ``location`` (a folder, searched recursively, or one file).

    ``input_model`` is what the scenarios' ``inputs`` are validated against (an InputModel or a
    ``package.module:Model`` reference; None: the built-in python job).
    Raises ParityInputError for the first problem found, naming file, scenario and field.
    Scenario names must be unique across the whole folder.

    A folder is one suite (named ``suite``): a sub-folder holding a ``suite.toml`` is a suite of
    its own, with its own input model, so its scenarios are left out (:func:`load_run_scenarios`
    loads every suite).
    """
    model = resolve_input_model(input_model)
    root = Path(location)
    if not root.exists():
        raise ParityInputError("no such file or directory", file=str(root))
    files = [root] if root.is_file() else sorted(_fixture_files(root, own_suite_only=True))
    if not files:
        raise ParityInputError("no scenario files (*.yaml, *.yml) found", file=str(root))

    scenarios: list[Scenario] = []
    names = ScenarioNames()
    for path in files:
        for scenario in load_scenario_file(path, input_model=model, suite=suite):
            names.claim(scenario, path)
            scenarios.append(scenario)
    return scenarios


class ScenarioNames:
    """The scenario names seen so far, and where. Names key the report and the gate: a second
    scenario of a name would silently replace the first one's outcome, so it is an error naming
    both files, for `parity run` and the pytest plugin alike."""

    def __init__(self) -> None:
        self._defined_in: dict[str, str] = {}

    def claim(self, scenario: Scenario, path: Path) -> None:
        first = self._defined_in.get(scenario.name)
        if first is not None:
            raise ParityInputError(
                f"duplicate scenario name, first defined in {first}",
                file=str(path),
                scenario=scenario.name,
                field="name",
            )
        self._defined_in[scenario.name] = str(path)


def load_run_scenarios(config: RunConfig) -> list[Scenario]:
    """Every scenario of a run: each suite's (``config.all_suites``), validated against its
    input model and marked with its name. Names are unique across the whole run (they key the
    report); a duplicate is an error naming both files."""
    if config.scenarios is None:
        raise ParityInputError("no scenarios folder given")
    root = Path(config.scenarios)
    if not root.exists():
        raise ParityInputError("no such file or directory", file=str(root))
    if root.is_file() or not config.suites:
        model = resolve_input_model(config.inputs_model, option=config.inputs_model_option)
        # The run's own suite: "default", or the scenarios folder's own suite.toml's name.
        return load_scenarios(root, input_model=model, suite=config.default_suite.name)
    suites = config.all_suites
    models = {suite.name: resolve_input_model(suite.inputs_model, option=suite.inputs_model_option) for suite in suites}
    scenarios: list[Scenario] = []
    names = ScenarioNames()
    files = sorted(_fixture_files(root))
    if not files:
        raise ParityInputError("no scenario files (*.yaml, *.yml) found", file=str(root))
    for path in files:
        suite = suite_of(path, suites)
        for scenario in load_scenario_file(path, input_model=models[suite.name], suite=suite.name):
            names.claim(scenario, path)
            scenarios.append(scenario)
    return scenarios


def suite_of(path: Path, suites: Sequence[SuiteConfig]) -> SuiteConfig:
    """The suite a scenario file belongs to: the nearest suite folder above it (the default
    suite, ``suites[0]``, when no other holds it)."""
    resolved = path.resolve()
    best = suites[0]
    depth = -1
    for suite in suites[1:]:
        if suite.folder is None:
            continue
        folder = suite.folder.resolve()
        if resolved.is_relative_to(folder) and len(folder.parts) > depth:
            best, depth = suite, len(folder.parts)
    return best


def _fixture_files(root: Path, *, own_suite_only: bool = False) -> Iterator[Path]:
    """The fixture files below ``root``; with ``own_suite_only``, not those of a sub-folder
    holding a suite.toml (a suite of its own)."""
    for path in root.rglob("*"):
        if path.suffix in {".yaml", ".yml"} and path.is_file() and path.name not in NOT_SCENARIO_FILES:
            if own_suite_only and _in_nested_suite(path, root):
                continue
            yield path


def _in_nested_suite(path: Path, root: Path) -> bool:
    folder = path.parent
    while folder != root and folder.is_relative_to(root):
        if (folder / SUITE_FILE).is_file():
            return True
        folder = folder.parent
    return False


def load_scenario_file(
    path: Path, *, input_model: InputModel | str | None = None, suite: str = DEFAULT_SUITE
) -> list[Scenario]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ParityInputError(f"not UTF-8 text ({exc.reason})", file=str(path)) from None
    except OSError as exc:
        raise ParityInputError(exc.strerror or str(exc), file=str(path)) from None
    return parse_scenarios(text, source=str(path), input_model=input_model, suite=suite)


def parse_scenarios(
    text: str, *, source: str = "<string>", input_model: InputModel | str | None = None, suite: str = DEFAULT_SUITE
) -> list[Scenario]:
    documents = load_yaml_documents(text, source=source, invalid="invalid YAML")
    raw_scenarios: list[Any] = []
    for document in documents:
        raw_scenarios.extend(document if isinstance(document, list) else [document])
    if not raw_scenarios:
        raise ParityInputError("file holds no scenario", file=source)
    model = resolve_input_model(input_model)
    return [_validate(raw, index, source, model, suite) for index, raw in enumerate(raw_scenarios)]


def _validate(raw: Any, index: int, source: str, model: InputModel, suite: str = DEFAULT_SUITE) -> Scenario:
    label: str = raw["name"] if isinstance(raw, dict) and isinstance(raw.get("name"), str) else f"#{index + 1}"
    if not isinstance(raw, dict):
        raise ParityInputError(f"a scenario must be a mapping, got {type(raw).__name__}", file=source, scenario=label)
    if "suite" in raw:
        raise ParityInputError(
            "unknown key (a scenario belongs to the suite of the folder it is in)",
            file=source,
            scenario=label,
            field="suite",
        )
    if not model.is_builtin:
        return _validate_with_model(raw, label, source, model, suite)
    try:
        fixture = _BuiltinFixture.model_validate({**raw, "source": source, "suite": suite})
    except ValidationError as exc:
        _refuse(exc.errors(), label, source)
    return _as_scenario(fixture)


def _validate_with_model(raw: dict[str, Any], label: str, source: str, model: InputModel, suite: str) -> Scenario:
    """The scenario's own fields, then its inputs against ``model``: every problem of both is
    weighed together, as for the built-in model."""
    errors: list[Any] = []
    fixture: _ModelFixture | None = None
    try:
        fixture = _ModelFixture.model_validate({**raw, "source": source, "suite": suite})
    except ValidationError as exc:
        errors.extend(exc.errors())
    inputs: ModelInputs | None = None
    if "inputs" in raw:
        try:
            inputs = ModelInputs(model.validate(raw["inputs"]))
        except InputsInvalid as exc:
            errors.extend({**error, "loc": ("inputs", *error["loc"])} for error in exc.errors)
    if errors or fixture is None or inputs is None:
        _refuse(errors, label, source)
    return _as_scenario(fixture, inputs)


def _as_scenario(fixture: Scenario, inputs: Inputs | ModelInputs | None = None) -> Scenario:
    # Validated already: a plain Scenario with the same fields, so every scenario is one type.
    values = {name: getattr(fixture, name) for name in Scenario.model_fields}
    if inputs is not None:
        values["inputs"] = inputs
    return Scenario.model_construct(_fields_set=set(fixture.model_fields_set), **values)


def _refuse(errors: list[Any], label: str, source: str) -> NoReturn:
    """Raise the ParityInputError listing every problem of ``errors``, the most telling first."""
    # With unions pydantic reports one error per member; the one that got deepest into the
    # value is the member the author meant (a dict env value meant a secretKeyRef), and the
    # others at or above its field are not problems of their own. An unknown key comes first:
    # it is usually a typo, and the "missing field" beside it is its consequence.
    ranked = sorted(
        errors, key=lambda item: (item["type"] == "extra_forbidden", len(_field_path(item["loc"]))), reverse=True
    )
    chosen: dict[str, Any] = {}
    for error in ranked:
        path = _field_path(error["loc"])
        if not any(found.startswith(path) for found in chosen):
            chosen[path] = error
    (first, error), *rest = chosen.items()
    raise ParityInputError(
        _pydantic_message(error),
        file=source,
        scenario=label,
        field=first,
        also=[Problem(_pydantic_message(other), path) for path, other in rest],
    ) from None


_UNION_TAGS = frozenset({"str", "int", "bool", "SecretEnv", "WaivedExpectation", "DiffersExpectation"})


def _field_path(loc: Iterable[int | str]) -> str:
    parts: list[str] = []
    for item in loc:
        # pydantic adds the union member it tried ("str", "SecretEnv", "function-after[...]")
        # to the location; a fixture author never wrote those, so they only confuse.
        if isinstance(item, str) and (item in _UNION_TAGS or item.startswith(("literal[", "function-"))):
            continue
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + item)
    return "".join(parts)


def _pydantic_message(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required field is missing"
    if kind == "literal_error":
        return f"{error['msg'].lower()}, got {error.get('input')!r}"
    if kind == "string_pattern_mismatch" and error["loc"] == ("name",):
        return f"must match [a-z0-9-] (lowercase letters, digits, dashes), got {error.get('input')!r}"
    message: str = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    received = error.get("input")
    if kind.endswith("_type") and not isinstance(received, dict | list):
        message += f", got {type(received).__name__} {received!r}"
    return message[0].lower() + message[1:]
