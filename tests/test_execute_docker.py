"""The docker executor runs the built-in scenarios in containers of the locally built image
(scripts/build-python-image.sh), isolates pods without installs from the network, and finds the
planted differences too. Skipped, with the reason, where no Docker engine runs (failed in CI)."""

from __future__ import annotations

import uuid

import pytest

from harness.builders import legacy
from harness.execute import executes
from harness.execute.docker import DockerExecutor
from harness.execute.local import hosts as _hosts
from harness.execute.parity import ExecutionStatus, execute_pair
from harness.execute.result import RunPhase as Phase
from harness.scenarios import load_scenarios
from tests import planted_execution
from tests.execution_support import bash_workflow, execute_builtin, script, workflow
from tests.requirements import DOCKER, PYTHON_IMAGE

SCENARIOS = {scenario.name: scenario for scenario in load_scenarios("scenarios")}
EXECUTED = sorted(name for name, scenario in SCENARIOS.items() if executes(scenario))
IMAGE = "python:3.11-slim"


@pytest.fixture(scope="module")
def docker() -> DockerExecutor:
    executor = DockerExecutor(default_deadline_s=180)
    DOCKER.require(executor.unavailable_reason())
    PYTHON_IMAGE.require(executor.image_problem(IMAGE))
    return executor


@pytest.mark.slow  # ~45 s of the suite on 2 cores: real pip in a container per run
@pytest.mark.parametrize("name", EXECUTED)
def test_builtin_scenario_executes_equally_in_docker(docker: DockerExecutor, name: str) -> None:
    execute_builtin(docker, SCENARIOS[name])


def test_a_planted_dropped_dependency_differs_in_docker(docker: DockerExecutor) -> None:
    scenario = SCENARIOS["deps-extras"]
    outcome = execute_pair(
        docker,
        legacy_manifest=legacy.build(scenario.inputs.for_builder()),
        new_manifest=planted_execution.drops_last_dependency(scenario.inputs.for_builder()),
        expectation=scenario.expect.execution,
        scenario=scenario.name,
        calibrate_noise=False,
    )
    assert outcome.status is ExecutionStatus.DIFFERENT
    assert "execution.exit_code" in {d.path for d in outcome.semantic_differences}


def test_pods_without_installs_have_no_network_and_die_at_the_deadline(docker: DockerExecutor) -> None:
    probe = 'python -c "import socket; print(sorted(n for _, n in socket.if_nameindex()))"\nsleep 600\n'
    run = docker.run(bash_workflow(probe, deadline=3), label="docker-isolation")
    assert run.phase is Phase.FAILED and run.nodes[0].timed_out
    assert run.stdout.text == "['lo']\n"


def test_an_image_that_is_not_there_is_never_pulled(docker: DockerExecutor) -> None:
    missing = f"python:3.11-argo-parity-missing-{uuid.uuid4().hex[:8]}"
    manifest = workflow([script("main", "true")])
    manifest["spec"]["templates"][0]["script"]["image"] = missing
    run = docker.run(manifest, label="missing-image")
    assert run.phase is None
    assert any("never pulls" in item for item in run.unsupported), run.unsupported
    mapped = DockerExecutor(image_map={missing: IMAGE}).run(manifest, label="mapped-image")
    assert mapped.phase is Phase.SUCCEEDED, mapped


def test_installing_pods_read_the_package_index_from_pinned_hosts(
    docker: DockerExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    # TEST-NET addresses no DNS server would give: seeing them proves the container asked none.
    fake = {"pypi.org": ("192.0.2.10",), "files.pythonhosted.org": ("192.0.2.11",)}
    asked: list[str] = []

    def resolve(name: str) -> tuple[str, ...]:
        asked.append(name)
        return fake.get(name, ())

    monkeypatch.setattr(_hosts, "_cache", _hosts.HostsCache(resolve))
    # `true ||`: an installing pod (so it has a network) that never reaches the network.
    source = "true || pip install six\ngrep -E 'pypi.org|pythonhosted' /etc/hosts | sort\n"
    run = docker.run(bash_workflow(source), label="docker-hosts")
    assert run.phase is Phase.SUCCEEDED, run
    entries = sorted(tuple(line.split()) for line in run.stdout.text.splitlines())
    assert entries == [("192.0.2.10", "pypi.org"), ("192.0.2.11", "files.pythonhosted.org")]
    assert sorted(asked) == ["files.pythonhosted.org", "pypi.org"]
