"""The ``cluster`` executor: the workflow submitted to Argo Workflows on Kubernetes, through the
typed Argo service :mod:`harness.argo` (see :mod:`harness.execute.cluster.executor`).

- :mod:`~harness.execute.cluster.executor`: ``ClusterExecutor``: which cluster, a namespace per
  run, submit, wait (ending early for a stuck pod or an idle controller), read logs and files;
- :mod:`~harness.execute.cluster.plan`: the manifest rewritten for the run's namespace, and what
  to create there first;
- :mod:`~harness.execute.cluster.convert`: a finished workflow's status as a ``WorkflowRun``;
- :mod:`~harness.execute.cluster.files`: the reader pod that lists the files left on the claims.

What a fresh namespace cannot give a workflow is checked before anything else, from the support
table the local executors read too (``harness.execute.check.inspect_for_cluster``).
"""

from __future__ import annotations

from harness.execute.cluster.executor import (
    CONTEXT_ENV,
    KUBERNETES_PACKAGE_HINT,
    PARITY_CONTEXTS,
    ClusterExecutor,
    pod_stuck_reason,
)

__all__ = ["CONTEXT_ENV", "KUBERNETES_PACKAGE_HINT", "PARITY_CONTEXTS", "ClusterExecutor", "pod_stuck_reason"]
