"""Rollout phases and the gate at each one.

A gate is a list of criteria; each criterion looks at the evidence and says READY, NOT READY or
INCONCLUSIVE with its reason. The phase verdict is the worst of them, where a definite failure
outranks missing data: NOT READY > INCONCLUSIVE > READY. Missing evidence is never READY.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.outcomes import ScenarioOutcome, Status
from harness.phases import Phase, Verdict

_SEVERITY = {Verdict.READY: 0, Verdict.INCONCLUSIVE: 1, Verdict.NOT_READY: 2}


@dataclass(frozen=True)
class Reason:
    criterion: str
    verdict: Verdict
    message: str
    scenarios: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "criterion": self.criterion,
            "verdict": self.verdict.value,
            "message": self.message,
            "scenarios": list(self.scenarios),
        }


@dataclass(frozen=True)
class Evidence:
    """Everything a gate may look at, gathered by the engine."""

    outcomes: Sequence[ScenarioOutcome]
    execute: str = "none"
    expired_waivers: tuple[str, ...] = ()
    stale_waivers: tuple[str, ...] = ()
    execution_unavailable: str | None = None


@dataclass(frozen=True)
class PhaseVerdict:
    phase: Phase
    verdict: Verdict
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "phase": self.phase.value,
            "verdict": self.verdict.value,
            "reasons": [reason.to_dict() for reason in self.reasons],
        }


Criterion = Callable[[Evidence], Reason]


def scenarios_ran(evidence: Evidence) -> Reason:
    if not evidence.outcomes:
        return Reason("scenarios-ran", Verdict.INCONCLUSIVE, "no scenario ran")
    crashed = _names(evidence, lambda o: o.status is Status.CRASHED)
    if crashed:
        return Reason(
            "scenarios-ran",
            Verdict.INCONCLUSIVE,
            f"{len(crashed)} of {len(evidence.outcomes)} scenarios crashed in the harness, "
            "so they give no evidence either way",
            crashed,
        )
    return Reason("scenarios-ran", Verdict.READY, f"all {len(evidence.outcomes)} scenarios ran")


def manifest_parity(evidence: Evidence) -> Reason:
    failing = _names(evidence, lambda o: o.status in {Status.DIFFERENT, Status.BUILDER_ERROR})
    if failing:
        return Reason(
            "manifest-parity",
            Verdict.NOT_READY,
            f"{len(failing)} scenarios have unwaived semantic differences or a one-sided builder error",
            failing,
        )
    return Reason("manifest-parity", Verdict.READY, "no unwaived semantic difference")


def scenario_expectations(evidence: Evidence) -> Reason:
    failing = _names(evidence, lambda o: bool(o.problems))
    if failing:
        return Reason(
            "scenario-expectations",
            Verdict.NOT_READY,
            f"{len(failing)} scenarios do not meet their own `expect` section",
            failing,
        )
    return Reason("scenario-expectations", Verdict.READY, "every scenario meets its `expect` section")


def no_expired_waivers(evidence: Evidence) -> Reason:
    if evidence.expired_waivers:
        return Reason(
            "waivers-current",
            Verdict.NOT_READY,
            "expired waivers: " + ", ".join(evidence.expired_waivers),
        )
    return Reason("waivers-current", Verdict.READY, "no waiver has expired")


def no_stale_waivers(evidence: Evidence) -> Reason:
    if evidence.stale_waivers:
        return Reason(
            "waivers-used",
            Verdict.NOT_READY,
            "waivers that match no difference any more (remove them): " + ", ".join(evidence.stale_waivers),
        )
    return Reason("waivers-used", Verdict.READY, "every waiver still matches a difference")


def execution_results(evidence: Evidence) -> Reason:
    if evidence.execute == "none":
        return Reason(
            "execution-parity",
            Verdict.INCONCLUSIVE,
            "this phase needs execution results; run with --execute local, docker or cluster",
        )
    if evidence.execution_unavailable:
        return Reason("execution-parity", Verdict.INCONCLUSIVE, evidence.execution_unavailable)
    return Reason("execution-parity", Verdict.INCONCLUSIVE, "no execution evidence was recorded")


_DEV: tuple[Criterion, ...] = (scenarios_ran, manifest_parity, scenario_expectations, no_expired_waivers)
GATES: dict[Phase, tuple[Criterion, ...]] = {
    Phase.DEV: _DEV,
    Phase.STAGING: (*_DEV, execution_results),
    Phase.CANARY: (*_DEV, execution_results),
    Phase.PRODUCTION: (*_DEV, execution_results, no_stale_waivers),
    Phase.CLEANUP: (*_DEV, execution_results, no_stale_waivers),
}


def evaluate(phase: Phase, evidence: Evidence) -> PhaseVerdict:
    reasons = tuple(criterion(evidence) for criterion in GATES[phase])
    verdict = max((reason.verdict for reason in reasons), key=_SEVERITY.__getitem__, default=Verdict.INCONCLUSIVE)
    return PhaseVerdict(phase=phase, verdict=verdict, reasons=reasons)


def _names(evidence: Evidence, predicate: Callable[[ScenarioOutcome], bool]) -> tuple[str, ...]:
    return tuple(outcome.name for outcome in evidence.outcomes if predicate(outcome))
