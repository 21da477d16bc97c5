"""The label and annotation keys SynapseDTE's dashboards read from a data-testing Workflow.

A convention both orchestrations follow (the keys, not how each builder fills them in): roles
become annotations (their values hold spaces and commas, which labels cannot), the phase and the
report become labels, so `kubectl get workflows -l dte.synapse.io/report-type=fr-y-14m` works.
"""

from __future__ import annotations

PREFIX = "dte.synapse.io"
REPORT_TYPE_LABEL = f"{PREFIX}/report-type"
REPORT_ID_LABEL = f"{PREFIX}/report-id"
CYCLE_ID_LABEL = f"{PREFIX}/cycle-id"
PHASE_LABEL = f"{PREFIX}/phase"
PHASE_NAME_ANNOTATION = f"{PREFIX}/phase-name"
ROLES_ANNOTATION = f"{PREFIX}/roles"
