"""ArgoService, WorkflowResult, CommandExecutor and the cluster set-up, without a cluster.

The service talks to ``FakeKubernetes``: a small HTTP server in this process that answers the
Kubernetes API paths the service uses, with real JSON, real error ``Status`` objects and a real
watch stream, so the kubernetes client, its exceptions and the service's handling of them all run
for real. It stores what it is sent and plays Argo's controller from a script the test gives it;
it is not Kubernetes and proves nothing about Argo itself (no test here claims so).
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.argo import (
    ArgoError,
    ArgoService,
    CommandOutput,
    FailureKind,
    ProgramRunner,
    SubprocessCommandExecutor,
    WorkflowResult,
    WorkflowStatus,
    provision,
    rbac,
)
from harness.argo import service as service_module
from harness.argo.commands import finished
from harness.argo.result import classify_failure as classify
from harness.argo.service import KUBERNETES_PACKAGE_HINT as PACKAGE_HINT
from harness.argo.service import kubeconfig_contexts
from tests.execution_support import processes_with
from tests.fakes.clock import FakeClock
from tests.fakes.kubernetes_api import (
    ARGO_API,
    FakeApiHandler,
    FakeApiServer,
    FakeKubernetes,
    Response,
    closed_port,
    kubeconfig_for,
    kubeconfig_with,
    running_fake,
)


@pytest.fixture
def fake_kubernetes(tmp_path: Path) -> Iterator[tuple[FakeKubernetes, Path]]:
    with running_fake(tmp_path) as running:
        yield running


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The service's waits and deadlines on a fake clock: its pauses are seen, never waited for."""
    fake = FakeClock()
    monkeypatch.setattr(service_module, "time", fake)
    return fake


def service_for(kubeconfig: Path, namespace: str = "team") -> ArgoService:
    return ArgoService(namespace, kubeconfig=str(kubeconfig), request_timeout_s=10, poll_interval_s=0.01)


def final_status(name: str, phase: str = "Succeeded") -> dict[str, Any]:
    return {
        "phase": phase,
        "startedAt": "2024-05-01T10:00:00Z",
        "finishedAt": "2024-05-01T10:00:07Z",
        "nodes": {
            name: {
                "id": name,
                "name": name,
                "displayName": name,
                "type": "Pod",
                "phase": phase,
                "templateName": "main",
                "outputs": {"exitCode": "0" if phase == "Succeeded" else "3"},
            }
        },
    }


WORKFLOW: dict[str, Any] = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Workflow",
    "metadata": {"generateName": "job-", "namespace": "somewhere-else"},
    "spec": {
        "entrypoint": "main",
        "templates": [{"name": "main", "container": {"image": "alpine", "command": ["true"]}}],
    },
}


# --- WorkflowResult ------------------------------------------------------------------------------------


def test_a_result_is_either_a_value_or_a_failure() -> None:
    ok = WorkflowResult.success_result(3)
    assert ok.success and ok.unwrap() == 3 and ok.map(lambda v: v * 2).unwrap() == 6 and str(ok) == "ok: 3"
    failed: WorkflowResult[int] = WorkflowResult.error_result("no", FailureKind.FORBIDDEN, status=403)
    assert not failed.success and failed.data_or(7) == 7 and failed.data is None
    mapped = failed.map(lambda v: v * 2)
    assert (mapped.kind, mapped.error, mapped.status) == (FailureKind.FORBIDDEN, "no", 403)
    with pytest.raises(ArgoError, match="no") as raised:
        failed.unwrap()
    assert raised.value.kind is FailureKind.FORBIDDEN and raised.value.status == 403
    with pytest.raises(ValueError, match="needs an error"):
        WorkflowResult(success=False, kind=FailureKind.TIMEOUT)
    with pytest.raises(ValueError, match="has no error"):
        WorkflowResult(success=True, data=1, error="why")
    assert WorkflowResult.success_result(None).success  # a deletion returns nothing and succeeded
    # The plan's error_result names no kind: it is an API error then.
    assert WorkflowResult.error_result("boom").kind is FailureKind.API_ERROR


# --- exceptions -> failure kinds -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, FailureKind.INVALID),
        (401, FailureKind.FORBIDDEN),
        (403, FailureKind.FORBIDDEN),
        (404, FailureKind.NOT_FOUND),
        (409, FailureKind.CONFLICT),
        (422, FailureKind.INVALID),
        (429, FailureKind.UNAVAILABLE),
        (500, FailureKind.API_ERROR),
        (503, FailureKind.UNAVAILABLE),
        (504, FailureKind.TIMEOUT),
    ],
)
def test_api_exceptions_map_to_kinds(status: int, kind: FailureKind) -> None:
    from kubernetes.client.exceptions import ApiException

    body = json.dumps({"kind": "Status", "message": f'workflows.argoproj.io "wf" says {status}', "code": status})
    exc = ApiException(status=status, reason="Reason", body=body)
    result = WorkflowResult.from_exception(exc, "reading workflow wf")
    assert (result.kind, result.status) == (kind, status)
    assert result.error == f'reading workflow wf: workflows.argoproj.io "wf" says {status} (HTTP {status})'


def test_an_api_exception_without_a_status_body_uses_the_reason() -> None:
    from kubernetes.client.exceptions import ApiException

    assert classify(ApiException(status=502, reason="Bad Gateway", body="<html>proxy</html>")) == (
        FailureKind.UNAVAILABLE,
        "<html>proxy</html> (HTTP 502)",
        502,
    )
    assert classify(ApiException(status=418, reason="I'm a teapot")) == (
        FailureKind.API_ERROR,
        "I'm a teapot (HTTP 418)",
        418,
    )


def test_connection_and_config_errors_map_to_kinds() -> None:
    import urllib3
    from kubernetes.config import ConfigException

    closed = closed_port()
    try:
        urllib3.PoolManager(retries=False).request("GET", f"http://127.0.0.1:{closed}/")
    except Exception as exc:
        kind, reason, status = classify(exc)
    assert (kind, status) == (FailureKind.UNAVAILABLE, None)
    assert "Connection refused" in reason
    read_timeout = urllib3.exceptions.ReadTimeoutError(None, "/", "Read timed out.")  # type: ignore[arg-type]
    assert classify(read_timeout)[0] is FailureKind.TIMEOUT
    assert classify(ConfigException("Invalid kube-config file. No configuration found."))[0] is FailureKind.UNAVAILABLE
    assert classify(RuntimeError("boom")) == (FailureKind.API_ERROR, "RuntimeError: boom", None)


# --- no configuration, no cluster -----------------------------------------------------------------------


def test_an_empty_kubeconfig_is_unavailable_with_the_way_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "kubeconfig"
    empty.write_text("")
    monkeypatch.setenv("KUBECONFIG", str(empty))
    result = ArgoService("argo").available()
    assert result.kind is FailureKind.UNAVAILABLE
    assert result.error == (
        f"no Kubernetes configuration: {empty} is empty; run `make cluster-up` (kind or k3d), "
        "or point KUBECONFIG at a cluster with Argo Workflows"
    )
    # Every other operation fails the same way, without raising, saying what it was doing.
    submitted = ArgoService("argo").submit(WORKFLOW)
    assert (submitted.kind, submitted.error) == (result.kind, f"submitting workflow job-* to argo: {result.error}")


def test_a_missing_or_unusable_kubeconfig(tmp_path: Path) -> None:
    missing = ArgoService(kubeconfig=str(tmp_path / "nope")).available()
    assert missing.kind is FailureKind.UNAVAILABLE and f"{tmp_path / 'nope'} does not exist" in (missing.error or "")
    broken = tmp_path / "broken"
    broken.write_text("apiVersion: v1\nkind: Config\nclusters: []\n")
    unusable = ArgoService(kubeconfig=str(broken)).available()
    assert unusable.kind is FailureKind.UNAVAILABLE
    assert (unusable.error or "").startswith("the Kubernetes configuration cannot be used: ")
    context = ArgoService(kubeconfig=str(kubeconfig_for(tmp_path / "k", "http://127.0.0.1:1")), context="nope")
    assert "nope" in (context.available().error or "")


def test_an_unreachable_api(tmp_path: Path) -> None:
    port = closed_port()
    result = service_for(kubeconfig_for(tmp_path / "k", f"http://127.0.0.1:{port}")).available()
    assert result.kind is FailureKind.UNAVAILABLE
    assert result.error == (
        f"the Kubernetes API at http://127.0.0.1:{port} is unreachable: cannot connect ([Errno 111] Connection "
        "refused); run `make cluster-up` (kind or k3d), or point KUBECONFIG at a cluster with Argo Workflows"
    )
    # The operations say what they were doing when the connection failed.
    created = service_for(kubeconfig_for(tmp_path / "k", f"http://127.0.0.1:{port}")).ensure_pvc("claim")
    assert created.error == "creating persistent volume claim claim: cannot connect ([Errno 111] Connection refused)"


def test_available_when_argo_is_installed(fake_kubernetes: tuple[FakeKubernetes, Path]) -> None:
    fake, kubeconfig = fake_kubernetes
    service = service_for(kubeconfig)
    result = service.available()
    assert result.success, result
    assert (service.host or "").startswith("http://127.0.0.1:")
    assert result.data == f"Kubernetes v1.31.0-fake at {service.host}, with Argo's Workflow CRD"
    service.close()
    fake.crd_installed = False
    missing = service_for(kubeconfig).available()
    assert missing.kind is FailureKind.UNAVAILABLE
    assert "Argo Workflows is not installed" in (missing.error or "")
    assert "workflows.argoproj.io" in (missing.error or "")


# --- the namespace and what a workflow needs in it -------------------------------------------------------


def test_ensure_creates_once_and_accepts_what_exists(fake_kubernetes: tuple[FakeKubernetes, Path]) -> None:
    fake, kubeconfig = fake_kubernetes
    with service_for(kubeconfig) as service:
        assert service.ensure_namespace({"argo-parity/run": "x"}).data is True
        assert service.ensure_namespace().data is False
        assert service.ensure_service_account("runner").data is True
        assert service.ensure_service_account("runner").data is False
        assert service.ensure_pvc("task-results-pvc", size="2Gi", storage_class="standard").data is True
        assert service.ensure_secret("api-credentials", {"token": "t1"}).data is True
        assert service.ensure_secret("api-credentials", {"token": "t2"}).data is False
    namespace, again = fake.created(r"/api/v1/namespaces")
    assert again["metadata"]["name"] == "team"
    assert namespace["metadata"] == {"name": "team", "labels": {**rbac.MANAGED_BY, "argo-parity/run": "x"}}
    accounts = fake.created(r"/api/v1/namespaces/team/serviceaccounts")
    assert [account["metadata"]["name"] for account in accounts] == ["runner", "runner"]  # the second: 409
    roles = fake.created(r"/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles")
    # Argo's documented minimum for the emissary executor ("Workflow RBAC"), and nothing more.
    assert roles[0]["rules"] == [
        {"apiGroups": ["argoproj.io"], "resources": ["workflowtaskresults"], "verbs": ["create", "patch"]},
    ]
    # The second time the role exists: it is replaced, so its rules are the wanted ones.
    assert len(fake.sent("PUT", r".*/roles/argo-parity-executor")) == 1
    binding = fake.objects[
        "/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings/argo-parity-executor-runner"
    ]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "runner", "namespace": "team"}]
    assert binding["roleRef"]["name"] == rbac.EXECUTOR_ROLE
    (claim,) = fake.created(r"/api/v1/namespaces/team/persistentvolumeclaims")
    assert claim["spec"] == {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "2Gi"}},
        "storageClassName": "standard",
    }
    secret = fake.objects["/api/v1/namespaces/team/secrets/api-credentials"]
    assert (secret["type"], secret["stringData"]) == ("Opaque", {"token": "t2"})


def test_creating_in_a_missing_namespace_is_not_found(fake_kubernetes: tuple[FakeKubernetes, Path]) -> None:
    _, kubeconfig = fake_kubernetes
    result = service_for(kubeconfig, "absent").ensure_pvc("claim")
    assert result.kind is FailureKind.NOT_FOUND and result.status == 404
    assert result.error == 'creating persistent volume claim claim: namespaces "absent" not found (HTTP 404)'


def test_deleting_a_namespace_that_is_gone_is_fine(fake_kubernetes: tuple[FakeKubernetes, Path]) -> None:
    fake, kubeconfig = fake_kubernetes
    with service_for(kubeconfig) as service:
        service.ensure_namespace()
        service.ensure_pvc("claim")
        assert service.delete_namespace().success
        assert not any(key.startswith("/api/v1/namespaces/team") for key in fake.objects)
        assert service.delete_namespace().success  # 404: already gone
    (delete,) = fake.sent("DELETE", r"/api/v1/namespaces/team")[:1]
    assert delete.query == {"propagationPolicy": "Background"}


# --- workflows ---------------------------------------------------------------------------------------------


def test_submit_places_the_workflow_in_the_namespace(fake_kubernetes: tuple[FakeKubernetes, Path]) -> None:
    fake, kubeconfig = fake_kubernetes
    with service_for(kubeconfig) as service:
        service.ensure_namespace()
        created = service.submit(WORKFLOW)
    assert created.success, created
    assert created.unwrap()["metadata"]["name"] == "job-x7k2p"
    (body,) = fake.created(rf"{ARGO_API}/namespaces/team/workflows")
    assert body["metadata"] == {"generateName": "job-", "namespace": "team"}
    assert WORKFLOW["metadata"]["namespace"] == "somewhere-else"  # the caller's manifest is untouched


def test_a_refused_submission_is_a_typed_failure(fake_kubernetes: tuple[FakeKubernetes, Path]) -> None:
    fake, kubeconfig = fake_kubernetes
    fake.failures[("POST", rf"{ARGO_API}/namespaces/team/workflows")] = (
        403,
        'workflows.argoproj.io is forbidden: User "dev" cannot create resource "workflows"',
    )
    result = service_for(kubeconfig).submit(WORKFLOW)
    assert (result.kind, result.status) == (FailureKind.FORBIDDEN, 403)
    assert result.error == (
        "submitting workflow job-* to team: workflows.argoproj.io is forbidden: "
        'User "dev" cannot create resource "workflows" (HTTP 403)'
    )


def test_get_reads_the_typed_status(fake_kubernetes: tuple[FakeKubernetes, Path]) -> None:
    fake, kubeconfig = fake_kubernetes
    with service_for(kubeconfig) as service:
        service.ensure_namespace()
        name = service.submit(WORKFLOW).unwrap()["metadata"]["name"]
        fresh = service.get_workflow_status(name)
        assert fresh.success and fresh.data is not None and fresh.data.phase == ""
        fake.objects[f"{ARGO_API}/namespaces/team/workflows/{name}"]["status"] = final_status(name, "Failed")
        status = service.get_workflow_status(name).unwrap()
        missing = service.get_workflow_status("nope")
    assert isinstance(status, WorkflowStatus)
    assert (status.phase, status.pods()[0].exit_code, status.duration_s) == ("Failed", 3, 7.0)
    assert missing.kind is FailureKind.NOT_FOUND


def _submitted(fake: FakeKubernetes, kubeconfig: Path, statuses: list[dict[str, Any]]) -> tuple[ArgoService, str]:
    fake.controller = lambda body: [dict(status) for status in statuses]
    service = service_for(kubeconfig)
    service.ensure_namespace()
    return service, service.submit(WORKFLOW).unwrap()["metadata"]["name"]


def test_wait_follows_a_watch_from_the_version_it_read(fake_kubernetes: tuple[FakeKubernetes, Path]) -> None:
    fake, kubeconfig = fake_kubernetes
    running = {"phase": "Running", "startedAt": "2024-05-01T10:00:00Z", "progress": "0/1"}
    service, name = _submitted(fake, kubeconfig, [running, final_status("job-x7k2p")])
    created_version = fake.objects[f"{ARGO_API}/namespaces/team/workflows/{name}"]["metadata"]["resourceVersion"]
    result = service.wait(name, timeout_s=20)
    assert result.success, result
    assert result.data is not None and result.data.phase == "Succeeded"
    (watch,) = [r for r in fake.sent("GET", rf"{ARGO_API}/namespaces/team/workflows") if r.query.get("watch") == "true"]
    assert watch.query["resourceVersion"] == created_version
    assert watch.query["fieldSelector"] == f"metadata.name={name}"
    assert watch.query["allowWatchBookmarks"] == "true"


def test_wait_starts_again_after_410_gone(fake_kubernetes: tuple[FakeKubernetes, Path]) -> None:
    fake, kubeconfig = fake_kubernetes
    fake.watch = "gone"
    service, name = _submitted(fake, kubeconfig, [final_status("job-x7k2p")])
    result = service.wait(name, timeout_s=20)
    assert result.success and result.data is not None and result.data.is_finished
    watches = [r for r in fake.sent("GET", rf"{ARGO_API}/namespaces/team/workflows") if r.query.get("watch") == "true"]
    assert len(watches) == 2


def test_wait_polls_when_watching_fails(fake_kubernetes: tuple[FakeKubernetes, Path]) -> None:
    fake, kubeconfig = fake_kubernetes
    fake.watch = "broken"
    running = {"phase": "Running"}
    service, name = _submitted(fake, kubeconfig, [running, running, final_status("job-x7k2p", "Error")])
    result = service.wait(name, timeout_s=20)
    assert result.success and result.data is not None and result.data.phase == "Error"
    watches = [r for r in fake.sent("GET", rf"{ARGO_API}/namespaces/team/workflows") if r.query.get("watch") == "true"]
    assert len(watches) == 1  # tried once, then polled
    assert len(fake.sent("GET", rf"{ARGO_API}/namespaces/team/workflows/{name}")) == 3  # one step per read


def test_wait_times_out_saying_the_controller_never_came(
    fake_kubernetes: tuple[FakeKubernetes, Path], clock: FakeClock
) -> None:
    fake, kubeconfig = fake_kubernetes
    fake.watch = "silent"
    service, name = _submitted(fake, kubeconfig, [])
    result = service.wait(name, timeout_s=1.5)
    assert clock.elapsed == pytest.approx(1.5)  # it waited until its deadline, not a moment past it
    assert result.kind is FailureKind.TIMEOUT
    assert result.error == (
        f"workflow team/{name} did not finish within 2 s: Argo's controller never picked it up "
        "(no status): is the workflow-controller running?"
    )


def test_wait_reports_a_deleted_workflow(fake_kubernetes: tuple[FakeKubernetes, Path]) -> None:
    fake, kubeconfig = fake_kubernetes
    service, name = _submitted(fake, kubeconfig, [])
    original = fake._watch

    def deleting(path: str, query: dict[str, str]) -> Response:
        obj = fake.objects.pop(f"{ARGO_API}/namespaces/team/workflows/{name}")
        return Response(200, iter([json.dumps({"type": "DELETED", "object": obj}).encode() + b"\n"]))

    fake._watch = deleting  # type: ignore[method-assign]
    result = service.wait(name, timeout_s=10)
    fake._watch = original  # type: ignore[method-assign]
    assert result.kind is FailureKind.NOT_FOUND and "deleted while waiting" in (result.error or "")


def test_wait_reads_again_when_the_server_is_busy_for_a_moment(
    fake_kubernetes: tuple[FakeKubernetes, Path],
) -> None:
    fake, kubeconfig = fake_kubernetes
    running = {"phase": "Running"}
    service, name = _submitted(fake, kubeconfig, [running, final_status("job-x7k2p")])
    path = rf"{ARGO_API}/namespaces/team/workflows/{name}"
    fake.failures_once.append(("GET", path, 503, "the server is currently unable to handle the request"))
    fake.failures_once.append(("GET", path, 429, "too many requests, please try again later"))
    result = service.wait(name, timeout_s=20)
    assert result.success, result
    assert result.data is not None and result.data.phase == "Succeeded"
    assert fake.failures_once == []  # both were answered, and the wait went on
    assert len(fake.sent("GET", path)) >= 3


def test_wait_gives_up_on_a_lasting_failure_at_the_deadline(
    fake_kubernetes: tuple[FakeKubernetes, Path], clock: FakeClock
) -> None:
    fake, kubeconfig = fake_kubernetes
    service, name = _submitted(fake, kubeconfig, [])
    path = rf"{ARGO_API}/namespaces/team/workflows/{name}"
    fake.failures[("GET", path)] = (503, "the server is currently unable to handle the request")
    result = service.wait(name, timeout_s=0.5)
    # Read again after pauses doubling from the poll interval, the last one cut to end at the deadline.
    assert clock.sleeps[:5] == pytest.approx([0.01, 0.02, 0.04, 0.08, 0.16])
    assert clock.elapsed == pytest.approx(0.5)
    assert (result.kind, result.status) == (FailureKind.UNAVAILABLE, 503)
    assert re.fullmatch(
        rf"Failed to get workflow status of team/{name}: the server is currently unable to handle the request "
        r"\(HTTP 503\) \(tried \d+ times until the deadline\)",
        result.error or "",
    )
    assert len(fake.sent("GET", path)) >= 3
    fake.failures[("GET", path)] = (403, "forbidden")  # not a passing failure: no second read
    before, paused = len(fake.sent("GET", path)), len(clock.sleeps)
    assert service.wait(name, timeout_s=5).kind is FailureKind.FORBIDDEN
    assert len(fake.sent("GET", path)) == before + 1
    assert len(clock.sleeps) == paused


def test_a_check_can_end_the_wait_early(fake_kubernetes: tuple[FakeKubernetes, Path], clock: FakeClock) -> None:
    fake, kubeconfig = fake_kubernetes
    fake.watch = "silent"
    service, name = _submitted(fake, kubeconfig, [])
    seen: list[WorkflowStatus] = []

    def check(status: WorkflowStatus) -> WorkflowResult[Any] | None:
        seen.append(status)
        return WorkflowResult.error_result("given up", FailureKind.TIMEOUT) if len(seen) == 3 else None

    result = service.wait(name, timeout_s=60, check=check, check_interval_s=0.05)
    assert clock.elapsed < 60  # the check ended it, not the deadline (this clock moves only by pauses)
    assert (result.kind, result.error) == (FailureKind.TIMEOUT, "given up")
    assert len(seen) == 3 and all(status.phase == "" for status in seen)


def test_list_pods_by_label(fake_kubernetes: tuple[FakeKubernetes, Path]) -> None:
    fake, kubeconfig = fake_kubernetes
    with service_for(kubeconfig) as service:
        service.ensure_namespace()
        assert service.list_pods().data == []
        for pod, workflow in (("a", "wf"), ("b", "other")):
            fake.objects[f"/api/v1/namespaces/team/pods/{pod}"] = {
                "metadata": {"name": pod, "labels": {"workflows.argoproj.io/workflow": workflow}},
                "status": {"phase": "Pending"},
            }
        listed = service.list_pods("workflows.argoproj.io/workflow=wf")
        assert [pod["metadata"]["name"] for pod in listed.data or []] == ["a"]
        assert len(service.list_pods().data or []) == 2
    (request,) = [r for r in fake.sent("GET", r"/api/v1/namespaces/team/pods") if r.query]
    assert request.query == {"labelSelector": "workflows.argoproj.io/workflow=wf"}


def test_a_log_that_breaks_while_read_is_a_failure(fake_kubernetes: tuple[FakeKubernetes, Path]) -> None:
    fake, kubeconfig = fake_kubernetes
    fake.logs[("team", "job-x7k2p", "main")] = "line\n" * 50_000

    def refuse(chunk: bytes) -> None:
        raise OSError("disk full")

    with service_for(kubeconfig) as service:
        failed = service.stream_pod_logs("job-x7k2p", refuse)
        assert failed.kind is FailureKind.API_ERROR
        assert failed.error == "reading the log of team/job-x7k2p (main): OSError: disk full"
        assert service.pod_logs("job-x7k2p").data == "line\n" * 50_000  # the next read is whole


def test_without_the_kubernetes_package_nothing_raises(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    def missing() -> Any:
        raise ImportError("No module named 'kubernetes'")

    monkeypatch.setattr(service_module, "_kubernetes_client", missing)
    service = ArgoService("team", api_client=object(), poll_interval_s=0.01)
    assert service.available().error == PACKAGE_HINT
    assert service.delete_namespace().error == f"deleting namespace team: {PACKAGE_HINT}"
    # From then on every operation says so at once; waiting does not retry it.
    operations: list[Callable[[], WorkflowResult[Any]]] = [
        service.ensure_namespace,
        lambda: service.ensure_service_account("runner"),
        lambda: service.ensure_pvc("claim"),
        lambda: service.ensure_secret("s", {"k": "v"}),
        lambda: service.submit(WORKFLOW),
        lambda: service.get_workflow_status("wf"),
        lambda: service.terminate_workflow("wf"),
        lambda: service.pod_logs("pod"),
        service.list_pods,
        lambda: service.run_pod({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]}}, 1),
    ]
    for operation in operations:
        result = operation()
        assert result.kind is FailureKind.UNAVAILABLE and (result.error or "").endswith(PACKAGE_HINT), result
    assert service.wait("wf", timeout_s=30).error == f"Failed to get workflow status of team/wf: {PACKAGE_HINT}"
    assert clock.sleeps == []  # it answered at once, never paused to try again


def test_the_contexts_of_a_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = kubeconfig_with(tmp_path / "a", {"prod": "http://a", "kind-argo-parity": "http://b"}, current="prod")
    second = kubeconfig_with(tmp_path / "b", {"prod": "http://c", "k3d-argo-parity": "http://d"}, current="prod")
    assert kubeconfig_contexts(str(first)) == ("prod", "kind-argo-parity")
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([str(first), str(tmp_path / "absent"), str(second)]))
    assert kubeconfig_contexts() == ("prod", "kind-argo-parity", "k3d-argo-parity")
    empty = tmp_path / "empty"
    empty.write_text("")
    for path in (empty, tmp_path / "absent"):
        assert kubeconfig_contexts(str(path)) is None  # nothing to choose from: connecting says why
    no_contexts = tmp_path / "no-contexts"
    no_contexts.write_text("apiVersion: v1\nkind: Config\n")
    assert kubeconfig_contexts(str(no_contexts)) == ()
    broken = tmp_path / "broken"
    broken.write_text("contexts: [unclosed\n")
    with pytest.raises(ValueError, match=f"the kubeconfig {broken} is not valid YAML: "):
        kubeconfig_contexts(str(broken))
    listed = tmp_path / "list"
    listed.write_text("- a\n")
    with pytest.raises(ValueError, match="is not a mapping but a list"):
        kubeconfig_contexts(os.pathsep.join([str(first), str(listed)]))


def test_terminate_sends_a_merge_patch(fake_kubernetes: tuple[FakeKubernetes, Path]) -> None:
    fake, kubeconfig = fake_kubernetes
    service, name = _submitted(fake, kubeconfig, [])
    assert service.terminate_workflow(name).success
    (patch,) = fake.sent("PATCH", rf"{ARGO_API}/namespaces/team/workflows/{name}")
    assert patch.body == {"spec": {"shutdown": "Terminate"}}
    assert patch.content_type == "application/merge-patch+json"


# --- pods --------------------------------------------------------------------------------------------------


def test_pod_logs_stream_in_chunks(fake_kubernetes: tuple[FakeKubernetes, Path]) -> None:
    fake, kubeconfig = fake_kubernetes
    text = "line\n" * 50_000 + "ünïcode\n"
    fake.logs[("team", "job-x7k2p", "main")] = text
    service = service_for(kubeconfig)
    chunks: list[bytes] = []
    streamed = service.stream_pod_logs("job-x7k2p", chunks.append)
    assert streamed.data == len(text.encode()) and len(chunks) > 1
    assert service.pod_logs("job-x7k2p").data == text
    (request,) = [r for r in fake.requests if r.path.endswith("/log")][:1]
    assert request.query == {"container": "main"}
    missing = service.pod_logs("gone")
    assert missing.kind is FailureKind.NOT_FOUND and 'pods "gone" not found' in (missing.error or "")


def test_run_pod_returns_its_log_or_why_it_failed(fake_kubernetes: tuple[FakeKubernetes, Path]) -> None:
    fake, kubeconfig = fake_kubernetes
    pod = {"metadata": {"name": "reader"}, "spec": {"containers": [{"name": "reader", "image": "python"}]}}
    with service_for(kubeconfig) as service:
        service.ensure_namespace()
        fake.pod_result = lambda body: ("Succeeded", "listing\n")
        assert service.run_pod(pod, timeout_s=10).data == "listing\n"
        fake.pod_result = lambda body: ("Failed", "a\nb\nTraceback: boom\n")
        failed = service.run_pod({**pod, "metadata": {"name": "reader-2"}}, timeout_s=10)
        fake.pod_result = lambda body: ("Pending", "")
        stuck = service.run_pod({**pod, "metadata": {"name": "reader-3"}}, timeout_s=0.2)
    assert failed.kind is FailureKind.API_ERROR and failed.error == "pod team/reader-2 failed: a | b | Traceback: boom"
    assert stuck.kind is FailureKind.TIMEOUT and "did not finish within 0 s (phase Pending" in (stuck.error or "")


# --- CommandExecutor -------------------------------------------------------------------------------------


def test_subprocess_executor_runs_and_reports() -> None:
    commands = SubprocessCommandExecutor()
    assert isinstance(commands, ProgramRunner)
    done = commands.run(["bash", "-c", "cat; echo err >&2; exit 3"], timeout_s=10, input_text="in\n")
    assert (done.return_code, done.stdout, done.stderr, done.success) == (3, "in\n", "err\n", False)
    assert done.summary() == "bash -c 'cat; echo err >&2; exit 3': exited 3: err"
    missing = commands.run(["argo-parity-no-such-program"], timeout_s=10)
    assert (missing.success, missing.return_code) == (False, 127)
    assert missing.error and "argo-parity-no-such-program" in missing.summary()
    assert commands.which("bash") is not None and commands.which("argo-parity-no-such-program") is None
    assert SubprocessCommandExecutor(env={"PATH": "/nonexistent"}).which("bash") is None


def test_output_that_is_not_utf8_is_replaced_not_raised() -> None:
    done = SubprocessCommandExecutor().run(["bash", "-c", r"printf 'ok \xff\xfe\n'; printf '\xc3' >&2"], timeout_s=10)
    assert done.success
    assert (done.stdout, done.stderr) == ("ok \ufffd\ufffd\n", "\ufffd")


def test_a_timeout_kills_the_command_and_its_children(tmp_path: Path) -> None:
    # A child in the background and the command itself both hold the output pipes: the run returns
    # only once both are gone, and each leaves a mark if it lives on to the end of its sleep.
    marks = tmp_path / "lived-on"
    script = f"(sleep 30; echo child >> {marks}) & sleep 30; echo command >> {marks}"
    result = SubprocessCommandExecutor().run(["bash", "-c", script], timeout_s=0.5)
    assert result.timed_out and (result.success, result.return_code) == (False, 124)
    assert "timed out after" in result.summary()
    assert processes_with(str(marks)) == []  # neither the command nor its child runs on
    assert not marks.exists()  # nor lived to the end of its sleep


# --- cluster set-up, through a recording CommandExecutor ------------------------------------------------


@dataclass
class Recording:
    """A CommandExecutor that records commands and answers from a script: no program runs."""

    installed: set[str]
    answers: dict[str, CommandOutput] = field(default_factory=dict)  # command prefix -> result
    commands: list[str] = field(default_factory=list)

    def which(self, program: str) -> str | None:
        return f"/usr/bin/{program}" if program in self.installed else None

    def run(self, argv: Any, *, timeout_s: float, input_text: str | None = None) -> CommandOutput:
        command = " ".join(argv)
        self.commands.append(command)
        for prefix, result in self.answers.items():
            if command.startswith(prefix):
                return result
        return finished(argv, 0)


def _provisioner(commands: Recording, probe: Callable[[str], str | None] = lambda url: None) -> provision.Provisioner:
    return provision.Provisioner(commands=commands, probe=probe)


def test_up_with_kind_creates_installs_and_waits() -> None:
    commands = Recording({"kind", "docker", "kubectl"})
    outcome = _provisioner(commands).up()
    assert outcome.code == 0, outcome
    url = "https://github.com/argoproj/argo-workflows/releases/download/v3.6.10/install.yaml"
    assert commands.commands == [
        "kind get clusters",
        "kind create cluster --name argo-parity --wait 180s",
        "kubectl --context kind-argo-parity create namespace argo",
        f"kubectl --context kind-argo-parity apply -n argo -f {url}",
        "kubectl --context kind-argo-parity -n argo rollout status deployment/workflow-controller --timeout=300s",
    ]
    assert outcome.messages[-2:] == (
        "workflow-controller ready; kubectl context kind-argo-parity",
        "--execute cluster runs in context kind-argo-parity (or the one PARITY_KUBE_CONTEXT names)",
    )
    other = provision.Provisioner(
        commands=Recording({"kind", "docker", "kubectl"}), cluster_name="mine", probe=lambda url: None
    )
    assert other.up().messages[-1] == "--execute cluster runs in it with: export PARITY_KUBE_CONTEXT=kind-mine"


def test_up_with_k3d_keeps_an_existing_cluster() -> None:
    exists = finished(("k3d",), 0, "argo-parity  1/1")
    already = finished(("kubectl",), 1, stderr='namespaces "argo" AlreadyExists')
    commands = Recording(
        {"k3d", "docker", "kubectl"}, {"k3d cluster get": exists, "kubectl --context k3d-argo-parity create": already}
    )
    outcome = _provisioner(commands).up()
    assert outcome.code == 0, outcome
    assert commands.commands[0] == "k3d cluster get argo-parity"
    assert not any("cluster create" in command for command in commands.commands)
    assert outcome.messages[0] == "k3d cluster argo-parity exists: kept"


def test_up_stops_at_the_first_failing_step() -> None:
    failed = finished(("kubectl",), 1, stderr="error: unable to read URL\nconnection reset\n")
    commands = Recording({"kind", "podman", "kubectl"}, {"kubectl --context kind-argo-parity apply": failed})
    outcome = _provisioner(commands).up()
    assert outcome.code == 1
    assert outcome.errors[0].endswith(": exited 1: connection reset")
    assert not any("rollout" in command for command in commands.commands)


def test_up_names_everything_missing_in_one_line() -> None:
    nothing = _provisioner(Recording(set())).up()
    assert nothing.code == 2 and len(nothing.errors) == 1
    assert nothing.errors[0] == (
        "cluster-up: neither kind nor k3d is installed (https://kind.sigs.k8s.io or https://k3d.io); "
        "kubectl is not installed (https://kubernetes.io/docs/tasks/tools/)"
    )
    no_engine = _provisioner(Recording({"k3d", "kubectl"})).up()
    assert no_engine.errors == ("cluster-up: k3d needs a container engine: docker is not installed",)
    offline = _provisioner(Recording({"kind", "docker", "kubectl"}), probe=lambda url: "Name or service not known").up()
    assert offline.code == 2 and offline.errors[0].startswith("cluster-up: no registry access: Docker Hub")
    assert (
        "quay.io (Argo's controller and executor images) at https://quay.io/v2/: Name or service not known"
        in offline.errors[0]
    )


def test_the_registry_probe_is_real(tmp_path: Path) -> None:
    assert "refused" in (provision.probe_url(f"http://127.0.0.1:{closed_port()}/v2/", timeout_s=2) or "").lower()
    server = FakeApiServer(("127.0.0.1", 0), FakeApiHandler)
    server.fake = FakeKubernetes()
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:  # any HTTP answer, even 404, means a server is there
        assert provision.probe_url(f"http://127.0.0.1:{server.server_port}/v2/", timeout_s=2) is None
    finally:
        server.shutdown()
        server.server_close()


def test_down_deletes_with_the_installed_tool() -> None:
    listed = finished(("kind",), 0, "argo-parity\nother\n")
    commands = Recording({"kind"}, {"kind get clusters": listed})
    assert _provisioner(commands).down().code == 0
    assert commands.commands[-1] == "kind delete cluster --name argo-parity"
    absent = Recording({"kind"}, {"kind get clusters": finished(("kind",), 0, "other\n")})
    assert _provisioner(absent).down().messages == ("kind cluster argo-parity does not exist",)
    assert _provisioner(Recording(set())).down().code == 2
