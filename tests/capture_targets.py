"""Build-and-submit functions as teams write them, referenced as ``capture:tests.capture_targets:NAME``.

Each submits the job the reference builders build, through one of the ways capture intercepts.
``CAPTURE_TEST_ARGO`` and ``CAPTURE_TEST_KUBECONFIG`` point at a listener the tests watch: were
anything sent for real, it would go there.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hera.workflows.service import WorkflowsService
from kubernetes import client, config

from harness.builders import hera, legacy


def _manifest_file(body: dict[str, Any]) -> str:
    path = Path(tempfile.mkdtemp(prefix="capture-target-"), "workflow.yaml")
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return str(path)


def _named(body: dict[str, Any]) -> dict[str, Any]:
    """``kubectl apply`` needs a name (it refuses generateName, as the real one does)."""
    metadata = body["metadata"]
    metadata["name"] = metadata.pop("generateName") + "fixed"
    return body


def start_task_legacy(inputs: dict[str, Any]) -> str:
    """The kubernetes client: config, a PVC pre-flight read, then the create call."""
    config.load_kube_config(config_file=os.environ.get("CAPTURE_TEST_KUBECONFIG"))
    body = legacy.build(inputs)
    namespace = body["metadata"]["namespace"]
    core = client.CoreV1Api()
    for volume in body["spec"].get("volumes", []):
        core.read_namespaced_persistent_volume_claim(volume["persistentVolumeClaim"]["claimName"], namespace)
    created = client.CustomObjectsApi().create_namespaced_custom_object(
        "argoproj.io", "v1alpha1", namespace, "workflows", body
    )
    return str(created["metadata"]["name"])


def start_task_hera(inputs: dict[str, Any]) -> str:
    """Hera: ``Workflow.create()`` through a service pointed at an Argo server."""
    workflow = hera.workflow(inputs)
    workflow.workflows_service = WorkflowsService(host=os.environ.get("CAPTURE_TEST_ARGO", "https://argo.example"))
    workflow.create()
    return str(workflow.name)


def start_task_hera_no_host(inputs: dict[str, Any]) -> None:
    """Hera with no Argo host configured anywhere: the real call fails, and so does its capture."""
    hera.workflow(inputs).create()


def kubectl_apply_file(inputs: dict[str, Any]) -> None:
    path = _manifest_file(_named(legacy.build(inputs)))
    done = subprocess.run(["kubectl", "apply", "-f", path], capture_output=True, text=True, check=True)
    assert done.stdout == "workflow.argoproj.io/python-job-fixed created\n", done.stdout


def kubectl_create_named(inputs: dict[str, Any]) -> None:
    """The same named workflow with ``create --save-config``: what ``apply`` sends."""
    path = _manifest_file(_named(legacy.build(inputs)))
    subprocess.check_call(["kubectl", "create", "--save-config", "-f", path], stdout=subprocess.DEVNULL)


def kubectl_create_stdin(inputs: dict[str, Any]) -> None:
    body = legacy.build(inputs)
    done = subprocess.run(
        ["kubectl", "create", "-f", "-"], input=yaml.safe_dump(body), capture_output=True, text=True, check=True
    )
    assert done.stdout.startswith("workflow.argoproj.io/python-job-"), done.stdout


def argo_submit(inputs: dict[str, Any]) -> None:
    path = _manifest_file(legacy.build(inputs))
    name = subprocess.check_output(["argo", "submit", path, "-o", "name"], text=True)
    assert name.startswith("python-job-"), name


def submits_nothing(inputs: dict[str, Any]) -> dict[str, Any]:
    """Builds, then forgets to submit."""
    return legacy.build(inputs)


def lists_pods_first(inputs: dict[str, Any]) -> str:
    """A call capture does not answer, caught by the function, which then submits."""
    with contextlib.suppress(Exception):
        client.CoreV1Api().list_namespaced_pod("argo")
    return start_task_legacy(inputs)


def submits_twice(inputs: dict[str, Any]) -> None:
    """A workflow and its companion ConfigMap."""
    start_task_legacy(inputs)
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "job-settings"}, "data": {"a": "1"}}
    subprocess.run(
        ["kubectl", "apply", "-n", inputs.get("namespace") or "argo", "-f", "-"],
        input=yaml.safe_dump(config_map).encode(),
        check=True,
    )


def submits_twice_hera(inputs: dict[str, Any]) -> None:
    start_task_hera(inputs)
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "job-settings"}, "data": {"a": "2"}}
    subprocess.run(
        ["kubectl", "create", "-n", inputs.get("namespace") or "argo", "-f", "-"],
        input=yaml.safe_dump(config_map).encode(),
        check=True,
    )


# --- submissions the real call would fail: each must fail its side, never give READY -----------


def _create_custom(inputs: dict[str, Any], group: str, version: str, plural: str, **changes: Any) -> None:
    config.load_kube_config(config_file=os.environ.get("CAPTURE_TEST_KUBECONFIG"))
    body = {**legacy.build(inputs), **changes}
    client.CustomObjectsApi().create_namespaced_custom_object(
        group, version, body["metadata"]["namespace"], plural, body
    )


def wrong_group(inputs: dict[str, Any]) -> None:
    _create_custom(inputs, "argoproj.com", "v1alpha1", "workflows")


def wrong_version(inputs: dict[str, Any]) -> None:
    _create_custom(inputs, "argoproj.io", "v1", "workflows")


def wrong_plural(inputs: dict[str, Any]) -> None:
    _create_custom(inputs, "argoproj.io", "v1alpha1", "workflow")


def workflow_sent_as_cron(inputs: dict[str, Any]) -> None:
    """A Workflow body sent to the cronworkflows resource."""
    _create_custom(inputs, "argoproj.io", "v1alpha1", "cronworkflows")


def wrong_body_api_version(inputs: dict[str, Any]) -> None:
    _create_custom(inputs, "argoproj.io", "v1alpha1", "workflows", apiVersion="argoproj.io/v1")


def no_kube_config(inputs: dict[str, Any]) -> None:
    """The kubernetes client with no configuration loaded: the real one would call http://localhost."""
    body = legacy.build(inputs)
    client.CustomObjectsApi().create_namespaced_custom_object(
        "argoproj.io", "v1alpha1", body["metadata"]["namespace"], "workflows", body
    )


def config_map_as_custom_object(inputs: dict[str, Any]) -> None:
    """A ConfigMap through the custom-objects API: the path /apis//v1/... does not exist."""
    config.load_kube_config(config_file=os.environ.get("CAPTURE_TEST_KUBECONFIG"))
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "job-settings"}, "data": {"a": "1"}}
    client.CustomObjectsApi().create_namespaced_custom_object(
        "", "v1", inputs.get("namespace") or "argo", "configmaps", config_map
    )


def config_map_only(inputs: dict[str, Any]) -> None:
    """Submits a ConfigMap (a valid kubectl apply) and no workflow at all."""
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "job-settings"}, "data": {"a": "1"}}
    subprocess.run(
        ["kubectl", "apply", "-n", inputs.get("namespace") or "argo", "-f", "-"],
        input=yaml.safe_dump(config_map).encode(),
        check=True,
    )
