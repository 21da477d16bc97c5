"""Every ``ArgoService`` operation through both backends, held to the same checks.

Each scenario of tests/fakes/argo_scenarios.py runs three ways: the kubernetes client against the
HTTP stand-in; kubectl replayed from what a real kubectl printed (tests/fixtures/kubectl/, every
recorded command must be run, in order, in the recorded shape); and, when kubectl is installed,
the real kubectl against the stand-in. The stand-in is not Kubernetes and proves nothing about
Argo's controller: what it shows is that each backend sends the same change and reads the same
answers, and that every failure is typed and worded the same way.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.fakes.argo_scenarios import SCENARIOS, Scenario, run_on_stand_in, run_replayed
from tests.fakes.clock import FakeClock
from tests.fakes.kubectl_replay import FIXTURES

BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}
NAMES = sorted(BY_NAME)
KUBECTL = shutil.which("kubectl")


def _clock(scenario: Scenario) -> FakeClock | None:
    return FakeClock() if scenario.waits else None


@pytest.mark.parametrize("name", NAMES)
def test_through_the_kubernetes_client(name: str, tmp_path: Path) -> None:
    scenario = BY_NAME[name]
    clock = _clock(scenario)
    result, sent = run_on_stand_in(scenario, tmp_path, "client", clock=clock)
    scenario.check(result, sent)
    if clock is not None:
        assert clock.elapsed < 60  # it ended at the ending phase, on the fake clock, never sleeping


@pytest.mark.parametrize("name", NAMES)
def test_through_kubectl_replayed(name: str) -> None:
    scenario = BY_NAME[name]
    result, sent = run_replayed(scenario, _clock(scenario))
    scenario.check(result, sent)


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed: the replayed kubectl tests stand in for it")
@pytest.mark.parametrize("name", NAMES)
def test_through_the_real_kubectl(name: str, tmp_path: Path) -> None:
    scenario = BY_NAME[name]
    result, sent = run_on_stand_in(scenario, tmp_path, "kubectl", clock=_clock(scenario))
    scenario.check(result, sent)


def test_every_scenario_has_its_recording_and_no_recording_is_stale() -> None:
    recorded = {path.stem for path in FIXTURES.glob("*.json")}
    assert recorded == set(NAMES)
    for path in FIXTURES.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["scenario"] == path.stem and data["kubectl"].startswith("v1.")
        assert data["exchanges"] and all(exchange["command"][0] == "kubectl" for exchange in data["exchanges"])
