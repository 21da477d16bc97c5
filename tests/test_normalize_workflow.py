"""The canonical form's Argo/Kubernetes rules that need more than a one-field edit to show."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from harness.diff import compare
from harness.normalize import canonicalize, document_identity
from harness.normalize.workflow import default_pull_policy

PVC = {"name": "data", "persistentVolumeClaim": {"claimName": "data-pvc"}}
MOUNT = {"name": "data", "mountPath": "/data"}


def workflow(templates: list[dict[str, Any]], volumes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"entrypoint": templates[0]["name"], "templates": templates}
    if volumes is not None:
        spec["volumes"] = volumes
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "w"}, "spec": spec}


def tmpl(name: str, *, mounts: bool = True, volumes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    t: dict[str, Any] = {"name": name, "container": {"image": "alpine:3.20", "command": ["ls", "/data"]}}
    if mounts:
        t["container"]["volumeMounts"] = [dict(MOUNT)]
    if volumes is not None:
        t["volumes"] = copy.deepcopy(volumes)
    return t


def test_volume_on_the_template_that_mounts_it_equals_the_workflow_volume() -> None:
    assert compare(workflow([tmpl("a")], [PVC]), workflow([tmpl("a", volumes=[PVC])])).equivalent


def test_volume_declared_by_every_template_that_mounts_it_is_lifted() -> None:
    left = workflow([tmpl("a"), tmpl("b")], [PVC])
    right = workflow([tmpl("a", volumes=[PVC]), tmpl("b", volumes=[PVC])])
    assert compare(left, right).equivalent


def test_template_volume_is_not_lifted_when_another_template_relies_on_the_workflow() -> None:
    # On the right, b mounts `data` but nothing declares it for b's pod: that pod fails.
    left = workflow([tmpl("a"), tmpl("b")], [PVC])
    right = workflow([tmpl("a", volumes=[PVC]), tmpl("b")])
    assert not compare(left, right).equivalent


def test_template_volume_not_mounted_is_not_lifted() -> None:
    # A template-level volume is attached to the pod even unmounted (a PVC still has to bind).
    left = workflow([tmpl("a", mounts=False)], [PVC])
    right = workflow([tmpl("a", mounts=False, volumes=[PVC])])
    assert not compare(left, right).equivalent


def test_conflicting_template_volumes_are_not_lifted() -> None:
    other = {"name": "data", "persistentVolumeClaim": {"claimName": "other-pvc"}}
    right = workflow([tmpl("a", volumes=[PVC]), tmpl("b", volumes=[other])])
    left = workflow([tmpl("a", volumes=[PVC]), tmpl("b", volumes=[other])])
    assert compare(left, right).equivalent  # itself: fine
    lifted = workflow([tmpl("a"), tmpl("b")], [PVC])
    assert not compare(lifted, right).equivalent


def test_cron_workflow_spec_volumes_are_lifted_too() -> None:
    def cron(wf: dict[str, Any]) -> dict[str, Any]:
        return {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "CronWorkflow",
            "metadata": {"name": "c"},
            "spec": {"schedules": ["* * * * *"], "workflowSpec": wf["spec"]},
        }

    assert compare(cron(workflow([tmpl("a")], [PVC])), cron(workflow([tmpl("a", volumes=[PVC])]))).equivalent


def test_duplicate_names_keep_a_list_positional() -> None:
    env = [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]  # the last one wins in Kubernetes
    left = workflow([tmpl("a")])
    left["spec"]["templates"][0]["container"]["env"] = env
    right = copy.deepcopy(left)
    right["spec"]["templates"][0]["container"]["env"] = list(reversed(env))
    comparison = compare(left, right)
    assert not comparison.equivalent
    assert {d.path for d in comparison.differences} == {
        "spec.templates[a].container.env[0].value",
        "spec.templates[a].container.env[1].value",
    }


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("python", "Always"),
        ("python:latest", "Always"),
        ("registry:5000/team/python", "Always"),
        ("registry:5000/team/python:latest", "Always"),
        ("python:3.11-slim", "IfNotPresent"),
        ("registry:5000/python:3.11", "IfNotPresent"),
        ("python@sha256:" + "a" * 64, "IfNotPresent"),
        ("{{inputs.parameters.image}}", None),
    ],
)
def test_default_pull_policy(image: str, policy: str | None) -> None:
    assert default_pull_policy(image) == policy


def test_image_change_that_changes_the_pull_policy_reports_both() -> None:
    left = workflow([tmpl("a")])
    right = copy.deepcopy(left)
    right["spec"]["templates"][0]["container"]["image"] = "alpine"
    paths = {d.path: d.rule for d in compare(left, right).differences}
    assert paths == {
        "spec.templates[a].container.image": "value-change",
        "spec.templates[a].container.imagePullPolicy": "image-pull-policy-default",
    }


def test_pvc_requests_do_not_default_to_limits() -> None:
    # Only a container's requests default to its limits.
    def claim(resources: dict[str, Any]) -> dict[str, Any]:
        wf = workflow([tmpl("a")])
        wf["spec"]["volumeClaimTemplates"] = [{"metadata": {"name": "data"}, "spec": {"resources": resources}}]
        return wf

    assert not compare(
        claim({"limits": {"storage": "1Gi"}}), claim({"limits": {"storage": "1Gi"}, "requests": {"storage": "1Gi"}})
    ).equivalent


def test_document_identity() -> None:
    assert document_identity({"kind": "Workflow", "metadata": {"generateName": "job-"}}) == "Workflow/job-"
    assert document_identity({"kind": "Workflow", "metadata": {"generateName": "job-", "name": "job-x1"}}) == (
        "Workflow/job-"
    )
    assert document_identity({"kind": "WorkflowTemplate", "metadata": {"name": "t"}}) == "WorkflowTemplate/t"


def test_live_name_not_from_generate_name_is_kept() -> None:
    left = workflow([tmpl("a")])
    left["metadata"] = {"generateName": "job-"}
    right = copy.deepcopy(left)
    right["metadata"]["name"] = "other"
    assert not compare(left, right).equivalent
    right["metadata"]["name"] = "job-abc12"
    assert not compare(left, right).equivalent  # a manifest to submit: the fixed name wins
    right["metadata"]["uid"] = "0b6f"  # a live object: the server generated that name
    assert compare(left, right).equivalent


def test_user_label_under_the_argo_prefix_is_kept() -> None:
    left = workflow([tmpl("a")])
    right = copy.deepcopy(left)
    right["metadata"]["labels"] = {"workflows.argoproj.io/archive-strategy": "false"}
    assert [d.category for d in compare(left, right).differences] == ["metadata"]


def test_canonical_forms_compare_with_equals() -> None:
    a = workflow([tmpl("a")], [PVC])
    assert canonicalize(a) == canonicalize(copy.deepcopy(a))
    assert canonicalize([a]) == canonicalize(a)


def test_env_order_counts_when_a_value_refers_to_another_var() -> None:
    def with_env(env: list[dict[str, str]]) -> dict[str, Any]:
        wf = workflow([tmpl("a")])
        wf["spec"]["templates"][0]["container"]["env"] = env
        return wf

    plain = [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    assert compare(with_env(plain), with_env(plain[::-1])).equivalent
    # Kubernetes expands $(A) only when A comes earlier in the list.
    refers = [{"name": "A", "value": "1"}, {"name": "B", "value": "$(A)-x"}]
    assert not compare(with_env(refers), with_env(refers[::-1])).equivalent


def test_embedded_manifest_with_argo_tags_is_compared_as_text() -> None:
    def with_manifest(text: str) -> dict[str, Any]:
        wf = workflow([tmpl("a")])
        wf["spec"]["templates"][0] = {"name": "a", "resource": {"action": "create", "manifest": text}}
        return wf

    # After substitution the quoting decides what the value parses to: not form-only.
    a = 'kind: ConfigMap\nmetadata: {name: "{{inputs.parameters.n}}"}\n'
    b = "kind: ConfigMap\nmetadata: {name: '{{inputs.parameters.n}}'}\n"
    assert not compare(with_manifest(a), with_manifest(b)).equivalent
    assert compare(with_manifest(a), with_manifest(a + "\n")).equivalent


def test_code_in_env_reached_through_a_kubernetes_reference_in_args() -> None:
    def with_code(code: str) -> dict[str, Any]:
        wf = workflow([tmpl("a")])
        container = wf["spec"]["templates"][0]["container"]
        container.update(command=["python", "-c", "$(CODE)"], env=[{"name": "CODE", "value": code}])
        return wf

    assert compare(with_code("print(1)"), with_code("print( 1 )  # one")).equivalent
    rules = {d.rule for d in compare(with_code("print(1)"), with_code("print(2)")).differences}
    assert rules == {"python-code-in-env", "argv-code"}  # the env var and the argv Kubernetes builds from it


def test_an_int_or_string_is_the_number_argo_reads_from_it() -> None:
    def limit(value: object) -> dict[str, Any]:
        t = tmpl("a", mounts=False)
        t["retryStrategy"] = {"limit": value}
        return workflow([t])

    assert compare(limit(2), limit("2")).equivalent
    assert compare(limit(2), limit("+2")).equivalent  # strconv.Atoi takes a sign
    # Argo's intstr.Int (strconv.Atoi) refuses what is not only digits: " 2" and "²" are not 2
    assert not compare(limit(2), limit(" 2")).equivalent
    assert not compare(limit(2), limit("²")).equivalent
