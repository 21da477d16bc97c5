"""Capturing what build-and-submit code would send, with nothing reaching a cluster."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest
from hera.workflows import Container, Workflow
from hera.workflows.async_service import AsyncWorkflowsService
from hera.workflows.models import WorkflowCreateRequest
from hera.workflows.service import WorkflowsService
from kubernetes.client import ApiClient, Configuration, CoreV1Api, CustomObjectsApi, V1ObjectMeta

from harness.builders import capture as capture_module
from harness.builders import hera, legacy
from harness.builders.capture import (
    HERA_CREATE,
    KUBERNETES_CREATE,
    CaptureError,
    as_builder,
    capture,
    capturing,
)
from harness.builders.legacy import MissingVolumeClaimError
from tests.requirements import HTTPX, require_module

INPUTS: dict[str, Any] = {
    "python_code": 'print("captured")',
    "dependencies": "numpy>=1.26,<2",
    "env": {"TOKEN": {"secretKeyRef": {"name": "creds", "key": "token"}}},
    "namespace": "team-a",
}


def test_legacy_submit_is_captured_exactly() -> None:
    captured = capture(legacy.submit, INPUTS)

    submission = captured.only
    assert submission.body == legacy.build(INPUTS)
    assert (submission.namespace, submission.api, submission.plural) == ("team-a", KUBERNETES_CREATE, "workflows")
    assert captured.return_value["metadata"]["name"].startswith("python-job-")


def test_hera_workflow_create_is_captured_exactly() -> None:
    captured = capture(hera.submit, INPUTS)

    submission = captured.only
    assert submission.body == hera.build(INPUTS)
    assert (submission.namespace, submission.api) == ("team-a", HERA_CREATE)
    assert captured.return_value.metadata.name.startswith("python-job-")


def test_user_hera_code_reading_the_generated_name_back() -> None:
    def submit_report_job(inputs: Mapping[str, Any]) -> str:
        with Workflow(generate_name="report-", namespace="reports", entrypoint="main") as workflow:
            Container(name="main", image="alpine:3.20", command=["echo", inputs["python_code"]])
        workflow.create()
        assert workflow.name is not None
        return workflow.name

    captured = capture(submit_report_job, {"python_code": "hi"})

    assert captured.return_value.startswith("report-")
    assert captured.only.body["spec"]["templates"][0]["container"]["command"] == ["echo", "hi"]
    assert captured.only.namespace == "reports"


def test_the_service_namespace_is_used_when_the_call_names_none() -> None:
    service = WorkflowsService(host="https://argo.example", namespace="svc-ns")
    with capturing() as cap:
        service.create_workflow(WorkflowCreateRequest(workflow=hera.workflow(INPUTS).build()))
    assert cap.submissions[0].namespace == "svc-ns"


def test_async_hera_service_is_captured() -> None:
    require_module(HTTPX, "httpx")
    service = AsyncWorkflowsService(host="https://argo.example")
    with capturing() as cap:
        request = WorkflowCreateRequest(workflow=hera.workflow(INPUTS).build())
        created = asyncio.run(service.create_workflow(request, namespace="team-a"))
    assert created.metadata.name is not None
    assert cap.submissions[0].body == hera.build(INPUTS)


def test_kubernetes_models_in_the_body_are_sent_as_camel_case_json() -> None:
    body = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": V1ObjectMeta(generate_name="x-")}
    with capturing() as cap:
        CustomObjectsApi().create_namespaced_custom_object("argoproj.io", "v1alpha1", "argo", "workflows", body)
        _, status, _ = CustomObjectsApi().create_namespaced_custom_object_with_http_info(
            group="argoproj.io", version="v1alpha1", namespace="argo", plural="workflows", body=body
        )
        cluster_body = {**body, "kind": "ClusterWorkflowTemplate"}
        CustomObjectsApi().create_cluster_custom_object(
            "argoproj.io", "v1alpha1", "clusterworkflowtemplates", cluster_body
        )
    assert status == 201
    assert [s.body["metadata"] for s in cap.submissions] == [{"generateName": "x-"}] * 3
    assert [s.namespace for s in cap.submissions] == ["argo", "argo", None]
    assert cap.submissions[2].plural == "clusterworkflowtemplates"


@pytest.mark.parametrize(
    ("group", "version", "plural", "body", "answer"),
    [
        ("argoproj.com", "v1alpha1", "workflows", {}, "404 NotFound"),
        ("argoproj.io", "v1", "workflows", {}, "404 NotFound"),
        ("argoproj.io", "v1alpha1", "workflow", {}, "404 NotFound"),
        ("argoproj.io", "v1alpha1", "clusterworkflowtemplates", {}, "404 NotFound"),
        ("argoproj.io", "v1alpha1", "cronworkflows", {}, r"the kind in the body \(Workflow\) does not match"),
        ("argoproj.io", "v1alpha1", "workflows", {"kind": None}, r"the kind in the body \(None\)"),
        ("argoproj.io", "v1alpha1", "workflows", {"apiVersion": "v1"}, r"API version in the body \(v1\)"),
    ],
)
def test_a_create_the_api_server_would_reject_is_refused(
    group: str, version: str, plural: str, body: dict[str, Any], answer: str
) -> None:
    sent = {**legacy.build(INPUTS), **body}
    with capturing() as cap, pytest.raises(CaptureError, match=answer):
        CustomObjectsApi().create_namespaced_custom_object(group, version, "team-a", plural, sent)
    assert cap.refusals and not cap.submissions


def test_configuration_is_required_only_when_asked() -> None:
    with capturing(require_configuration=True), pytest.raises(CaptureError, match="no configuration loaded"):
        legacy.submit(INPUTS)
    with capturing(require_configuration=True), pytest.raises(CaptureError, match=r"Workflow\.create\(\) has no Argo"):
        hera.submit(INPUTS)
    with capturing(require_configuration=True) as cap:
        CoreV1Api(ApiClient(Configuration(host="https://k8s.example"))).read_namespaced_persistent_volume_claim(
            "c", "argo"
        )
        WorkflowsService(host="https://argo.example").create_workflow(
            WorkflowCreateRequest(workflow=hera.workflow(INPUTS).build())
        )
    assert not cap.refusals and len(cap.submissions) == 1


def test_missing_claims_can_be_simulated() -> None:
    with capturing(existing_claims={"other-pvc"}) as cap, pytest.raises(MissingVolumeClaimError):
        legacy.submit(INPUTS)
    assert cap.submissions == []


def test_nothing_else_reaches_the_network() -> None:
    with capturing(), pytest.raises(CaptureError, match="would have reached a cluster"):
        CoreV1Api().list_namespaced_pod("argo")
    with capturing(), pytest.raises(CaptureError, match="Argo server request GET"):
        WorkflowsService(host="https://argo.example").get_workflow("wf", namespace="argo")


def test_patches_are_removed_afterwards_even_on_error() -> None:
    original = CustomObjectsApi.create_namespaced_custom_object
    with pytest.raises(ZeroDivisionError), capturing():
        assert CustomObjectsApi.create_namespaced_custom_object is not original
        _ = 1 / 0
    assert CustomObjectsApi.create_namespaced_custom_object is original
    assert WorkflowsService.create_workflow.__qualname__ == "WorkflowsService.create_workflow"


def test_as_builder_turns_submit_functions_into_builders() -> None:
    from_reference = as_builder("harness.builders.legacy:submit")
    from_function = as_builder(hera.submit)

    assert from_reference(INPUTS) == legacy.build(INPUTS)
    assert from_function(INPUTS) == hera.build(INPUTS)
    assert from_reference.__name__ == "as_builder(harness.builders.legacy:submit)"


def test_ready_made_submit_builders_send_what_the_builders_build() -> None:
    for inputs in (INPUTS, {"python_code": "x", "template": "container", "volumes": []}):
        assert capture_module.legacy_submit(inputs) == legacy.build(inputs)
        assert capture_module.hera_submit(inputs) == hera.build(inputs)


def test_as_builder_places_the_body_in_the_namespace_it_was_sent_to() -> None:
    def submit_without_namespace(inputs: Mapping[str, Any]) -> None:
        body = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "j-"}}
        CustomObjectsApi().create_namespaced_custom_object("argoproj.io", "v1alpha1", "jobs", "workflows", body)

    assert as_builder(submit_without_namespace)({})["metadata"] == {"generateName": "j-", "namespace": "jobs"}


def test_as_builder_refuses_a_namespace_mismatch() -> None:
    def mismatched(inputs: Mapping[str, Any]) -> None:
        body = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Workflow",
            "metadata": {"generateName": "j-", "namespace": "a"},
        }
        CustomObjectsApi().create_namespaced_custom_object("argoproj.io", "v1alpha1", "b", "workflows", body)

    with pytest.raises(CaptureError, match="namespace 'a' but was sent to 'b'"):
        as_builder(mismatched)({})


@pytest.mark.parametrize("count", [0, 2])
def test_as_builder_needs_exactly_one_submission(count: int) -> None:
    def submit_n(inputs: Mapping[str, Any]) -> None:
        for _ in range(count):
            legacy.submit(inputs)

    with pytest.raises(CaptureError, match=f"exactly one submission, the function made {count}"):
        as_builder(submit_n)(INPUTS)


def test_as_builder_reference_errors_are_clear() -> None:
    with pytest.raises(CaptureError, match=r"not a 'package\.module:attr' reference"):
        as_builder("harness.builders.legacy.submit")(INPUTS)
