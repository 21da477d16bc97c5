"""The typed Workflow status over real Argo objects (../shared/corpora/argo-status, from Argo's own
test data) and the untidy cases they contain: objects without apiVersion/kind, nodes without a
type or a phase, a phase Argo never defined, timestamps missing or already parsed by YAML."""

from __future__ import annotations

import base64
import copy
import gzip
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.argo import ArgoPhase, NodeStatus, NodeType, StatusError, WorkflowStatus
from harness.argo.status import fnv32a
from tests.requirements import CORPORA

# The same place the `corpora` fixture looks; read at collection time to parametrize.
_STATUS = CORPORA / "argo-status"


def _manifest() -> list[dict[str, Any]]:
    path = _STATUS / "MANIFEST.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []


ENTRIES = {entry["file"]: entry for entry in _manifest()}
# Without the corpus, one case per test (not pytest's "got empty parameter set"), skipped by
# conftest.py with one reason for every test that reads the corpus.
NAMES = sorted(ENTRIES) or [""]

pytestmark = pytest.mark.corpus(_STATUS.name)


def load(corpora: Path, name: str) -> dict[str, Any]:
    text = (corpora / "argo-status" / name).read_text(encoding="utf-8")
    # The YAML loader turns unquoted timestamps into datetimes: the model must take both forms.
    loaded = json.loads(text) if name.endswith(".json") else yaml.load(text, Loader=yaml.CSafeLoader)
    assert isinstance(loaded, dict)
    return loaded


def status_of(corpora: Path, name: str) -> WorkflowStatus:
    return WorkflowStatus.from_dict(load(corpora, name))


def _timestamp(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


# --- every object of the corpus, against MANIFEST.json ------------------------------------------------


def test_the_manifest_lists_every_object(corpora: Path) -> None:
    files = {path.name for path in (corpora / "argo-status").iterdir() if path.name != "MANIFEST.json"}
    assert files == set(ENTRIES)
    assert len(ENTRIES) >= 30


@pytest.mark.parametrize("name", NAMES)
def test_corpus_object_matches_its_manifest_entry(corpora: Path, name: str) -> None:
    entry = ENTRIES[name]
    status = status_of(corpora, name)
    # The plan's contract: name and phase "" when absent, message "" when absent, times or None.
    assert status.phase == (entry["phase"] or "")
    assert status.name == (entry["name"] or "")
    assert status.message == (entry["message"] or "")
    assert status.start_time == _timestamp(entry["startedAt"])
    assert status.end_time == _timestamp(entry["finishedAt"])
    assert status.raw_data == load(corpora, name)
    assert len(status.nodes) == entry["node_count"]
    # The manifest counts a node without a type or a phase under "None".
    assert Counter(str(node.type_text) for node in status.nodes.values()) == entry["node_types"]
    assert Counter(str(node.phase_text) for node in status.nodes.values()) == entry["node_phases"]
    for node in status.nodes.values():
        assert node.type is None or node.type.value == node.type_text or node.type is NodeType.UNKNOWN
        assert node.phase is None or node.phase.value == node.phase_text or node.phase is ArgoPhase.UNKNOWN
    if entry["startedAt"] and entry["finishedAt"]:
        expected = (_timestamp(entry["finishedAt"]) - _timestamp(entry["startedAt"])).total_seconds()  # type: ignore[operator]
        assert status.duration_s == expected
    else:
        assert status.duration_s is None


@pytest.mark.parametrize("name", NAMES)
def test_helpers_agree_with_the_nodes(corpora: Path, name: str) -> None:
    status = status_of(corpora, name)
    assert len(status.pods()) == ENTRIES[name]["node_types"].get("Pod", 0)
    failed = ENTRIES[name]["node_phases"].get("Failed", 0) + ENTRIES[name]["node_phases"].get("Error", 0)
    assert len(status.failed_nodes()) == failed
    assert status.is_finished == (ENTRIES[name]["phase"] in ("Succeeded", "Failed", "Error"))
    for node in status.nodes.values():
        assert status.node(node.id) is node
        found = status.node_by_display_name(node.display_name)
        assert found is not None and found.display_name == node.display_name


def _waiting_at_suspend(obj: dict[str, Any]) -> bool:
    """Read straight from the raw object, apart from the model: a node of type Suspend in phase
    Running (Argo's NodeStatus.IsActiveSuspendNode), nodes kept as a map or a compressed map."""
    status = obj.get("status") or {}
    nodes = status.get("nodes")
    if nodes is None and status.get("compressedNodes"):
        nodes = json.loads(gzip.decompress(base64.b64decode(status["compressedNodes"])))
    return any(
        isinstance(node, dict) and node.get("type") == "Suspend" and node.get("phase") == "Running"
        for node in (nodes or {}).values()
    )


@pytest.mark.parametrize("name", NAMES)
def test_has_suspended_nodes_over_the_corpus(corpora: Path, name: str) -> None:
    obj = load(corpora, name)
    status = WorkflowStatus.from_dict(obj)
    assert status.has_suspended_nodes == _waiting_at_suspend(obj)
    assert status.has_suspended_nodes == bool(status.suspended_nodes())
    assert status.raw_data is obj


def test_the_corpus_holds_waiting_and_resumed_suspend_nodes(corpora: Path) -> None:
    # Two objects wait at an approval step; in the third every Suspend node was resumed
    # (Succeeded), which is not suspended, though its nodes are of type Suspend.
    waiting = {name for name in ENTRIES if WorkflowStatus.from_dict(load(corpora, name)).has_suspended_nodes}
    assert waiting == {
        "workflow-controller-operator_metrics_test__L689__suspendWfWithMetrics.yaml",
        "workflow-controller-operator_test__L7170__deadlineWf.yaml",
    }
    resumed = status_of(corpora, "workflow-util-util_test__L1391__retryWorkflowWithNestedDAGsWithSuspendNodes.yaml")
    suspend_nodes = [node for node in resumed.nodes.values() if node.type is NodeType.SUSPEND]
    assert len(suspend_nodes) == 6 and all(node.phase is ArgoPhase.SUCCEEDED for node in suspend_nodes)
    assert not resumed.has_suspended_nodes


# --- the odd cases the corpus holds ---------------------------------------------------------------------


def test_an_object_without_kind_metadata_or_phase(corpora: Path) -> None:
    obj = load(corpora, "util-resource-updater_test__L15__TestUpdater.yaml")
    assert "kind" not in obj and "apiVersion" not in obj and "metadata" not in obj
    status = WorkflowStatus.from_dict(obj)
    assert (status.name, status.phase, status.start_time, status.is_finished) == ("", "", None, False)
    untyped = sorted(node.id for node in status.nodes.values() if node.type is None)
    assert untyped == ["dag", "root"]
    assert status.node("root").children == ("pod", "dag")  # type: ignore[union-attr]
    # Without ids or names, a node is known by its key.
    assert status.node("dag-pod").name == "dag-pod"  # type: ignore[union-attr]
    assert status.problems == ()
    with pytest.raises(StatusError, match=r"no metadata\.name"):
        status.pod_name(status.nodes["pod"])


def test_an_invalid_phase_is_kept_as_unknown(corpora: Path) -> None:
    status = status_of(
        corpora, "workflow-controller-operator_test__L11818__TestRetryWhenEncounterExceededQuota.wf.yaml"
    )
    assert status.argo_phase is ArgoPhase.UNKNOWN
    assert status.phase == "Runningg"
    assert not status.is_finished
    assert status.problems == ("status.phase 'Runningg' is not an Argo phase: read as Unknown",)
    assert status.end_time is None  # `finishedAt:` with no value
    without_phase = [node for node in status.nodes.values() if node.phase is None]
    assert [node.name for node in without_phase] == ["exceeded-quota-hook"]


def test_a_workflow_without_a_phase_whose_node_has_none_either(corpora: Path) -> None:
    status = status_of(corpora, "dag_retry_succeeded.yaml")
    assert status.phase == "" and status.argo_phase is None
    root = status.root()
    assert root is not None and root.type is NodeType.DAG and root.phase is None
    assert isinstance(root.started_at, datetime) and root.started_at.tzinfo is not None


def test_objects_without_kind_still_read_as_workflows(corpora: Path) -> None:
    without_kind = [name for name, entry in ENTRIES.items() if entry["kind"] is None]
    assert len(without_kind) >= 3
    for name in without_kind:
        status = status_of(corpora, name)
        assert len(status.nodes) == ENTRIES[name]["node_count"]


def test_exit_codes_are_read_from_outputs(corpora: Path) -> None:
    status = status_of(corpora, "workflow-util-util_test__L901__exitHandler.yaml")
    main = status.node("retry-script-6xt68")
    handler = status.node("retry-script-6xt68.onExit")
    assert main is not None and handler is not None
    assert (main.exit_code, main.phase, main.message) == (1, ArgoPhase.FAILED, "Error (exit code 1)")
    assert (handler.exit_code, handler.phase, handler.inputs) == (0, ArgoPhase.SUCCEEDED, {"message": "Failed"})
    assert status.failed_nodes() == (main,)
    assert main.duration_s == 5.0


def test_output_parameters_of_items(corpora: Path) -> None:
    status = status_of(corpora, "workflow-controller-operator_test__L8114__paramAggregation.yaml")
    items = {
        node.display_name: node.parameters
        for node in status.nodes.values()
        if node.type is NodeType.POD and node.parameters
    }
    assert items == {
        "odd-or-even(0:1)": {"num": "1", "evenness": "odd"},
        "odd-or-even(1:2)": {"num": "2", "evenness": "even"},
    }


def test_template_refs_name_the_template(corpora: Path) -> None:
    status = status_of(corpora, "workflow-gccontroller-gc_controller_test__L115__wftRefWithTTLinWFT.yaml")
    (node,) = status.nodes.values()
    assert node.template_name is None
    assert node.template_ref == ("workflow-template-submittable-2.9", "start")
    assert node.template == "start"


# --- pod names ----------------------------------------------------------------------------------------------


def test_fnv32a_matches_argo() -> None:
    # Vectors from Argo's UI tests (ui/src/shared/pod-name.test.ts).
    assert fnv32a("hello") == 1335831723
    assert fnv32a("world") == 933488787
    assert fnv32a("You cannot alter your fate. However, you can rise to meet it.") == 827171719


def test_node_ids_are_the_hash_argo_names_pods_with(corpora: Path) -> None:
    status = status_of(corpora, "workflow-util-util_test__L2315__dagDiamondRetry.yaml")
    assert status.pod_name_format == "v2"
    for node in status.pods():
        assert node.id == f"{status.name}-{fnv32a(node.name)}"
        assert status.pod_name(node) == f"{status.name}-echo-{fnv32a(node.name)}"


def test_the_root_pod_is_named_after_the_workflow(corpora: Path) -> None:
    status = status_of(corpora, "server-workflow-workflow_server_test__L71__wf1.json")
    (pod,) = status.pods()
    assert status.pod_name(pod) == "hello-world-9tql2"


def test_v1_pod_names_are_node_ids_and_v2_hash_the_node_name() -> None:
    # As Argo makes them: the node id is "<workflow>-<fnv32a(node name)>", the pod's hash the same.
    digest = fnv32a("wf.a")
    node = NodeStatus(id=f"wf-{digest}", name="wf.a", display_name="a", type=NodeType.POD, template_name="echo")
    assert node.pod_name("wf", "v1") == f"wf-{digest}"
    assert node.pod_name("wf", "v2") == f"wf-echo-{digest}"
    root = NodeStatus(id="wf", name="wf", display_name="wf", type=NodeType.POD, template_name="echo")
    assert root.pod_name("wf") == "wf"
    container = NodeStatus(
        id="wf-9",
        name="wf.c.main",
        display_name="main",
        type=NodeType.CONTAINER,
        template_name="set",
        boundary_id="wf-7",
    )
    assert container.pod_name("wf") == "wf-set-7"  # a containerSet container runs in its boundary's pod
    assert container.pod_name("wf", "v1") == "wf-7"


def test_a_long_pod_name_keeps_its_hash() -> None:
    # Argo cuts "<workflow>-<template>" to 242 characters: with "-" and a hash of at most 10
    # digits the name always fits Kubernetes' 253.
    workflow, template = "w" * 200, "t" * 100
    node = NodeStatus(id="x", name=f"{workflow}.step", display_name="step", type=NodeType.POD, template_name=template)
    name = node.pod_name(workflow)
    digest = str(fnv32a(f"{workflow}.step"))
    assert name == f"{(workflow + '-' + template)[:242]}-{digest}"
    assert len(name) <= 253
    biggest = NodeStatus(id="x", name="n", display_name="n", type=NodeType.POD, template_name=template)
    assert len(biggest.pod_name(workflow + "-" + "z" * 100)) == 243 + len(str(fnv32a("n")))


def test_v1_annotation_is_honoured(corpora: Path) -> None:
    v1 = [name for name in ENTRIES if "pod-name-format: v1" in (corpora / "argo-status" / name).read_text()]
    assert v1
    for name in v1:
        status = status_of(corpora, name)
        assert status.pod_name_format == "v1"
        assert all(status.pod_name(node) == node.id for node in status.pods())


# --- tolerance beyond the corpus ----------------------------------------------------------------------------


def test_not_a_mapping_is_a_clear_error() -> None:
    with pytest.raises(StatusError, match="must be a mapping, not list"):
        WorkflowStatus.from_dict([{"status": {}}])


def test_a_fresh_workflow_has_no_status() -> None:
    status = WorkflowStatus.from_dict({"kind": "Workflow", "metadata": {"name": "wf", "resourceVersion": "7"}})
    assert (status.name, status.phase, status.nodes, status.resource_version) == ("wf", "", {}, "7")
    assert not status.is_finished and status.problems == ()


def test_broken_fields_are_reported_not_raised() -> None:
    status = WorkflowStatus.from_dict(
        {
            "kind": "CronWorkflow",
            "metadata": {"name": "wf"},
            "status": {
                "phase": "Succeeded",
                "startedAt": "yesterday",
                "nodes": {
                    "wf": {"type": "Teleport", "phase": "Succeeded", "outputs": {"exitCode": "two"}, "children": "x"},
                    "bad": ["not", "a", "node"],
                },
                "persistentVolumeClaims": [{"name": "work", "persistentVolumeClaim": {"claimName": "work-wf"}}],
            },
        }
    )
    assert status.phase is ArgoPhase.SUCCEEDED and status.is_finished
    assert status.start_time is None
    assert list(status.nodes) == ["wf"]
    node = status.nodes["wf"]
    assert (node.type, node.type_text, node.exit_code, node.children) == (NodeType.UNKNOWN, "Teleport", None, ())
    assert status.volume_claims == {"work": "work-wf"}
    assert len(status.problems) == 6, status.problems
    assert any("'Teleport' is not an Argo node type" in problem for problem in status.problems)
    assert any("CronWorkflow" in problem for problem in status.problems)


def test_compressed_nodes_are_decoded(corpora: Path) -> None:
    obj = load(corpora, "workflow-util-util_test__L736__deepDeleteOfNodes.yaml")
    plain = WorkflowStatus.from_dict(obj)
    compressed = copy.deepcopy(obj)
    nodes = compressed["status"].pop("nodes")
    payload = json.dumps(nodes, default=str).encode()
    compressed["status"]["compressedNodes"] = base64.b64encode(gzip.compress(payload)).decode()
    decoded = WorkflowStatus.from_dict(compressed)
    assert list(decoded.nodes) == list(plain.nodes)
    assert [n.phase for n in decoded.nodes.values()] == [n.phase for n in plain.nodes.values()]
    compressed["status"]["compressedNodes"] = "not base64 gzip"
    broken = WorkflowStatus.from_dict(compressed)
    assert broken.nodes == {} and "compressedNodes could not be decoded" in broken.problems[0]


def test_timestamps_as_text_and_as_datetimes_agree() -> None:
    as_text = WorkflowStatus.from_dict({"status": {"startedAt": "2024-01-02T03:04:05Z"}})
    naive = WorkflowStatus.from_dict({"status": {"startedAt": datetime(2024, 1, 2, 3, 4, 5)}})
    assert as_text.start_time == naive.start_time == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
