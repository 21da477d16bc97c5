"""The Hera port, written the way the proof of concept wrote it. It has three traps; argo-parity
names each one (see the README):

1. ``Volume`` provisions a *new* claim per workflow (a volumeClaimTemplate) instead of mounting
   the existing one: results land on a volume nobody reads.
2. ``Script`` runs its source with ``python`` unless told otherwise: the bash program (pip
   install, then python -c) is handed to the Python interpreter.
3. ``global_config`` is process-wide: the service account set at import for the POC's own
   experiments leaks into every workflow, replacing the template's ``analysis-runner``.
"""

from __future__ import annotations

import shlex

from hera.shared import global_config
from hera.workflows import Env, Resources, Script, Volume, Workflow

from backend.models import TaskRequest

global_config.host = "https://argo-server.analytics.svc:2746"
global_config.service_account_name = "default"


def start_task(request: TaskRequest) -> str:
    global_config.namespace = request.project
    lines = []
    if request.packages:
        lines.append("pip install --no-cache-dir " + " ".join(shlex.quote(p) for p in request.packages))
    lines.append('python -c "$TASK_CODE"')
    volumes = [Volume(name="results", size="1Gi", mount_path="/mnt/results")] if request.results_claim else []
    with Workflow(
        generate_name="analysis-",
        entrypoint="main",
        labels={"app.kubernetes.io/managed-by": "analysis-backend", "analysis/task": request.task_name},
    ) as workflow:
        Script(
            name="main",
            image="python:3.11-slim",
            source="\n".join(lines) + "\n",
            env=[Env(name="TASK_CODE", value=request.code)],
            resources=Resources(cpu_request=request.cpu),
            volumes=volumes,
        )
    return str(workflow.create().metadata.name)
