"""The permissions a workflow's pods need, as Kubernetes objects (plain dicts, ready to send).

Every pod of a workflow runs Argo's executor (``argoexec``, emissary) beside the program, under
the workflow's service account (``spec.serviceAccountName``, else the namespace's ``default``).
Since Argo v3.4 the executor reports outputs and exit codes through ``WorkflowTaskResult`` objects,
so it must create and patch ``workflowtaskresults`` (Argo's docs, "Workflow RBAC": the minimum for
the executor). The pod rules cover what older executors and Argo's own docs add for waiting on and
annotating the pod and reading its logs: get/watch/patch pods, get pods/log. Nothing else is
granted: a workflow that needs more fails on the cluster as it would in production.
"""

from __future__ import annotations

from typing import Any

EXECUTOR_ROLE = "argo-parity-executor"

EXECUTOR_RULES: tuple[dict[str, Any], ...] = (
    {"apiGroups": ["argoproj.io"], "resources": ["workflowtaskresults"], "verbs": ["create", "patch"]},
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "watch", "patch"]},
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
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
