"""How the backend starts a task today: a YAML template edited as dicts, then submitted."""

from __future__ import annotations

import copy
import shlex
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client, config

from backend.models import TaskRequest

TEMPLATE = Path(__file__).parent / "templates" / "analysis-task.yaml"


def start_task(request: TaskRequest) -> str:
    """Submit the task's workflow and return its name (the endpoint answers with it)."""
    config.load_kube_config()
    manifest: dict[str, Any] = copy.deepcopy(yaml.safe_load(TEMPLATE.read_text()))

    metadata = client.V1ObjectMeta(**_snake(manifest["metadata"]))
    metadata.namespace = request.project
    metadata.labels = {**(metadata.labels or {}), "analysis/task": request.task_name}
    manifest["metadata"] = client.ApiClient().sanitize_for_serialization(metadata)

    script = manifest["spec"]["templates"][0]["script"]
    lines = []
    if request.packages:
        lines.append("pip install --no-cache-dir " + " ".join(shlex.quote(p) for p in request.packages))
    lines.append('python -c "$TASK_CODE"')
    script["source"] = "\n".join(lines) + "\n"
    script["env"] = [{"name": "TASK_CODE", "value": request.code}]
    script["resources"]["requests"]["cpu"] = request.cpu

    if request.results_claim is None:
        del script["volumeMounts"]
        del manifest["spec"]["volumes"]
    else:
        # The claim must exist: the backend never provisions storage for a task.
        client.CoreV1Api().read_namespaced_persistent_volume_claim(request.results_claim, request.project)
        manifest["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] = request.results_claim

    created = client.CustomObjectsApi().create_namespaced_custom_object(
        "argoproj.io", "v1alpha1", request.project, "workflows", manifest
    )
    return str(created["metadata"]["name"])


def _snake(metadata: dict[str, Any]) -> dict[str, Any]:
    names = {camel: snake for snake, camel in client.V1ObjectMeta.attribute_map.items()}
    return {names[key]: value for key, value in metadata.items()}
