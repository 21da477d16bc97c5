"""Rollout gates: evidence in, a verdict per phase out.

A gate is the list of criteria a phase's ``PhaseCriteria`` switches on; each criterion says
READY, NOT READY or INCONCLUSIVE with its reason and numbers. The phase verdict is the worst
of them, a definite failure outranking missing data: NOT READY > INCONCLUSIVE > READY. Missing
evidence (a crashed scenario, an executor that could not run, no router probe, too few fuzz
examples) is never READY.

The gates only judge: what they look at is gathered before them (:mod:`harness.evidence`), so
nothing here runs a builder, a router or a fuzzer.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from harness.execute.result import RunPhase
from harness.outcomes import ScenarioOutcome, Status
from harness.phases import Phase, Verdict
from harness.rollout.config import PhaseCriteria, RolloutConfig
from harness.rollout.evidence import Evidence

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
    """Every scenario of the suite ran to an outcome: a deselected (``pytest -k``), interrupted or
    lost scenario, or one the harness crashed on, is evidence nobody has."""
    ran = {outcome.name for outcome in evidence.outcomes}
    total = len(set(evidence.expected) | ran) if evidence.expected is not None else len(ran)
    missing = tuple(sorted(set(evidence.expected or ()) - ran))
    if evidence.interrupted:
        return Reason(
            "scenarios-ran",
            Verdict.INCONCLUSIVE,
            f"the run was interrupted after {len(ran)} of {total} scenarios had run; what was still to come "
            "(scenarios, the router probe, fuzzing) gave no evidence",
            missing,
        )
    if missing:
        return Reason(
            "scenarios-ran",
            Verdict.INCONCLUSIVE,
            f"{len(missing)} of {total} scenarios of the suite did not run (deselected, e.g. with -k, "
            "or lost): a verdict needs them all",
            missing,
        )
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


def build_isolation(evidence: Evidence, criteria: PhaseCriteria) -> Reason:
    """Builders ran where they could not reach the network (harness.builders.network_guard): a
    build that could have talked to a cluster is not evidence a gate can stand on."""
    if evidence.confinement_problems:
        return Reason(
            "build-isolation",
            Verdict.INCONCLUSIVE,
            "builds ran without network confinement: "
            + "; ".join(evidence.confinement_problems)
            + " (run where seccomp filters can be loaded, e.g. not under a container profile that forbids them)",
        )
    return Reason("build-isolation", Verdict.READY, "builds ran with outgoing connections refused by the kernel")


def user_rules(evidence: Evidence, criteria: PhaseCriteria) -> Reason | None:
    """User rules (rules.yaml) may declare a difference the built-in rules call semantic to be
    metadata or cosmetic: a team's decision, so it is shown on every gate, never silent."""
    if not evidence.demoted_by_rules:
        return None
    total = sum(count for _, count in evidence.demoted_by_rules)
    listed = ", ".join(f"{rule} ({count})" for rule, count in evidence.demoted_by_rules)
    return Reason(
        "user-rules",
        Verdict.READY,
        f"{total} differences the built-in rules call semantic were declared not to fail by user rules: {listed}",
    )


def legacy_baseline(evidence: Evidence, criteria: PhaseCriteria) -> Reason | None:
    """The legacy builder is the baseline: where it crashed (raised something other than a
    refusal, exited, hung, reached for the network), nothing says what the new one should do."""
    crashed = _names(evidence, lambda o: o.status is Status.LEGACY_CRASHED)
    if crashed:
        return Reason(
            "legacy-baseline",
            Verdict.INCONCLUSIVE,
            f"the legacy builder crashed on {len(crashed)} of {len(evidence.outcomes)} scenarios: "
            "there is no baseline to compare the new builder with",
            crashed,
        )
    if not evidence.outcomes:
        return None
    return Reason("legacy-baseline", Verdict.READY, "the legacy builder built or refused every scenario")


def manifests_compared(evidence: Evidence, criteria: PhaseCriteria) -> Reason | None:
    """In every suite at least one scenario gave two manifests: a suite where both builders
    refused everything shows they agree on what to refuse, never that they build the same
    workflows. Per suite, because each suite has its own builders: what one pair built says
    nothing about another."""
    if not evidence.outcomes:
        return None
    compared: dict[str, int] = {}
    for outcome in evidence.outcomes:
        built = bool(outcome.legacy and outcome.legacy.built and outcome.new and outcome.new.built)
        compared[outcome.suite] = compared.get(outcome.suite, 0) + built
    empty = tuple(suite for suite, count in compared.items() if count == 0)
    if empty:
        where = "no scenario" if len(empty) == len(compared) else f"in suite {', '.join(empty)}, no scenario"
        return Reason(
            "manifests-compared",
            Verdict.INCONCLUSIVE,
            f"{where} produced two manifests to compare: every one was refused or crashed",
        )
    total = sum(compared.values())
    return Reason("manifests-compared", Verdict.READY, f"{total} scenarios produced two manifests to compare")


def manifest_parity(evidence: Evidence, criteria: PhaseCriteria) -> Reason:
    failing = _names(evidence, lambda o: o.status in {Status.DIFFERENT, Status.BUILDER_ERROR})
    if failing:
        return Reason(
            "manifest-parity",
            Verdict.NOT_READY,
            f"{len(failing)} of {len(evidence.outcomes)} scenarios have unwaived semantic differences, "
            "or the new builder refused or crashed where the legacy one did not (or built what it refused)",
            failing,
        )
    return Reason("manifest-parity", Verdict.READY, "no unwaived semantic difference")


def planted_differences(evidence: Evidence, criteria: PhaseCriteria) -> Reason | None:
    """Scenarios that plant a mistake in the new builder (``expect.parity.differs``) check the
    harness itself: each must be ``caught`` (the difference found where expected, nothing else).
    A caught one is no difference to fix and fails nothing; a missed one means the harness would
    wave the same mistake through in a real migration. A scenario that crashed gives no evidence
    either way (``scenarios-ran``, ``legacy-baseline`` say so)."""
    planted = [outcome for outcome in evidence.outcomes if outcome.planted is not None]
    if not planted:
        return None
    missed = tuple(o.name for o in planted if o.status is not Status.CAUGHT and o.status.is_evidence)
    if missed:
        return Reason(
            "planted-differences",
            Verdict.NOT_READY,
            f"the harness did not catch {len(missed)} of {len(planted)} planted differences where their scenarios "
            "expect them (missed, or other semantic differences beside them): it would miss the same mistake in "
            "a real migration",
            missed,
        )
    caught = tuple(o.name for o in planted if o.status is Status.CAUGHT)
    return Reason(
        "planted-differences",
        Verdict.READY,
        f"{len(caught)} of {len(planted)} planted differences caught where expected",
        caught,
    )


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
    # A phase that does not require execution still answers for execution the run was asked
    # for: results that differ are not READY, and an executor that could not run is missing
    # evidence, never a silent pass.
    if not criteria.require_execution and evidence.execute == "none":
        return None
    if evidence.execute == "none":
        return Reason(
            "execution-parity",
            Verdict.INCONCLUSIVE,
            "this phase needs execution results; run with --execute local, docker or cluster",
        )
    executed = [o for o in evidence.outcomes if o.execution is not None]
    if not executed:
        return Reason("execution-parity", Verdict.INCONCLUSIVE, "no scenario was executed (none has expect.execution)")
    # Imported here: harness.execute.parity loads the differ, which a gate with no execution
    # results to judge does not need.
    from harness.execute.parity import ExecutionStatus

    # Execution outcomes that say nothing about the builders: the evidence is missing, not bad.
    no_evidence = {ExecutionStatus.UNAVAILABLE, ExecutionStatus.UNSUPPORTED, ExecutionStatus.ERROR}
    failing = tuple(o.name for o in executed if o.execution and o.execution.status is ExecutionStatus.DIFFERENT)
    failing += tuple(o.name for o in executed if o.execution and o.execution.problems and o.name not in failing)
    if failing:
        return Reason(
            "execution-parity",
            Verdict.NOT_READY,
            f"{len(failing)} of {len(executed)} executed scenarios ran differently or missed their expect.execution",
            failing,
        )
    missing = tuple(o.name for o in executed if o.execution and o.execution.status in no_evidence)
    if missing:
        first = next(o.execution for o in executed if o.execution and o.execution.status in no_evidence)
        return Reason(
            "execution-parity",
            Verdict.INCONCLUSIVE,
            f"{len(missing)} of {len(executed)} scenarios gave no execution evidence "
            f"({first.status.value}: {first.message})",
            missing,
        )
    return Reason(
        "execution-parity",
        Verdict.READY,
        f"{len(executed)} scenarios executed on {evidence.execute}: equal results, expectations met",
    )


def success_rate(evidence: Evidence, criteria: PhaseCriteria) -> Reason | None:
    if criteria.min_success_rate is None:
        return None
    runs = [o for o in evidence.outcomes if o.execution is not None and o.execution.new is not None]
    if not runs:
        return Reason(
            "success-rate", Verdict.INCONCLUSIVE, f"needs execution results (minimum {criteria.min_success_rate:.0%})"
        )
    failed = tuple(o.name for o in runs if not _new_side_succeeded(o))
    rate = 1 - len(failed) / len(runs)
    message = (
        f"{len(runs) - len(failed)}/{len(runs)} new-builder runs did what their scenario expects "
        f"({rate:.1%}, minimum {criteria.min_success_rate:.0%})"
    )
    verdict = Verdict.READY if rate >= criteria.min_success_rate else Verdict.NOT_READY
    return Reason("success-rate", verdict, message, failed)


def _new_side_succeeded(outcome: ScenarioOutcome) -> bool:
    """The new side did what the scenario expects: its `expect.execution` holds for the new run
    (a scenario may expect a failure, exit 7), or, with no explicit exit code, it Succeeded."""
    execution = outcome.execution
    assert execution is not None and execution.new is not None
    if any(problem.startswith("new") for problem in execution.problems):
        return False
    return outcome.expected_exit_code is not None or execution.new.phase is RunPhase.SUCCEEDED


def duration_ratio(evidence: Evidence, criteria: PhaseCriteria) -> Reason | None:
    """Median over scenarios of new / legacy duration, legacy being the mean of its runs.

    Wall times of short jobs wobble; the legacy side run twice (noise calibration) shows by how
    much. A median ratio above the maximum fails only when it is also beyond the legacy side's
    own run-to-run spread: a slowdown the legacy builder shows against itself is not the new
    builder's.
    """
    if criteria.max_duration_ratio is None:
        return None
    ratios, spreads = [], []
    for outcome in evidence.outcomes:
        execution = outcome.execution
        if not (execution and execution.new and execution.legacy and execution.legacy.duration_s > 0):
            continue
        legacy_runs = [execution.legacy.duration_s]
        if execution.legacy_repeat and execution.legacy_repeat.duration_s > 0:
            legacy_runs.append(execution.legacy_repeat.duration_s)
            spreads.append(max(legacy_runs) / min(legacy_runs))
        ratios.append(execution.new.duration_s / statistics.fmean(legacy_runs))
    if not ratios:
        return Reason(
            "duration-ratio",
            Verdict.INCONCLUSIVE,
            f"needs execution results (median new/legacy at most {criteria.max_duration_ratio:.2f})",
        )
    median = statistics.median(ratios)
    spread = statistics.median(spreads) if spreads else 1.0
    message = (
        f"median new/legacy duration {median:.2f} over {len(ratios)} scenarios "
        f"(maximum {criteria.max_duration_ratio:.2f}; legacy against itself {spread:.2f})"
    )
    too_slow = median > criteria.max_duration_ratio and median > spread
    return Reason("duration-ratio", Verdict.NOT_READY if too_slow else Verdict.READY, message)


def router_fallbacks(evidence: Evidence, criteria: PhaseCriteria) -> Reason | None:
    if criteria.steps is None:
        return None
    return _default_suite_only(_router_fallbacks(evidence, criteria), evidence, "routed")


def _router_fallbacks(evidence: Evidence, criteria: PhaseCriteria) -> Reason:
    assert criteria.steps is not None
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
    return _default_suite_only(_fuzz_examples(evidence, criteria), evidence, "fuzzed")


def _fuzz_examples(evidence: Evidence, criteria: PhaseCriteria) -> Reason:
    assert criteria.min_fuzz_examples is not None
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


def _default_suite_only(reason: Reason, evidence: Evidence, done: str) -> Reason:
    """The router probe and fuzzing cover the default suite only: say which suites were not."""
    if not evidence.unprobed_suites:
        return reason
    others = ", ".join(evidence.unprobed_suites)
    return replace(reason, message=f"{reason.message} [default suite only; not {done}: {others}]")


_CHECKS: tuple[Check, ...] = (
    scenarios_ran,
    build_isolation,
    legacy_baseline,
    manifests_compared,
    manifest_parity,
    planted_differences,
    user_rules,
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
