"""The ``cluster`` executor: submit to Argo on Kubernetes and read the results back (a later issue).

It exists so ``--execute cluster`` resolves to an executor that says clearly why it cannot run,
and the gate records the phase as inconclusive instead of failing on an unknown name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.execute.result import WorkflowRun

REASON = "the cluster executor (Argo on Kubernetes) is not implemented yet; use --execute local or docker"


@dataclass(frozen=True)
class ClusterExecutor:
    name: str = "cluster"

    def unavailable_reason(self) -> str | None:
        return REASON

    def run(self, manifest: Mapping[str, Any], *, label: str, secrets: Mapping[str, str] | None = None) -> WorkflowRun:
        return WorkflowRun(executor=self.name, label=label, phase=None, error=REASON)
