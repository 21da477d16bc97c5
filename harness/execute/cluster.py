"""The ``cluster`` executor: submit the workflow to Argo on Kubernetes and read back what it did.

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
``volumeClaimTemplates`` must outlive it too).

When the workflow has finished, its typed status (``harness.argo.WorkflowStatus``) becomes a
``WorkflowRun``: phases, exit codes, node names in the local executor's entrypoint-relative form
(``main[0].fetch``, ``main.train(1:b)``), each pod's log as its stdout (capped like the local
executor's; Kubernetes keeps stdout and stderr in one log, so stderr is empty), durations from
Argo's timestamps. The files left on the persistent volumes are read by a short reader pod that
mounts every claim read-only and prints a JSON listing (path, size, sha256, head), which becomes
``FileResult`` entries exactly as the local executor reports them.

``run`` never raises: a cluster that fails is ``WorkflowRun(error=...)``. What a fresh namespace
cannot provide (WorkflowTemplates, ConfigMaps, an artifact repository, volume sources other than
claims and emptyDir) is listed in ``unsupported`` and nothing runs.
"""

from __future__ import annotations

import itertools
import re
import time
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from secrets import token_hex
from typing import Any

from harness.argo.result import FailureKind, WorkflowResult
from harness.argo.service import ArgoService
from harness.argo.status import ArgoPhase, WorkflowStatus
from harness.execute import _argo
from harness.execute._cluster_files import files_from_listing, reader_pod
from harness.execute._cluster_plan import PersistentVolume, RunPlan, inspect_for_cluster, plan_run
from harness.execute._cluster_status import FINAL_PHASES, workflow_run_from_status
from harness.execute.output import DEFAULT_CAP, CappedOutput
from harness.execute.result import FileResult, Output, Phase, WorkflowRun

PACKAGE_HINT = "the kubernetes Python package is not installed (pip install kubernetes)"
_MAX_NAMESPACE = 63  # a namespace name is a DNS label


@dataclass(frozen=True)
class ClusterExecutor:
    """Runs a workflow on Argo Workflows in the cluster of the current kubeconfig context.

    ``kubeconfig``/``context`` pick the cluster (default: ``$KUBECONFIG`` or ``~/.kube/config``,
    its current context). ``default_deadline_s`` becomes ``activeDeadlineSeconds`` when the
    workflow sets none; ``startup_grace_s`` is added to the deadline for scheduling and image
    pulls before the harness gives up waiting. Claims are made with ``pvc_size`` on
    ``storage_class`` (None: the cluster's default class). ``reader_image`` runs the pod that lists
    the files left on the claims (it needs ``python3``). ``keep_namespace`` leaves each run's
    namespace for inspection (``kubectl get ns -l app.kubernetes.io/managed-by=argo-parity``).
    """

    kubeconfig: str | None = None
    context: str | None = None
    default_deadline_s: float = _argo.DEFAULT_DEADLINE_S
    startup_grace_s: float = 300.0
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

    def service(self, namespace: str) -> ArgoService:
        return ArgoService(
            namespace,
            kubeconfig=self.kubeconfig,
            context=self.context,
            request_timeout_s=self.request_timeout_s,
            poll_interval_s=self.poll_interval_s,
        )

    def unavailable_reason(self) -> str | None:
        try:
            import kubernetes  # noqa: F401
        except ImportError:
            return PACKAGE_HINT
        with self.service("default") as service:
            available = service.available()
        return None if available.ok else available.reason

    def namespace_for(self, label: str) -> str:
        """A fresh namespace name for a run: ``<prefix>-<label as a DNS label>-<6 hex>``."""
        suffix = token_hex(3)
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        prefix = re.sub(r"[^a-z0-9]+", "-", self.namespace_prefix.lower()).strip("-")
        room = _MAX_NAMESPACE - len(prefix) - len(suffix) - 2
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
            return WorkflowRun(
                executor=self.name,
                label=label,
                phase=None,
                unsupported=unsupported,
                message="not run: " + "; ".join(unsupported),
                duration_s=time.perf_counter() - started,
            )
        try:
            import kubernetes  # noqa: F401
        except ImportError:
            return WorkflowRun(executor=self.name, label=label, phase=None, error=PACKAGE_HINT)
        plan = plan_run(
            manifest, namespace=self.namespace_for(label), secrets=secrets, default_deadline_s=self.default_deadline_s
        )
        with self.service(plan.namespace) as service:
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
            return (f"namespace {plan.namespace} kept (keep_namespace)",)
        deleted = service.delete_namespace()
        return () if deleted.ok else (f"namespace {plan.namespace} was not deleted: {deleted.reason}",)


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
        if not submitted.ok:
            if submitted.kind is FailureKind.INVALID:  # the API server refused it: Argo never would run it
                return WorkflowRun(
                    executor=self.executor.name,
                    label=self.label,
                    phase=Phase.ERROR,
                    message=submitted.reason,
                    notes=tuple(self.notes),
                    secrets_used=self.plan.secrets_used,
                )
            return self.failed(submitted.reason or "submitting the workflow failed")
        name = str((submitted.value or {}).get("metadata", {}).get("name") or self.plan.workflow_name)
        waited = self.service.wait(name, self.plan.deadline_s + self.executor.startup_grace_s)
        if not waited.ok or waited.value is None:
            self.service.terminate(name)  # best effort: the namespace goes next anyway
            return self.failed(waited.reason or "waiting for the workflow failed")
        status = waited.value
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
        )

    def set_up(self) -> str | None:
        """What the manifest expects to find in its namespace; the first failure's reason."""
        service, plan = self.service, self.plan
        results: Iterator[WorkflowResult[Any]] = itertools.chain(
            [service.ensure_namespace({"argo-parity/run": _label_value(self.label)})],
            (service.ensure_service_account(account) for account in plan.service_accounts),
            (
                service.ensure_pvc(claim, size=self.executor.pvc_size, storage_class=self.executor.storage_class)
                for claim in plan.claims
            ),
            (service.ensure_secret(secret, data) for secret, data in sorted(plan.secrets.items())),
        )
        for result in results:  # lazily: nothing after the first failure is attempted
            if not result.ok:
                return f"setting up namespace {plan.namespace}: {result.reason}"
        return None

    def read_logs(self, status: WorkflowStatus) -> tuple[dict[str, Output], str | None]:
        """Each finished pod's log, capped, by node id; an error when a pod that succeeded has none."""
        logs: dict[str, Output] = {}
        for node in status.pods():
            if node.phase not in FINAL_PHASES:
                continue
            sink = CappedOutput(self.executor.output_cap)
            streamed = self.service.stream_pod_logs(status.pod_name(node), sink.write)
            if streamed.ok:
                logs[node.id] = sink.result()
            elif node.phase is ArgoPhase.SUCCEEDED:
                return logs, f"the log of {node.name} cannot be read: {streamed.reason}"
            else:  # a pod that never started (an image that cannot be pulled) has no log
                self.notes.append(f"no log for {node.name}: {streamed.reason}")
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
        if not output.ok:
            return (), False, f"the files left on the volumes cannot be read: {output.reason}"
        try:
            files, truncated = files_from_listing(output.value or "", [volume for volume, _ in mounts])
        except ValueError as exc:
            return (), False, f"the files left on the volumes cannot be read: {exc}"
        return files, truncated, None


def _label_value(text: str) -> str:
    """``text`` as a Kubernetes label value: 63 characters of [A-Za-z0-9._-], alphanumeric at the ends."""
    value = re.sub(r"[^A-Za-z0-9._-]+", "-", text)[:63]
    return value.strip("-_.")
