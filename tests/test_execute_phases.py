"""The phases suite executed (docs/phases.md): every executing scenario runs equally on `local` and
`docker` with its records as expected; the parallel definition leaves exactly the records the chain
leaves; a definition that drops an ordering a phase's data needs fails that phase. Skipped, with the
reason, where the executor cannot run (failed in CI: tests/requirements.py)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from harness.builders.phases import hera, legacy
from harness.execute import executes, get_executor
from harness.execute.base import Executor
from harness.execute.parity import ExecutionStatus, execute_pair
from harness.execute.result import RunPhase, WorkflowRun
from harness.input_models.model import InputModel
from harness.scenarios import load_scenarios
from tests.requirements import DOCKER, LOCAL_EXECUTOR, PYTHON_IMAGE

MODEL = InputModel.from_reference("harness.input_models.phases:PhasesInputs")
SCENARIOS = {s.name: s for s in load_scenarios("scenarios/phases", input_model=MODEL)}
EXECUTED = sorted(name for name, scenario in SCENARIOS.items() if executes(scenario))
RECORDS = "/mnt/results/phases/"
PHASE_TASKS = ("planning", "scoping", "sample-selection", "data-provider-id", "request-info", "testing", "observations")


@pytest.fixture(scope="module")
def local() -> Executor:
    executor = get_executor("local", default_deadline_s=120)
    LOCAL_EXECUTOR.require(executor.unavailable_reason())
    return executor


@pytest.fixture(scope="module")
def docker() -> Executor:
    from harness.execute.docker import DockerExecutor

    executor = DockerExecutor(default_deadline_s=180)
    DOCKER.require(executor.unavailable_reason())
    PYTHON_IMAGE.require(executor.image_problem("python:3.11-slim"))
    return executor


def records(run: WorkflowRun) -> dict[str, str | None]:
    return {f.path: f.preview for f in run.files if f.path.startswith(RECORDS)}


def execute_scenario(executor: Executor, name: str) -> Any:
    scenario = SCENARIOS[name]
    outcome = execute_pair(
        executor,
        legacy_manifest=legacy.build(scenario.inputs.for_builder()),
        new_manifest=hera.build(scenario.inputs.for_builder()),
        expectation=scenario.expect.execution,
        scenario=name,
        calibrate_noise=False,
    )
    summary = [d.to_dict() for d in outcome.differences], outcome.problems, outcome.message
    assert outcome.status is ExecutionStatus.EQUIVALENT, summary
    assert outcome.passed, summary
    return outcome


def test_the_scenarios_that_execute() -> None:
    assert "phases-planted-testing-skips-request-info" not in EXECUTED  # manifest-only
    assert {"phases-standard", "phases-parallel-sample-provider"} <= set(EXECUTED)
    for name in ("phases-standard", "phases-parallel-sample-provider"):
        expected = SCENARIOS[name].expect.execution
        assert expected is not None and set(expected.files) == {f"{RECORDS}{task}.json" for task in PHASE_TASKS}


def check_every_phase_ran(run: WorkflowRun) -> None:
    assert run.phase is RunPhase.SUCCEEDED
    pods = {node.name.rsplit(".", 1)[-1]: node for node in run.nodes if node.kind == "Pod"}
    assert set(pods) == set(PHASE_TASKS)
    assert all(node.phase is RunPhase.SUCCEEDED and node.exit_code == 0 for node in pods.values())
    assert "read sample-selection, data-provider-id" in pods["request-info"].stdout.text


@pytest.mark.parametrize("name", EXECUTED)
def test_each_scenario_executes_equally_on_local(local: Executor, name: str) -> None:
    outcome = execute_scenario(local, name)
    check_every_phase_ran(outcome.new)


def test_the_parallel_definition_leaves_the_chains_records(local: Executor) -> None:
    chain = execute_scenario(local, "phases-standard")
    parallel = execute_scenario(local, "phases-parallel-sample-provider")
    assert SCENARIOS["phases-standard"].inputs == SCENARIOS["phases-parallel-sample-provider"].inputs | {
        "workflow": "standard_dt_testing"
    }
    assert len(records(chain.legacy)) == 7
    assert records(parallel.new) == records(chain.new) == records(chain.legacy)


def test_a_phase_started_before_the_one_it_reads_fails_and_says_why(local: Executor) -> None:
    """Execution sees what the planted definition risks: Testing with no wait at all starts with
    Planning, long before Request Info's record exists."""
    inputs = SCENARIOS["phases-standard"].inputs.for_builder()
    broken = copy.deepcopy(hera.build(inputs))
    dag = next(t for t in broken["spec"]["templates"] if t["name"] == "dt-testing")["dag"]
    testing = next(task for task in dag["tasks"] if task["name"] == "testing")
    testing.pop("depends")
    outcome = execute_pair(
        local,
        legacy_manifest=legacy.build(inputs),
        new_manifest=broken,
        expectation=SCENARIOS["phases-standard"].expect.execution,
        scenario="testing-waits-for-nothing",
        calibrate_noise=False,
    )
    assert outcome.status is ExecutionStatus.DIFFERENT
    failed = next(node for node in outcome.new.nodes if node.name.endswith(".testing"))
    assert failed.exit_code == 3
    assert "the request-info record is missing: testing started before request-info finished" in failed.stderr.text
    paths = {d.path for d in outcome.semantic_differences}
    assert "execution.nodes[dt-testing.testing].exit_code" in paths
    assert any(problem.startswith("new: ") for problem in outcome.problems)


@pytest.mark.slow  # a container per pod, 7 pods per run
@pytest.mark.parametrize("name", ["phases-standard", "phases-parallel-sample-provider"])
def test_the_chain_and_the_parallel_definition_execute_equally_in_docker(docker: Executor, name: str) -> None:
    outcome = execute_scenario(docker, name)
    check_every_phase_ran(outcome.new)
    expected = SCENARIOS[name].expect.execution
    assert expected is not None
    assert records(outcome.new) == dict(expected.files)
