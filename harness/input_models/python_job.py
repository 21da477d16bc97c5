"""The built-in input model: the python job both reference builders take (docs/architecture.md,
"Builder inputs").

One place for its shape, its defaults and what its scenarios are about: scenario fixtures validate
against :class:`Inputs`, and fuzzing (:mod:`harness.fuzz.inputs`), the minimiser and promotion read
the defaults and the kinds from here.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


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


# The built-in suite's scenario kinds: a fixture of the python job names one of these (a team's
# own input model may use any label, see harness.scenarios).
BuiltinScenarioKind = Literal[
    "plain", "dependencies", "requirements-file", "volumes", "env", "namespace", "container", "phases"
]
BUILTIN_SCENARIO_KINDS: tuple[str, ...] = (
    "plain",
    "dependencies",
    "requirements-file",
    "volumes",
    "env",
    "namespace",
    "container",
    "phases",
)

# Every input but the program, at the value a scenario fixture gives a builder when it says nothing.
DEFAULT_INPUTS: dict[str, Any] = {
    "dependencies": None,
    "requirements_file": None,
    "volumes": None,
    "env": {},
    "namespace": "argo",
    "template": "script",
}
# The smallest valid job: what the minimiser shrinks each input towards.
SIMPLEST_INPUTS: dict[str, Any] = {"python_code": "pass", **DEFAULT_INPUTS}

# Which kind a fixture is, by the first input (in this order) not at its default.
_KIND_BY_INPUT: tuple[tuple[str, str], ...] = (
    ("dependencies", "dependencies"),
    ("requirements_file", "requirements-file"),
    ("env", "env"),
    ("volumes", "volumes"),
    ("namespace", "namespace"),
    ("template", "container"),
)


def python_job_kind(inputs: dict[str, Any]) -> str:
    """The fixture kind for a python-job input: the first input (dependencies, requirements file,
    env, volumes, namespace, template) that is not at its default; ``plain`` when none is."""
    for key, kind in _KIND_BY_INPUT:
        if key in inputs and inputs[key] != DEFAULT_INPUTS[key]:
            return kind
    return "plain"


__all__ = [
    "BUILTIN_SCENARIO_KINDS",
    "DEFAULT_INPUTS",
    "SIMPLEST_INPUTS",
    "BuiltinScenarioKind",
    "EnvValue",
    "Inputs",
    "SecretEnv",
    "SecretKeyRef",
    "VolumeInput",
    "python_job_kind",
]
