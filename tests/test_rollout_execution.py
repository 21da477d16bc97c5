"""Execution criteria of the gate, on hand-made evidence (no sandbox needed)."""

from __future__ import annotations

from harness.execute.parity import ExecutionOutcome, ExecutionStatus
from harness.execute.result import RunPhase, WorkflowRun
from harness.outcomes import ScenarioOutcome, SideResult, Status
from harness.phases import Phase, Verdict
from harness.rollout import Evidence, evaluate


def run(seconds: float, phase: RunPhase = RunPhase.SUCCEEDED, exit_code: int = 0) -> WorkflowRun:
    return WorkflowRun(executor="local", label="x", phase=phase, exit_code=exit_code, duration_s=seconds)


def outcome(
    name: str,
    legacy: float = 1.0,
    new: float = 1.0,
    repeat: float | None = 1.0,
    status: ExecutionStatus = ExecutionStatus.EQUIVALENT,
    problems: tuple[str, ...] = (),
    new_phase: RunPhase = RunPhase.SUCCEEDED,
    expected_exit_code: int | None = None,
) -> ScenarioOutcome:
    execution = ExecutionOutcome(
        executor="local",
        status=status,
        problems=problems,
        legacy=run(legacy),
        new=run(new, new_phase),
        legacy_repeat=run(repeat) if repeat else None,
        message="bwrap missing" if status is ExecutionStatus.UNAVAILABLE else None,
    )
    built = SideResult(manifest={"kind": "Workflow"})
    return ScenarioOutcome(name=name, kind="plain", description="", source="", status=Status.EQUIVALENT,
                           legacy=built, new=built, execution=execution,
                           expected_exit_code=expected_exit_code)  # fmt: skip


def reasons(*outcomes: ScenarioOutcome) -> dict[str, tuple[Verdict, str, tuple[str, ...]]]:
    verdict = evaluate(Phase.STAGING, Evidence(outcomes=outcomes, execute="local"))
    return {r.criterion: (r.verdict, r.message, r.scenarios) for r in verdict.reasons}


def test_equal_runs_are_ready() -> None:
    result = reasons(outcome("a"), outcome("b"))
    assert result["execution-parity"][0] is Verdict.READY
    assert result["success-rate"][0] is Verdict.READY
    assert result["duration-ratio"][0] is Verdict.READY


def test_a_slower_new_side_beyond_the_legacy_spread_is_not_ready() -> None:
    result = reasons(outcome("a", legacy=1.0, repeat=1.02, new=1.5), outcome("b", legacy=1.0, repeat=1.0, new=1.4))
    verdict, message, _ = result["duration-ratio"]
    assert verdict is Verdict.NOT_READY
    assert "median new/legacy duration 1.44" in message


def test_a_slowdown_within_what_legacy_shows_against_itself_is_not_blamed_on_the_new_builder() -> None:
    result = reasons(outcome("a", legacy=1.0, repeat=1.6, new=1.5), outcome("b", legacy=1.0, repeat=1.5, new=1.4))
    assert result["duration-ratio"][0] is Verdict.READY


def test_success_rate_counts_new_side_expectation_problems_and_failures() -> None:
    many = [outcome(f"ok-{i}") for i in range(98)]
    result = reasons(*many, outcome("missed", problems=("new: exit code 1, expected 0",)), outcome("ok-last"))
    verdict, message, names = result["success-rate"]
    assert names == ("missed",)
    assert verdict is Verdict.READY and message.startswith("99/100")  # exactly at the 99 % threshold
    result = reasons(*many[:50], outcome("failed", new_phase=RunPhase.FAILED))
    assert result["success-rate"][0] is Verdict.NOT_READY and result["success-rate"][2] == ("failed",)
    # a failure the scenario expects (exit 7) is success
    result = reasons(outcome("expected-failure", new_phase=RunPhase.FAILED, expected_exit_code=7))
    assert result["success-rate"][0] is Verdict.READY


def test_different_results_are_not_ready_and_missing_ones_inconclusive() -> None:
    result = reasons(outcome("a"), outcome("b", status=ExecutionStatus.DIFFERENT))
    assert result["execution-parity"][0] is Verdict.NOT_READY and result["execution-parity"][2] == ("b",)
    result = reasons(outcome("a"), outcome("b", status=ExecutionStatus.UNAVAILABLE))
    verdict, message, names = result["execution-parity"]
    assert verdict is Verdict.INCONCLUSIVE and names == ("b",) and "bwrap missing" in message


def test_dev_answers_for_execution_it_was_asked_for() -> None:
    def dev(execute: str, *outcomes: ScenarioOutcome) -> tuple[Verdict, set[str]]:
        verdict = evaluate(Phase.DEV, Evidence(outcomes=outcomes, execute=execute))
        return verdict.verdict, {r.criterion for r in verdict.reasons}

    # Dev does not require execution: without --execute it is not a criterion at all...
    assert dev("none", outcome("a")) == (Verdict.READY, {"scenarios-ran", "build-isolation", "legacy-baseline",
                                                         "manifests-compared",
                                                         "manifest-parity", "scenario-expectations",
                                                         "waivers-current"})  # fmt: skip
    # ...but an executor asked for and unavailable is missing evidence, and a difference is one.
    verdict, criteria = dev("cluster", outcome("a", status=ExecutionStatus.UNAVAILABLE))
    assert verdict is Verdict.INCONCLUSIVE and "execution-parity" in criteria
    assert dev("local", outcome("a", status=ExecutionStatus.DIFFERENT))[0] is Verdict.NOT_READY
    assert dev("local", outcome("a"))[0] is Verdict.READY
