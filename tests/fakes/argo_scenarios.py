"""Every ``ArgoService`` operation as a scenario that runs the same way through each backend.

A scenario sets up the HTTP stand-in (tests/fakes/kubernetes_api.py), runs one operation and
checks the result and what was sent. tests/test_argo_operations.py runs each scenario three ways:
the kubernetes client against the stand-in, the real kubectl against the stand-in (when kubectl is
installed), and kubectl *replayed* from tests/fixtures/kubectl/<scenario>.json (what a real kubectl
printed for exactly these commands: tests/fixtures/kubectl/record.py made them). The checks hold
for every way, so both backends are held to one behaviour.

``Sent`` is what the service sent, however it was sent: merge patches and created objects read
from the stand-in's request log, or from the replayed commands (``-p`` and the ``-f`` file).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.argo import (
    ArgoService,
    CommandExecutor,
    FailureKind,
    SubprocessCommandExecutor,
    WorkflowResult,
    WorkflowStatus,
)
from tests.fakes.clock import FakeClock
from tests.fakes.kubectl_replay import ReplayExecutor, load_recording, patch_of
from tests.fakes.kubernetes_api import ARGO_API, FakeKubernetes, closed_port, kubeconfig_for, running_fake

NAMESPACE = "team"
WORKFLOWS = f"{ARGO_API}/namespaces/{NAMESPACE}/workflows"


@dataclass
class Sent:
    patches: list[Any] = field(default_factory=list)
    created: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class Scenario:
    name: str
    setup: Callable[[FakeKubernetes], None]
    run: Callable[[ArgoService], WorkflowResult[Any]]
    check: Callable[[WorkflowResult[Any], Sent], None]
    backends: tuple[str, ...] = ("client", "kubectl")
    unreachable: bool = False  # the kubeconfig points at a port where nothing listens
    slow_s: float = 0.0  # the stand-in answers reads this late; the service's timeout is 1 s
    waits: bool = False  # the operation waits: it runs on a FakeClock


# --- objects in the stand-in ----------------------------------------------------------------------


def workflow(
    name: str, status: dict[str, Any] | None = None, labels: dict[str, str] | None = None, **spec: Any
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": name, "namespace": NAMESPACE, "resourceVersion": "7", "labels": labels or {}},
        "spec": {"workflowTemplateRef": {"name": "migrate"}, **spec},
    }
    if status is not None:
        obj["status"] = status
    return obj


# A workflow stopped at an approval step, as Argo's controller leaves it: the steps node and the
# suspend node Running (the shape of Argo's own test object suspendWfWithMetrics, in the corpus).
AWAITING_APPROVAL: dict[str, Any] = {
    "phase": "Running",
    "startedAt": "2024-05-01T10:00:00Z",
    "nodes": {
        "migrate-ab12c": {
            "id": "migrate-ab12c",
            "name": "migrate-ab12c",
            "displayName": "migrate-ab12c",
            "type": "Steps",
            "phase": "Running",
            "templateName": "main",
            "children": ["migrate-ab12c-1"],
        },
        "migrate-ab12c-1": {
            "id": "migrate-ab12c-1",
            "name": "migrate-ab12c[0].approve",
            "displayName": "approve",
            "type": "Suspend",
            "phase": "Running",
            "templateName": "approve",
            "outputs": {
                "parameters": [{"name": "go", "valueFrom": {"supplied": {}, "default": "yes"}}],
            },
        },
    },
}
SUCCEEDED: dict[str, Any] = {
    "phase": "Succeeded",
    "startedAt": "2024-05-01T10:00:00Z",
    "finishedAt": "2024-05-01T10:00:07Z",
    "nodes": {
        "done-9x": {
            "id": "done-9x",
            "name": "done-9x",
            "displayName": "done-9x",
            "type": "Pod",
            "phase": "Succeeded",
            "templateName": "main",
            "outputs": {"exitCode": "0"},
        }
    },
}


def _put(fake: FakeKubernetes, *objects: dict[str, Any]) -> None:
    fake.objects[f"/api/v1/namespaces/{NAMESPACE}"] = {"metadata": {"name": NAMESPACE}}
    for obj in objects:
        fake.objects[f"{WORKFLOWS}/{obj['metadata']['name']}"] = copy.deepcopy(obj)


def _namespace_only(fake: FakeKubernetes) -> None:
    _put(fake)


# --- checks -----------------------------------------------------------------------------------------


def _failed(kind: FailureKind, starts: str, *contains: str) -> Callable[[WorkflowResult[Any], Sent], None]:
    def check(result: WorkflowResult[Any], sent: Sent) -> None:
        assert not result.success and result.data is None, result
        assert result.kind is kind, result
        assert (result.error or "").startswith(starts), result.error
        for text in contains:
            assert text in (result.error or ""), result.error
        assert sent.patches == [], "a failed read must not be followed by a write"

    return check


def _check_start(result: WorkflowResult[Any], sent: Sent) -> None:
    assert result.success and result.data == "migrate-x7k2p", result  # the stand-in's generated suffix
    (body,) = sent.created
    assert body["metadata"] == {"generateName": "migrate-", "namespace": NAMESPACE, "labels": {"rollout": "r1"}}
    assert body["spec"] == {
        "workflowTemplateRef": {"name": "migrate"},
        "entrypoint": "main",
        "arguments": {
            "parameters": [
                {"name": "index", "value": "logs-2024"},
                {"name": "dry_run", "value": "true"},
                {"name": "batch", "value": "500"},
            ]
        },
    }


def _check_status(result: WorkflowResult[Any], sent: Sent) -> None:
    status = result.data
    assert result.success and isinstance(status, WorkflowStatus), result
    assert (status.name, status.phase, status.has_suspended_nodes) == ("migrate-ab12c", "Running", True)
    assert [node.display_name for node in status.suspended_nodes()] == ["approve"]
    assert status.start_time is not None and status.start_time.year == 2024 and status.end_time is None
    assert status.raw_data["metadata"]["name"] == "migrate-ab12c"


def _check_list(result: WorkflowResult[Any], sent: Sent) -> None:
    assert result.success, result
    assert [(status.name, status.has_suspended_nodes) for status in result.data] == [("migrate-ab12c", True)]


def _check_suspend(result: WorkflowResult[Any], sent: Sent) -> None:
    assert result.success, result
    assert sent.patches == [{"spec": {"suspend": True}}]
    assert result.data.raw_data["spec"]["suspend"] is True


def _check_resume(result: WorkflowResult[Any], sent: Sent) -> None:
    assert result.success, result
    (patch,) = sent.patches[-1:]
    change = patch["status"]["nodes"]["migrate-ab12c-1"]
    # As argo resume: spec.suspend cleared, the suspend node Succeeded now, its supplied output
    # parameter given its default, the resumer in the message; the version read guards the write.
    assert patch["spec"] == {"suspend": None}
    assert patch["metadata"] == {"resourceVersion": "7"}
    assert (change["phase"], change["message"]) == ("Succeeded", "Resumed by: argo-parity")
    assert change["finishedAt"].endswith("Z") and len(change["finishedAt"]) == 20
    assert change["outputs"] == {"parameters": [{"name": "go", "value": "yes"}]}
    status = result.data
    assert not status.has_suspended_nodes and "suspend" not in status.raw_data["spec"]
    assert status.nodes["migrate-ab12c-1"].phase == "Succeeded"
    assert status.nodes["migrate-ab12c"].phase == "Running"  # the controller moves on from here


def _check_resume_after_conflict(result: WorkflowResult[Any], sent: Sent) -> None:
    _check_resume(result, sent)
    assert len(sent.patches) == 2  # the first write met the controller's: read again, written again


def _check_shutdown(strategy: str) -> Callable[[WorkflowResult[Any], Sent], None]:
    def check(result: WorkflowResult[Any], sent: Sent) -> None:
        assert result.success, result
        assert sent.patches == [{"spec": {"shutdown": strategy}}]
        assert result.data.raw_data["spec"]["shutdown"] == strategy

    return check


def _check_deleted(result: WorkflowResult[Any], sent: Sent) -> None:
    assert result.success and result.data is None, result


def _check_waited(result: WorkflowResult[Any], sent: Sent) -> None:
    assert result.success, result
    assert (result.data.phase, result.data.is_finished, result.data.duration_s) == ("Succeeded", True, 7.0)


def _check_logs(result: WorkflowResult[Any], sent: Sent) -> None:
    assert result.success, result
    assert result.data == "done-9x: copied 3 indices\ndone-9x: done\n"


def _check_invalid(result: WorkflowResult[Any], sent: Sent) -> None:
    assert not result.success and result.kind is FailureKind.INVALID, result
    assert (result.error or "").startswith("Failed to start workflow: "), result.error
    assert "spec.entrypoint: Required value" in (result.error or "")


def _delayed_status(fake: FakeKubernetes) -> None:
    _put(fake, workflow("migrate-ab12c"))
    fake.workflow_statuses[(NAMESPACE, "migrate-ab12c")] = [{"phase": "Running"}, dict(SUCCEEDED)]
    fake.watch = "polling"  # each read (or watch) moves the controller one step


def _with_pod_log(fake: FakeKubernetes) -> None:
    _put(fake, workflow("done-9x", SUCCEEDED))
    fake.objects[f"/api/v1/namespaces/{NAMESPACE}/pods/done-9x"] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "done-9x", "namespace": NAMESPACE},
        "spec": {"containers": [{"name": "main", "image": "alpine"}, {"name": "wait", "image": "argoexec"}]},
        "status": {"phase": "Succeeded"},
    }
    fake.logs[(NAMESPACE, "done-9x", "main")] = "copied 3 indices\ndone\n"


def _forbidden(fake: FakeKubernetes) -> None:
    _put(fake)
    fake.failures[("GET", rf"{WORKFLOWS}/migrate-ab12c")] = (
        403,
        'workflows.argoproj.io "migrate-ab12c" is forbidden: User "system:serviceaccount:team:dev" cannot get '
        'resource "workflows" in API group "argoproj.io" in the namespace "team"',
    )


def _conflict_once(fake: FakeKubernetes) -> None:
    _put(fake, workflow("migrate-ab12c", AWAITING_APPROVAL, suspend=True))
    fake.failures_once.append(
        (
            "PATCH",
            rf"{WORKFLOWS}/migrate-ab12c",
            409,
            'Operation cannot be fulfilled on workflows.argoproj.io "migrate-ab12c": the object has been modified; '
            "please apply your changes to the latest version and try again",
        )
    )


def _refuse_create(fake: FakeKubernetes) -> None:
    _put(fake)
    fake.failures[("POST", WORKFLOWS)] = (
        422,
        'Workflow.argoproj.io "migrate-x7k2p" is invalid: spec.entrypoint: Required value',
    )


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "start_workflow",
        _namespace_only,
        lambda argo: argo.start_workflow(
            "migrate",
            {"index": "logs-2024", "dry_run": True, "batch": 500},
            {"entrypoint": "main", "labels": {"rollout": "r1"}},
        ),
        _check_start,
    ),
    Scenario(
        "start_workflow_invalid",
        _refuse_create,
        lambda argo: argo.start_workflow("migrate"),
        _check_invalid,
    ),
    Scenario(
        "get_workflow_status",
        lambda fake: _put(fake, workflow("migrate-ab12c", AWAITING_APPROVAL, suspend=True)),
        lambda argo: argo.get_workflow_status("migrate-ab12c"),
        _check_status,
    ),
    Scenario(
        "get_workflow_status_not_found",
        _namespace_only,
        lambda argo: argo.get_workflow_status("nope"),
        _failed(
            FailureKind.NOT_FOUND,
            "Failed to get workflow status of team/nope: ",
            'workflows.argoproj.io "nope" not found',
        ),
    ),
    Scenario(
        "get_workflow_status_forbidden",
        _forbidden,
        lambda argo: argo.get_workflow_status("migrate-ab12c"),
        _failed(FailureKind.FORBIDDEN, "Failed to get workflow status of team/migrate-ab12c: ", "is forbidden"),
    ),
    Scenario(
        "get_workflow_status_unreachable",
        _namespace_only,
        lambda argo: argo.get_workflow_status("migrate-ab12c"),
        _failed(FailureKind.UNAVAILABLE, "Failed to get workflow status of team/migrate-ab12c: ", "refused"),
        unreachable=True,
    ),
    Scenario(
        "get_workflow_status_timeout",
        lambda fake: _put(fake, workflow("migrate-ab12c", SUCCEEDED)),
        lambda argo: argo.get_workflow_status("migrate-ab12c"),
        _failed(FailureKind.TIMEOUT, "Failed to get workflow status of team/migrate-ab12c: "),
        slow_s=3.0,
    ),
    Scenario(
        "list_workflows",
        lambda fake: _put(
            fake,
            workflow("migrate-ab12c", AWAITING_APPROVAL, {"rollout": "r1"}),
            workflow("other-1", SUCCEEDED, {"rollout": "r2"}),
        ),
        lambda argo: argo.list_workflows("rollout=r1"),
        _check_list,
    ),
    Scenario(
        "suspend_workflow",
        lambda fake: _put(fake, workflow("migrate-ab12c", {"phase": "Running"})),
        lambda argo: argo.suspend_workflow("migrate-ab12c"),
        _check_suspend,
    ),
    Scenario(
        "resume_workflow",
        lambda fake: _put(fake, workflow("migrate-ab12c", AWAITING_APPROVAL, suspend=True)),
        lambda argo: argo.resume_workflow("migrate-ab12c"),
        _check_resume,
    ),
    Scenario(
        "resume_workflow_conflict",
        _conflict_once,
        lambda argo: argo.resume_workflow("migrate-ab12c"),
        _check_resume_after_conflict,
    ),
    Scenario(
        "stop_workflow",
        lambda fake: _put(fake, workflow("migrate-ab12c", {"phase": "Running"})),
        lambda argo: argo.stop_workflow("migrate-ab12c"),
        _check_shutdown("Stop"),
    ),
    Scenario(
        "terminate_workflow",
        lambda fake: _put(fake, workflow("migrate-ab12c", {"phase": "Running"})),
        lambda argo: argo.terminate_workflow("migrate-ab12c"),
        _check_shutdown("Terminate"),
    ),
    Scenario(
        "terminate_finished_workflow",
        lambda fake: _put(fake, workflow("done-9x", SUCCEEDED)),
        lambda argo: argo.terminate_workflow("done-9x"),
        _failed(
            FailureKind.CONFLICT, "Failed to terminate workflow team/done-9x: cannot shutdown a completed workflow"
        ),
    ),
    Scenario(
        "delete_workflow",
        lambda fake: _put(fake, workflow("done-9x", SUCCEEDED)),
        lambda argo: argo.delete_workflow("done-9x"),
        _check_deleted,
    ),
    Scenario(
        "delete_workflow_not_found",
        _namespace_only,
        lambda argo: argo.delete_workflow("nope"),
        _failed(FailureKind.NOT_FOUND, "Failed to delete workflow team/nope: ", '"nope" not found'),
    ),
    Scenario(
        "wait_for_completion",
        _delayed_status,
        lambda argo: argo.wait_for_completion("migrate-ab12c", timeout=60),
        _check_waited,
        waits=True,
    ),
    Scenario(
        "get_workflow_logs",
        _with_pod_log,
        lambda argo: argo.get_workflow_logs("done-9x"),
        _check_logs,
    ),
)


# --- running a scenario -------------------------------------------------------------------------------


def run_on_stand_in(
    scenario: Scenario,
    directory: Path,
    backend: str,
    *,
    executor: CommandExecutor | None = None,
    clock: FakeClock | None = None,
) -> tuple[WorkflowResult[Any], Sent]:
    """Run ``scenario`` against a fresh stand-in, through the kubernetes client or kubectl (the
    real one, unless ``executor`` wraps it)."""
    with running_fake(directory) as (fake, reaching_it):
        scenario.setup(fake)
        kubeconfig = reaching_it
        if scenario.unreachable:
            kubeconfig = kubeconfig_for(directory / "unreachable", f"http://127.0.0.1:{closed_port()}")
        if scenario.slow_s:
            fake.delays[("GET", rf"{WORKFLOWS}/.*")] = scenario.slow_s
        timeout = 1.0 if scenario.slow_s else 30.0
        if backend == "client":
            service = ArgoService(
                NAMESPACE, kubeconfig=str(kubeconfig), request_timeout_s=timeout, poll_interval_s=0.01, clock=clock
            )
        else:
            service = ArgoService(
                NAMESPACE,
                executor or kubectl_executor(directory, timeout),
                kubeconfig=str(kubeconfig),
                poll_interval_s=0.01,
                clock=clock,
            )
        with service:
            result = scenario.run(service)
        sent = Sent(
            patches=[request.body for request in fake.sent("PATCH", rf"{WORKFLOWS}/.*")],
            created=fake.created(WORKFLOWS),
        )
    return result, sent


def kubectl_executor(directory: Path, timeout_s: float) -> SubprocessCommandExecutor:
    """The real kubectl, its discovery cache in ``directory`` rather than ~/.kube/cache."""
    return SubprocessCommandExecutor(
        env={**os.environ, "KUBECACHEDIR": str(directory / "kube-cache")}, timeout_s=timeout_s
    )


def run_replayed(scenario: Scenario, clock: FakeClock | None = None) -> tuple[WorkflowResult[Any], Sent]:
    """Run ``scenario`` through kubectl replayed from its recording; every exchange must be used."""
    replay = ReplayExecutor(load_recording(scenario.name))
    service = ArgoService(NAMESPACE, replay, poll_interval_s=0.01, clock=clock)
    result = scenario.run(service)
    assert replay.pending == [], f"recorded kubectl commands never run: {[e.command for e in replay.pending]}"
    patches = [patch_of(command) for command in replay.commands if "patch" in command]
    return result, Sent(patches=patches, created=replay.files)
