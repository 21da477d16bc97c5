"""Rollout gates: evidence in, a verdict per phase out.

A gate is the list of criteria a phase's ``PhaseCriteria`` switches on; each criterion says
READY, NOT READY or INCONCLUSIVE with its reason and numbers. The phase verdict is the worst
of them, a definite failure outranking missing data: NOT READY > INCONCLUSIVE > READY. Missing
evidence (a crashed scenario, an executor that could not run, no router probe, too few fuzz
examples) is never READY.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from harness.outcomes import ScenarioOutcome, Status
from harness.phases import Phase, Verdict
from harness.rollout.config import PhaseCriteria, RolloutConfig
from harness.rollout.router_probe import StepEvidence

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
class FuzzEvidence:
    examples: int
    failures: int
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"examples": self.examples, "failures": self.failures, "source": self.source}


@dataclass(frozen=True)
class Evidence:
    """Everything a gate may look at, gathered by the engine. ``None`` means not gathered."""

    outcomes: Sequence[ScenarioOutcome]
    execute: str = "none"
    expired_waivers: tuple[str, ...] = ()
    stale_waivers: tuple[str, ...] = ()
    router: tuple[StepEvidence, ...] | None = None
    fuzz: FuzzEvidence | None = None


@dataclass(frozen=True)
class PhaseVerdict:
    phase: Phase
    verdict: Verdict
    reasons: tuple[Reason, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "phase": self.phase.value,
            "verdict": self.verdict.value,
            "reasons": [reason.to_dict() for reason in self.reasons],
        }


def evaluate(phase: Phase, evidence: Evidence, config: RolloutConfig | None = None) -> PhaseVerdict:
    criteria = (config or RolloutConfig()).criteria(phase)
    reasons = tuple(reason for check in _CHECKS if (reason := check(evidence, criteria)) is not None)
    verdict = max((reason.verdict for reason in reasons), key=_SEVERITY.__getitem__, default=Verdict.INCONCLUSIVE)
    return PhaseVerdict(phase=phase, verdict=verdict, reasons=reasons)


def evaluate_all(evidence: Evidence, config: RolloutConfig | None = None) -> tuple[PhaseVerdict, ...]:
    """Every phase's verdict on the same evidence: the report shows the whole ladder."""
    return tuple(evaluate(phase, evidence, config) for phase in Phase)


Check = Callable[[Evidence, PhaseCriteria], "Reason | None"]


def scenarios_ran(evidence: Evidence, criteria: PhaseCriteria) -> Reason:
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


def manifest_parity(evidence: Evidence, criteria: PhaseCriteria) -> Reason:
    failing = _names(evidence, lambda o: o.status in {Status.DIFFERENT, Status.BUILDER_ERROR})
    if failing:
        return Reason(
            "manifest-parity",
            Verdict.NOT_READY,
            f"{len(failing)} of {len(evidence.outcomes)} scenarios have unwaived semantic differences "
            "or a one-sided builder error",
            failing,
        )
    return Reason("manifest-parity", Verdict.READY, "no unwaived semantic difference")


def scenario_expectations(evidence: Evidence, criteria: PhaseCriteria) -> Reason:
    failing = _names(evidence, lambda o: bool(o.problems))
    if failing:
        return Reason(
            "scenario-expectations",
            Verdict.NOT_READY,
            f"{len(failing)} scenarios do not meet their own `expect` section",
            failing,
        )
    return Reason("scenario-expectations", Verdict.READY, "every scenario meets its `expect` section")


def waivers_current(evidence: Evidence, criteria: PhaseCriteria) -> Reason:
    if evidence.expired_waivers:
        return Reason("waivers-current", Verdict.NOT_READY, "expired waivers: " + ", ".join(evidence.expired_waivers))
    return Reason("waivers-current", Verdict.READY, "no waiver has expired")


def waivers_used(evidence: Evidence, criteria: PhaseCriteria) -> Reason | None:
    if criteria.allow_stale_waivers:
        return None
    if evidence.stale_waivers:
        return Reason(
            "waivers-used",
            Verdict.NOT_READY,
            "waivers that match no difference any more (remove them): " + ", ".join(evidence.stale_waivers),
        )
    return Reason("waivers-used", Verdict.READY, "every waiver still matches a difference")


def execution_parity(evidence: Evidence, criteria: PhaseCriteria) -> Reason | None:
    if not criteria.require_execution:
        return None
    if evidence.execute == "none":
        return Reason(
            "execution-parity",
            Verdict.INCONCLUSIVE,
            "this phase needs execution results; run with --execute local, docker or cluster",
        )
    return Reason("execution-parity", Verdict.INCONCLUSIVE, f"executor {evidence.execute!r} recorded no results")


def success_rate(evidence: Evidence, criteria: PhaseCriteria) -> Reason | None:
    if criteria.min_success_rate is None:
        return None
    return Reason(
        "success-rate", Verdict.INCONCLUSIVE, f"needs execution results (minimum {criteria.min_success_rate:.0%})"
    )


def duration_ratio(evidence: Evidence, criteria: PhaseCriteria) -> Reason | None:
    if criteria.max_duration_ratio is None:
        return None
    return Reason(
        "duration-ratio",
        Verdict.INCONCLUSIVE,
        f"needs execution results (median new/legacy at most {criteria.max_duration_ratio:.2f})",
    )


def router_fallbacks(evidence: Evidence, criteria: PhaseCriteria) -> Reason | None:
    if criteria.steps is None:
        return None
    limit = criteria.max_fallback_rate or 0.0
    if evidence.router is None:
        return Reason("router-fallback", Verdict.INCONCLUSIVE, "the feature-flag router was not probed")
    probed = {step.percent: step for step in evidence.router}
    missing = [percent for percent in criteria.steps if percent not in probed]
    if missing:
        return Reason(
            "router-fallback",
            Verdict.INCONCLUSIVE,
            "router not probed at " + ", ".join(f"{p}%" for p in missing),
        )
    steps = [probed[percent] for percent in criteria.steps]
    unexercised = [step.percent for step in steps if step.percent > 0 and step.routed_new == 0]
    if unexercised:
        return Reason(
            "router-fallback",
            Verdict.INCONCLUSIVE,
            "no request reached the new builder at " + ", ".join(f"{p}%" for p in unexercised),
        )
    summary = "; ".join(f"{s.percent}%: {s.fallbacks}/{s.routed_new} fell back ({s.fallback_rate:.1%})" for s in steps)
    failing = [step for step in steps if step.fallback_rate > limit]
    if failing:
        names = tuple(sorted({name for step in failing for name in step.scenarios_with_fallback}))
        return Reason("router-fallback", Verdict.NOT_READY, f"fallback rate above {limit:.1%}: {summary}", names)
    return Reason("router-fallback", Verdict.READY, summary)


def fuzz_examples(evidence: Evidence, criteria: PhaseCriteria) -> Reason | None:
    if criteria.min_fuzz_examples is None:
        return None
    fuzz = evidence.fuzz
    if fuzz is None:
        return Reason(
            "fuzz-clean",
            Verdict.INCONCLUSIVE,
            f"no fuzz run recorded (needs {criteria.min_fuzz_examples} clean examples)",
        )
    if fuzz.failures:
        return Reason("fuzz-clean", Verdict.NOT_READY, f"fuzzing found {fuzz.failures} divergences ({fuzz.source})")
    if fuzz.examples < criteria.min_fuzz_examples:
        return Reason(
            "fuzz-clean",
            Verdict.INCONCLUSIVE,
            f"only {fuzz.examples} fuzz examples ran, {criteria.min_fuzz_examples} needed ({fuzz.source})",
        )
    return Reason("fuzz-clean", Verdict.READY, f"{fuzz.examples} fuzz examples, no divergence ({fuzz.source})")


_CHECKS: tuple[Check, ...] = (
    scenarios_ran,
    manifest_parity,
    scenario_expectations,
    waivers_current,
    waivers_used,
    execution_parity,
    success_rate,
    duration_ratio,
    router_fallbacks,
    fuzz_examples,
)


def _names(evidence: Evidence, predicate: Callable[[ScenarioOutcome], bool]) -> tuple[str, ...]:
    return tuple(outcome.name for outcome in evidence.outcomes if predicate(outcome))
