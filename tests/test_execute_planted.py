"""New builders with a planted defect each produce an execution difference, with the path and the
side-named expectation problem a reviewer needs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness.builders import hera, legacy
from harness.execute import get_executor
from harness.execute.base import Executor
from harness.execute.parity import ExecutionOutcome, ExecutionStatus, execute_pair
from harness.scenarios import load_scenarios
from tests import planted_execution
from tests.requirements import LOCAL_EXECUTOR

SCENARIOS = {scenario.name: scenario for scenario in load_scenarios("scenarios")}


@pytest.fixture(scope="module")
def local() -> Executor:
    executor = get_executor("local", default_deadline_s=120)
    LOCAL_EXECUTOR.require(executor.unavailable_reason())
    return executor


def _pair(executor: Executor, scenario: str, new: Callable[[dict[str, Any]], dict[str, Any]]) -> ExecutionOutcome:
    inputs = SCENARIOS[scenario].inputs
    return execute_pair(
        executor,
        legacy_manifest=legacy.build(inputs.for_builder()),
        new_manifest=new(inputs.for_builder()),
        expectation=SCENARIOS[scenario].expect.execution,
        scenario=scenario,
    )


def _paths(outcome: ExecutionOutcome) -> set[str]:
    return {d.path for d in outcome.semantic_differences}


@pytest.mark.parametrize("scenario", ["volumes-default-results", "container-deps-env-volume"])
def test_a_mount_at_the_wrong_path(local: Executor, scenario: str) -> None:
    outcome = _pair(local, scenario, planted_execution.mounts_wrong_path)
    assert outcome.status is ExecutionStatus.DIFFERENT
    assert {"execution.exit_code", 'execution.files["/mnt/results/out.txt"]'} <= _paths(outcome)
    files = next(d for d in outcome.differences if d.rule == "execution.files")
    assert files.left["preview"] and files.right is None
    assert any(p.startswith("new: /mnt/results/out.txt was not written") for p in outcome.problems)
    assert not any(p.startswith("legacy:") for p in outcome.problems)


@pytest.mark.parametrize("scenario", ["env-plain", "container-deps-env-volume"])
def test_a_dropped_env_var(local: Executor, scenario: str) -> None:
    outcome = _pair(local, scenario, planted_execution.drops_env_var)
    assert outcome.status is ExecutionStatus.DIFFERENT
    assert {"execution.phase", "execution.exit_code", "execution.stderr"} <= _paths(outcome)
    stderr = next(d for d in outcome.differences if d.path == "execution.stderr")
    assert "KeyError" in stderr.right
    assert any(p.startswith("new: exit code 1, expected 0") for p in outcome.problems)


@pytest.mark.parametrize("scenario", ["deps-extras", "deps-comma-separated", "requirements-file-and-dependencies"])
def test_a_dropped_dependency(local: Executor, scenario: str) -> None:
    outcome = _pair(local, scenario, planted_execution.drops_last_dependency)
    assert outcome.status is ExecutionStatus.DIFFERENT
    assert {"execution.exit_code", "execution.stderr"} <= _paths(outcome)
    stderr = next(d for d in outcome.differences if d.path == "execution.stderr")
    assert "ModuleNotFoundError" in stderr.right


def test_results_on_a_new_claim_instead_of_the_existing_one(local: Executor) -> None:
    # The program runs the same and the expectation holds; only where the file lands differs.
    outcome = _pair(local, "volumes-default-results", planted_execution.provisions_new_claim)
    assert outcome.status is ExecutionStatus.DIFFERENT and not outcome.problems
    (difference,) = outcome.semantic_differences
    assert difference.path == 'execution.files["/mnt/results/out.txt"]'
    assert "volumeClaimTemplate/task-results" in difference.message
    assert outcome.to_dict()["differences"][0]["right"]["volume"] == "volumeClaimTemplate/task-results"


def test_the_reference_builders_agree_where_the_planted_ones_do_not(local: Executor) -> None:
    assert _pair(local, "container-deps-env-volume", hera.build).status is ExecutionStatus.EQUIVALENT
