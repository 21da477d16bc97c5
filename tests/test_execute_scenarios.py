"""Every built-in scenario that executes runs on `local` for both reference builders: the results
are equal and `expect.execution` holds on both sides."""

from __future__ import annotations

import pytest

from harness.builders import hera, legacy
from harness.execute import executes, get_executor
from harness.execute.base import Executor
from harness.execute.parity import execute_pair
from harness.redact import Redactor
from harness.scenarios import ExecutionExpectation, Scenario, load_scenarios
from tests.execution_support import execute_builtin
from tests.requirements import LOCAL_EXECUTOR

SCENARIOS = {scenario.name: scenario for scenario in load_scenarios("scenarios")}
EXECUTED = sorted(name for name, scenario in SCENARIOS.items() if executes(scenario))


@pytest.fixture(scope="module")
def local() -> Executor:
    executor = get_executor("local", default_deadline_s=120)
    LOCAL_EXECUTOR.require(executor.unavailable_reason())
    return executor


def test_the_rule_for_which_scenarios_execute() -> None:
    assert "deps-numpy-range-manifest-only" in SCENARIOS
    assert "deps-numpy-range-manifest-only" not in EXECUTED
    assert all(SCENARIOS[name].expect.execution is not None for name in EXECUTED)
    assert len(EXECUTED) >= 20


@pytest.mark.parametrize("name", EXECUTED)
def test_builtin_scenario_executes_equally(local: Executor, name: str) -> None:
    scenario: Scenario = SCENARIOS[name]
    outcome = execute_builtin(local, scenario)
    assert outcome.legacy is not None and outcome.new is not None and outcome.legacy_repeat is not None
    assert outcome.legacy.exit_code == outcome.new.exit_code == scenario.expect.execution.exit_code  # type: ignore[union-attr]


def test_a_secret_gets_a_fake_value_that_the_report_redacts(local: Executor) -> None:
    scenario = SCENARIOS["env-from-secret"]
    inputs = scenario.inputs.for_builder()
    inputs["python_code"] = (
        'import os\nprint("token set:", bool(os.environ.get("API_TOKEN")))\nprint(os.environ["API_TOKEN"])\n'
    )
    outcome = execute_pair(
        local,
        legacy_manifest=legacy.build(inputs),
        new_manifest=hera.build(inputs),
        expectation=ExecutionExpectation(exit_code=0, stdout_contains=["token set: True"]),
        scenario=scenario.name,
    )
    assert outcome.passed, (outcome.problems, outcome.differences)
    (value,) = outcome.secret_values
    assert value in outcome.legacy.stdout.text  # type: ignore[union-attr]
    assert outcome.legacy.secrets_used == ("api-credentials/token",)  # type: ignore[union-attr]
    redactor = Redactor()
    for secret in outcome.secret_values:
        redactor.learn(secret)
    assert value not in str(redactor.scrub_strings(outcome.to_dict()))
    assert "secret_values" not in outcome.to_dict()


def test_a_provided_secret_value_is_used(local: Executor) -> None:
    inputs = SCENARIOS["env-from-secret"].inputs.for_builder()
    inputs["python_code"] = 'import os\nprint(os.environ["API_TOKEN"])\n'
    outcome = execute_pair(
        local,
        legacy_manifest=legacy.build(inputs),
        new_manifest=hera.build(inputs),
        expectation=None,
        scenario="secret",
        secrets={"api-credentials/token": "s3cr3t-from-vault"},
        calibrate_noise=False,
    )
    assert outcome.legacy.stdout.text == "s3cr3t-from-vault\n"  # type: ignore[union-attr]
    assert outcome.secret_values == ("s3cr3t-from-vault",)


def test_the_real_pip_mode_runs_a_scenario_too() -> None:
    executor = get_executor("local", pip_mode="pip", default_deadline_s=120)
    LOCAL_EXECUTOR.require(executor.unavailable_reason())
    scenario = SCENARIOS["deps-comma-separated"]
    outcome = execute_pair(
        executor,
        legacy_manifest=legacy.build(scenario.inputs.for_builder()),
        new_manifest=hera.build(scenario.inputs.for_builder()),
        expectation=scenario.expect.execution,
        scenario=scenario.name,
        calibrate_noise=False,
    )
    assert outcome.passed, (outcome.problems, outcome.differences)
    assert "Successfully installed" in outcome.legacy.stdout.text  # type: ignore[union-attr]
