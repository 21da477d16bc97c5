"""``ArgoService``: Argo Workflows on a Kubernetes cluster, typed (the ArgoService improvement
plan's contract: ``ArgoService(namespace=..., command_executor=...)``, ``start_workflow``,
``get_workflow_status`` and the operations a migration tool needs, each returning a
``WorkflowResult``).

Two backends stand behind the one service. **kubectl** (``backend="kubectl"``, or whenever a
``command_executor`` is given): every operation is a kubectl command run by the
``CommandExecutor`` (``SubprocessCommandExecutor`` by default), see ``harness.argo.kubectl``.
**The kubernetes client** (``backend="client"``, the default when no executor is given): the
same operations as API calls, plus what the cluster executor needs besides (namespaces, RBAC,
claims, Secrets, pods, a watch while waiting). What Argo's own commands change (suspend,
resume, stop, terminate) is worked out once, in ``harness.argo.controls``, and sent as the same
merge patch by either backend.

Waiting (``wait_for_completion``, ``wait``, ``start_workflow``'s wait for the new workflow)
reads the time from an injectable ``clock`` (anything with ``monotonic()`` and ``sleep()``; the
``time`` module by default), so tests never sleep.

With the client, one service works in one namespace. It loads the cluster's configuration the way kubectl does
(``kubeconfig=``, else ``$KUBECONFIG``, else ``~/.kube/config``; inside a pod with none of those, the
in-cluster service account), lazily, on the first call. Every method returns a ``WorkflowResult``:
the value, or a failure with a kind and a one-line reason; nothing raises for what the cluster
answers or for a cluster that is not there.

Workflows are custom objects (group ``argoproj.io``, version ``v1alpha1``, plural ``workflows``),
created with ``CustomObjectsApi.create_namespaced_custom_object``: no Argo Server and no argo CLI
are needed, only the Workflow CRD and Argo's controller. ``wait`` follows the workflow with a watch
that starts at the resourceVersion last read (so no change is missed between reading and
watching), starts again when the server ends the stream or the version expires (410 Gone), and
falls back to polling when watching is not possible (a proxy that cuts streams, no watch
permission). A read that fails for a reason that passes (429 Too Many Requests, 502/503, a reset
connection, a timeout) is tried again, with a backoff capped at 10 s, until the deadline.

``context`` None means the kubeconfig's current context, as for kubectl: this service has no
opinion on which cluster is safe to use. The cluster executor (``harness.execute.cluster``) never
relies on it and always names the context.

The ``kubernetes`` package is imported inside the methods only: importing this module costs
nothing, so ``parity diff`` never pays for it.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from harness.argo import controls, rbac
from harness.argo.commands import CommandExecutor, SubprocessCommandExecutor
from harness.argo.kubectl import KubectlWorkflows
from harness.argo.result import FailureKind, WorkflowResult, classify_failure
from harness.argo.status import ArgoPhase, WorkflowStatus
from harness.spec.fields import ARGO_API_VERSION, ARGO_GROUP, WORKFLOW_API_VERSION, WORKFLOW_PLURAL

WORKFLOW_CRD = f"{WORKFLOW_PLURAL}.{ARGO_GROUP}"
DEFAULT_KUBECONFIG = "~/.kube/config"
_IN_CLUSTER_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"
_SETUP_HINT = "run `make cluster-up` (kind or k3d), or point KUBECONFIG at a cluster with Argo Workflows"
KUBERNETES_PACKAGE_HINT = "the kubernetes Python package is not installed (pip install kubernetes)"
# Failures worth another read while waiting: the server was busy or unreachable for a moment.
_PASSING = frozenset({FailureKind.UNAVAILABLE, FailureKind.TIMEOUT})
_MAX_BACKOFF_S = 10.0
# The longest a single watch request stays open before the server ends it and we start another.
_WATCH_WINDOW_S = 300
_CHUNK = 64 * 1024
# Argo retries an update that conflicts with the controller's (retry.DefaultRetry: 5 steps).
_CONFLICT_RETRIES = 5
Backend = Literal["kubectl", "client"]


class Clock(Protocol):
    """What waiting needs of the time: the ``time`` module, or ``tests.fakes.clock.FakeClock``."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float, /) -> None: ...


class WorkflowBackend(Protocol):
    """What the service asks of a backend; every failure's error is the bare reason (the service
    says what it was doing). ``KubectlWorkflows`` and the client's ``_ClientWorkflows``."""

    def create(self, body: Mapping[str, Any]) -> WorkflowResult[dict[str, Any]]: ...

    def get(self, name: str) -> WorkflowResult[dict[str, Any]]: ...

    def list_workflows(self, label_selector: str | None = None) -> WorkflowResult[list[dict[str, Any]]]: ...

    def patch(self, name: str, patch: Mapping[str, Any]) -> WorkflowResult[dict[str, Any]]: ...

    def delete(self, name: str) -> WorkflowResult[None]: ...

    def list_pods(self, label_selector: str | None = None) -> WorkflowResult[list[dict[str, Any]]]: ...

    def logs(self, pod: str, container: str) -> WorkflowResult[str]: ...


class ArgoService:
    """Argo Workflows in one namespace of one cluster. Not shared between threads: make one each.

    ``command_executor`` (or ``backend="kubectl"``) runs every operation through kubectl;
    otherwise the kubernetes client is used. ``kubeconfig`` and ``context`` choose the cluster
    for either (kubectl's ``--kubeconfig``/``--context``). ``api_client`` injects a configured
    ``kubernetes.client.ApiClient`` (the configuration is then not loaded). ``request_timeout_s``
    bounds each API request; ``poll_interval_s`` is the pause between reads when polling;
    ``exists_timeout_s`` how long ``start_workflow`` waits for the new workflow to be readable;
    ``clock`` is what waiting reads the time from and sleeps on.
    """

    def __init__(
        self,
        namespace: str = "argo",
        command_executor: CommandExecutor | None = None,
        *,
        backend: Backend | None = None,
        kubeconfig: str | None = None,
        context: str | None = None,
        api_client: Any = None,
        request_timeout_s: float = 30.0,
        poll_interval_s: float = 2.0,
        exists_timeout_s: float = 30.0,
        clock: Clock | None = None,
    ) -> None:
        chosen: Backend = backend or ("kubectl" if command_executor is not None else "client")
        if chosen == "kubectl" and api_client is not None:
            raise ValueError("api_client is for the kubernetes client backend, not kubectl's")
        if chosen == "client" and command_executor is not None:
            raise ValueError("command_executor is for the kubectl backend, not the kubernetes client's")
        self.namespace = namespace
        self.backend: Backend = chosen
        self.kubeconfig = kubeconfig
        self.context = context
        self.request_timeout_s = request_timeout_s
        self.poll_interval_s = poll_interval_s
        self.exists_timeout_s = exists_timeout_s
        self.clock = clock
        self._client: Any = api_client
        self._owns_client = api_client is None
        self._client_failure: WorkflowResult[Any] | None = None
        self.command_executor: CommandExecutor | None = None
        self._workflows: WorkflowBackend
        if chosen == "kubectl":
            self.command_executor = command_executor or SubprocessCommandExecutor(timeout_s=request_timeout_s)
            self._workflows = KubectlWorkflows(self.command_executor, namespace, kubeconfig=kubeconfig, context=context)
        else:
            self._workflows = _ClientWorkflows(self)

    @property
    def _time(self) -> Clock:
        # Looked up at each use, so a test may also replace this module's ``time``.
        return self.clock if self.clock is not None else time

    # --- connection ---------------------------------------------------------------------------------

    def api_client(self) -> WorkflowResult[Any]:
        """The ``kubernetes.client.ApiClient``, loading the configuration on first use."""
        if self._client_failure is not None:
            return self._client_failure
        if self._client is not None:
            return WorkflowResult.success_result(self._client)
        try:
            self._client = _load_client(self.kubeconfig, self.context)
        except ImportError:
            self._client_failure = WorkflowResult.error_result(KUBERNETES_PACKAGE_HINT, FailureKind.UNAVAILABLE)
        except _NoConfiguration as exc:
            self._client_failure = WorkflowResult.error_result(f"{exc}; {_SETUP_HINT}", FailureKind.UNAVAILABLE)
        except Exception as exc:  # ConfigException and friends: a configuration that cannot be used
            failure = WorkflowResult.from_exception(exc, "the Kubernetes configuration cannot be used")
            self._client_failure = WorkflowResult.error_result(
                f"{failure.error}; {_SETUP_HINT}", FailureKind.UNAVAILABLE
            )
        else:
            return WorkflowResult.success_result(self._client)
        return self._client_failure

    @property
    def host(self) -> str | None:
        return getattr(getattr(self._client, "configuration", None), "host", None)

    def close(self) -> None:
        if self._client is not None and self._owns_client:
            self._client.close()
            self._client = None

    def __enter__(self) -> ArgoService:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def available(self) -> WorkflowResult[str]:
        """Whether workflows can run here: the API answers and Argo's Workflow CRD is installed.

        The value describes the cluster; a failure's reason says what is missing and what to do.
        With kubectl: listing the namespace's workflows works (the server answers, the CRD is there).
        """
        if self.backend == "kubectl":
            listed = self._workflows.list_workflows(None)
            if not listed.success:
                return listed.failed_as(f"kubectl cannot list workflows in {self.namespace}")
            return WorkflowResult.success_result(f"kubectl lists workflows in {self.namespace}")
        loaded = self.api_client()
        if not loaded.success:
            return loaded
        try:
            client = _kubernetes_client()
        except ImportError:
            return WorkflowResult.error_result(KUBERNETES_PACKAGE_HINT, FailureKind.UNAVAILABLE)
        api = loaded.data
        host = self.host or "the configured server"
        timeout = min(self.request_timeout_s, 10.0)
        try:
            # Raw JSON: the client's strict models refuse a server that omits a field it never uses.
            version = _json(client.VersionApi(api).get_code(_preload_content=False, _request_timeout=timeout))
        except Exception as exc:
            kind, reason, status = classify_failure(exc)
            if kind in (FailureKind.UNAVAILABLE, FailureKind.TIMEOUT):
                return WorkflowResult.error_result(
                    f"the Kubernetes API at {host} is unreachable: {reason}; {_SETUP_HINT}",
                    FailureKind.UNAVAILABLE,
                )
            return WorkflowResult.error_result(f"the Kubernetes API at {host}: {reason}", kind, status=status)
        missing = (
            f"Argo Workflows is not installed on the cluster at {host}: the Workflow CRD "
            f"({WORKFLOW_CRD}) is missing; {_SETUP_HINT}"
        )
        try:
            resources = _json(
                client.CustomObjectsApi(api).get_api_resources(
                    ARGO_GROUP, ARGO_API_VERSION, _preload_content=False, _request_timeout=timeout
                )
            )
        except Exception as exc:
            failure = WorkflowResult.from_exception(exc, f"reading the API group {ARGO_GROUP}/{ARGO_API_VERSION}")
            if failure.kind is FailureKind.NOT_FOUND:
                return WorkflowResult.error_result(missing, FailureKind.UNAVAILABLE, status=404)
            return failure
        names = {resource.get("name") for resource in resources.get("resources") or () if isinstance(resource, dict)}
        if WORKFLOW_PLURAL not in names:
            return WorkflowResult.error_result(missing, FailureKind.UNAVAILABLE)
        git_version = version.get("gitVersion") or "(unknown version)"
        return WorkflowResult.success_result(f"Kubernetes {git_version} at {host}, with Argo's Workflow CRD")

    # --- namespace and what a workflow needs in it -------------------------------------------------

    def ensure_namespace(self, labels: Mapping[str, str] | None = None) -> WorkflowResult[bool]:
        """Create the namespace; True when created, False when it was there already."""
        body = {"metadata": {"name": self.namespace, "labels": {**rbac.MANAGED_BY, **(labels or {})}}}
        return self._create(
            f"creating namespace {self.namespace}", lambda core: core.create_namespace(body=body, **self._timeout())
        )

    def delete_namespace(self) -> WorkflowResult[None]:
        """Delete the namespace and everything in it (in the background); absent is fine."""

        def delete(api: Any) -> None:
            _core(api).delete_namespace(self.namespace, propagation_policy="Background", **self._timeout())

        result = self._call(f"deleting namespace {self.namespace}", delete)
        if result.kind is FailureKind.NOT_FOUND:
            return WorkflowResult.success_result(None)
        return result

    def ensure_service_account(self, name: str = "default") -> WorkflowResult[bool]:
        """The service account, Argo's executor role (``rbac.EXECUTOR_RULES``) and its binding.

        True when the account was created, False when it existed (every namespace gets ``default``
        from Kubernetes soon after it is made).
        """
        body = {"metadata": {"name": name, "labels": dict(rbac.MANAGED_BY)}}
        account = self._create(
            f"creating service account {name}",
            lambda core: core.create_namespaced_service_account(self.namespace, body=body, **self._timeout()),
        )
        if not account.success:
            return account
        role = rbac.executor_role(self.namespace)
        binding = rbac.executor_role_binding(self.namespace, name)

        def apply(api: Any) -> None:
            authorization = _kubernetes_client().RbacAuthorizationV1Api(api)
            _create_or_replace(
                lambda: authorization.create_namespaced_role(self.namespace, body=role, **self._timeout()),
                lambda: authorization.replace_namespaced_role(
                    rbac.EXECUTOR_ROLE, self.namespace, body=role, **self._timeout()
                ),
            )
            _create_or_replace(
                lambda: authorization.create_namespaced_role_binding(self.namespace, body=binding, **self._timeout()),
                lambda: authorization.replace_namespaced_role_binding(
                    binding["metadata"]["name"], self.namespace, body=binding, **self._timeout()
                ),
            )

        granted = self._call(f"granting service account {name} the executor role", apply)
        return account if granted.success else granted

    def ensure_pvc(
        self,
        name: str,
        *,
        size: str = "1Gi",
        storage_class: str | None = None,
        access_modes: tuple[str, ...] = ("ReadWriteOnce",),
    ) -> WorkflowResult[bool]:
        """A claim on the cluster's default (or the given) storage class; True when created."""
        spec: dict[str, Any] = {"accessModes": list(access_modes), "resources": {"requests": {"storage": size}}}
        if storage_class:
            spec["storageClassName"] = storage_class
        body = {"metadata": {"name": name, "labels": dict(rbac.MANAGED_BY)}, "spec": spec}
        return self._create(
            f"creating persistent volume claim {name}",
            lambda core: core.create_namespaced_persistent_volume_claim(self.namespace, body=body, **self._timeout()),
        )

    def ensure_secret(self, name: str, data: Mapping[str, str]) -> WorkflowResult[bool]:
        """An Opaque Secret holding exactly ``data`` (replaced when it exists); True when created."""
        body = {
            "metadata": {"name": name, "labels": dict(rbac.MANAGED_BY)},
            "type": "Opaque",
            "stringData": dict(data),
        }

        def apply(api: Any) -> bool:
            core = _core(api)
            return _create_or_replace(
                lambda: core.create_namespaced_secret(self.namespace, body=body, **self._timeout()),
                lambda: core.replace_namespaced_secret(name, self.namespace, body=body, **self._timeout()),
            )

        return self._call(f"creating secret {name}", apply)

    # --- workflows: the plan's operations, through whichever backend ------------------------------

    def start_workflow(
        self,
        workflow_template_name: str,
        parameters: Mapping[str, Any] | None = None,
        workflow_options: Mapping[str, Any] | None = None,
    ) -> WorkflowResult[str]:
        """Start a Workflow from the WorkflowTemplate ``workflow_template_name`` (a
        ``workflowTemplateRef``) and return its name once it exists.

        ``parameters`` become ``spec.arguments.parameters`` (Argo's values are strings: a mapping or
        list is sent as JSON, a bool as ``true``/``false``). ``workflow_options`` are spec fields
        set on the Workflow (``entrypoint``, ``serviceAccountName``...), except ``name``,
        ``generateName``, ``labels`` and ``annotations``, which go to its metadata; the default
        name is ``<template>-`` plus Kubernetes' random suffix.
        """
        doing = "Failed to start workflow"
        body = workflow_from_template(self.namespace, workflow_template_name, parameters, workflow_options)
        created = self._workflows.create(body)
        if not created.success:
            return created.failed_as(doing)
        name = str(((created.data or {}).get("metadata") or {}).get("name") or "")
        if not name:
            return WorkflowResult.error_result(f"{doing}: the created Workflow has no name", FailureKind.API_ERROR)
        exists = self._wait_for_workflow_exists(name)
        if not exists.success:
            return exists.failed_as(f"{doing}: {name} was created but cannot be read back")
        return WorkflowResult.success_result(name)

    def get_workflow_status(self, workflow_name: str) -> WorkflowResult[WorkflowStatus]:
        """The workflow's status, typed (``WorkflowStatus.from_dict``)."""
        found = self._workflows.get(workflow_name)
        if not found.success:
            return found.failed_as(f"Failed to get workflow status of {self.namespace}/{workflow_name}")
        return found.map(WorkflowStatus.from_dict)

    def list_workflows(self, label_selector: str | None = None) -> WorkflowResult[list[WorkflowStatus]]:
        """The namespace's workflows (those matching ``label_selector``, Kubernetes' syntax:
        ``workflows.argoproj.io/workflow-template=migrate``), each as a ``WorkflowStatus``."""
        listed = self._workflows.list_workflows(label_selector)
        if not listed.success:
            shown = f" matching {label_selector}" if label_selector else ""
            return listed.failed_as(f"Failed to list workflows in {self.namespace}{shown}")
        return listed.map(lambda items: [WorkflowStatus.from_dict(item) for item in items])

    def suspend_workflow(self, workflow_name: str) -> WorkflowResult[WorkflowStatus]:
        """Suspend the workflow as ``argo suspend`` does (``spec.suspend: true``); the value is its
        status after the change."""
        return self._control(workflow_name, "suspend", controls.suspend_patch)

    def resume_workflow(self, workflow_name: str) -> WorkflowResult[WorkflowStatus]:
        """Resume it as ``argo resume`` does: clear ``spec.suspend`` and approve every node waiting
        at a ``suspend`` template (``controls.resume_patch``). A workflow with nothing to resume is
        left as it is, which is a success, as for ``argo resume``."""
        now = datetime.now(UTC)  # the approved nodes' finishedAt, as Argo's time.Now().UTC()
        return self._control(workflow_name, "resume", lambda status: controls.resume_patch(status, now))

    def stop_workflow(self, workflow_name: str) -> WorkflowResult[WorkflowStatus]:
        """Stop it as ``argo stop`` does (``spec.shutdown: Stop``: exit handlers still run)."""
        return self._control(workflow_name, "stop", lambda status: controls.shutdown_patch(status, controls.STOP))

    def terminate_workflow(self, workflow_name: str) -> WorkflowResult[WorkflowStatus]:
        """Terminate it as ``argo terminate`` does (``spec.shutdown: Terminate``: no exit handlers)."""
        return self._control(
            workflow_name, "terminate", lambda status: controls.shutdown_patch(status, controls.TERMINATE)
        )

    def delete_workflow(self, workflow_name: str) -> WorkflowResult[None]:
        """Delete the Workflow (Argo's controller then removes its pods)."""
        deleted = self._workflows.delete(workflow_name)
        if not deleted.success:
            return deleted.failed_as(f"Failed to delete workflow {self.namespace}/{workflow_name}")
        return deleted

    def wait_for_completion(self, workflow_name: str, timeout: float) -> WorkflowResult[WorkflowStatus]:
        """Wait up to ``timeout`` seconds for one of the plan's ending phases (``Succeeded``,
        ``Failed``, ``Error``, ``Stopped``, ``Terminated``; ``controls.ENDING_PHASES``); the value is
        the final status. With the client backend the workflow is watched, with kubectl polled
        every ``poll_interval_s``; either way on this service's clock."""
        waited = self.wait(workflow_name, timeout)
        if not waited.success:
            return waited.failed_as(f"Failed to wait for workflow {self.namespace}/{workflow_name}")
        return waited

    def get_workflow_logs(self, workflow_name: str, container: str = "main") -> WorkflowResult[str]:
        """The logs of the workflow's pods, in node order, each line prefixed with its pod's name
        as ``argo logs`` prints them (``<pod>: <line>``). Pods not started yet have no log."""
        doing = f"Failed to get workflow logs of {self.namespace}/{workflow_name}"
        current = self.get_workflow_status(workflow_name)
        if not current.success:
            return current.failed_as(doing)
        status = current.unwrap()
        lines: list[str] = []
        for node in status.pods():
            if node.phase is None or node.phase is ArgoPhase.PENDING:
                continue
            pod = status.pod_name(node)
            logs = self.pod_logs(pod, container)
            if not logs.success:
                return logs.failed_as(doing)
            lines.extend(f"{pod}: {line}" for line in (logs.data or "").splitlines())
        return WorkflowResult.success_result("".join(f"{line}\n" for line in lines))

    def _control(
        self, workflow_name: str, verb: str, change: Callable[[WorkflowStatus], dict[str, Any] | None]
    ) -> WorkflowResult[WorkflowStatus]:
        """Read the workflow, work out the change Argo would make, merge-patch it; a conflict (the
        controller wrote in between) reads it again, as Argo's own retry does."""
        doing = f"Failed to {verb} workflow {self.namespace}/{workflow_name}"
        for _ in range(_CONFLICT_RETRIES):
            current = self.get_workflow_status(workflow_name)
            if not current.success:
                return current.failed_as(doing)
            try:
                patch = change(current.unwrap())
            except controls.RefusedControl as refused:
                return WorkflowResult.error_result(f"{doing}: {refused}", FailureKind.CONFLICT)
            if patch is None:
                return current
            patched = self._workflows.patch(workflow_name, patch)
            if patched.kind is not FailureKind.CONFLICT:
                if not patched.success:
                    return patched.failed_as(doing)
                return patched.map(WorkflowStatus.from_dict)
        return WorkflowResult.error_result(
            f"{doing}: the workflow kept changing ({_CONFLICT_RETRIES} conflicting writes)", FailureKind.CONFLICT
        )

    def _wait_for_workflow_exists(self, workflow_name: str) -> WorkflowResult[dict[str, Any]]:
        """Read the new workflow until the API has it (a cache behind a load balancer may not yet),
        up to ``exists_timeout_s``."""
        deadline = self._time.monotonic() + self.exists_timeout_s
        while True:
            found = self._workflows.get(workflow_name)
            if found.success or found.kind not in (FailureKind.NOT_FOUND, *_PASSING):
                return found
            remaining = deadline - self._time.monotonic()
            if remaining <= 0:
                return WorkflowResult.error_result(
                    f"it did not appear within {self.exists_timeout_s:.0f} s ({found.error})",
                    FailureKind.TIMEOUT,
                )
            self._time.sleep(min(self.poll_interval_s, remaining))

    # --- workflows: the cluster executor's own operations --------------------------------------------

    def submit(self, workflow: Mapping[str, Any]) -> WorkflowResult[dict[str, Any]]:
        """Create the Workflow in this service's namespace; the value is the object as created
        (``metadata.name`` is the generated name when the manifest had ``generateName``)."""
        body = json.loads(json.dumps(workflow))  # a private copy, JSON-ready
        metadata = body.setdefault("metadata", {})
        metadata["namespace"] = self.namespace
        shown = metadata.get("name") or f"{metadata.get('generateName', '')}*"
        created = self._workflows.create(body)
        return created if created.success else created.failed_as(f"submitting workflow {shown} to {self.namespace}")

    def get_workflow(self, name: str) -> WorkflowResult[dict[str, Any]]:
        """The Workflow object as the API returns it."""
        found = self._workflows.get(name)
        return found if found.success else found.failed_as(f"reading workflow {self.namespace}/{name}")

    def wait(
        self,
        name: str,
        timeout_s: float,
        *,
        check: Callable[[WorkflowStatus], WorkflowResult[Any] | None] | None = None,
        check_interval_s: float = 10.0,
    ) -> WorkflowResult[WorkflowStatus]:
        """Wait until the workflow reaches an ending phase (``controls.ENDING_PHASES``: Succeeded,
        Failed, Error; the plan's Stopped and Terminated too); its final status is the value.

        A failure of kind ``timeout`` says where it was when time ran out: still pending with no
        status means Argo's controller never picked it up. Reads that fail for a passing reason
        (kind ``unavailable`` or ``timeout``: 429, 502/503/504, a reset, a slow answer) are tried
        again with a capped backoff until the deadline; the last such failure is returned then.

        ``check`` sees the status of the unfinished workflow at least every ``check_interval_s``
        and may end the wait early by returning a failure (a pod that can never start).
        """
        deadline = self._time.monotonic() + timeout_s
        watching = self.backend == "client"  # kubectl's backend polls
        failures = 0
        while True:
            current = self.get_workflow_status(name)
            remaining = deadline - self._time.monotonic()
            if not current.success:
                if current.kind not in _PASSING or self._client_failure is not None:
                    return current
                if remaining <= 0:
                    tries = f" (tried {failures + 1} times until the deadline)" if failures else ""
                    return WorkflowResult.error_result(
                        f"{current.error}{tries}",
                        current.kind or FailureKind.UNAVAILABLE,
                        status=current.status,
                    )
                failures += 1
                self._time.sleep(min(self._backoff(failures), remaining))
                continue
            failures = 0
            status = current.data
            if status is None or controls.is_ending_phase(status.phase):
                return current
            if check is not None:
                stopped = check(status)
                if stopped is not None:
                    return stopped
            if remaining <= 0:
                return WorkflowResult.error_result(
                    _not_finished(f"{self.namespace}/{name}", status, timeout_s),
                    FailureKind.TIMEOUT,
                )
            window = min(remaining, check_interval_s) if check is not None else remaining
            if watching:
                opened = self._time.monotonic()
                outcome = self._watch(name, status.resource_version, window)
                if isinstance(outcome, WorkflowResult):
                    return outcome
                watching = outcome  # False: watching failed, poll from now on
                if watching and self._time.monotonic() - opened < 1.0:
                    # A stream cut at once (a proxy) would otherwise make this loop spin.
                    self._time.sleep(min(self.poll_interval_s, window, max(0.0, deadline - self._time.monotonic())))
            else:
                self._time.sleep(min(self.poll_interval_s, window))

    def _backoff(self, failures: int) -> float:
        """Seconds before read number ``failures + 1``: doubling from the poll interval (at most
        1 s to start with), capped at 10 s."""
        start = max(0.01, min(self.poll_interval_s, 1.0))
        return float(min(_MAX_BACKOFF_S, start * 2 ** min(failures - 1, 16)))

    # --- pods -----------------------------------------------------------------------------------------

    def stream_pod_logs(
        self, pod_name: str, write: Callable[[bytes], object], *, container: str = "main"
    ) -> WorkflowResult[int]:
        """Hand the container's log to ``write`` chunk by chunk; the value is its size in bytes.

        Kubernetes keeps one log per container, stdout and stderr interleaved as written. With
        kubectl the log is read whole, then handed on.
        """
        doing = f"reading the log of {self.namespace}/{pod_name} ({container})"
        if self.backend == "kubectl":
            logs = self._workflows.logs(pod_name, container)
            if not logs.success:
                return logs.failed_as(doing)
            data = (logs.data or "").encode()
            try:
                write(data)
            except Exception as exc:
                return WorkflowResult.from_exception(exc, doing)
            return WorkflowResult.success_result(len(data))
        return self._stream_pod_logs(pod_name, write, container, doing)

    def _stream_pod_logs(
        self, pod_name: str, write: Callable[[bytes], object], container: str, doing: str | None
    ) -> WorkflowResult[int]:

        def stream(api: Any) -> int:
            response = _core(api).read_namespaced_pod_log(
                pod_name, self.namespace, container=container, _preload_content=False, **self._timeout()
            )
            size = 0
            try:
                for chunk in response.stream(_CHUNK, decode_content=True):
                    size += len(chunk)
                    write(chunk)
            except BaseException:
                response.close()  # unread data: the connection cannot go back to the pool
                raise
            finally:
                response.release_conn()
            return size

        return self._call(doing, stream)

    def pod_logs(self, pod_name: str, container: str = "main") -> WorkflowResult[str]:
        """The container's whole log as text (with the client, ``stream_pod_logs`` bounds the memory)."""
        logs = self._workflows.logs(pod_name, container)
        return logs if logs.success else logs.failed_as(f"reading the log of {self.namespace}/{pod_name} ({container})")

    def list_pods(self, label_selector: str | None = None) -> WorkflowResult[list[dict[str, Any]]]:
        """The namespace's pods (those matching ``label_selector``), as the API's JSON objects."""
        listed = self._workflows.list_pods(label_selector)
        return listed if listed.success else listed.failed_as(f"listing the pods of {self.namespace}")

    def run_pod(self, pod: Mapping[str, Any], timeout_s: float, *, container: str | None = None) -> WorkflowResult[str]:
        """Create a pod that runs to completion and return its log (the first container's, or
        ``container``'s). A pod that fails, or does not finish in time, is a failure whose reason
        carries the end of its log or why it is still waiting (an image that cannot be pulled)."""
        name = pod["metadata"]["name"]
        log_container = container or pod["spec"]["containers"][0]["name"]
        created = self._call(
            f"creating pod {self.namespace}/{name}",
            lambda api: _core(api).create_namespaced_pod(self.namespace, body=dict(pod), **self._timeout()),
        )
        if not created.success:
            return created
        deadline = self._time.monotonic() + timeout_s
        while True:
            read = self._call(
                f"reading pod {self.namespace}/{name}",
                lambda api: _core(api).read_namespaced_pod(name, self.namespace, **self._timeout()),
            )
            if not read.success:
                return read
            found: Any = read.data
            phase = getattr(found.status, "phase", None)
            if phase in ("Succeeded", "Failed"):
                break
            if self._time.monotonic() >= deadline:
                waiting = _waiting_reason(found)
                return WorkflowResult.error_result(
                    f"pod {self.namespace}/{name} did not finish within {timeout_s:.0f} s (phase {phase}{waiting})",
                    FailureKind.TIMEOUT,
                )
            self._time.sleep(self.poll_interval_s)
        logs = self.pod_logs(name, log_container)
        if phase == "Failed":
            tail = (logs.data or "").strip().splitlines()[-3:] if logs.success else [logs.error or ""]
            return WorkflowResult.error_result(
                f"pod {self.namespace}/{name} failed: {' | '.join(tail)}",
                FailureKind.API_ERROR,
            )
        return logs

    # --- plumbing -------------------------------------------------------------------------------------

    def _timeout(self) -> dict[str, float]:
        return {"_request_timeout": self.request_timeout_s}

    def _call(self, doing: str | None, operation: Callable[[Any], Any]) -> WorkflowResult[Any]:
        """``operation`` on the API client; a failure's error says what was being done, unless
        ``doing`` is None (the backend's bare reason)."""
        if self.backend != "client":
            return WorkflowResult.error_result(
                f"{doing or 'this operation'}: needs the kubernetes client backend (this service runs kubectl)",
                FailureKind.UNAVAILABLE,
            )
        loaded = self.api_client()
        if not loaded.success:
            return loaded
        try:
            return WorkflowResult.success_result(operation(loaded.data))
        except ImportError:  # an injected client, but no kubernetes package to call it with
            self._client_failure = WorkflowResult.error_result(KUBERNETES_PACKAGE_HINT, FailureKind.UNAVAILABLE)
            shown = f"{doing}: {KUBERNETES_PACKAGE_HINT}" if doing else KUBERNETES_PACKAGE_HINT
            return WorkflowResult.error_result(shown, FailureKind.UNAVAILABLE)
        except Exception as exc:  # every API or connection error becomes a typed failure
            if doing is None:
                kind, reason, status = classify_failure(exc)
                return WorkflowResult.error_result(reason, kind, status=status)
            return WorkflowResult.from_exception(exc, doing)

    def _create(self, doing: str, create: Callable[[Any], Any]) -> WorkflowResult[bool]:
        """True when created; False when it exists already (409), which ``ensure_*`` accepts."""
        result = self._call(doing, lambda api: create(_core(api)))
        if result.kind is FailureKind.CONFLICT:
            return WorkflowResult.success_result(False)
        return result.map(lambda _: True)

    def _watch(self, name: str, resource_version: str | None, remaining_s: float) -> WorkflowResult[Any] | bool:
        """Follow the workflow from ``resource_version``.

        Returns a result when it finished or was deleted; True to read it again and keep
        watching (the stream ended, the version expired, or time is up); False when watching
        does not work here and the caller should poll instead.
        """
        loaded = self.api_client()
        if not loaded.success:
            return loaded
        window = max(1, min(int(remaining_s), _WATCH_WINDOW_S))
        connect_timeout = min(self.request_timeout_s, 30.0)
        try:
            response = _custom(loaded.data).list_namespaced_custom_object(
                ARGO_GROUP,
                ARGO_API_VERSION,
                self.namespace,
                WORKFLOW_PLURAL,
                field_selector=f"metadata.name={name}",
                resource_version=resource_version,
                allow_watch_bookmarks=True,
                timeout_seconds=window,
                watch=True,
                _preload_content=False,
                _request_timeout=(connect_timeout, window + 30.0),
            )
        except Exception as exc:
            # Expired (410), or the server busy for a moment: read again and watch; else poll.
            return getattr(exc, "status", None) == 410 or classify_failure(exc)[0] in _PASSING
        deadline = self._time.monotonic() + remaining_s
        try:
            for event in _events(response):
                kind, obj = event.get("type"), event.get("object")
                if kind == "ERROR":
                    return isinstance(obj, Mapping) and obj.get("code") == 410
                if kind == "DELETED":
                    return WorkflowResult.error_result(
                        f"workflow {self.namespace}/{name} was deleted while waiting for it",
                        FailureKind.NOT_FOUND,
                    )
                if kind in ("ADDED", "MODIFIED") and isinstance(obj, Mapping):
                    status = WorkflowStatus.from_dict(obj)
                    if controls.is_ending_phase(status.phase):
                        return WorkflowResult.success_result(status)
                if self._time.monotonic() >= deadline:
                    return True
        except Exception:  # the stream broke (a proxy, a reset): polling still works
            return False
        finally:
            response.close()
            response.release_conn()
        return True


class _ClientWorkflows:
    """The kubernetes client backend of the workflow operations (``WorkflowBackend``)."""

    def __init__(self, service: ArgoService) -> None:
        self.service = service

    def _custom(self, call: Callable[[Any, dict[str, float]], Any]) -> WorkflowResult[Any]:
        service = self.service
        return service._call(None, lambda api: call(_custom(api), service._timeout()))

    def create(self, body: Mapping[str, Any]) -> WorkflowResult[dict[str, Any]]:
        namespace = self.service.namespace
        return self._custom(
            lambda api, timeout: dict(
                api.create_namespaced_custom_object(
                    ARGO_GROUP, ARGO_API_VERSION, namespace, WORKFLOW_PLURAL, dict(body), **timeout
                )
            )
        )

    def get(self, name: str) -> WorkflowResult[dict[str, Any]]:
        namespace = self.service.namespace
        return self._custom(
            lambda api, timeout: dict(
                api.get_namespaced_custom_object(
                    ARGO_GROUP, ARGO_API_VERSION, namespace, WORKFLOW_PLURAL, name, **timeout
                )
            )
        )

    def list_workflows(self, label_selector: str | None = None) -> WorkflowResult[list[dict[str, Any]]]:
        namespace = self.service.namespace

        def read(api: Any, timeout: dict[str, float]) -> list[dict[str, Any]]:
            response = api.list_namespaced_custom_object(
                ARGO_GROUP,
                ARGO_API_VERSION,
                namespace,
                WORKFLOW_PLURAL,
                label_selector=label_selector or "",
                _preload_content=False,
                **timeout,
            )
            return [item for item in _json(response).get("items") or [] if isinstance(item, dict)]

        return self._custom(read)

    def patch(self, name: str, patch: Mapping[str, Any]) -> WorkflowResult[dict[str, Any]]:
        namespace = self.service.namespace
        return self._custom(
            lambda api, timeout: dict(
                api.patch_namespaced_custom_object(
                    ARGO_GROUP,
                    ARGO_API_VERSION,
                    namespace,
                    WORKFLOW_PLURAL,
                    name,
                    dict(patch),
                    _content_type="application/merge-patch+json",  # as Argo's types.MergePatchType
                    **timeout,
                )
            )
        )

    def delete(self, name: str) -> WorkflowResult[None]:
        namespace = self.service.namespace
        deleted = self._custom(
            lambda api, timeout: api.delete_namespaced_custom_object(
                ARGO_GROUP, ARGO_API_VERSION, namespace, WORKFLOW_PLURAL, name, **timeout
            )
        )
        return deleted.map(lambda _: None)

    def list_pods(self, label_selector: str | None = None) -> WorkflowResult[list[dict[str, Any]]]:
        service = self.service

        def read(api: Any) -> list[dict[str, Any]]:
            response = _core(api).list_namespaced_pod(
                service.namespace, label_selector=label_selector, _preload_content=False, **service._timeout()
            )
            return [item for item in _json(response).get("items") or [] if isinstance(item, dict)]

        return service._call(None, read)

    def logs(self, pod: str, container: str) -> WorkflowResult[str]:
        chunks: list[bytes] = []
        streamed = self.service._stream_pod_logs(pod, chunks.append, container, None)
        return streamed.map(lambda _: b"".join(chunks).decode("utf-8", errors="replace"))


def workflow_from_template(
    namespace: str,
    template: str,
    parameters: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The Workflow ``start_workflow`` creates: a ``workflowTemplateRef`` to ``template``, with
    ``parameters`` as arguments and ``options`` as spec (or metadata) fields."""
    options = dict(options or {})
    metadata: dict[str, Any] = {"namespace": namespace}
    for key in ("labels", "annotations"):
        if key in options:
            metadata[key] = dict(options.pop(key))
    name = options.pop("name", None)
    generate_name = options.pop("generateName", None) or options.pop("generate_name", None)
    if name:
        metadata["name"] = str(name)
    else:
        metadata["generateName"] = str(generate_name or f"{template}-")
    spec: dict[str, Any] = {"workflowTemplateRef": {"name": template}, **options}
    if parameters:
        spec["arguments"] = {
            "parameters": [{"name": str(key), "value": _parameter_value(value)} for key, value in parameters.items()]
        }
    return {"apiVersion": WORKFLOW_API_VERSION, "kind": "Workflow", "metadata": metadata, "spec": spec}


def _parameter_value(value: Any) -> str:
    """Argo's parameter values are strings (``AnyString``): JSON for structures and booleans."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | dict | list | tuple) or value is None:
        return json.dumps(value)
    return str(value)


# --- helpers ------------------------------------------------------------------------------------------


class _NoConfiguration(Exception):
    """No kubeconfig to load and not inside a cluster."""


def _kubernetes_client() -> Any:
    """``kubernetes.client``, untyped on purpose: its results become WorkflowResults right here."""
    import kubernetes.client

    return kubernetes.client


def _core(api: Any) -> Any:
    """``CoreV1Api`` on ``api``; imported here, inside ``_call``, so an ImportError is a failure."""
    return _kubernetes_client().CoreV1Api(api)


def _custom(api: Any) -> Any:
    """``CustomObjectsApi`` on ``api`` (see ``_core``)."""
    return _kubernetes_client().CustomObjectsApi(api)


def _load_client(kubeconfig: str | None, context: str | None) -> Any:
    import kubernetes.config

    client = _kubernetes_client()
    config: Any = kubernetes.config

    if _uses_in_cluster(kubeconfig):
        configuration = client.Configuration()
        config.load_incluster_config(client_configuration=configuration)
        return client.ApiClient(configuration)
    paths = _kubeconfig_paths(kubeconfig)
    files = [path for path in paths if Path(path).is_file()]
    shown = os.pathsep.join(paths) or "(empty KUBECONFIG)"
    if not files:
        raise _NoConfiguration(f"no Kubernetes configuration: {shown} does not exist")
    if all(Path(path).stat().st_size == 0 for path in files):
        raise _NoConfiguration(f"no Kubernetes configuration: {shown} is empty")
    return config.new_client_from_config(config_file=os.pathsep.join(files), context=context, persist_config=False)


def _kubeconfig_paths(kubeconfig: str | None) -> list[str]:
    """The kubeconfig files kubectl would read: ``kubeconfig``, else ``$KUBECONFIG`` (a list), else
    ``~/.kube/config``. The raw value, not kubernetes' own default: that one is read once, when
    kubernetes is imported."""
    explicit = kubeconfig or os.environ.get("KUBECONFIG")
    return [str(Path(path).expanduser()) for path in (explicit or DEFAULT_KUBECONFIG).split(os.pathsep) if path]


def _uses_in_cluster(kubeconfig: str | None) -> bool:
    """No kubeconfig named or at the default place, inside a pod: its service account is used."""
    explicit = kubeconfig or os.environ.get("KUBECONFIG")
    return not explicit and not Path(DEFAULT_KUBECONFIG).expanduser().is_file() and _in_cluster()


def kubeconfig_contexts(kubeconfig: str | None = None) -> tuple[str, ...] | None:
    """The context names in the kubeconfig files kubectl would read (see ``_kubeconfig_paths``).

    None only when there is no kubeconfig to read: inside a pod (its service account is used), or
    none of the files exists or has content (connecting then says so). A file that cannot be read
    as a kubeconfig raises ``ValueError``: a caller choosing a context must not guess then.
    """
    import yaml

    if _uses_in_cluster(kubeconfig):
        return None
    names: list[str] = []
    found = False
    for path in _kubeconfig_paths(kubeconfig):
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"the kubeconfig {path} cannot be read: {exc}") from None
        except yaml.YAMLError as exc:
            problem = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ValueError(f"the kubeconfig {path} is not valid YAML: {problem}") from None
        if data is None:
            continue
        if not isinstance(data, Mapping):
            raise ValueError(f"the kubeconfig {path} is not a mapping but a {type(data).__name__}")
        found = True
        for context in data.get("contexts") or []:
            if isinstance(context, Mapping) and isinstance(context.get("name"), str):
                names.append(context["name"])
    return tuple(dict.fromkeys(names)) if found else None


def _in_cluster() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and Path(_IN_CLUSTER_TOKEN).is_file()


def _create_or_replace(create: Callable[[], Any], replace: Callable[[], Any]) -> bool:
    """True when created; on 409 replaces it with the wanted content and returns False."""
    try:
        create()
    except Exception as exc:
        if getattr(exc, "status", None) != 409:
            raise
        replace()
        return False
    return True


def _json(response: Any) -> dict[str, Any]:
    """The JSON object of a raw (``_preload_content=False``) response."""
    try:
        decoded = json.loads(response.data)
    finally:
        response.release_conn()
    return decoded if isinstance(decoded, dict) else {}


def _events(response: Any) -> Iterator[dict[str, Any]]:
    """Watch events from a raw response: one JSON object per line."""
    buffer = b""
    for chunk in response.stream(_CHUNK, decode_content=True):
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if line.strip():
                yield json.loads(line)
    if buffer.strip():
        yield json.loads(buffer)


def _not_finished(name: str, status: WorkflowStatus, timeout_s: float) -> str:
    where = f"workflow {name}"
    if not status.phase:
        return (
            f"{where} did not finish within {timeout_s:.0f} s: Argo's controller never picked it up "
            "(no status): is the workflow-controller running?"
        )
    progress = f", progress {status.progress}" if status.progress else ""
    return f"{where} did not finish within {timeout_s:.0f} s (phase {status.phase}{progress})"


def _waiting_reason(pod: Any) -> str:
    """Why a pod's containers are waiting (ImagePullBackOff: ...), for a timeout's message."""
    statuses = getattr(getattr(pod, "status", None), "container_statuses", None) or []
    for status in statuses:
        waiting = getattr(getattr(status, "state", None), "waiting", None)
        if waiting is not None and getattr(waiting, "reason", None):
            message = getattr(waiting, "message", None)
            return f"; {waiting.reason}: {message}" if message else f"; {waiting.reason}"
    return ""
