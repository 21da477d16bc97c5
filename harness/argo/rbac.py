"""The permissions a workflow's pods need, as Kubernetes objects (plain dicts, ready to send).

Every pod of a workflow runs Argo's executor (``argoexec``, emissary) beside the program, under
the workflow's service account (``spec.serviceAccountName``, else the namespace's ``default``; the
executor's own, ``executor.serviceAccountName``, when set). Since Argo v3.4 the executor reports
outputs and exit codes through ``WorkflowTaskResult`` objects, and that is all it needs: create and
patch ``workflowtaskresults`` (Argo's docs, "Workflow RBAC": the minimum for the emissary
executor). Exactly that is granted, nothing for pods or their logs, so a workflow whose pods need
more from the API (a program that calls it, an older executor) fails here as it would in a
production namespace that grants the documented minimum.
"""

from __future__ import annotations

from typing import Any

from harness.spec.fields import ARGO_GROUP

EXECUTOR_ROLE = "argo-parity-executor"

EXECUTOR_RULES: tuple[dict[str, Any], ...] = (
    {"apiGroups": [ARGO_GROUP], "resources": ["workflowtaskresults"], "verbs": ["create", "patch"]},
)

MANAGED_BY = {"app.kubernetes.io/managed-by": "argo-parity"}


def executor_role(namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": EXECUTOR_ROLE, "namespace": namespace, "labels": dict(MANAGED_BY)},
        "rules": [dict(rule) for rule in EXECUTOR_RULES],
    }


def executor_role_binding(namespace: str, service_account: str) -> dict[str, Any]:
    """Binds the executor role to one service account (one binding each: adding an account
    never rewrites another's)."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {
            "name": f"{EXECUTOR_ROLE}-{service_account}"[:253],
            "namespace": namespace,
            "labels": dict(MANAGED_BY),
        },
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": EXECUTOR_ROLE},
        "subjects": [{"kind": "ServiceAccount", "name": service_account, "namespace": namespace}],
    }
