"""What suspend, resume, stop and terminate change (harness.argo.controls), as Argo's
workflow/util/util.go does it, including what Argo refuses."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from harness.argo import ENDING_PHASES, WorkflowStatus, controls
from tests.fakes.argo_scenarios import AWAITING_APPROVAL, SUCCEEDED, workflow

NOW = datetime(2024, 5, 1, 10, 5, 0, tzinfo=UTC)


def status_of(obj: dict[str, Any]) -> WorkflowStatus:
    return WorkflowStatus.from_dict(obj)


def test_resume_approves_the_waiting_node_and_clears_suspend() -> None:
    patch = controls.resume_patch(status_of(workflow("wf", AWAITING_APPROVAL, suspend=True)), NOW)
    assert patch == {
        "spec": {"suspend": None},
        "status": {
            "nodes": {
                "migrate-ab12c-1": {
                    "phase": "Succeeded",
                    "finishedAt": "2024-05-01T10:05:00Z",
                    "message": "Resumed by: argo-parity",
                    "outputs": {"parameters": [{"name": "go", "value": "yes"}]},
                }
            }
        },
        "metadata": {"resourceVersion": "7"},
    }


def test_resume_keeps_a_message_and_needs_a_default_for_a_supplied_parameter() -> None:
    state = copy.deepcopy(AWAITING_APPROVAL)
    node = state["nodes"]["migrate-ab12c-1"]
    node["message"] = "waiting for the DBA"
    node["outputs"]["parameters"][0]["valueFrom"] = {"supplied": {}}  # no default
    with pytest.raises(controls.RefusedControl, match=r"raw output parameter 'go' of node .* does not have a default"):
        controls.resume_patch(status_of(workflow("wf", state)), NOW)
    del node["outputs"]
    patch = controls.resume_patch(status_of(workflow("wf", state)), NOW)
    assert patch is not None
    assert patch["status"]["nodes"]["migrate-ab12c-1"]["message"] == "waiting for the DBA; Resumed by: argo-parity"
    assert "spec" not in patch  # spec.suspend was not set: nothing to clear


def test_nothing_to_resume_is_no_change() -> None:
    assert controls.resume_patch(status_of(workflow("wf", {"phase": "Running"})), NOW) is None
    # A workflow suspended by `argo suspend`, with no suspend template waiting: only spec.suspend.
    assert controls.resume_patch(status_of(workflow("wf", {"phase": "Running"}, suspend=True)), NOW) == {
        "spec": {"suspend": None},
        "metadata": {"resourceVersion": "7"},
    }


def test_compressed_nodes_cannot_be_resumed_by_a_patch() -> None:
    obj = workflow("wf", copy.deepcopy(AWAITING_APPROVAL))
    obj["status"]["offloadNodeStatusVersion"] = "fnv:123"
    with pytest.raises(controls.RefusedControl, match="offloaded to Argo's database"):
        controls.resume_patch(status_of(obj), NOW)


def test_what_argo_refuses_of_a_finished_workflow() -> None:
    finished = status_of(workflow("done", SUCCEEDED))
    with pytest.raises(controls.RefusedControl, match="cannot suspend completed workflows"):
        controls.suspend_patch(finished)
    for strategy in (controls.STOP, controls.TERMINATE):
        with pytest.raises(controls.RefusedControl, match='cannot shutdown a completed workflow: workflow: "done"'):
            controls.shutdown_patch(finished, strategy)
    running = status_of(workflow("wf", {"phase": "Running"}))
    assert controls.shutdown_patch(running, controls.STOP) == {"spec": {"shutdown": "Stop"}}
    with pytest.raises(ValueError, match="unknown shutdown strategy"):
        controls.shutdown_patch(running, "Pause")


def test_the_plans_ending_phases() -> None:
    assert ENDING_PHASES == ("Succeeded", "Failed", "Error", "Stopped", "Terminated")
    assert all(controls.is_ending_phase(phase) for phase in ENDING_PHASES)
    assert not any(controls.is_ending_phase(phase) for phase in ("", "Pending", "Running", "Unknown"))
