"""Argo Workflows, typed: a workflow's status, the result of an operation, and a service to run them.

``status`` (``WorkflowStatus``, ``NodeStatus``), ``result`` (``WorkflowResult[T]``), ``commands``
(``CommandExecutor``: kubectl, kind, k3d behind a protocol), ``service`` (``ArgoService`` over the
``kubernetes`` client), ``rbac`` (what a workflow's pods need) and ``provision`` (a local cluster
with Argo, for ``make cluster-up``). Importing the package loads none of kubernetes: the service
imports it when first used, so ``parity diff`` stays fast.

>>> from harness.argo import ArgoService
>>> with ArgoService("argo") as argo:
...     created = argo.submit(manifest)
...     final = argo.wait(created.unwrap()["metadata"]["name"], timeout_s=600)
>>> final.value.phase, [node.display_name for node in final.value.failed_nodes()]
"""

from harness.argo.commands import CommandExecutor, CommandResult, SubprocessExecutor
from harness.argo.result import ArgoError, FailureKind, WorkflowResult
from harness.argo.service import ArgoService
from harness.argo.status import ArgoPhase, NodeStatus, NodeType, StatusError, WorkflowStatus

__all__ = [
    "ArgoError",
    "ArgoPhase",
    "ArgoService",
    "CommandExecutor",
    "CommandResult",
    "FailureKind",
    "NodeStatus",
    "NodeType",
    "StatusError",
    "SubprocessExecutor",
    "WorkflowResult",
    "WorkflowStatus",
]
