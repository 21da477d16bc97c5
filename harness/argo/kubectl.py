"""The kubectl backend of ``ArgoService``: Workflows and their pods through ``kubectl``, run by a
``CommandExecutor`` (the plan's ``SubprocessCommandExecutor`` unless one is given).

Each method runs one kubectl command, reads its JSON output, and returns a ``WorkflowResult``
whose failure carries kubectl's own message, typed (``result.classify_kubectl_error``). The
commands (the ones the plan writes, in its order: ``kubectl get workflow NAME -o json --namespace
NS``), with ``--kubeconfig``/``--context`` first when set:

* create: ``kubectl create -f FILE -o json --namespace NS`` (the manifest in a temporary JSON
  file, since a ``CommandExecutor`` has no stdin; deleted afterwards)
* get: ``kubectl get workflow NAME -o json --namespace NS``
* list: ``kubectl get workflows -o json --namespace NS [-l SELECTOR]``
* patch: ``kubectl patch workflow NAME --type merge -p PATCH -o json --namespace NS``
* delete: ``kubectl delete workflow NAME --wait=false --namespace NS`` (as the client backend: the
  deletion is asked for, finalizers are not waited on)
* pods and logs: ``kubectl get pods -o json --namespace NS -l SELECTOR``,
  ``kubectl logs POD -c CONTAINER --namespace NS``

The JSON kubectl prints is the object the API server returned, so both backends hand the service
the same dicts.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from typing import Any

from harness.argo.commands import EXIT_CANNOT_START, CommandExecutor, CommandOutput
from harness.argo.result import FailureKind, WorkflowResult, classify_kubectl_error

KUBECTL_MISSING = "kubectl is not installed (https://kubernetes.io/docs/tasks/tools/)"


class KubectlWorkflows:
    """Workflow operations in one namespace through kubectl."""

    def __init__(
        self,
        executor: CommandExecutor,
        namespace: str,
        *,
        kubeconfig: str | None = None,
        context: str | None = None,
    ) -> None:
        self.executor = executor
        self.namespace = namespace
        self.kubeconfig = kubeconfig
        self.context = context

    def command(self, *words: str) -> list[str]:
        """``kubectl`` with the chosen kubeconfig and context, then ``words``."""
        prefix = ["kubectl"]
        if self.kubeconfig:
            prefix += ["--kubeconfig", self.kubeconfig]
        if self.context:
            prefix += ["--context", self.context]
        return [*prefix, *words]

    def create(self, body: Mapping[str, Any]) -> WorkflowResult[dict[str, Any]]:
        handle, path = tempfile.mkstemp(prefix="argo-parity-workflow-", suffix=".json")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(body, file)
            return self._json(self.command("create", "-f", path, "-o", "json", "--namespace", self.namespace))
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)

    def get(self, name: str) -> WorkflowResult[dict[str, Any]]:
        return self._json(self.command("get", "workflow", name, "-o", "json", "--namespace", self.namespace))

    def list_workflows(self, label_selector: str | None = None) -> WorkflowResult[list[dict[str, Any]]]:
        words = ["get", "workflows", "-o", "json", "--namespace", self.namespace]
        if label_selector:
            words += ["-l", label_selector]
        return self._json(self.command(*words)).map(_items)

    def patch(self, name: str, patch: Mapping[str, Any]) -> WorkflowResult[dict[str, Any]]:
        return self._json(
            self.command(
                "patch", "workflow", name, "--type", "merge", "-p", json.dumps(patch), "-o", "json",
                "--namespace", self.namespace,
            )
        )  # fmt: skip

    def delete(self, name: str) -> WorkflowResult[None]:
        ran = self._run(self.command("delete", "workflow", name, "--wait=false", "--namespace", self.namespace))
        return ran.map(lambda _: None)

    def list_pods(self, label_selector: str | None = None) -> WorkflowResult[list[dict[str, Any]]]:
        words = ["get", "pods", "-o", "json", "--namespace", self.namespace]
        if label_selector:
            words += ["-l", label_selector]
        return self._json(self.command(*words)).map(_items)

    def logs(self, pod: str, container: str) -> WorkflowResult[str]:
        return self._run(self.command("logs", pod, "-c", container, "--namespace", self.namespace))

    # --- plumbing -------------------------------------------------------------------------------------

    def _run(self, command: list[str]) -> WorkflowResult[str]:
        output: CommandOutput = self.executor.execute_command(command)
        if output.success:
            return WorkflowResult.success_result(output.stdout)
        if output.return_code == EXIT_CANNOT_START and output.error:
            return WorkflowResult.error_result(f"{KUBECTL_MISSING}: {output.error}", FailureKind.UNAVAILABLE)
        if output.timed_out:
            return WorkflowResult.error_result(
                f"kubectl did not answer within {output.duration_s:.0f} s", FailureKind.TIMEOUT
            )
        kind, reason, status = classify_kubectl_error(output.stderr, output.stdout)
        return WorkflowResult.error_result(reason, kind, status=status)

    def _json(self, command: list[str]) -> WorkflowResult[dict[str, Any]]:
        ran = self._run(command)
        if not ran.success:
            return WorkflowResult.error_result(
                ran.error or "kubectl failed", ran.kind or FailureKind.API_ERROR, status=ran.status
            )
        try:
            decoded = json.loads(ran.data or "")
        except ValueError as exc:
            return WorkflowResult.error_result(f"kubectl printed no JSON object ({exc})", FailureKind.API_ERROR)
        if not isinstance(decoded, dict):
            return WorkflowResult.error_result(
                f"kubectl printed a JSON {type(decoded).__name__}, not an object", FailureKind.API_ERROR
            )
        return WorkflowResult.success_result(decoded)


def _items(listing: dict[str, Any]) -> list[dict[str, Any]]:
    """The objects of a ``List`` (kubectl prints ``kind: List`` with ``items``)."""
    return [item for item in listing.get("items") or [] if isinstance(item, dict)]
