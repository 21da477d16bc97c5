"""Argo Workflows, typed: the ArgoService improvement plan's contract, with richer extras.

``status`` (``WorkflowStatus.from_dict``, ``NodeStatus``), ``result`` (``WorkflowResult[T]``:
``success``, ``data``, ``error``; ``success_result``/``error_result``), ``commands``
(``CommandExecutor.execute_command`` -> ``CommandOutput``, ``SubprocessCommandExecutor``),
``service`` (``ArgoService``: kubectl through a ``CommandExecutor``, or the ``kubernetes``
client), ``kubectl`` (that backend's commands), ``controls`` (what suspend, resume, stop and
terminate change, as Argo does it), ``rbac`` (what a workflow's pods need) and ``provision`` (a
local cluster with Argo: ``make cluster-up``) and ``testcluster`` (a throwaway k3s cluster from
testcontainers). Importing the package loads none of kubernetes: the service imports it when
first used, so ``parity diff`` stays fast.

>>> from harness.argo import ArgoService
>>> argo = ArgoService(namespace="migrations")              # the kubernetes client
>>> started = argo.start_workflow("full-migration", {"index": "logs-2024"})
>>> final = argo.wait_for_completion(started.data, timeout=3600)
>>> final.success, final.data.phase, [node.display_name for node in final.data.failed_nodes()]
"""

from harness.argo.commands import CommandExecutor, CommandOutput, ProgramRunner, SubprocessCommandExecutor
from harness.argo.controls import ENDING_PHASES
from harness.argo.result import ArgoError, FailureKind, WorkflowResult
from harness.argo.service import ArgoService
from harness.argo.status import ArgoPhase, NodeStatus, NodeType, StatusError, WorkflowStatus

__all__ = [
    "ENDING_PHASES",
    "ArgoError",
    "ArgoPhase",
    "ArgoService",
    "CommandExecutor",
    "CommandOutput",
    "FailureKind",
    "NodeStatus",
    "NodeType",
    "ProgramRunner",
    "StatusError",
    "SubprocessCommandExecutor",
    "WorkflowResult",
    "WorkflowStatus",
]
