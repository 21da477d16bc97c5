"""The cluster executor: what it creates and submits, how Argo's status becomes a WorkflowRun, and
how the files on the claims are read back.

Three kinds of test, and what each proves:

* without any server: the manifest rewrite on real built manifests, the conversion of real Argo
  status objects (../shared/corpora/argo-status), and the reader pod's script run with this
  machine's Python against a directory, compared with the local executor's own listing;
* against ``FakeKubernetes`` (tests/fakes/kubernetes_api.py), an HTTP stand-in for the API server that
  plays the controller from a script: the executor's requests, its cleanup, and its plumbing
  through ``execute_pair``. It is not a cluster and not Argo;
* on a real cluster with Argo Workflows (``make cluster-up``): the built-in scenarios through both
  builders. This machine has no cluster, so those tests skip here and say why.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import socket
import stat
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.argo import FailureKind, WorkflowStatus, provision, testcluster
from harness.builders import hera, legacy
from harness.execute import executes, get_executor
from harness.execute.base import Executor
from harness.execute.check import inspect_for_cluster, inspect_workflow
from harness.execute.cluster import ClusterExecutor, pod_stuck_reason
from harness.execute.cluster.convert import definition_order, superseded_attempts, workflow_run_from_status
from harness.execute.cluster.files import READER_SCRIPT, files_from_listing, reader_pod
from harness.execute.cluster.plan import PersistentVolume, plan_run
from harness.execute.cluster.plan import manifest_persistent_volumes as persistent_volumes
from harness.execute.parity import ExecutionStatus, execute_pair
from harness.execute.result import FileResult, Output
from harness.execute.result import RunPhase as Phase
from harness.execute.secrets import fake_secret_value
from harness.execute.volumes import RunVolumes
from harness.scenarios import load_scenarios
from harness.spec.naming import relative_node_name
from tests import planted_execution
from tests.execution_support import IMAGE, RESULTS, execute_builtin, script, workflow
from tests.fakes.kubernetes_api import ARGO_API, FakeKubernetes, closed_port, kubeconfig_with, running_fake
from tests.requirements import LOCAL_EXECUTOR

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {scenario.name: scenario for scenario in load_scenarios(ROOT / "scenarios")}
EXECUTED = sorted(name for name, scenario in SCENARIOS.items() if executes(scenario))
NO_CLUSTER = (
    "no Kubernetes cluster with Argo Workflows: run make cluster-up (needs kind or k3d and a reachable registry)"
)


@pytest.fixture
def fake_kubernetes(tmp_path: Path) -> Iterator[tuple[FakeKubernetes, Path]]:
    """The fake API server of tests/fakes/kubernetes_api.py: HTTP and JSON, not a cluster."""
    with running_fake(tmp_path) as running:
        yield running


def legacy_manifest(name: str) -> dict[str, Any]:
    return legacy.build(SCENARIOS[name].inputs.for_builder())


# --- the executor as the harness sees it ------------------------------------------------------------------


def test_it_is_an_executor_that_pickles() -> None:
    executor = get_executor("cluster", keep_namespace=True, pvc_size="2Gi")
    assert isinstance(executor, ClusterExecutor) and isinstance(executor, Executor)
    assert executor.name == "cluster"
    assert pickle.loads(pickle.dumps(executor)) == executor


def test_without_a_kubeconfig_it_says_what_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "kubeconfig"
    empty.write_text("")
    monkeypatch.setenv("KUBECONFIG", str(empty))
    executor = ClusterExecutor()
    reason = executor.unavailable_reason()
    assert reason is not None
    assert reason.startswith(f"no Kubernetes configuration: {empty} is empty; run `make cluster-up`")
    run = executor.run(legacy_manifest("plain-hello"), label="plain-hello/legacy")
    assert (run.phase, run.executor, run.label) == (None, "cluster", "plain-hello/legacy")
    assert run.error is not None and run.error.startswith("setting up namespace parity-plain-hello-legacy-")
    assert "is empty" in run.error
    outcome = execute_pair(
        executor,
        legacy_manifest=legacy_manifest("plain-hello"),
        new_manifest=hera.build(SCENARIOS["plain-hello"].inputs.for_builder()),
        expectation=SCENARIOS["plain-hello"].expect.execution,
        scenario="plain-hello",
    )
    assert outcome.status is ExecutionStatus.UNAVAILABLE and outcome.message == reason


def test_namespaces_are_fresh_dns_labels() -> None:
    executor = ClusterExecutor()
    names = {executor.namespace_for("plain-hello/legacy-repeat") for _ in range(20)}
    assert len(names) == 20
    for name in names:
        assert re.fullmatch(r"parity-plain-hello-legacy-repeat-[0-9a-f]{6}", name)
    dns_label = r"[a-z0-9]([a-z0-9-]*[a-z0-9])?"
    long = executor.namespace_for("Ünïcode & " + "x" * 200 + "/new")
    assert len(long) <= 63 and re.fullmatch(dns_label, long)
    long_prefix = ClusterExecutor(namespace_prefix="Team " + "p" * 100).namespace_for("plain-hello/new")
    assert len(long_prefix) == 63 and re.fullmatch(dns_label, long_prefix)
    assert re.fullmatch(r"team-p+-[0-9a-f]{6}", long_prefix)  # the random suffix is never cut
    assert re.fullmatch(
        r"p+-plain-hello-new-[0-9a-f]{6}", ClusterExecutor(namespace_prefix="p" * 40).namespace_for("plain-hello/new")
    )


# --- the manifest rewrite, on real built manifests ----------------------------------------------------------


def test_the_rewrite_of_a_legacy_manifest() -> None:
    manifest = legacy_manifest("volumes-default-results")
    original = json.loads(json.dumps(manifest))
    plan = plan_run(manifest, namespace="parity-x-abc123", default_deadline_s=240)
    assert manifest == original  # the caller's manifest is never changed
    metadata = plan.manifest["metadata"]
    assert metadata == {"name": "python-job-local", "namespace": "parity-x-abc123"}
    spec = plan.manifest["spec"]
    assert spec["activeDeadlineSeconds"] == 240
    assert {k: v for k, v in spec.items() if k != "activeDeadlineSeconds"} == original["spec"]
    assert plan.claims == ("task-results-pvc",)  # kept by name: the namespace is fresh
    assert plan.service_accounts == ("python-job-runner",)
    assert plan.secrets == {} and plan.secrets_used == ()
    assert plan.volumes == (
        PersistentVolume("task-results", "persistentVolumeClaim/task-results-pvc", "task-results-pvc", "/mnt/results"),
    )
    assert (plan.workflow_name, plan.deadline_s) == ("python-job-local", 240)
    assert plan.notes[0].startswith("namespace argo -> parity-x-abc123: every run gets a fresh namespace")
    assert "logs and messages show argo in its place" in plan.notes[0]
    assert plan.original_namespace == "argo"
    assert any(note.startswith("name python-job-local instead of a generated one") for note in plan.notes)
    assert "activeDeadlineSeconds 240: the executors' default deadline" in plan.notes


def test_every_claim_and_secret_the_manifest_references() -> None:
    several = plan_run(legacy_manifest("volumes-several"), namespace="ns")
    assert several.claims == ("shared-data-pvc", "task-results-pvc")
    assert [(v.mount_path, v.claim) for v in several.volumes] == [  # by source, never by the order met
        ("/data/shared", "shared-data-pvc"),
        ("/mnt/results", "task-results-pvc"),
    ]
    secret = plan_run(legacy_manifest("env-from-secret"), namespace="ns", secrets={"other/key": "unused"})
    assert secret.secrets == {"api-credentials": {"token": fake_secret_value("api-credentials", "token")}}
    assert secret.secrets_used == ("api-credentials/token",)
    given = plan_run(legacy_manifest("env-from-secret"), namespace="ns", secrets={"api-credentials/token": "s3cr3t"})
    assert given.secrets == {"api-credentials": {"token": "s3cr3t"}}
    namespaced = plan_run(legacy_manifest("namespace-custom"), namespace="parity-ns")
    assert namespaced.notes[0].startswith("namespace data-science-jobs -> parity-ns")
    assert namespaced.manifest["metadata"]["namespace"] == "parity-ns"


def test_a_deadline_and_gc_settings_that_would_lose_evidence() -> None:
    manifest = legacy_manifest("plain-hello")
    manifest["metadata"] = {"name": "fixed", "namespace": "argo", "resourceVersion": "12", "uid": "u"}
    manifest["spec"].update(
        activeDeadlineSeconds=30, podGC={"strategy": "OnPodCompletion"}, ttlStrategy={"secondsAfterCompletion": 1}
    )
    manifest["status"] = {"phase": "Succeeded"}
    plan = plan_run(manifest, namespace="ns")
    assert plan.manifest["metadata"] == {"name": "fixed", "namespace": "ns"}
    assert "status" not in plan.manifest
    assert (plan.workflow_name, plan.deadline_s, plan.manifest["spec"]["activeDeadlineSeconds"]) == ("fixed", 30, 30)
    assert "podGC" not in plan.manifest["spec"] and "ttlStrategy" not in plan.manifest["spec"]
    assert "spec.podGC removed: pods must outlive the workflow for their logs to be read" in plan.notes
    assert not any(note.startswith("activeDeadlineSeconds") for note in plan.notes)


def test_claim_templates_are_kept_until_read() -> None:
    manifest = planted_execution.provisions_new_claim(SCENARIOS["volumes-default-results"].inputs.for_builder())
    plan = plan_run(manifest, namespace="ns")
    assert plan.manifest["spec"]["volumeClaimGC"] == {"strategy": "OnWorkflowDeletion"}
    assert plan.claims == ()  # Argo creates these itself
    assert plan.volumes == (PersistentVolume("task-results", "volumeClaimTemplate/task-results", None, "/mnt/results"),)


def test_steps_mounts_report_the_smallest_mount() -> None:
    volume = {"name": "work", "persistentVolumeClaim": {"claimName": "work-pvc"}}
    manifest = {
        "kind": "Workflow",
        "spec": {
            "entrypoint": "main",
            "volumes": [volume],
            "templates": [
                {"name": "late", "script": {"image": "i", "volumeMounts": [{"name": "work", "mountPath": "/late"}]}},
                {
                    "name": "main",
                    "steps": [[{"name": "first", "template": "early"}], [{"name": "then", "template": "late"}]],
                },
                {
                    "name": "early",
                    "container": {
                        "image": "i",
                        "volumeMounts": [{"name": "work", "mountPath": "/early", "subPath": "/sub/"}],
                    },
                },
            ],
        },
    }
    assert persistent_volumes(manifest) == (
        PersistentVolume("work", "persistentVolumeClaim/work-pvc", "work-pvc", "/early", "sub"),
    )


def test_what_a_fresh_namespace_cannot_provide() -> None:
    assert inspect_for_cluster(legacy_manifest("container-deps-env-volume")) == ()
    assert inspect_for_cluster(hera.build(SCENARIOS["env-from-secret"].inputs.for_builder())) == ()
    manifest = legacy_manifest("plain-hello")
    script = manifest["spec"]["templates"][0]["script"]
    script["env"].append({"name": "X", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "x"}}})
    manifest["spec"]["templates"][0]["outputs"] = {"artifacts": [{"name": "out", "path": "/tmp/out"}]}
    manifest["spec"]["volumes"].append({"name": "host", "hostPath": {"path": "/etc"}})
    manifest["spec"]["templates"].append(
        {"name": "ref", "steps": [[{"name": "s", "templateRef": {"name": "lib", "template": "t"}}]]}
    )
    assert inspect_for_cluster(manifest) == (
        "ConfigMap 'settings': not created in the run's fresh namespace",
        "artifacts: no artifact repository is configured for the parity cluster",
        "WorkflowTemplate 'lib': not installed in the run's fresh namespace",
        "spec.volumes[host]: hostPath volume source (only claims and emptyDir are provided)",
    )
    copied = legacy_manifest("plain-hello")
    copied["status"] = {
        "nodes": {"n": {"templateRef": {"name": "x"}, "outputs": {"artifacts": [{"name": "main-logs"}]}}}
    }
    assert inspect_for_cluster(copied) == ()  # a live object's status is not what runs
    logs = legacy_manifest("plain-hello")
    logs["spec"]["templates"][0]["archiveLocation"] = {"archiveLogs": False}
    assert inspect_for_cluster(logs) == ()  # not archiving needs no repository
    logs["spec"]["archiveLogs"] = True
    assert inspect_for_cluster(logs) == ("archived logs: no artifact repository is configured for the parity cluster",)
    assert inspect_for_cluster({"kind": "CronWorkflow"}) == ("kind 'CronWorkflow': only a Workflow can be executed",)


# --- Argo's status -> WorkflowRun, on real status objects -----------------------------------------------------


def corpus_object(corpora: Path, name: str) -> dict[str, Any]:
    loaded = yaml.load((corpora / "argo-status" / name).read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    assert isinstance(loaded, dict)
    return loaded


def converted(corpora: Path, name: str, logs: dict[str, Output] | None = None) -> Any:
    obj = corpus_object(corpora, name)
    return workflow_run_from_status(WorkflowStatus.from_dict(obj), obj, label=name, logs=logs)


@pytest.mark.corpus
def test_a_failed_steps_workflow(corpora: Path) -> None:
    logs = {"steps-9fkqc-1411266092": Output("passed\n", 7), "steps-9fkqc-3224593506": Output("failing\n", 8)}
    run = converted(corpora, "workflow-util-util_test__L736__deepDeleteOfNodes.yaml", logs)
    assert (run.phase, run.exit_code, run.message, run.error) == (
        Phase.FAILED,
        1,
        "child 'steps-9fkqc-3224593506' failed",
        None,
    )
    assert [(n.name, n.kind, n.phase, n.exit_code) for n in run.nodes] == [
        ("foo", "Steps", Phase.FAILED, None),
        ("foo[0].pass", "Pod", Phase.SUCCEEDED, 0),
        ("foo[1].fail", "Pod", Phase.FAILED, 1),
    ]
    assert run.stdout == Output("passed\nfailing\n", 15)  # pods joined in definition order
    assert run.node("foo[1].fail").outputs == {"exitCode": "1"}
    assert run.duration_s == 98.0


@pytest.mark.corpus
def test_a_single_pod_workflow_with_an_exit_handler(corpora: Path) -> None:
    logs = {"retry-script-6xt68": Output("boom\n", 5)}
    run = converted(corpora, "workflow-util-util_test__L901__exitHandler.yaml", logs)
    assert (run.phase, run.exit_code, run.message) == (Phase.FAILED, 1, "Error (exit code 1)")
    assert [(n.name, n.template, n.phase, n.exit_code) for n in run.nodes] == [
        ("retry-script", "retry-script", Phase.FAILED, 1),
        ("retry-script.onExit", "handler", Phase.SUCCEEDED, 0),
    ]
    assert run.nodes[0].stdout == Output("boom\n", 5) and run.nodes[1].stdout == Output()


@pytest.mark.corpus
def test_a_dag_in_task_order(corpora: Path) -> None:
    run = converted(corpora, "workflow-util-util_test__L2315__dagDiamondRetry.yaml")
    assert run.phase is Phase.SUCCEEDED and run.exit_code == 0
    assert [n.name for n in run.nodes] == ["diamond", "diamond.A", "diamond.B", "diamond.C", "diamond.D"]
    assert [n.duration_s for n in run.nodes] == [19.0, 4.0, 3.0, 3.0, 3.0]


@pytest.mark.corpus
def test_groups_retries_and_nodes_that_never_ran_are_left_out(corpora: Path) -> None:
    name = "workflow-controller-dag_test__L2462__testFailsWithParamDAG.yaml"
    status = WorkflowStatus.from_dict(corpus_object(corpora, name))
    run = converted(corpora, name)
    superseded = superseded_attempts(status)
    # Attempts 0 and 1 of process-tasks(3:3) were retried: only attempt 2 counts.
    assert {status.nodes[node].name for node in superseded} == {
        "reproduce-bug-9tpfr.process-tasks(3:3)(0)",
        "reproduce-bug-9tpfr.process-tasks(3:3)(1)",
    }
    kept = {"Pod": 11, "DAG": 1}
    assert Counter(n.kind for n in run.nodes) == kept
    assert len(run.nodes) == sum(
        1 for n in status.nodes.values() if n.type_text in kept and n.phase_text != "Omitted" and n.id not in superseded
    )
    assert [n.name for n in run.pods] == [  # definition order: task, item, attempt
        "start.gen-tasks(0)",
        *(f"start.process-tasks({i}:{i})({2 if i == 3 else 0})" for i in range(10)),
    ]
    assert run.phase is None and run.error == "the workflow did not finish (Running)"
    skipped = converted(corpora, "workflow-util-util_test__L3916__onExitPanic.yaml")
    assert all(node.phase is not None for node in skipped.nodes)
    assert not any(node.name.endswith(".celebrate") for node in skipped.nodes)  # its `when` was false
    assert (skipped.phase, skipped.message) == (Phase.FAILED, "main: Error (exit code 1)")
    retries = converted(corpora, "dag-disable-fail-fast.yaml")
    names = [n.name for n in retries.nodes]
    assert "statis.B" not in names and "statis.C" not in names  # the Retry nodes; their last attempts are kept
    assert {"statis.B(0)", "statis.C(1)"} <= set(names)
    assert "statis.C(0)" not in names  # superseded by statis.C(1)
    assert names == ["statis", "statis.A", "statis.B(0)", "statis.C(1)", "statis.D", "statis.E"]
    assert any(note.startswith("statis.C(0): Failed") for note in retries.notes)


@pytest.mark.corpus
def test_unfinished_and_invalid_phases_did_not_run_to_an_end(corpora: Path) -> None:
    invalid = converted(
        corpora, "workflow-controller-operator_test__L11818__TestRetryWhenEncounterExceededQuota.wf.yaml"
    )
    assert invalid.phase is None and invalid.error == "the workflow did not finish (Runningg)"
    nothing = converted(corpora, "dag_retry_succeeded.yaml")
    assert nothing.error == "the workflow did not finish (no phase: the controller never picked it up)"
    running = converted(corpora, "workflow-controller-operator_test__L8114__paramAggregation.yaml")
    assert running.phase is Phase.SUCCEEDED
    (group,) = [n for n in running.nodes if n.kind == "DAG"]
    assert (group.phase, group.message) == (Phase.ERROR, "Running when the workflow ended")
    assert [n.name for n in running.pods] == [
        "parameter-aggregation.odd-or-even(0:1)",
        "parameter-aggregation.odd-or-even(1:2)",
    ]
    assert running.pods[0].outputs == {"parameters.num": "1", "parameters.evenness": "odd", "exitCode": "0"}


def test_node_names_follow_the_local_executor() -> None:
    assert relative_node_name("python-job-x7k2p", "python-job-x7k2p", "main") == "main"
    assert relative_node_name("python-job-x7k2p[0].fetch", "python-job-x7k2p", "main") == "main[0].fetch"
    assert relative_node_name("python-job-x7k2p.train(1:b)", "python-job-x7k2p", "main") == "main.train(1:b)"
    assert relative_node_name("python-job-x7k2pp.x", "python-job-x7k2p", "main") == "python-job-x7k2pp.x"


def test_definition_order_beats_start_time() -> None:
    templates = {
        "main": {
            "name": "main",
            "steps": [
                [{"name": "b", "template": "loop"}, {"name": "a", "template": "leaf"}],
                [{"name": "z", "template": "leaf"}],
            ],
        },
        "loop": {
            "name": "loop",
            "dag": {
                "tasks": [{"name": "y", "template": "leaf"}, {"name": "x", "template": "leaf", "withItems": ["p", "q"]}]
            },
        },
        "leaf": {"name": "leaf", "container": {"image": "i"}},
    }
    assert definition_order("main[0].b.x(1:q)", "main", templates) == (0, 0, 0, 1, 1)
    assert definition_order("main[1].z", "main", templates) == (1, 0, 0)
    assert definition_order("main[0].nope", "main", templates) is None
    names = ["main", "main[0].b", "main[0].b.y", "main[0].b.x(0:p)", "main[0].b.x(1:q)", "main[0].a", "main[1].z"]
    workflow = "wf-1"
    nodes = {}
    for index, name in enumerate(names):
        argo_name = workflow + name[len("main") :]
        kind = "Steps" if name == "main" else "DAG" if name == "main[0].b" else "Pod"
        started = f"2024-01-01T00:00:{59 - index:02d}Z"  # later definitions started first
        nodes[argo_name] = {
            "id": argo_name,
            "name": argo_name,
            "type": kind,
            "phase": "Succeeded",
            "startedAt": started,
        }
    obj = {
        "metadata": {"name": workflow},
        "spec": {"entrypoint": "main", "templates": list(templates.values())},
        "status": {"phase": "Succeeded", "nodes": dict(reversed(nodes.items()))},
    }
    run = workflow_run_from_status(WorkflowStatus.from_dict(obj), obj, label="order")
    assert [n.name for n in run.nodes] == names


# --- the reader pod's listing equals the local executor's --------------------------------------------------


def _fill(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "out.txt").write_text("done")
    (directory / "empty").write_bytes(b"")
    (directory / "nested" / "deeper").mkdir(parents=True)
    (directory / "nested" / "deeper" / "data.bin").write_bytes(bytes(range(256)) * 40)
    (directory / "nested" / "long.txt").write_text("é" * 3000)  # a two-byte character cut at 4096
    (directory / "sub").mkdir(exist_ok=True)
    (directory / "sub" / "inside.txt").write_text("in the subPath")
    (directory / "link").symlink_to("out.txt")
    os.mkfifo(directory / "pipe")


def _read_like_the_reader_pod(roots: list[Path], max_files: int = 1000, preview: int = 4096) -> str:
    done = subprocess.run(
        [sys.executable, "-c", READER_SCRIPT, json.dumps([str(root) for root in roots]), str(max_files), str(preview)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


@pytest.mark.parametrize(("sub_path", "max_files"), [("", 1000), ("sub", 1000), ("", 3)])
def test_the_reader_lists_files_as_the_local_executor_does(tmp_path: Path, sub_path: str, max_files: int) -> None:
    spec = {"volumes": [{"name": "task-results", "persistentVolumeClaim": {"claimName": "task-results-pvc"}}]}
    volumes = RunVolumes(tmp_path / "volumes", spec)
    resolved = volumes.resolve("task-results", {}, tmp_path / "pod")
    volumes.mounted(resolved, "/mnt/results", sub_path)
    _fill(resolved.host_dir)
    local_files, local_truncated = volumes.collect(max_files=max_files, preview_bytes=4096)

    output = _read_like_the_reader_pod([resolved.host_dir], max_files=max_files)
    volume = PersistentVolume(
        "task-results", "persistentVolumeClaim/task-results-pvc", "task-results-pvc", "/mnt/results", sub_path
    )
    files, truncated = files_from_listing(output, [volume])
    assert (files, truncated) == (local_files, local_truncated)
    if max_files == 1000 and not sub_path:
        by_path = {f.path: f for f in files}
        assert by_path["/mnt/results/out.txt"] == FileResult(
            "/mnt/results/out.txt",
            4,
            hashlib.sha256(b"done").hexdigest(),
            "done",
            True,
            "persistentVolumeClaim/task-results-pvc",
        )
        assert by_path["/mnt/results/pipe"].preview == "<not a regular file>"
        assert by_path["/mnt/results/link"].preview == "symlink to out.txt"
        assert by_path["/mnt/results/nested/deeper/data.bin"].preview is None
        long = by_path["/mnt/results/nested/long.txt"]
        assert (long.size, long.complete, long.preview) == (6000, False, "é" * 2048)


def test_a_reader_that_printed_no_listing_is_an_error() -> None:
    with pytest.raises(ValueError, match="printed no listing"):
        files_from_listing("Traceback (most recent call last):\n", [])
    with pytest.raises(ValueError, match="not valid"):
        files_from_listing("ARGO-PARITY-FILES {broken", [])


def test_the_reader_pod_mounts_every_claim_read_only() -> None:
    pod = reader_pod(["a-pvc", "b-pvc"], image="python:3.11-slim", max_files=10, preview_bytes=20)
    spec = pod["spec"]
    assert spec["restartPolicy"] == "Never" and spec["automountServiceAccountToken"] is False
    (container,) = spec["containers"]
    assert container["command"][:2] == ["python3", "-c"]
    assert json.loads(container["command"][3]) == ["/parity/volumes/00", "/parity/volumes/01"]
    assert [m["readOnly"] for m in container["volumeMounts"]] == [True, True]
    assert [v["persistentVolumeClaim"] for v in spec["volumes"]] == [
        {"claimName": "a-pvc", "readOnly": True},
        {"claimName": "b-pvc", "readOnly": True},
    ]


# --- a whole run against the fake API server (not a cluster) -------------------------------------------------


class FakeArgo:
    """Plays Argo's controller and the kubelet on ``FakeKubernetes``: each submitted workflow "runs"
    ``program(workflow, fake)``, which returns (exit code, log) and may write into the claims'
    directories; the reader pod's script then really runs, on those directories."""

    def __init__(self, fake: FakeKubernetes, root: Path, program: Any) -> None:
        self.fake = fake
        self.root = root
        self.program = program
        fake.controller = self.controller
        fake.pod_result = self.reader

    def claim_dir(self, namespace: str, claim: str) -> Path:
        directory = self.root / namespace / claim
        directory.mkdir(parents=True, exist_ok=True)
        return directory

    def controller(self, workflow: dict[str, Any]) -> list[dict[str, Any]]:
        namespace, name = workflow["metadata"]["namespace"], workflow["metadata"]["name"]
        exit_code, log = self.program(workflow, self)
        self.fake.logs[(namespace, name, "main")] = log
        phase = "Succeeded" if exit_code == 0 else "Failed"
        message = None if exit_code == 0 else f"Error (exit code {exit_code})"
        node = {
            "id": name,
            "name": name,
            "displayName": name,
            "type": "Pod",
            "templateName": "main",
            "phase": phase,
            "message": message,
            "startedAt": "2024-05-01T10:00:01Z",
            "finishedAt": "2024-05-01T10:00:04Z",
            "outputs": {"exitCode": str(exit_code)},
        }
        final = {
            "phase": phase,
            "message": message,
            "startedAt": "2024-05-01T10:00:00Z",
            "finishedAt": "2024-05-01T10:00:05Z",
            "progress": "1/1",
            "nodes": {name: node},
        }
        return [{"phase": "Running", "startedAt": "2024-05-01T10:00:00Z"}, final]

    def reader(self, pod: dict[str, Any]) -> tuple[str, str]:
        namespace = pod["metadata"]["namespace"]
        claims = [volume["persistentVolumeClaim"]["claimName"] for volume in pod["spec"]["volumes"]]
        command = pod["spec"]["containers"][0]["command"]
        roots = [str(self.claim_dir(namespace, claim)) for claim in claims]
        done = subprocess.run(
            [sys.executable, command[1], command[2], json.dumps(roots), *command[4:]],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return ("Succeeded" if done.returncode == 0 else "Failed"), done.stdout + done.stderr


def writes_results(workflow: dict[str, Any], argo: FakeArgo) -> tuple[int, str]:
    namespace = workflow["metadata"]["namespace"]
    (argo.claim_dir(namespace, "task-results-pvc") / "out.txt").write_text("done")
    return 0, "written\n"


def cluster(kubeconfig: Path, **options: Any) -> ClusterExecutor:
    """The executor on the fake server, whose kubeconfig context is named ``fake``."""
    options.setdefault("context", "fake")
    return ClusterExecutor(kubeconfig=str(kubeconfig), poll_interval_s=0.01, request_timeout_s=10, **options)


def test_a_run_sets_up_submits_reads_and_cleans_up(
    fake_kubernetes: tuple[FakeKubernetes, Path], tmp_path: Path
) -> None:
    fake, kubeconfig = fake_kubernetes
    FakeArgo(fake, tmp_path, writes_results)
    executor = cluster(kubeconfig)
    assert executor.unavailable_reason() is None
    run = executor.run(legacy_manifest("volumes-default-results"), label="volumes-default-results/legacy")
    assert run.error is None, run
    assert (run.phase, run.exit_code, run.stdout, run.stderr) == (Phase.SUCCEEDED, 0, Output("written\n", 8), Output())
    assert [(n.name, n.kind, n.template, n.duration_s) for n in run.nodes] == [("main", "Pod", "main", 3.0)]
    assert run.files == (
        FileResult(
            "/mnt/results/out.txt",
            4,
            hashlib.sha256(b"done").hexdigest(),
            "done",
            True,
            "persistentVolumeClaim/task-results-pvc",
        ),
    )
    assert run.duration_s == 5.0

    (namespace_body,) = fake.created(r"/api/v1/namespaces")
    namespace = namespace_body["metadata"]["name"]
    assert re.fullmatch(r"parity-volumes-default-results-legacy-[0-9a-f]{6}", namespace)
    assert namespace_body["metadata"]["labels"]["argo-parity/run"] == "volumes-default-results-legacy"
    accounts = [body["metadata"]["name"] for body in fake.created(rf"/api/v1/namespaces/{namespace}/serviceaccounts")]
    assert accounts == ["python-job-runner"]
    assert [b["metadata"]["name"] for b in fake.created(rf".*/namespaces/{namespace}/rolebindings")] == [
        "argo-parity-executor-python-job-runner"
    ]
    assert [b["metadata"]["name"] for b in fake.created(rf"/api/v1/namespaces/{namespace}/persistentvolumeclaims")] == [
        "task-results-pvc"
    ]
    (workflow,) = fake.created(rf"{ARGO_API}/namespaces/{namespace}/workflows")
    assert workflow["metadata"] == {"name": "python-job-local", "namespace": namespace}
    assert workflow["spec"]["activeDeadlineSeconds"] == 600
    (reader,) = fake.created(rf"/api/v1/namespaces/{namespace}/pods")
    assert reader["spec"]["volumes"][0]["persistentVolumeClaim"] == {"claimName": "task-results-pvc", "readOnly": True}
    assert fake.sent("DELETE", rf"/api/v1/namespaces/{namespace}")
    assert not any(f"/namespaces/{namespace}" in key for key in fake.objects)  # nothing left behind
    assert run.notes[0].startswith(f"namespace argo -> {namespace}")
    assert any(note.startswith("stdout is each pod's log") for note in run.notes)


def test_a_failing_program_and_a_kept_namespace(fake_kubernetes: tuple[FakeKubernetes, Path], tmp_path: Path) -> None:
    fake, kubeconfig = fake_kubernetes
    FakeArgo(fake, tmp_path, lambda workflow, argo: (3, "Traceback: boom\n"))
    run = cluster(kubeconfig, keep_namespace=True).run(legacy_manifest("plain-nonzero-exit"), label="nonzero")
    assert (run.phase, run.exit_code, run.message) == (Phase.FAILED, 3, "Error (exit code 3)")
    assert run.nodes[0].stdout.text == "Traceback: boom\n"
    assert run.files == ()  # the claim is empty
    assert not fake.sent("DELETE", r"/api/v1/namespaces/.*")
    assert run.notes[-1].startswith("namespace parity-nonzero-") and run.notes[-1].endswith("kept (keep_namespace)")


def test_a_cluster_that_refuses_becomes_an_error_not_an_exception(
    fake_kubernetes: tuple[FakeKubernetes, Path], tmp_path: Path
) -> None:
    fake, kubeconfig = fake_kubernetes
    FakeArgo(fake, tmp_path, writes_results)
    fake.failures[("POST", r".*/persistentvolumeclaims")] = (403, "persistentvolumeclaims is forbidden: exceeded quota")
    run = cluster(kubeconfig).run(legacy_manifest("volumes-default-results"), label="quota")
    assert run.phase is None and run.error is not None
    assert re.fullmatch(
        r"setting up namespace parity-quota-[0-9a-f]{6}: creating persistent volume claim task-results-pvc: "
        r"persistentvolumeclaims is forbidden: exceeded quota \(HTTP 403\)",
        run.error,
    )
    assert fake.sent("DELETE", r"/api/v1/namespaces/parity-quota-.*")  # cleaned up all the same
    del fake.failures[("POST", r".*/persistentvolumeclaims")]
    fake.failures[("POST", rf"{ARGO_API}/namespaces/.*/workflows")] = (
        422,
        'Workflow.argoproj.io "x" is invalid: spec.templates: Required value',
    )
    refused = cluster(kubeconfig).run(legacy_manifest("volumes-default-results"), label="invalid")
    assert refused.phase is Phase.ERROR and refused.error is None
    assert "spec.templates: Required value (HTTP 422)" in (refused.message or "")


def test_a_workflow_that_never_finishes_is_stopped(
    fake_kubernetes: tuple[FakeKubernetes, Path], tmp_path: Path
) -> None:
    fake, kubeconfig = fake_kubernetes
    fake.watch = "silent"
    manifest = legacy_manifest("plain-hello")
    manifest["spec"]["activeDeadlineSeconds"] = 1
    run = cluster(kubeconfig, startup_grace_s=0.5).run(manifest, label="stuck")
    assert run.phase is None
    assert "did not finish within 2 s: Argo's controller never picked it up" in (run.error or "")
    (patch,) = fake.sent("PATCH", rf"{ARGO_API}/namespaces/parity-stuck-.*/workflows/python-job-local")
    assert patch.body == {"spec": {"shutdown": "Terminate"}}


def test_unsupported_features_never_reach_the_cluster(fake_kubernetes: tuple[FakeKubernetes, Path]) -> None:
    fake, kubeconfig = fake_kubernetes
    manifest = legacy_manifest("plain-hello")
    manifest["spec"]["workflowTemplateRef"] = {"name": "shared"}
    run = cluster(kubeconfig).run(manifest, label="ref")
    assert run.phase is None and run.unsupported == (
        "WorkflowTemplate 'shared': not installed in the run's fresh namespace",
    )
    assert fake.requests == []


@pytest.mark.parametrize("deadline", ["abc", "600", True])
def test_a_deadline_argo_cannot_decode_is_refused_not_replaced(
    fake_kubernetes: tuple[FakeKubernetes, Path], deadline: Any
) -> None:
    # The plan used to put the default deadline in its place and run a workflow Argo refuses.
    fake, kubeconfig = fake_kubernetes
    manifest = legacy_manifest("plain-hello")
    manifest["spec"]["activeDeadlineSeconds"] = deadline
    run = cluster(kubeconfig).run(manifest, label="deadline")
    assert run.phase is Phase.ERROR and run.nodes == ()
    assert run.message == (
        f"spec.activeDeadlineSeconds: {deadline!r} is not an integer, and Argo reads activeDeadlineSeconds "
        "as one: the workflow is refused"
    )
    assert run.message == inspect_workflow(manifest).invalid  # as the local executors refuse it
    assert fake.requests == []
    with pytest.raises(ValueError, match="is not an integer"):
        plan_run(manifest, namespace="ns")


def test_execute_pair_through_the_fake_server_injects_the_same_secret(
    fake_kubernetes: tuple[FakeKubernetes, Path], tmp_path: Path
) -> None:
    """Plumbing only: three runs in parallel, each in its own namespace, each given the Secret the
    manifest names. The fake "program" prints the value it finds in its namespace's Secret."""
    fake, kubeconfig = fake_kubernetes

    def prints_secret(workflow: dict[str, Any], argo: FakeArgo) -> tuple[int, str]:
        namespace = workflow["metadata"]["namespace"]
        secret = fake.objects[f"/api/v1/namespaces/{namespace}/secrets/api-credentials"]
        return 0, f"token: {secret['stringData']['token']} password: plain-text-password-do-not-leak\n"

    FakeArgo(fake, tmp_path, prints_secret)
    scenario = SCENARIOS["env-from-secret"]
    outcome = execute_pair(
        cluster(kubeconfig),
        legacy_manifest=legacy.build(scenario.inputs.for_builder()),
        new_manifest=hera.build(scenario.inputs.for_builder()),
        expectation=scenario.expect.execution,
        scenario=scenario.name,
    )
    summary = outcome.to_dict()
    assert outcome.status is ExecutionStatus.EQUIVALENT and outcome.passed, summary
    value = fake_secret_value("api-credentials", "token")
    assert outcome.secret_values == (value,)
    assert outcome.new is not None and value in outcome.new.stdout.text
    assert outcome.new.secrets_used == ("api-credentials/token",)
    namespaces = {body["metadata"]["name"] for body in fake.created(r"/api/v1/namespaces")}
    assert len(namespaces) == 3  # legacy, new, legacy-repeat: never shared


# --- which cluster: never the current context by default ------------------------------------------------------


def _server(kubeconfig: Path) -> str:
    """The URL of the fake API server a kubeconfig of ``running_fake`` points at."""
    return str(json.loads(kubeconfig.read_text())["clusters"][0]["cluster"]["server"])


NO_CONTEXT = (
    "the kubeconfig has no context kind-argo-parity or k3d-argo-parity (run `make cluster-up`), and "
    "PARITY_KUBE_CONTEXT is not set to the context to run in; the current context is never used, "
    "since every run creates namespaces, RBAC and Secrets in its cluster"
)


def test_a_kubeconfig_with_only_another_current_context_is_unavailable(
    fake_kubernetes: tuple[FakeKubernetes, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PARITY_KUBE_CONTEXT", raising=False)
    fake, kubeconfig = fake_kubernetes
    prod = kubeconfig_with(tmp_path / "prod-only", {"prod": _server(kubeconfig)}, current="prod")
    executor = ClusterExecutor(kubeconfig=str(prod), poll_interval_s=0.01)
    assert executor.unavailable_reason() == NO_CONTEXT
    manifest = legacy_manifest("env-from-secret")
    run = executor.run(manifest, label="env-from-secret/legacy", secrets={"api-credentials/token": "real"})
    assert (run.phase, run.error) == (None, NO_CONTEXT)
    outcome = execute_pair(
        executor,
        legacy_manifest=manifest,
        new_manifest=hera.build(SCENARIOS["env-from-secret"].inputs.for_builder()),
        expectation=SCENARIOS["env-from-secret"].expect.execution,
        scenario="env-from-secret",
    )
    assert outcome.status is ExecutionStatus.UNAVAILABLE and outcome.message == NO_CONTEXT
    assert fake.requests == []  # nothing, not even a version probe, reached the "prod" cluster
    # A kubeconfig that cannot be read is no reason to guess either.
    (tmp_path / "broken").write_text("current-context: prod\ncontexts: [unclosed\n")
    reason = ClusterExecutor(kubeconfig=f"{prod}{os.pathsep}{tmp_path / 'broken'}").unavailable_reason()
    assert (reason or "").startswith(f"the kubeconfig {tmp_path / 'broken'} is not valid YAML: ")
    no_contexts = tmp_path / "no-contexts"
    no_contexts.write_text(json.dumps({"apiVersion": "v1", "kind": "Config", "current-context": "prod"}))
    assert ClusterExecutor(kubeconfig=str(no_contexts)).unavailable_reason() == NO_CONTEXT


def test_the_parity_clusters_context_is_found_by_name(
    fake_kubernetes: tuple[FakeKubernetes, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PARITY_KUBE_CONTEXT", raising=False)
    fake, kubeconfig = fake_kubernetes
    nowhere = f"http://127.0.0.1:{closed_port()}"  # "prod": had it been used, nothing would answer
    kind = kubeconfig_with(
        tmp_path / "kind", {"prod": nowhere, "kind-argo-parity": _server(kubeconfig)}, current="prod"
    )
    executor = ClusterExecutor(kubeconfig=str(kind), poll_interval_s=0.01, request_timeout_s=10)
    assert executor.kube_context().data == "kind-argo-parity"
    assert executor.unavailable_reason() is None
    FakeArgo(fake, tmp_path, writes_results)
    run = executor.run(legacy_manifest("volumes-default-results"), label="kind")
    assert run.error is None and run.phase is Phase.SUCCEEDED, run
    k3d = kubeconfig_with(tmp_path / "k3d", {"prod": nowhere, "k3d-argo-parity": _server(kubeconfig)}, current="prod")
    assert ClusterExecutor(kubeconfig=str(k3d)).kube_context().data == "k3d-argo-parity"
    both = kubeconfig_with(
        tmp_path / "both", {"k3d-argo-parity": nowhere, "kind-argo-parity": nowhere}, current="k3d-argo-parity"
    )
    assert ClusterExecutor(kubeconfig=str(both)).kube_context().data == "kind-argo-parity"  # kind first


def test_a_context_named_explicitly_is_used_as_given(
    fake_kubernetes: tuple[FakeKubernetes, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, kubeconfig = fake_kubernetes
    prod = kubeconfig_with(tmp_path / "prod-only", {"prod": _server(kubeconfig)}, current="prod")
    monkeypatch.setenv("PARITY_KUBE_CONTEXT", "prod")
    executor = ClusterExecutor(kubeconfig=str(prod))
    assert executor.kube_context().data == "prod"
    assert executor.unavailable_reason() is None
    assert ClusterExecutor(kubeconfig=str(prod), context="staging").kube_context().data == "staging"  # argument first
    missing = ClusterExecutor(kubeconfig=str(prod), context="staging").unavailable_reason()
    assert missing is not None and "staging" in missing
    monkeypatch.delenv("PARITY_KUBE_CONTEXT")
    assert ClusterExecutor(kubeconfig=str(prod), context="prod").unavailable_reason() is None


# --- the run's namespace does not show ------------------------------------------------------------------------


def test_the_runs_namespace_shows_as_the_manifests(
    fake_kubernetes: tuple[FakeKubernetes, Path], tmp_path: Path
) -> None:
    """A program printing {{workflow.namespace}} prints the run's namespace on the cluster, which
    differs on every run: it is shown as the manifest's namespace, as production prints it."""
    fake, kubeconfig = fake_kubernetes

    def prints_namespace(workflow: dict[str, Any], argo: FakeArgo) -> tuple[int, str]:
        return 0, f"running in a team namespace: {workflow['metadata']['namespace']}\n"

    FakeArgo(fake, tmp_path, prints_namespace)
    scenario = SCENARIOS["namespace-custom"]
    outcome = execute_pair(
        cluster(kubeconfig),
        legacy_manifest=legacy.build(scenario.inputs.for_builder()),
        new_manifest=hera.build(scenario.inputs.for_builder()),
        expectation=scenario.expect.execution,
        scenario=scenario.name,
    )
    assert len({body["metadata"]["name"] for body in fake.created(r"/api/v1/namespaces")}) == 3
    assert outcome.status is ExecutionStatus.EQUIVALENT and outcome.passed, outcome.to_dict()
    assert outcome.differences == ()  # not even noise: the three runs printed the same
    for run in (outcome.legacy, outcome.new, outcome.legacy_repeat):
        assert run is not None
        text = "running in a team namespace: data-science-jobs\n"
        assert run.stdout == Output(text, len(text))


def test_the_namespace_is_replaced_in_logs_messages_and_outputs() -> None:
    namespace = "parity-x-legacy-a1b2c3"
    obj = {
        "metadata": {"name": "wf"},
        "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": IMAGE}}]},
        "status": {
            "phase": "Failed",
            "message": f'pods "wf" is forbidden in namespace {namespace}',
            "nodes": {
                "wf": {
                    "id": "wf",
                    "name": "wf",
                    "type": "Pod",
                    "phase": "Failed",
                    "message": f"cannot reach svc.{namespace}.svc.cluster.local",
                    "outputs": {"exitCode": "1", "parameters": [{"name": "ns", "value": namespace}]},
                }
            },
        },
    }
    log = Output(f"ns={namespace}\n...[cut]...\n{namespace}\n", 5000, truncated=True)
    run = workflow_run_from_status(
        WorkflowStatus.from_dict(obj), obj, label="x", logs={"wf": log}, namespace=(namespace, "argo")
    )
    assert run.message == 'pods "wf" is forbidden in namespace argo'
    (node,) = run.nodes
    assert node.message == "cannot reach svc.argo.svc.cluster.local"
    assert node.outputs == {"parameters.ns": "argo", "exitCode": "1"}
    assert node.stdout == Output("ns=argo\n...[cut]...\nargo\n", 5000 - 2 * (len(namespace) - 4), truncated=True)
    assert run.stdout == node.stdout


# --- files are reported under one mount, whatever the order ---------------------------------------------------


def _reordered_dag(*, reverse: bool) -> dict[str, Any]:
    """Two independent DAG tasks that write to one claim mounted at two paths; only the order of
    the tasks differs between ``reverse`` False and True."""
    other = script("other", "echo more > /data/in/other.txt")
    other["script"]["volumeMounts"] = [{"name": "task-results", "mountPath": "/data/in"}]
    tasks = [{"name": "write", "template": "write"}, {"name": "other", "template": "other"}]
    main = {"name": "main", "dag": {"tasks": tasks[::-1] if reverse else tasks}}
    return workflow([main, script("write", "echo done > /mnt/results/out.txt", mounts=True), other], volumes=[RESULTS])


WHERE_REPORTED = PersistentVolume(
    "task-results", "persistentVolumeClaim/task-results-pvc", "task-results-pvc", "/data/in"
)


def test_the_reported_mount_does_not_depend_on_task_order(tmp_path: Path) -> None:
    first, second = _reordered_dag(reverse=False), _reordered_dag(reverse=True)
    assert persistent_volumes(first) == persistent_volumes(second) == (WHERE_REPORTED,)
    # The local executor's volumes: whichever pod mounts first (parallel tasks race), the same paths.
    listings = []
    for order in (("/mnt/results", "/data/in"), ("/data/in", "/mnt/results")):
        volumes = RunVolumes(tmp_path / "-".join(p.strip("/").replace("/", "_") for p in order), first["spec"])
        for mount_path in order:
            resolved = volumes.resolve("task-results", {}, tmp_path / "pod")
            volumes.mounted(resolved, mount_path, "")
        (resolved.host_dir / "out.txt").write_text("done\n")
        listings.append(volumes.collect(max_files=10, preview_bytes=100))
        # The cluster's reader, on the same directory, with the cluster plan's volumes.
        plan = plan_run(first, namespace="ns")
        assert files_from_listing(_read_like_the_reader_pod([resolved.host_dir]), plan.volumes) == listings[-1]
    assert listings[0] == listings[1]
    assert [f.path for f in listings[0][0]] == ["/data/in/out.txt"]


def test_the_local_executor_reports_the_same_paths_for_both_orders() -> None:
    local = get_executor("local")
    LOCAL_EXECUTOR.require(local.unavailable_reason())
    runs = [local.run(_reordered_dag(reverse=reverse), label=f"order-{reverse}") for reverse in (False, True)]
    for run in runs:
        assert run.phase is Phase.SUCCEEDED, run.to_dict()
    assert (
        [f.path for f in runs[0].files]
        == [f.path for f in runs[1].files]
        == [
            "/data/in/other.txt",
            "/data/in/out.txt",
        ]
    )


def test_exit_handlers_and_hooks_mount_volumes_too() -> None:
    def mounting(name: str, claim: str, path: str) -> dict[str, Any]:
        template = script(name, "true")
        template["script"]["volumeMounts"] = [{"name": claim, "mountPath": path}]
        return template

    claims = ["exit", "task-exit", "hook", "step-hook", "unused"]
    manifest = workflow(
        [
            {
                "name": "main",
                "dag": {
                    "tasks": [
                        {
                            "name": "a",
                            "template": "steps",
                            "onExit": "task-exit",
                            "hooks": {"running": {"template": "hook", "expression": "true"}},
                        }
                    ]
                },
            },
            {
                "name": "steps",
                "steps": [[{"name": "s", "template": "leaf", "hooks": {"exit": {"template": "step-hook"}}}]],
            },
            script("leaf", "true"),
            *(mounting(claim, claim, f"/mnt/{claim}") for claim in claims),
        ],
        volumes=[{"name": claim, "persistentVolumeClaim": {"claimName": f"{claim}-pvc"}} for claim in claims],
        onExit="exit",
    )
    found = {volume.claim: volume.mount_path for volume in persistent_volumes(manifest)}
    assert found == {f"{claim}-pvc": f"/mnt/{claim}" for claim in claims if claim != "unused"}


# --- retries: a superseded attempt does not count ----------------------------------------------------------------


def _retried_steps() -> dict[str, Any]:
    """A steps workflow whose first step failed once (exit 1) and then succeeded, as Argo reports
    it: a Retry node with attempts flaky(0) and flaky(1), listed out of order on purpose."""

    def pod(node_id: str, name: str, phase: str, exit_code: int, **extra: Any) -> dict[str, Any]:
        outputs = {"exitCode": str(exit_code)}
        return {
            "id": node_id,
            "name": name,
            "type": "Pod",
            "phase": phase,
            "templateName": "leaf",
            "outputs": outputs,
            **extra,
        }

    def group(node_id: str, name: str, kind: str, children: list[str]) -> dict[str, Any]:
        return {"id": node_id, "name": name, "type": kind, "phase": "Succeeded", "children": children}

    nodes = [
        pod("wf-after", "wf[1].after", "Succeeded", 0),
        pod("wf-flaky-1", "wf[0].flaky(1)", "Succeeded", 0),
        pod("wf-flaky-0", "wf[0].flaky(0)", "Failed", 1, message="Error (exit code 1)"),
        group("wf-flaky", "wf[0].flaky", "Retry", ["wf-flaky-0", "wf-flaky-1"]),
        group("wf-0", "wf[0]", "StepGroup", ["wf-flaky"]),
        group("wf", "wf", "Steps", ["wf-0"]),
    ]
    steps = [[{"name": "flaky", "template": "leaf"}], [{"name": "after", "template": "leaf"}]]
    return {
        "metadata": {"name": "wf"},
        "spec": {
            "entrypoint": "main",
            "templates": [
                {"name": "main", "steps": steps},
                {"name": "leaf", "retryStrategy": {"limit": 2}, "container": {"image": IMAGE}},
            ],
        },
        "status": {"phase": "Succeeded", "nodes": {node["id"]: node for node in nodes}},
    }


def test_a_step_that_failed_once_then_succeeded_counts_as_succeeded() -> None:
    obj = _retried_steps()
    status = WorkflowStatus.from_dict(obj)
    logs = {"wf-flaky-0": Output("try 1\n", 6), "wf-flaky-1": Output("try 2\n", 6), "wf-after": Output("after\n", 6)}
    run = workflow_run_from_status(status, obj, label="retried", logs=logs)
    assert (run.phase, run.exit_code) == (Phase.SUCCEEDED, 0)
    assert [(n.name, n.phase, n.exit_code) for n in run.nodes] == [
        ("main", Phase.SUCCEEDED, None),
        ("main[0].flaky(1)", Phase.SUCCEEDED, 0),
        ("main[1].after", Phase.SUCCEEDED, 0),
    ]
    assert run.stdout == Output("try 2\nafter\n", 12)  # the superseded attempt's log is not in it
    assert run.notes == (
        "main[0].flaky(0): Failed, exit code 1 (Error (exit code 1)), then retried: a superseded attempt "
        "is left out of the nodes and the exit code, as Argo's phase for the step leaves it out",
    )
    assert superseded_attempts(status) == {"wf-flaky-0"}


def test_a_retried_steps_template_leaves_out_all_that_ran_in_the_attempt() -> None:
    obj = _retried_steps()
    nodes = obj["status"]["nodes"]
    nodes["wf-flaky-0"]["type"] = "Steps"  # the retried template is itself a steps template
    nodes["wf-flaky-0"]["children"] = ["wf-inner"]
    nodes["wf-inner"] = {
        "id": "wf-inner",
        "name": "wf[0].flaky(0)[0].inner",
        "type": "Pod",
        "phase": "Failed",
        "boundaryID": "wf-flaky-0",
        "outputs": {"exitCode": "7"},
    }
    status = WorkflowStatus.from_dict(obj)
    assert superseded_attempts(status) == {"wf-flaky-0", "wf-inner"}
    run = workflow_run_from_status(status, obj, label="retried")
    assert run.exit_code == 0 and "main[0].flaky(0)[0].inner" not in {n.name for n in run.nodes}
    assert len(run.notes) == 1


def test_retry_attempts_keep_definition_order() -> None:
    templates = {
        "main": {"name": "main", "dag": {"tasks": [{"name": "x", "template": "leaf"}, {"name": "y", "template": "s"}]}},
        "s": {"name": "s", "steps": [[{"name": "z", "template": "leaf"}]]},
        "leaf": {"name": "leaf", "container": {"image": "i"}},
    }
    assert definition_order("main.x(0)", "main", templates) == (0, 0, 0)
    assert definition_order("main.x(10)", "main", templates) == (0, 0, 10)
    assert definition_order("main.x(1:a)(2)", "main", templates) == (0, 1, 2)
    assert definition_order("main.x(1:odd)text)(3)", "main", templates) == (0, 1, 3)
    assert definition_order("main.y(1)[0].z(2)", "main", templates) == (1, 0, 1, 0, 0, 0, 2)
    assert definition_order("main.x(0)(1)", "main", templates) is None  # "(0)" is no item, "(1)" no child


@pytest.mark.corpus
def test_retries_in_the_corpus(corpora: Path) -> None:
    run = converted(corpora, "steps-failed-retries.yaml")
    assert [n.name for n in run.nodes] == [
        "failed-retries",
        "failed-retries[0].fail(1)",
        "failed-retries[0].delayed-fail(1)",
    ]
    assert [note.split(":")[0] for note in run.notes] == [
        "failed-retries[0].fail(0)",
        "failed-retries[0].delayed-fail(0)",
    ]
    succeeded = converted(corpora, "dag_retry_succeeded.yaml")
    assert [n.name for n in succeeded.pods] == ["dag-with-retries.step1(2)"]
    assert [n.phase for n in succeeded.pods] == [Phase.SUCCEEDED]


# --- what a small cluster may not satisfy --------------------------------------------------------------------------


def test_fields_a_kind_cluster_may_not_satisfy_are_noted() -> None:
    manifest = legacy_manifest("plain-hello")
    spec = manifest["spec"]
    spec["nodeSelector"] = {"gpu": "true"}
    spec["imagePullSecrets"] = [{"name": "registry"}]
    spec["executor"] = {"serviceAccountName": "argo-executor"}
    spec["templates"][0]["tolerations"] = [{"key": "dedicated", "operator": "Exists"}]
    spec["volumeClaimTemplates"] = [
        {
            "metadata": {"name": "work"},
            "spec": {"accessModes": ["ReadWriteMany"], "storageClassName": "fast-ssd", "resources": {}},
        }
    ]
    plan = plan_run(manifest, namespace="ns")
    name = spec["templates"][0]["name"]
    noted = [note.split(":")[0] for note in plan.notes if "ignored by the local executors" in note]
    assert noted == [
        "spec.nodeSelector",
        "spec.imagePullSecrets",
        f"templates[{name}].tolerations",
        "spec.volumeClaimTemplates[work].spec.storageClassName 'fast-ssd'",
        "spec.volumeClaimTemplates[work].spec.accessModes ['ReadWriteMany']",
    ]
    assert "argo-executor" in plan.service_accounts  # Argo's executor runs with its token
    assert not any(
        "ignored by the local executors" in note
        for note in plan_run(legacy_manifest("plain-hello"), namespace="n").notes
    )


def test_pods_that_cannot_start() -> None:
    unschedulable = {
        "status": {
            "phase": "Pending",
            "conditions": [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.",
                }
            ],
        }
    }
    assert pod_stuck_reason(unschedulable) == (
        "Unschedulable: 0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."
    )
    pulling = {
        "status": {
            "phase": "Pending",
            "initContainerStatuses": [{"name": "init", "state": {"terminated": {"exitCode": 0}}}],
            "containerStatuses": [
                {"name": "wait", "state": {"running": {}}},
                {"name": "main", "state": {"waiting": {"reason": "ErrImagePull", "message": "not found"}}},
            ],
        }
    }
    assert pod_stuck_reason(pulling) == "ErrImagePull (container main): not found"
    creating = {
        "status": {"phase": "Pending", "containerStatuses": [{"state": {"waiting": {"reason": "ContainerCreating"}}}]}
    }
    assert pod_stuck_reason(creating) is None
    assert pod_stuck_reason({"status": {"phase": "Running"}}) is None
    assert pod_stuck_reason({}) is None


def _stuck_pod_controller(fake: FakeKubernetes) -> None:
    """Plays a controller that starts the workflow and makes a pod that can never pull its image."""

    def controller(workflow: dict[str, Any]) -> list[dict[str, Any]]:
        namespace, name = workflow["metadata"]["namespace"], workflow["metadata"]["name"]
        fake.objects[f"/api/v1/namespaces/{namespace}/pods/{name}"] = {
            "metadata": {"name": name, "labels": {"workflows.argoproj.io/workflow": name}},
            "status": {
                "phase": "Pending",
                "containerStatuses": [
                    {
                        "name": "main",
                        "state": {
                            "waiting": {"reason": "ImagePullBackOff", "message": 'Back-off pulling image "private/x"'}
                        },
                    }
                ],
            },
        }
        return [{"phase": "Running", "startedAt": "2024-05-01T10:00:00Z"}]

    fake.controller = controller


def test_a_pod_that_cannot_pull_its_image_ends_the_run_early(fake_kubernetes: tuple[FakeKubernetes, Path]) -> None:
    fake, kubeconfig = fake_kubernetes
    _stuck_pod_controller(fake)
    manifest = legacy_manifest("plain-hello")
    manifest["spec"]["imagePullSecrets"] = [{"name": "registry"}]
    run = cluster(kubeconfig, stuck_pod_grace_s=0.3).run(manifest, label="stuck")  # deadline: 600 s + 300 s
    # Ended by the stuck-pod check, not the deadline (which says "did not finish within"):
    assert run.phase is None and run.error is not None
    assert re.fullmatch(
        r"pod parity-stuck-[0-9a-f]{6}/python-job-local cannot start: ImagePullBackOff \(container main\): "
        r'Back-off pulling image "private/x" '
        r"\(for 0 s; the cluster may lack what the manifest asks for, see the notes\)",
        run.error,
    )
    assert any(note.startswith("spec.imagePullSecrets: ignored by the local executors") for note in run.notes)
    (patch,) = fake.sent("PATCH", rf"{ARGO_API}/namespaces/parity-stuck-.*/workflows/python-job-local")
    assert patch.body == {"spec": {"shutdown": "Terminate"}}
    listed = [r for r in fake.sent("GET", r"/api/v1/namespaces/parity-stuck-.*/pods") if r.query]
    assert listed and listed[0].query == {"labelSelector": "workflows.argoproj.io/workflow=python-job-local"}


def test_a_workflow_the_controller_never_picks_up_ends_the_run_early(
    fake_kubernetes: tuple[FakeKubernetes, Path],
) -> None:
    fake, kubeconfig = fake_kubernetes
    fake.watch = "silent"
    run = cluster(kubeconfig, controller_grace_s=0.3).run(legacy_manifest("plain-hello"), label="idle")
    # Ended by the controller check, not the deadline (which says "did not finish within"):
    assert run.phase is None and run.error is not None
    assert re.fullmatch(
        r"workflow parity-idle-[0-9a-f]{6}/python-job-local has no status 0 s after it was submitted: "
        r"Argo's controller never picked it up: is the workflow-controller running\?",
        run.error,
    )
    assert fake.sent("PATCH", rf"{ARGO_API}/namespaces/parity-idle-.*/workflows/python-job-local")


# --- smaller things ------------------------------------------------------------------------------------------------


def test_container_sets_are_not_run() -> None:
    manifest = legacy_manifest("plain-hello")
    manifest["spec"]["templates"].append(
        {"name": "set", "containerSet": {"containers": [{"name": "a", "image": IMAGE}, {"name": "b", "image": IMAGE}]}}
    )
    assert inspect_for_cluster(manifest) == (
        "containerSet template 'set': its containers' logs are not read (the executor reads each pod's container main)",
    )


def test_secret_values_stay_out_of_a_plans_repr() -> None:
    plan = plan_run(
        legacy_manifest("env-from-secret"), namespace="ns", secrets={"api-credentials/token": "s3cr3t-value"}
    )
    assert plan.secrets == {"api-credentials": {"token": "s3cr3t-value"}}
    assert "s3cr3t-value" not in repr(plan)
    assert "api-credentials/token" in repr(plan)  # the reference is fine


def test_a_kept_namespace_says_it_holds_the_secrets(
    fake_kubernetes: tuple[FakeKubernetes, Path], tmp_path: Path
) -> None:
    fake, kubeconfig = fake_kubernetes
    FakeArgo(fake, tmp_path, lambda workflow, argo: (0, "ok\n"))
    run = cluster(kubeconfig, keep_namespace=True).run(legacy_manifest("env-from-secret"), label="kept")
    assert re.fullmatch(
        r"namespace parity-kept-[0-9a-f]{6} kept \(keep_namespace\), with its Secrets \(api-credentials\) "
        r"holding the values used: delete it",
        run.notes[-1],
    )


def test_a_listing_that_does_not_fit_the_volumes_is_a_value_error() -> None:
    volume = PersistentVolume("v", "persistentVolumeClaim/v", "v", "/mnt/v")
    entry = {"root": 0, "path": "a", "kind": "file", "size": 1, "sha256": "x", "head": "YQ=="}
    listing = "ARGO-PARITY-FILES " + json.dumps({"files": [entry], "truncated": False})
    assert [f.path for f in files_from_listing(listing, [volume])[0]] == ["/mnt/v/a"]
    broken = [
        {**entry, "root": 1},  # no such volume
        {**entry, "root": -1},
        {k: v for k, v in entry.items() if k != "path"},
        {k: v for k, v in entry.items() if k != "sha256"},
        {**entry, "size": "big"},
        {**entry, "head": "not base64!"},
        "not an entry",
    ]
    for bad in broken:
        with pytest.raises(ValueError, match="not valid"):
            files_from_listing("ARGO-PARITY-FILES " + json.dumps({"files": [bad], "truncated": False}), [volume])


# --- make cluster-up, where kind and k3d are absent -------------------------------------------------------------


def _script(
    tmp_path: Path, tools: dict[str, str], extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool, body in tools.items():
        path = bin_dir / tool
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    env = {"PATH": str(bin_dir), "PARITY_PYTHON": sys.executable, "HOME": str(tmp_path), **(extra_env or {})}
    return subprocess.run(
        ["/bin/bash", str(ROOT / "scripts" / "cluster.sh"), "up"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_cluster_up_without_kind_or_k3d_exits_2_in_one_line(tmp_path: Path) -> None:
    done = _script(tmp_path, {})
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "cluster-up: neither kind nor k3d is installed (https://kind.sigs.k8s.io or https://k3d.io); "
        "kubectl is not installed (https://kubernetes.io/docs/tasks/tools/)"
    ]


def test_cluster_up_names_the_one_thing_missing(tmp_path: Path) -> None:
    # Stand-ins that fail loudly if run: the checks must stop everything before any command.
    refuse = "echo called >&2; exit 99"
    no_kubectl = _script(tmp_path, {"kind": refuse, "docker": refuse})
    assert (no_kubectl.returncode, no_kubectl.stderr) == (
        2,
        "cluster-up: kubectl is not installed (https://kubernetes.io/docs/tasks/tools/)\n",
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    offline = _script(
        tmp_path,
        {"kind": refuse, "docker": refuse, "kubectl": refuse},
        {"PARITY_REGISTRY_PROBES": f"http://127.0.0.1:{closed}/v2/"},
    )
    assert offline.returncode == 2 and "called" not in offline.stderr
    assert offline.stderr.startswith(f"cluster-up: no registry access: registry at http://127.0.0.1:{closed}/v2/: ")
    assert len(offline.stderr.splitlines()) == 1


def test_cluster_up_with_an_old_python_says_so_in_one_line(tmp_path: Path) -> None:
    # harness/argo needs 3.11 (datetime.UTC, StrEnum): an older python3 must not end in a traceback.
    old = tmp_path / "python3.9"
    old.write_text('#!/bin/sh\n[ "$1" = -c ] && echo 3.9 && exit 0\necho "ran the provisioner" >&2; exit 1\n')
    old.chmod(0o755)
    done = _script(tmp_path, {}, {"PARITY_PYTHON": str(old)})
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        f"cluster.sh: {old} is Python 3.9; harness/argo/provision.py needs 3.11 or newer (set PARITY_PYTHON)"
    ]
    broken = tmp_path / "not-python"
    broken.write_text("#!/bin/sh\nexit 1\n")
    broken.chmod(0o755)
    refused = _script(tmp_path, {}, {"PARITY_PYTHON": str(broken)})
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        f"cluster.sh: {broken} cannot be run as Python (set PARITY_PYTHON to a Python 3.11 or newer)"
    ]
    # A new enough one gets through to the provisioner (which then finds no kind or k3d).
    assert _script(tmp_path, {}).stderr.startswith("cluster-up: neither kind nor k3d is installed")


# --- on a real cluster with Argo Workflows -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def live_cluster() -> ClusterExecutor:
    executor = ClusterExecutor(default_deadline_s=300)
    reason = executor.unavailable_reason()
    if reason:
        pytest.skip(f"{NO_CLUSTER} [{reason}]")
    return executor


@pytest.mark.slow  # minutes: real pods, image pulls, pip installs
@pytest.mark.parametrize("name", EXECUTED)
def test_builtin_scenario_executes_equally_on_the_cluster(live_cluster: ClusterExecutor, name: str) -> None:
    outcome = execute_builtin(live_cluster, SCENARIOS[name])
    assert outcome.legacy is not None and outcome.legacy.executor == "cluster"


@pytest.mark.slow
def test_a_new_claim_per_run_loses_the_results_on_the_cluster(live_cluster: ClusterExecutor) -> None:
    scenario = SCENARIOS["volumes-default-results"]
    outcome = execute_pair(
        live_cluster,
        legacy_manifest=legacy.build(scenario.inputs.for_builder()),
        new_manifest=planted_execution.provisions_new_claim(scenario.inputs.for_builder()),
        expectation=scenario.expect.execution,
        scenario=scenario.name,
        calibrate_noise=False,
    )
    assert outcome.status is ExecutionStatus.DIFFERENT, outcome.to_dict()
    assert 'execution.files["/mnt/results/out.txt"]' in {d.path for d in outcome.semantic_differences}


# --- --cluster testcontainers: a throwaway k3s cluster ---------------------------------------------------------


def test_the_throwaway_cluster_names_everything_it_lacks_in_one_line() -> None:
    problem = testcluster.missing(
        probe=lambda url: "Name or service not known" if "docker" in url or "quay" in url else None,
        docker_problem=lambda: "no Docker engine answers (connection refused)",
        package_problem=lambda: None,
        environ={},
    )
    assert problem == (
        "no Docker engine answers (connection refused); no registry access: "
        f"Docker Hub ({testcluster.K3S_IMAGE}, testcontainers/ryuk, python:3.11-slim) at "
        "https://registry-1.docker.io/v2/: Name or service not known; "
        "quay.io (Argo's controller and executor images) at https://quay.io/v2/: Name or service not known"
    )
    mirror = testcluster.missing(
        probe=lambda url: None,
        docker_problem=lambda: None,
        package_problem=lambda: None,
        environ={"PARITY_REGISTRY_PROBES": "https://mirror.example/v2/"},
    )
    assert mirror is None
    probed: list[str] = []

    def probe(url: str) -> str | None:
        probed.append(url)
        return None

    testcluster.missing(
        probe=probe,
        docker_problem=lambda: None,
        package_problem=lambda: None,
        environ={"PARITY_REGISTRY_PROBES": "https://mirror.example/v2/"},
    )
    assert probed == ["https://mirror.example/v2/"]


def test_the_throwaway_cluster_pins_what_it_installs() -> None:
    cluster = testcluster.ThrowawayCluster()
    assert cluster.image == "rancher/k3s:v1.31.0-k3s1"
    assert cluster.argo_version == provision.ARGO_RELEASE  # the release make cluster-up installs
    assert [url for _, url in testcluster.default_probes()][-1] == provision.install_manifest_url()


def test_the_cluster_choice_is_the_executors_argument_and_no_environment_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(testcluster.CLUSTER_ENV, raising=False)
    assert ClusterExecutor().cluster_choice() == "kubeconfig"
    assert ClusterExecutor(cluster="testcontainers").cluster_choice() == "testcontainers"
    # The variable is read by the front doors' configuration only, never behind the caller's back.
    monkeypatch.setenv(testcluster.CLUSTER_ENV, "testcontainers")
    assert ClusterExecutor().cluster_choice() == "kubeconfig"
    unknown = ClusterExecutor(cluster="minikube").target()
    assert unknown.kind is FailureKind.INVALID
    assert unknown.error == "unknown cluster 'minikube'; choose from kubeconfig, testcontainers"


def test_the_runs_cluster_choice_reaches_the_executor_in_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.engine import ParitySession
    from harness.project_config import load_project_config, resolve_run

    monkeypatch.delenv(testcluster.CLUSTER_ENV, raising=False)
    (tmp_path / ".git").mkdir()
    (tmp_path / "cases").mkdir()
    (tmp_path / "parity.toml").write_text('scenarios = "cases"\nexecute = "cluster"\ncluster = "testcontainers"\n')
    before = dict(os.environ)
    config = resolve_run(load_project_config(tmp_path), {}).config
    with ParitySession(config) as session:
        assert isinstance(session.executor, ClusterExecutor)
        assert session.executor.cluster_choice() == "testcontainers"
    with ParitySession(resolve_run(load_project_config(tmp_path), {"cluster": "kubeconfig"}).config) as session:
        assert isinstance(session.executor, ClusterExecutor)
        assert session.executor.cluster_choice() == "kubeconfig"
    assert dict(os.environ) == before  # nothing went through the environment


def test_without_what_it_needs_the_throwaway_cluster_is_unavailable_and_nothing_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(testcluster, "missing", lambda: "no registry access: Docker Hub at https://x/v2/: refused")
    monkeypatch.setattr(testcluster._Shared, "checked", False)  # probed afresh, then once only
    monkeypatch.setattr(testcluster._Shared, "missing", None)
    executor = ClusterExecutor(cluster="testcontainers")
    assert executor.unavailable_reason() == (
        "no throwaway cluster (--cluster testcontainers): no registry access: Docker Hub at https://x/v2/: refused"
    )
    monkeypatch.setattr(testcluster, "missing", lambda: "changed")
    assert executor.unavailable_reason() == (  # not probed again in this process
        "no throwaway cluster (--cluster testcontainers): no registry access: Docker Hub at https://x/v2/: refused"
    )
    monkeypatch.setattr(testcluster, "missing", lambda: "no registry access: Docker Hub at https://x/v2/: refused")
    failed = testcluster.ThrowawayCluster().start()  # checks before it pulls anything
    assert failed.kind is FailureKind.UNAVAILABLE
    assert failed.error == "no throwaway cluster: no registry access: Docker Hub at https://x/v2/: refused"


@pytest.fixture(scope="module")
def throwaway_cluster() -> ClusterExecutor:
    # Probed, never assumed: the registries, a Docker engine, the packages. No CI machine of this
    # project reaches a registry either, so this skips under CI=true too, saying the same.
    problem = testcluster.missing()
    if problem:
        ci = " (CI=true: CI machines reach no registry either)" if os.environ.get("CI") == "true" else ""
        pytest.skip(f"no throwaway k3s cluster from testcontainers{ci}: {problem}")
    executor = ClusterExecutor(cluster="testcontainers", default_deadline_s=300)
    reason = executor.unavailable_reason()
    if reason:
        pytest.fail(f"every prerequisite answered, yet the throwaway cluster did not start: {reason}")
    return executor


@pytest.mark.slow  # minutes: a k3s container, Argo's images, real pods
def test_a_builtin_scenario_executes_equally_on_a_throwaway_cluster(throwaway_cluster: ClusterExecutor) -> None:
    outcome = execute_builtin(throwaway_cluster, SCENARIOS["plain-hello"])
    assert outcome.legacy is not None and outcome.legacy.executor == "cluster"
    assert outcome.legacy.phase is Phase.SUCCEEDED, outcome.to_dict()
