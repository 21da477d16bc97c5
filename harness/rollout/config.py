"""Gate criteria per phase: documented defaults, overridable in ``rollout.yaml`` or in the
project configuration (``rollout`` in ``parity.toml`` or ``[tool.parity.rollout]`` in pyproject.toml).

Each phase's defaults include everything the previous phase asks for: canary is "all of staging
plus ...", and so on. A user file changes single thresholds without restating the rest::

    # rollout.yaml
    phases:
      staging: {min_success_rate: 0.95, max_duration_ratio: 1.25}
      canary: {steps: [5, 25, 100], min_fuzz_examples: 5000}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.errors import ParityInputError, Problem, read_input_file
from harness.phases import Phase
from harness.yaml_input import load_yaml


class PhaseCriteria(BaseModel):
    """What one phase's gate requires. ``None`` switches a criterion off."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    require_execution: bool = False
    # Share of scenarios whose new-side run did what the scenario expects (or Succeeded).
    min_success_rate: float | None = Field(default=None, ge=0, le=1)
    # Median over scenarios of new duration / legacy duration.
    max_duration_ratio: float | None = Field(default=None, gt=0)
    # Canary step percentages routed through the feature-flag router.
    steps: tuple[int, ...] | None = None
    max_fallback_rate: float | None = Field(default=None, ge=0, le=1)
    # Request keys routed per scenario at each step: more keys, more of them reach the new builder.
    requests_per_scenario: int = Field(default=20, ge=1, le=10_000)
    min_fuzz_examples: int | None = Field(default=None, ge=1)
    allow_stale_waivers: bool = True


_DEV = PhaseCriteria()
_STAGING = _DEV.model_copy(update={"require_execution": True, "min_success_rate": 0.99, "max_duration_ratio": 1.10})
_CANARY = _STAGING.model_copy(
    update={"steps": (10, 25, 50, 75, 100), "max_fallback_rate": 0.0, "min_fuzz_examples": 1000}
)
_PRODUCTION = _CANARY.model_copy(update={"allow_stale_waivers": False})
# Cleanup removes the flag: the router must already send every request to the new builder.
_CLEANUP = _PRODUCTION.model_copy(update={"steps": (100,)})

DEFAULT_CRITERIA: dict[Phase, PhaseCriteria] = {
    Phase.DEV: _DEV,
    Phase.STAGING: _STAGING,
    Phase.CANARY: _CANARY,
    Phase.PRODUCTION: _PRODUCTION,
    Phase.CLEANUP: _CLEANUP,
}


class RolloutConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    phases: dict[Phase, PhaseCriteria] = Field(default_factory=lambda: dict(DEFAULT_CRITERIA))
    source: str = Field(default="defaults", exclude=True)

    def criteria(self, phase: Phase) -> PhaseCriteria:
        return self.phases[phase]


def rollout_from_yaml(path: Path) -> RolloutConfig:
    """The criteria in a ``rollout.yaml``-style file."""
    text = read_input_file(path, "rollout config")
    data = load_yaml(text, source=str(path), invalid="invalid YAML")
    return parse_rollout_config(data or {}, source=str(path))


def parse_rollout_config(data: Any, *, source: str) -> RolloutConfig:
    if not isinstance(data, dict) or not set(data) <= {"phases"}:
        raise ParityInputError("expected a mapping with one key, 'phases'", file=source)
    overrides = data.get("phases") or {}
    if not isinstance(overrides, dict):
        raise ParityInputError("must be a mapping of phase name to criteria", file=source, field="phases")
    phases = dict(DEFAULT_CRITERIA)
    for name, values in overrides.items():
        try:
            phase = Phase(name)
        except ValueError:
            choices = ", ".join(p.value for p in Phase)
            raise ParityInputError(
                f"unknown phase (choose from {choices})", file=source, field=f"phases.{name}"
            ) from None
        try:
            phases[phase] = PhaseCriteria.model_validate({**DEFAULT_CRITERIA[phase].model_dump(), **(values or {})})
        except ValidationError as exc:
            problems = [
                Problem(error["msg"], ".".join(str(part) for part in ("phases", name, *error["loc"])))
                for error in exc.errors()
            ]
            raise ParityInputError.of(problems, file=source) from None
    return RolloutConfig(phases=phases, source=source)
