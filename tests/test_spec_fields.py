"""Argo's and Kubernetes' field tables (harness.spec.fields) checked against the generated models
in ``hera.workflows.models``, and the executor refusing what Argo cannot decode.

Before, the differ rightly called ``parallelism: "4"`` against ``4`` a type change (Argo's
controller cannot unmarshal a string into an integer field) while the executor ran both alike.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import types
import typing
from typing import Any

import pytest
from hera.workflows.models.io.k8s.apimachinery.pkg.api.resource import Quantity
from hera.workflows.models.io.k8s.apimachinery.pkg.util.intstr import IntOrString
from pydantic import BaseModel

from harness.execute.check import inspect_workflow
from harness.execute.result import RunPhase as Phase
from harness.execute.scheduler import RunSettings, run_workflow
from harness.spec import fields
from tests.execution_support import script, workflow
from tests.fakes.pods import RecordingPodRunner

_MODULES = {
    "v1alpha1": "hera.workflows.models.io.argoproj.workflow.v1alpha1",
    "core/v1": "hera.workflows.models.io.k8s.api.core.v1",
    "policy/v1": "hera.workflows.models.io.k8s.api.policy.v1",
}
# Where Hera's generated type is not Kubernetes' own: core/v1 HTTPGetAction.port is an
# intstr.IntOrString ("Name or number of the port", k8s.io/api/core/v1/types.go), Hera says int.
_HERA_DIFFERS: dict[tuple[str, str], tuple[type, type]] = {("httpGet", "port"): (int, IntOrString)}


def _model(kind: str) -> type[BaseModel]:
    group, _, name = fields.UPSTREAM_TYPES[kind].rpartition(".")
    model = getattr(importlib.import_module(_MODULES[group]), name)
    assert issubclass(model, BaseModel)
    return model


def _field_types(kind: str) -> dict[str, type]:
    """Field (by its JSON name) -> its type, optional and annotations unwrapped."""
    out: dict[str, type] = {}
    for attribute, info in _model(kind).model_fields.items():
        annotation: Any = info.annotation
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
            annotation = args[0]
        field_type = _HERA_DIFFERS.get((kind, info.alias or attribute), (None, annotation))[1]
        out[info.alias or attribute] = field_type
    return out


def _claimed(table: frozenset[tuple[str, str]], kind: str) -> set[str]:
    return {field for holder, field in table if holder == kind}


@pytest.mark.parametrize("kind", sorted(fields.UPSTREAM_TYPES))
def test_the_type_tables_are_the_upstream_types(kind: str) -> None:
    types_ = _field_types(kind)
    for table, expected in (
        (fields.INTEGER_FIELDS, int),
        (fields.INT_OR_STRING_FIELDS, IntOrString),
        (fields.QUANTITY_FIELDS, Quantity),
    ):
        assert _claimed(table, kind) == {name for name, t in types_.items() if t is expected}, (kind, expected)


def test_every_kind_the_type_tables_name_has_its_upstream_type() -> None:
    tables = (fields.INTEGER_FIELDS, fields.INT_OR_STRING_FIELDS, fields.QUANTITY_FIELDS)
    named = {holder for table in tables for holder, _ in table}
    assert named <= set(fields.UPSTREAM_TYPES)


def test_spec_imports_no_pipeline_stage() -> None:
    code = (
        "import sys, harness.spec.fields, harness.spec.kubernetes_vars, harness.spec.naming, harness.spec.tags\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('harness'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    assert all(name == "harness" or name.startswith(("harness.spec", "harness._walk")) for name in loaded), loaded


def test_the_scheduling_fields_are_argos() -> None:
    on_spec, on_template = set(_field_types("workflowSpec")), set(_field_types("template"))
    assert set(fields.POD_SCHEDULING_FIELDS) <= on_spec | on_template
    assert set(fields.TEMPLATE_SCHEDULING_FIELDS) == set(fields.POD_SCHEDULING_FIELDS) & on_template


# --- what Argo cannot decode ----------------------------------------------------------------------


def test_misread_numbers_names_each_field() -> None:
    spec = {
        "parallelism": "4",
        "priority": True,
        "activeDeadlineSeconds": 60.0,  # no fraction: an integer once written as JSON by YAML or the server
        "templates": [
            {"name": "a", "parallelism": 2.5, "activeDeadlineSeconds": "{{inputs.parameters.t}}"},
            {"name": "b", "retryStrategy": {"limit": [1]}, "script": {"ports": [{"containerPort": "80"}]}},
        ],
        "ttlStrategy": {"secondsAfterCompletion": "10"},
    }
    problems = list(fields.misread_numbers(spec, "workflowSpec", "spec"))
    assert [p.split(":")[0] for p in problems] == [
        "spec.parallelism",
        "spec.priority",
        "spec.templates[a].parallelism",
        "spec.templates[b].retryStrategy.limit",
        "spec.templates[b].script.ports[0].containerPort",
        "spec.ttlStrategy.secondsAfterCompletion",
    ]
    assert (
        problems[0]
        == "spec.parallelism: '4' is not an integer, and Argo reads parallelism as one: the workflow is refused"
    )


@pytest.mark.parametrize(
    ("where", "value"),
    [("spec", {"parallelism": "4"}), ("spec", {"activeDeadlineSeconds": "600"}), ("template", {"parallelism": "2"})],
)
def test_the_executor_refuses_a_string_in_an_integer_field(where: str, value: dict[str, Any]) -> None:
    manifest = workflow([{"name": "main", "steps": [[{"name": "a", "template": "a"}]]}, script("a", "echo hi")])
    (manifest["spec"] if where == "spec" else manifest["spec"]["templates"][0]).update(value)
    (name,) = value
    inspection = inspect_workflow(manifest)
    assert inspection.invalid is not None and f".{name}: " in inspection.invalid
    runner = RecordingPodRunner()
    run = run_workflow(manifest, runner, RunSettings("fake"), label="numbers")
    assert run.phase is Phase.ERROR and run.message == inspection.invalid
    assert "is not an integer" in run.message and not runner.pods  # refused before anything ran


def test_the_executor_runs_the_integer_forms_argo_accepts() -> None:
    # A template's activeDeadlineSeconds is an IntOrString: "30" is 30.
    manifest = workflow([script("main", "echo hi", activeDeadlineSeconds="30")], parallelism=4)
    assert inspect_workflow(manifest).invalid is None
    runner = RecordingPodRunner()
    assert run_workflow(manifest, runner, RunSettings("fake"), label="ok").phase is Phase.SUCCEEDED
    assert runner.pods[0].deadline_s <= 30
