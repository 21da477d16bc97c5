"""Scenario fixtures: the inputs both builders receive and what the run should show.

A fixture file holds one scenario or several (a YAML list, or several YAML documents). Every
error names the file, the scenario and the field, because a fixture author fixes YAML by hand.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from harness.errors import ParityInputError
from harness.yaml_input import load_yaml_documents

ScenarioKind = Literal[
    "plain", "dependencies", "requirements-file", "volumes", "env", "namespace", "container", "phases"
]
ScenarioName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", max_length=100)]

# Files under these names are not scenarios: waivers and rules live beside the fixtures.
NOT_SCENARIO_FILES = frozenset({"waivers.yaml", "waivers.yml", "rules.yaml", "rules.yml"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VolumeInput(_Strict):
    """An existing PersistentVolumeClaim mounted into the job."""

    name: str
    claim_name: str
    mount_path: str
    read_only: bool = False


class SecretKeyRef(_Strict):
    name: str
    key: str


class SecretEnv(_Strict):
    """An env var whose value comes from a Kubernetes Secret; its value never appears anywhere."""

    secretKeyRef: SecretKeyRef


EnvValue = str | SecretEnv


class Inputs(_Strict):
    """The scenario's ``inputs`` section: what both builders are called with."""

    python_code: str
    dependencies: str | None = None
    requirements_file: str | None = None
    volumes: list[VolumeInput] | None = None
    env: dict[str, EnvValue] = Field(default_factory=dict)
    namespace: str = "argo"
    template: Literal["script", "container"] = "script"

    @field_validator("env", mode="before")
    @classmethod
    def _env_values_are_strings(cls, value: Any) -> Any:
        # YAML turns `TASK_ID: 42` or `DEBUG: yes` into int/bool; silently stringifying would hide
        # exactly the YAML-typing trap the fixture author needs to see.
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(item, str | dict):
                    raise ValueError(
                        f"env value of {key!r} must be a string (quote it in YAML), got {type(item).__name__} {item!r}"
                    )
        return value

    def for_builder(self) -> dict[str, Any]:
        """Plain data for a builder call; a fresh copy each time so one builder cannot
        change what the other receives."""
        return copy.deepcopy(self.model_dump(mode="json"))


class ExecutionExpectation(_Strict):
    exit_code: int | None = None
    stdout_contains: list[str] = Field(default_factory=list)
    files: dict[str, str] = Field(default_factory=dict)


class WaivedExpectation(_Strict):
    waived: list[str] = Field(min_length=1)


class Expectation(_Strict):
    parity: Literal["equivalent"] | WaivedExpectation = "equivalent"
    execution: ExecutionExpectation | None = None
    # Both builders must refuse this input (ValueError): a scenario that pins down what is
    # refused, so a builder that starts accepting it fails the run.
    rejected: bool = False

    @property
    def waiver_ids(self) -> tuple[str, ...]:
        return tuple(self.parity.waived) if isinstance(self.parity, WaivedExpectation) else ()


class Scenario(_Strict):
    name: ScenarioName
    kind: ScenarioKind
    description: str = ""
    inputs: Inputs
    expect: Expectation = Field(default_factory=Expectation)
    # Where the scenario came from, for error messages and reports; not part of the fixture.
    source: str = Field(default="", exclude=True)


def load_scenarios(location: str | Path) -> list[Scenario]:
    """Load every scenario under ``location`` (a folder, searched recursively, or one file).

    Raises ParityInputError for the first problem found, naming file, scenario and field.
    Scenario names must be unique across the whole folder.
    """
    root = Path(location)
    if not root.exists():
        raise ParityInputError("no such file or directory", file=str(root))
    files = [root] if root.is_file() else sorted(_fixture_files(root))
    if not files:
        raise ParityInputError("no scenario files (*.yaml, *.yml) found", file=str(root))

    scenarios: list[Scenario] = []
    seen: dict[str, str] = {}
    for path in files:
        for scenario in load_scenario_file(path):
            if scenario.name in seen:
                raise ParityInputError(
                    f"duplicate scenario name, first defined in {seen[scenario.name]}",
                    file=str(path),
                    scenario=scenario.name,
                    field="name",
                )
            seen[scenario.name] = str(path)
            scenarios.append(scenario)
    return scenarios


def _fixture_files(root: Path) -> Iterator[Path]:
    for path in root.rglob("*"):
        if path.suffix in {".yaml", ".yml"} and path.is_file() and path.name not in NOT_SCENARIO_FILES:
            yield path


def load_scenario_file(path: Path) -> list[Scenario]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ParityInputError(f"not UTF-8 text ({exc.reason})", file=str(path)) from None
    except OSError as exc:
        raise ParityInputError(exc.strerror or str(exc), file=str(path)) from None
    return parse_scenarios(text, source=str(path))


def parse_scenarios(text: str, *, source: str = "<string>") -> list[Scenario]:
    documents = load_yaml_documents(text, source=source, invalid="invalid YAML")
    raw_scenarios: list[Any] = []
    for document in documents:
        raw_scenarios.extend(document if isinstance(document, list) else [document])
    if not raw_scenarios:
        raise ParityInputError("file holds no scenario", file=source)
    return [_validate(raw, index, source) for index, raw in enumerate(raw_scenarios)]


def _validate(raw: Any, index: int, source: str) -> Scenario:
    label = raw.get("name") if isinstance(raw, dict) and isinstance(raw.get("name"), str) else f"#{index + 1}"
    if not isinstance(raw, dict):
        raise ParityInputError(f"a scenario must be a mapping, got {type(raw).__name__}", file=source, scenario=label)
    try:
        return Scenario.model_validate({**raw, "source": source})
    except ValidationError as exc:
        errors = exc.errors()
        # With unions pydantic reports one error per member; the one that got deepest into the
        # value is the member the author meant (a dict env value meant a secretKeyRef).
        # An unknown key comes first: it is usually a typo, and the "missing field" beside it
        # is its consequence.
        error = max(errors, key=lambda item: (item["type"] == "extra_forbidden", len(_field_path(item["loc"]))))
        chosen = _field_path(error["loc"])
        more = len({path for item in errors if not chosen.startswith(path := _field_path(item["loc"]))})
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise ParityInputError(
            _pydantic_message(error) + suffix,
            file=source,
            scenario=label,
            field=_field_path(error["loc"]),
        ) from None


_UNION_TAGS = frozenset({"str", "int", "bool", "SecretEnv", "WaivedExpectation"})


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
