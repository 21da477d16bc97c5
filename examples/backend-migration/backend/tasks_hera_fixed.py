"""The Hera port after argo-parity's review: each trap of tasks_hera.py fixed where it stood."""

from __future__ import annotations

import shlex

from hera.workflows import Env, ExistingVolume, Resources, Script, Workflow, WorkflowsService
from hera.workflows.models import VolumeMount
from kubernetes import client, config

from backend.models import TaskRequest

ARGO_SERVER = "https://argo-server.analytics.svc:2746"


def start_task(request: TaskRequest) -> str:
    lines = []
    if request.packages:
        lines.append("pip install --no-cache-dir " + " ".join(shlex.quote(p) for p in request.packages))
    lines.append('python -c "$TASK_CODE"')
    volumes, mounts = [], []
    if request.results_claim is not None:
        # The claim must exist (as before): mount it, never provision one.
        config.load_kube_config()
        client.CoreV1Api().read_namespaced_persistent_volume_claim(request.results_claim, request.project)
        volumes = [ExistingVolume(name="results", claim_name=request.results_claim)]
        mounts = [VolumeMount(name="results", mount_path="/mnt/results")]
    with Workflow(
        generate_name="analysis-",
        namespace=request.project,  # explicit: no process-wide default
        entrypoint="main",
        service_account_name="analysis-runner",
        labels={"app.kubernetes.io/managed-by": "analysis-backend", "analysis/task": request.task_name},
        volumes=volumes,
        workflows_service=WorkflowsService(host=ARGO_SERVER, namespace=request.project),
    ) as workflow:
        Script(
            name="main",
            image="python:3.11-slim",
            command=["bash"],  # the source is a bash program
            source="\n".join(lines) + "\n",
            env=[Env(name="TASK_CODE", value=request.code)],
            resources=Resources(cpu_request=request.cpu),
            volume_mounts=mounts or None,
        )
    return str(workflow.create().metadata.name)
