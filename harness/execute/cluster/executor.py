"""The ``cluster`` executor: submit the workflow to Argo on Kubernetes and read back what it did.

Which cluster: ``cluster="testcontainers"`` (``--cluster testcontainers``) runs in a throwaway k3s
cluster with Argo, started for this process and removed at its end (``harness.argo.testcluster``).
Otherwise (``"kubeconfig"``, the default) it runs only in a kubeconfig context it was told about:
``context=``, else ``$PARITY_KUBE_CONTEXT``, else the context ``make cluster-up`` creates
(``kind-argo-parity``, ``k3d-argo-parity``) when the kubeconfig has it. Never the current context
by default: every run creates namespaces, RBAC and Secrets (with the caller's secret values),
which must not land in whatever cluster kubectl happens to point at.

Each run gets a namespace of its own (``parity-<label>-<random>``), deleted at the end unless
``keep_namespace``: the legacy and the new run of a scenario never share a volume, a Secret or a
name, exactly as in the local executors. Into it go what the manifest expects to find:

* the service account it names (``spec`` or template ``serviceAccountName``, else ``default``),
  bound to the role Argo's executor needs (``harness.argo.rbac``);
* a fresh, empty claim for every existing ``persistentVolumeClaim.claimName`` it mounts;
* a Secret for every ``secretKeyRef``, holding the caller's value or the same deterministic fake
  the local executor injects (``harness.execute.secrets``).

The manifest is rewritten only where a fresh namespace requires it, and every rewrite is recorded
in ``WorkflowRun.notes``: the namespace; a fixed name instead of ``generateName`` (``<prefix>local``,
as the local executor names it, so ``{{workflow.name}}`` and pod names compare between runs); the
default deadline when the workflow sets none; no ``podGC``/``ttlStrategy`` (the pods and the
workflow must outlive the run to be read) and ``volumeClaimGC: OnWorkflowDeletion`` (claims from
``volumeClaimTemplates`` must outlive it too). Fields the local executors ignore but a small
cluster may not satisfy (node selectors, tolerations, image pull secrets, a claim template's
storage class...) are noted; a pod that stays unschedulable or cannot pull its image ends the run
after ``stuck_pod_grace_s`` instead of at the deadline, and a workflow the controller never picks
up ends it after ``controller_grace_s``.

When the workflow has finished, its typed status (``harness.argo.WorkflowStatus``) becomes a
``WorkflowRun``: phases, exit codes, node names in the local executor's entrypoint-relative form
(``main[0].fetch``, ``main.train(1:b)``), each pod's log as its stdout (capped like the local
executor's; Kubernetes keeps stdout and stderr in one log, so stderr is empty), durations from
Argo's timestamps. The run's namespace, which differs on every run, is shown as the manifest's
own namespace in logs and messages (what ``{{workflow.namespace}}`` prints in production and in the
local executors). Superseded retry attempts do not count (``convert``). The files left on
the persistent volumes are read by a short reader pod that mounts every claim read-only and prints
a JSON listing (path, size, sha256, head), which becomes ``FileResult`` entries exactly as the
local executor reports them, under the same mount path (``harness.execute.volumes``).

``run`` never raises: a cluster that fails is ``WorkflowRun(error=...)``. What a fresh namespace
cannot provide (WorkflowTemplates, ConfigMaps, an artifact repository, volume sources other than
claims and emptyDir, containerSet logs) is listed in ``unsupported`` and nothing runs.
"""

from __future__ import annotations

import itertools
import os
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from secrets import token_hex
from typing import Any

from harness.argo import provision, testcluster
from harness.argo.result import FailureKind, WorkflowResult
from harness.argo.service import KUBERNETES_PACKAGE_HINT, ArgoService, kubeconfig_contexts
from harness.argo.status import ArgoPhase, WorkflowStatus
from harness.execute.base import DEFAULT_DEADLINE_S
from harness.execute.check import argo_refusal, inspect_for_cluster
from harness.execute.cluster.convert import FINAL_PHASES, superseded_attempts, workflow_run_from_status
from harness.execute.cluster.files import files_from_listing, reader_pod
from harness.execute.cluster.plan import PersistentVolume, RunPlan, plan_run
from harness.execute.output import DEFAULT_CAP, CappedOutput
from harness.execute.result import FileResult, Output, RunPhase, WorkflowRun
from harness.spec import naming
from harness.spec.fields import WORKFLOW_LABEL

__all__ = ["CONTEXT_ENV", "KUBERNETES_PACKAGE_HINT", "PARITY_CONTEXTS", "ClusterExecutor", "pod_stuck_reason"]

# The variable naming the kubeconfig context to run in, and the contexts make cluster-up creates.
CONTEXT_ENV = "PARITY_KUBE_CONTEXT"
PARITY_CONTEXTS = tuple(f"{tool}-{provision.CLUSTER_NAME}" for tool in provision.TOOLS)
_SUFFIX_HEX = 3  # bytes of randomness: 6 hex characters
# Waiting reasons of a container whose image will not come without a change (kubelet's names).
_IMAGE_FAILURES = frozenset({"ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull"})


@dataclass(frozen=True)
class ClusterExecutor:
    """Runs a workflow on Argo Workflows in a named kubeconfig context.

    ``kubeconfig`` picks the file (default: ``$KUBECONFIG`` or ``~/.kube/config``); ``context`` the
    cluster: when None, ``$PARITY_KUBE_CONTEXT``, else ``kind-argo-parity`` or ``k3d-argo-parity``
    when the kubeconfig has one, else the executor is unavailable. The current context is never
    used implicitly (see the module doc). ``default_deadline_s`` becomes ``activeDeadlineSeconds``
    when the workflow sets none; ``startup_grace_s`` is added to the deadline for scheduling and
    image pulls before the harness gives up waiting. A pod that stays Unschedulable or cannot pull
    its image for ``stuck_pod_grace_s``, or a workflow without a status ``controller_grace_s``
    after it was submitted, ends the run with an error at once. Claims are made with ``pvc_size``
    on ``storage_class`` (None: the cluster's default class). ``reader_image`` runs the pod that
    lists the files left on the claims (it needs ``python3``). ``keep_namespace`` leaves each run's
    namespace for inspection (``kubectl get ns -l app.kubernetes.io/managed-by=argo-parity``),
    and with it the run's Secrets, holding the real values the caller passed: delete it after.
    """

    kubeconfig: str | None = None
    context: str | None = None
    # "kubeconfig" or "testcontainers" (testcluster.CLUSTER_CHOICES): the engine passes the run's
    # choice (RunConfig.cluster, where the front doors put --cluster, the file's or $PARITY_CLUSTER).
    cluster: str = "kubeconfig"
    default_deadline_s: float = DEFAULT_DEADLINE_S
    startup_grace_s: float = 300.0
    stuck_pod_grace_s: float = 60.0
    controller_grace_s: float = 60.0
    output_cap: int = DEFAULT_CAP
    pvc_size: str = "1Gi"
    storage_class: str | None = None
    reader_image: str = "python:3.11-slim"
    reader_timeout_s: float = 300.0
    keep_namespace: bool = False
    namespace_prefix: str = "parity"
    max_files: int = 1000
    preview_bytes: int = 4096
    poll_interval_s: float = 2.0
    request_timeout_s: float = 30.0
    name: str = "cluster"

    def cluster_choice(self) -> str:
        """Which cluster runs use: the ``cluster`` given, nothing else (no environment variable:
        the front doors read ``$PARITY_CLUSTER`` once, into the run's config)."""
        return self.cluster

    def target(self) -> WorkflowResult[tuple[str | None, str | None]]:
        """(kubeconfig, context) of the cluster runs use: the throwaway cluster's (started here on
        first use) with ``testcontainers``, else ``kubeconfig`` and ``kube_context()``."""
        choice = self.cluster_choice()
        if choice not in testcluster.CLUSTER_CHOICES:
            return WorkflowResult.error_result(
                f"unknown cluster {choice!r}; choose from {', '.join(testcluster.CLUSTER_CHOICES)}",
                FailureKind.INVALID,
            )
        if choice == "testcontainers":
            cluster, started = testcluster.shared_cluster()
            if cluster is None or cluster.kubeconfig is None:
                return WorkflowResult.error_result(started.error or "no throwaway cluster", FailureKind.UNAVAILABLE)
            return WorkflowResult.success_result((str(cluster.kubeconfig), cluster.context))
        context = self.kube_context()
        if not context.success:
            return WorkflowResult.error_result(context.error or "no context", context.kind or FailureKind.UNAVAILABLE)
        return WorkflowResult.success_result((self.kubeconfig, context.data))

    def kube_context(self) -> WorkflowResult[str | None]:
        """The kubeconfig context runs use: ``context``, else ``$PARITY_KUBE_CONTEXT`` (both used as
        given), else the first of ``PARITY_CONTEXTS`` the kubeconfig has. A failure when there is a
        kubeconfig but none of those, or it cannot be read; None (a success) only when there is no
        kubeconfig to choose from: inside a pod (its service account), or none at all, or only
        empty files (connecting then says so)."""
        if self.context:
            return WorkflowResult.success_result(self.context)
        named = os.environ.get(CONTEXT_ENV)
        if named:
            return WorkflowResult.success_result(named)
        try:
            contexts = kubeconfig_contexts(self.kubeconfig)
        except ValueError as exc:  # unreadable: no context can be chosen, and none is guessed
            return WorkflowResult.error_result(str(exc), FailureKind.UNAVAILABLE)
        if contexts is None:
            return WorkflowResult.success_result(None)
        found = next((context for context in PARITY_CONTEXTS if context in contexts), None)
        if found is not None:
            return WorkflowResult.success_result(found)
        return WorkflowResult.error_result(
            f"the kubeconfig has no context {' or '.join(PARITY_CONTEXTS)} (run `make cluster-up`), and "
            f"{CONTEXT_ENV} is not set to the context to run in; the current context is never used, "
            "since every run creates namespaces, RBAC and Secrets in its cluster",
            FailureKind.UNAVAILABLE,
        )

    def service(self, namespace: str, target: tuple[str | None, str | None]) -> ArgoService:
        """The service for one namespace, in ``target`` (kubeconfig, context: from ``target()``)."""
        kubeconfig, context = target
        return ArgoService(
            namespace,
            kubeconfig=kubeconfig,
            context=context,
            request_timeout_s=self.request_timeout_s,
            poll_interval_s=self.poll_interval_s,
        )

    def unavailable_reason(self) -> str | None:
        try:
            import kubernetes  # noqa: F401
        except ImportError:
            return KUBERNETES_PACKAGE_HINT
        if self.cluster_choice() == "testcontainers":
            problem = testcluster.prerequisites()  # seconds, once, before a cluster that takes minutes
            if problem:
                return f"no throwaway cluster (--cluster testcontainers): {problem}"
        target = self.target()
        if not target.success or target.data is None:
            return target.error
        with self.service("default", target.data) as service:
            available = service.available()
        return None if available.success else available.error

    def namespace_for(self, label: str) -> str:
        """A fresh namespace name for a run: ``<prefix>-<label as a DNS label>-<6 hex>``, at most 63
        characters (a long prefix is cut before the label, never the random suffix)."""
        suffix = token_hex(_SUFFIX_HEX)
        longest = naming.DNS_LABEL_MAX  # a namespace's name is a DNS label
        prefix = naming.as_dns_label(self.namespace_prefix)[: longest - len(suffix) - 1].strip("-")
        slug = naming.as_dns_label(label)
        room = longest - len(suffix) - 1 - (len(prefix) + 1 if prefix else 0)
        slug = slug[: max(0, room)].strip("-")
        return "-".join(part for part in (prefix, slug, suffix) if part)

    def run(self, manifest: Mapping[str, Any], *, label: str, secrets: Mapping[str, str] | None = None) -> WorkflowRun:
        started = time.perf_counter()
        try:
            return self._run(manifest, label, secrets, started)
        except Exception as exc:  # a harness bug costs this run, with the reason, never the caller
            error = "".join(traceback.format_exception_only(exc)).strip()
            return WorkflowRun(
                executor=self.name, label=label, phase=None, error=error, duration_s=time.perf_counter() - started
            )

    def _run(
        self, manifest: Mapping[str, Any], label: str, secrets: Mapping[str, str] | None, started: float
    ) -> WorkflowRun:
        unsupported = inspect_for_cluster(manifest)
        if unsupported:
            return WorkflowRun.not_run(self.name, label, unsupported, time.perf_counter() - started)
        refused = argo_refusal(manifest)
        if refused:  # as the local executors refuse it: never submitted with a value put in its place
            return WorkflowRun.refused(self.name, label, refused, time.perf_counter() - started)
        try:
            import kubernetes  # noqa: F401
        except ImportError:
            return WorkflowRun(executor=self.name, label=label, phase=None, error=KUBERNETES_PACKAGE_HINT)
        target = self.target()
        if not target.success or target.data is None:  # nothing is created anywhere
            return WorkflowRun(executor=self.name, label=label, phase=None, error=target.error)
        plan = plan_run(
            manifest, namespace=self.namespace_for(label), secrets=secrets, default_deadline_s=self.default_deadline_s
        )
        with self.service(plan.namespace, target.data) as service:
            try:
                run = _ClusterRun(self, service, plan, label).execute()
            finally:
                cleanup = self._cleanup(service, plan)
        return replace(
            run,
            notes=(*run.notes, *cleanup),
            duration_s=run.duration_s or time.perf_counter() - started,
        )

    def _cleanup(self, service: ArgoService, plan: RunPlan) -> tuple[str, ...]:
        if self.keep_namespace:
            kept = f"namespace {plan.namespace} kept (keep_namespace)"
            if plan.secrets:
                kept += f", with its Secrets ({', '.join(sorted(plan.secrets))}) holding the values used: delete it"
            return (kept,)
        deleted = service.delete_namespace()
        return () if deleted.success else (f"namespace {plan.namespace} was not deleted: {deleted.error}",)


class _ClusterRun:
    """One run: set the namespace up, submit, wait, read logs and files."""

    def __init__(self, executor: ClusterExecutor, service: ArgoService, plan: RunPlan, label: str) -> None:
        self.executor = executor
        self.service = service
        self.plan = plan
        self.label = label
        self.notes: list[str] = list(plan.notes)

    def failed(self, error: str) -> WorkflowRun:
        return WorkflowRun(
            executor=self.executor.name,
            label=self.label,
            phase=None,
            error=error,
            notes=tuple(self.notes),
            secrets_used=self.plan.secrets_used,
        )

    def execute(self) -> WorkflowRun:
        problem = self.set_up()
        if problem:
            return self.failed(problem)
        submitted = self.service.submit(self.plan.manifest)
        if not submitted.success:
            if submitted.kind is FailureKind.INVALID:  # the API server refused it: Argo never would run it
                return WorkflowRun(
                    executor=self.executor.name,
                    label=self.label,
                    phase=RunPhase.ERROR,
                    message=submitted.error,
                    notes=tuple(self.notes),
                    secrets_used=self.plan.secrets_used,
                )
            return self.failed(submitted.error or "submitting the workflow failed")
        name = str((submitted.data or {}).get("metadata", {}).get("name") or self.plan.workflow_name)
        waited = self.wait(name)
        if not waited.success or waited.data is None:
            self.service.terminate_workflow(name)  # best effort: the namespace goes next anyway
            return self.failed(waited.error or "waiting for the workflow failed")
        status = waited.data
        logs, problem = self.read_logs(status)
        if problem:
            return self.failed(problem)
        files, truncated, problem = self.read_files(status)
        if problem:
            return self.failed(problem)
        self.notes.append(
            "stdout is each pod's log: Kubernetes keeps a container's stdout and stderr in one log, so stderr is empty"
        )
        return workflow_run_from_status(
            status,
            self.plan.manifest,
            label=self.label,
            executor=self.executor.name,
            logs=logs,
            files=files,
            files_truncated=truncated,
            notes=tuple(self.notes),
            secrets_used=self.plan.secrets_used,
            namespace=(self.plan.namespace, self.plan.original_namespace),
        )

    def wait(self, name: str) -> WorkflowResult[WorkflowStatus]:
        """Wait for the workflow to finish, up to its deadline plus the startup grace, ending early
        when the controller never picks it up or a pod can never start."""
        executor, namespace = self.executor, self.plan.namespace
        submitted = time.monotonic()
        stuck_since: dict[str, float] = {}

        def check(status: WorkflowStatus) -> WorkflowResult[Any] | None:
            now = time.monotonic()
            if not status.phase:  # no status yet
                if now - submitted < executor.controller_grace_s:
                    return None
                return WorkflowResult.error_result(
                    f"workflow {namespace}/{name} has no status {executor.controller_grace_s:.0f} s after it was "
                    "submitted: Argo's controller never picked it up: is the workflow-controller running?",
                    FailureKind.TIMEOUT,
                )
            pods = self.service.list_pods(f"{WORKFLOW_LABEL}={name}")
            if not pods.success:
                return None  # only a shortcut: the wait goes on to its deadline
            return _stuck_pod(namespace, pods.data or [], stuck_since, now, executor.stuck_pod_grace_s)

        interval = max(0.05, min(10.0, executor.controller_grace_s / 4, executor.stuck_pod_grace_s / 4))
        return self.service.wait(
            name, self.plan.deadline_s + executor.startup_grace_s, check=check, check_interval_s=interval
        )

    def set_up(self) -> str | None:
        """What the manifest expects to find in its namespace; the first failure's reason."""
        service, plan = self.service, self.plan
        results: Iterator[WorkflowResult[Any]] = itertools.chain(
            [service.ensure_namespace({"argo-parity/run": naming.as_label_value(self.label)})],
            (service.ensure_service_account(account) for account in plan.service_accounts),
            (
                service.ensure_pvc(claim, size=self.executor.pvc_size, storage_class=self.executor.storage_class)
                for claim in plan.claims
            ),
            (service.ensure_secret(secret, data) for secret, data in sorted(plan.secrets.items())),
        )
        for result in results:  # lazily: nothing after the first failure is attempted
            if not result.success:
                return f"setting up namespace {plan.namespace}: {result.error}"
        return None

    def read_logs(self, status: WorkflowStatus) -> tuple[dict[str, Output], str | None]:
        """Each finished pod's log, capped, by node id; an error when a pod that succeeded has none."""
        logs: dict[str, Output] = {}
        superseded = superseded_attempts(status)
        for node in status.pods():
            if node.phase not in FINAL_PHASES or node.id in superseded:
                continue
            sink = CappedOutput(self.executor.output_cap)
            streamed = self.service.stream_pod_logs(status.pod_name(node), sink.write)
            if streamed.success:
                logs[node.id] = sink.result()
            elif node.phase is ArgoPhase.SUCCEEDED:
                return logs, f"the log of {node.name} cannot be read: {streamed.error}"
            else:  # a pod that never started (an image that cannot be pulled) has no log
                self.notes.append(f"no log for {node.name}: {streamed.error}")
        return logs, None

    def read_files(self, status: WorkflowStatus) -> tuple[tuple[FileResult, ...], bool, str | None]:
        mounts: list[tuple[PersistentVolume, str]] = []
        for volume in self.plan.volumes:
            claim = volume.claim or status.volume_claims.get(volume.volume)
            if claim is None:
                continue  # a claim template Argo never instantiated: no pod mounted it
            mounts.append((volume, claim))
        if not mounts:
            return (), False, None
        pod = reader_pod(
            [claim for _, claim in mounts],
            image=self.executor.reader_image,
            max_files=self.executor.max_files,
            preview_bytes=self.executor.preview_bytes,
        )
        output = self.service.run_pod(pod, self.executor.reader_timeout_s)
        if not output.success:
            return (), False, f"the files left on the volumes cannot be read: {output.error}"
        try:
            files, truncated = files_from_listing(output.data or "", [volume for volume, _ in mounts])
        except ValueError as exc:
            return (), False, f"the files left on the volumes cannot be read: {exc}"
        return files, truncated, None


def pod_stuck_reason(pod: Mapping[str, Any]) -> str | None:
    """Why a pending pod cannot start and will not without a change: the scheduler found no node
    for it (Unschedulable: a node selector, a toleration, a claim that is never bound...), or one
    of its images cannot be pulled. None for a pod that is starting, running or done."""
    status = _mapping(pod.get("status"))
    if status.get("phase") not in (None, "Pending"):
        return None
    for condition in status.get("conditions") or []:
        if (
            isinstance(condition, Mapping)
            and condition.get("type") == "PodScheduled"
            and condition.get("status") == "False"
            and condition.get("reason") == "Unschedulable"
        ):
            return f"Unschedulable: {condition.get('message') or 'no node can run it'}"
    for key in ("initContainerStatuses", "containerStatuses"):
        for container in status.get(key) or []:
            state = container.get("state") if isinstance(container, Mapping) else None
            waiting = state.get("waiting") if isinstance(state, Mapping) else None
            if isinstance(waiting, Mapping) and waiting.get("reason") in _IMAGE_FAILURES:
                message = f": {waiting['message']}" if waiting.get("message") else ""
                return f"{waiting['reason']} (container {container.get('name')}){message}"
    return None


def _stuck_pod(
    namespace: str, pods: Sequence[Mapping[str, Any]], since: dict[str, float], now: float, grace_s: float
) -> WorkflowResult[Any] | None:
    """A failure for the first pod stuck (``pod_stuck_reason``) for ``grace_s`` or longer; ``since``
    keeps when each stuck pod was first seen so (a pod that recovers is forgotten)."""
    stuck: dict[str, str] = {}
    for pod in pods:
        metadata = _mapping(pod.get("metadata"))
        reason = pod_stuck_reason(pod)
        if reason is not None and metadata.get("name"):
            stuck[str(metadata["name"])] = reason
    for name in set(since) - set(stuck):
        del since[name]
    for name, reason in sorted(stuck.items()):
        if now - since.setdefault(name, now) >= grace_s:
            return WorkflowResult.error_result(
                f"pod {namespace}/{name} cannot start: {reason} (for {grace_s:.0f} s; the cluster may lack "
                "what the manifest asks for, see the notes)",
                FailureKind.TIMEOUT,
            )
    return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
