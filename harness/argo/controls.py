"""What ``argo suspend``, ``resume``, ``stop`` and ``terminate`` change on a Workflow, as JSON
merge patches: one place for these Argo rules, so both backends of ``ArgoService`` (kubectl and
the kubernetes client) send exactly the same change.

Read from Argo's own implementation, ``workflow/util/util.go`` (argoproj/argo-workflows, the
functions the CLI's commands and the Argo Server call):

* ``SuspendWorkflow`` sets ``spec.suspend: true``; a completed workflow is refused
  ("cannot suspend completed workflows").
* ``ResumeWorkflow`` (no node field selector) clears ``spec.suspend`` and marks every *active
  suspend node* (``NodeStatus.IsActiveSuspendNode``: type Suspend, phase Running) Succeeded, with
  ``finishedAt`` now and the resumer in its message; an output parameter the node expects from
  the resumer (``valueFrom.supplied``) takes its ``valueFrom.default``, and without one the
  resume is refused. This is how a workflow stopped at a ``suspend: {}`` template is approved:
  the controller sees the node Succeeded and goes on to the next step.
* ``StopWorkflow`` and ``TerminateWorkflow`` merge-patch ``spec.shutdown`` to ``Stop`` (exit
  handlers still run) or ``Terminate`` (they do not); a completed workflow is refused ("cannot
  shutdown a completed workflow").

Argo writes the whole object back (an Update); a merge patch carrying ``metadata.resourceVersion``
is the same optimistic update (409 Conflict when the controller wrote in between), with no need
to resend the spec. The Workflow CRD has no status subresource, so ``status.nodes`` is patched on
the object itself, as Argo's own Update does. Nodes Argo compressed (``compressedNodes``) or
offloaded to its database cannot be patched this way: resuming those is refused with the reason.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from harness.argo.status import WorkflowStatus

# The plan's ending phases (ENDING_ARGO_PHASES). Argo's workflow phases are Pending, Running,
# Succeeded, Failed and Error; a stopped or terminated workflow ends Failed with the message
# "Stopped with strategy 'Stop'"/"'Terminate'". "Stopped" and "Terminated" are kept because the
# plan lists them (a tool may write them), never because Argo does.
ENDING_PHASES: tuple[str, ...] = ("Succeeded", "Failed", "Error", "Stopped", "Terminated")
RESUMED_MESSAGE = "Resumed by: argo-parity"  # Argo writes "Resumed by: <user info>"

STOP = "Stop"
TERMINATE = "Terminate"


class RefusedControl(ValueError):
    """Argo would refuse this change (the message is Argo's reason, or why it cannot be made here)."""


def is_ending_phase(phase: str) -> bool:
    return phase in ENDING_PHASES


def suspend_patch(status: WorkflowStatus) -> dict[str, Any]:
    if status.is_finished:
        raise RefusedControl("cannot suspend completed workflows")
    return {"spec": {"suspend": True}}


def shutdown_patch(status: WorkflowStatus, strategy: str) -> dict[str, Any]:
    if strategy not in (STOP, TERMINATE):
        raise ValueError(f"unknown shutdown strategy {strategy!r}")
    if status.is_finished:
        raise RefusedControl(f'cannot shutdown a completed workflow: workflow: "{status.name}"')
    return {"spec": {"shutdown": strategy}}


def resume_patch(status: WorkflowStatus, now: datetime, message: str = RESUMED_MESSAGE) -> dict[str, Any] | None:
    """The change ``argo resume`` makes, or None when there is nothing to resume (Argo then
    writes nothing either). ``now`` is the suspended nodes' ``finishedAt``."""
    raw = status.raw_data
    spec = raw.get("spec") if isinstance(raw.get("spec"), Mapping) else {}
    state = raw.get("status") if isinstance(raw.get("status"), Mapping) else {}
    patch: dict[str, Any] = {}
    if isinstance(spec, Mapping) and spec.get("suspend") is True:
        patch["spec"] = {"suspend": None}  # null in a merge patch removes the field, as Argo's nil
    suspended = {key: node for key, node in status.nodes.items() if node.is_active_suspend}
    if suspended:
        if isinstance(state, Mapping) and (state.get("compressedNodes") or state.get("offloadNodeStatusVersion")):
            raise RefusedControl(
                "its nodes are compressed or offloaded to Argo's database: resume it with `argo resume`, "
                "which reads them back first"
            )
        nodes_raw = state.get("nodes") if isinstance(state, Mapping) else None
        changes: dict[str, Any] = {}
        for key, node in suspended.items():  # keyed as in status.nodes, so the merge patch lands there
            raw_node = nodes_raw.get(key, {}) if isinstance(nodes_raw, Mapping) else {}
            change: dict[str, Any] = {
                "phase": "Succeeded",
                "finishedAt": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "message": f"{node.message}; {message}" if node.message else message,
            }
            outputs = _outputs_with_defaults(raw_node.get("outputs"), node.name)
            if outputs is not None:
                change["outputs"] = outputs
            changes[key] = change
        patch["status"] = {"nodes": changes}
    if not patch:
        return None
    if status.resource_version:  # optimistic: 409 when the controller wrote in between
        patch["metadata"] = {"resourceVersion": status.resource_version}
    return patch


def _outputs_with_defaults(outputs: Any, node_name: str) -> dict[str, Any] | None:
    """Argo's ``OverrideOutputParametersWithDefault``: a parameter the resumer was to supply takes
    its default. The whole list is sent, since a merge patch replaces lists whole."""
    if not isinstance(outputs, Mapping) or not isinstance(outputs.get("parameters"), list):
        return None
    parameters = copy.deepcopy(outputs["parameters"])
    changed = False
    for parameter in parameters:
        value_from = parameter.get("valueFrom") if isinstance(parameter, dict) else None
        if isinstance(value_from, Mapping) and value_from.get("supplied") is not None:
            if value_from.get("default") is None:
                raise RefusedControl(
                    f"raw output parameter '{parameter.get('name')}' of node {node_name} has not been set "
                    "and does not have a default value"
                )
            parameter["value"] = value_from["default"]
            del parameter["valueFrom"]
            changed = True
    return {"parameters": parameters} if changed else None
