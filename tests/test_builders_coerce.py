"""Builders may return a dict, a Hera Workflow, YAML text or a kubernetes model."""

from __future__ import annotations

import datetime

import pytest
from hera.workflows import Container, Workflow
from kubernetes.client import V1ConfigMap, V1ObjectMeta

from harness.builders import NotAManifestError, coerce_manifest, resolve_builder
from harness.errors import ParityInputError


def test_every_supported_return_type_becomes_the_same_plain_dict() -> None:
    with Workflow(generate_name="x-", entrypoint="main") as workflow:
        Container(name="main", image="alpine:3.20", command=["true"])
    as_dict = coerce_manifest(workflow)
    assert as_dict["spec"]["templates"][0]["container"]["image"] == "alpine:3.20"
    assert coerce_manifest(workflow.to_yaml()) == as_dict
    assert coerce_manifest(workflow.to_yaml().encode()) == as_dict
    assert coerce_manifest(as_dict) == as_dict


def test_kubernetes_models_are_serialised_with_camel_case_keys() -> None:
    config_map = V1ConfigMap(api_version="v1", kind="ConfigMap", metadata=V1ObjectMeta(name="c", generate_name="g-"))
    assert coerce_manifest(config_map) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "generateName": "g-"},
    }


def test_result_is_a_deep_copy_and_yaml_timestamps_become_strings() -> None:
    kubernetes_object = {"apiVersion": "v1", "kind": "ConfigMap"}
    original = {**kubernetes_object, "metadata": {"labels": {"a": "b"}}}
    copy = coerce_manifest(original)
    copy["metadata"]["labels"]["a"] = "changed"
    assert original["metadata"]["labels"]["a"] == "b"
    loaded = coerce_manifest("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  creationTimestamp: 2024-05-01T10:00:00Z\n")
    assert loaded["metadata"]["creationTimestamp"] == "2024-05-01T10:00:00Z"
    assert coerce_manifest({**kubernetes_object, "d": datetime.date(2024, 1, 2)}) == {
        **kubernetes_object,
        "d": "2024-01-02",
    }


@pytest.mark.parametrize(
    "garbage", [42, None, ["a"], "- just\n- a list\n", "key: [unclosed", {"s": {1, 2}}, {}, {"kind": "Workflow"}]
)
def test_anything_else_is_not_a_manifest(garbage: object) -> None:
    with pytest.raises(NotAManifestError):
        coerce_manifest(garbage)


def test_resolve_builder_reaches_dotted_attributes_and_checks_callability() -> None:
    assert resolve_builder("harness.builders.legacy:build").__name__ == "build"
    assert callable(resolve_builder("harness.builders.flag:FlagRouter.build"))
    with pytest.raises(ParityInputError, match="is not callable"):
        resolve_builder("harness.builders:LEGACY_REF")
