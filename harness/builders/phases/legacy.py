"""The legacy multi-phase builder: the hard-coded 7-phase chain as an Argo DAG.

How SynapseDTE's ``WorkflowOrchestrator`` orders a report's data-testing cycle today
(background/synapse-workflow-analysis.md): a ``PHASE_DEPENDENCIES`` table, a linear chain, with
the SLA, roles and activities of each phase in tables beside it. As the python job's legacy
builder does, it loads a YAML template (``templates/dt-testing.yaml``), edits it as plain dicts
(one ``dependencies: [...]`` DAG task and one copy of ``templates/phase.yaml`` per phase), builds
the metadata through ``kubernetes.client.V1ObjectMeta`` and makes the body JSON-ready with the
kubernetes ``ApiClient``.

The table predates workflow definitions: the ``workflow`` input is accepted and ignored, and
every report type runs the same chain.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import yaml

from harness.builders._kubernetes_body import json_ready, object_metadata
from harness.builders.phases.activity import (
    ACTIVITY_PROGRAM,
    DATA_INPUTS,
    ENV_ACTIVITIES,
    ENV_CYCLE_ID,
    ENV_PHASE,
    ENV_READS,
    ENV_RECORDS_DIR,
    ENV_REPORT_ID,
    ENV_REPORT_TYPE,
    RECORDS_DIR,
    task_name,
)
from harness.builders.phases.metadata import (
    CYCLE_ID_LABEL,
    PHASE_LABEL,
    PHASE_NAME_ANNOTATION,
    REPORT_ID_LABEL,
    REPORT_TYPE_LABEL,
    ROLES_ANNOTATION,
)
from harness.errors import BuilderInputError

TEMPLATES = Path(__file__).parent / "templates"
WORKFLOW_TEMPLATE = TEMPLATES / "dt-testing.yaml"
PHASE_TEMPLATE = TEMPLATES / "phase.yaml"
DAG_TEMPLATE = "dt-testing"
SECONDS_PER_DAY = 86_400

# WorkflowOrchestrator.PHASE_DEPENDENCIES, as the analysis quotes it.
PHASE_DEPENDENCIES: dict[str, list[str]] = {
    "Planning": [],
    "Scoping": ["Planning"],
    "Sample Selection": ["Scoping"],
    "Data Provider ID": ["Sample Selection"],
    "Request Info": ["Data Provider ID"],
    "Testing": ["Request Info"],
    "Observations": ["Testing"],
}
PHASE_SLA_DAYS: dict[str, int] = {
    "Planning": 7,
    "Scoping": 7,
    "Sample Selection": 5,
    "Data Provider ID": 5,
    "Request Info": 10,
    "Testing": 14,
    "Observations": 7,
}
# Who may act in each phase (the endpoints' @require_role lists).
PHASE_ROLES: dict[str, list[str]] = {
    "Planning": ["Tester", "Test Manager"],
    "Scoping": ["Tester"],
    "Sample Selection": ["Tester"],
    "Data Provider ID": ["CDO"],
    "Request Info": ["Tester", "Data Owner"],
    "Testing": ["Tester"],
    "Observations": ["Tester", "Test Manager"],
}
PHASE_ACTIVITIES: dict[str, list[str]] = {
    "Planning": ["create_test_plan", "review_requirements"],
    "Scoping": ["identify_attributes", "llm_enhance_attributes", "submit_for_approval"],
    "Sample Selection": ["generate_samples", "review_samples"],
    "Data Provider ID": ["identify_providers", "assign_providers"],
    "Request Info": ["send_requests", "collect_evidence"],
    "Testing": ["execute_tests", "review_results"],
    "Observations": ["record_observations", "approve_observations"],
}


def build(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The Workflow manifest (a JSON-ready dict) of one report's data-testing cycle."""
    report_type, report_id, cycle_id = _report(inputs)
    manifest = copy.deepcopy(_load(WORKFLOW_TEMPLATE))
    metadata = manifest["metadata"]
    metadata["labels"].update(
        {REPORT_TYPE_LABEL: report_type, REPORT_ID_LABEL: str(report_id), CYCLE_ID_LABEL: str(cycle_id)}
    )
    manifest["metadata"] = object_metadata(metadata, inputs.get("namespace"))
    spec = manifest["spec"]
    dag = next(t for t in spec["templates"] if t["name"] == DAG_TEMPLATE)["dag"]
    for phase, depends_on in PHASE_DEPENDENCIES.items():
        task: dict[str, Any] = {"name": task_name(phase), "template": task_name(phase)}
        if depends_on:
            task["dependencies"] = [task_name(d) for d in depends_on]
        dag["tasks"].append(task)
        spec["templates"].append(_phase_template(phase, report_type, report_id, cycle_id))
    return json_ready(manifest)


def _report(inputs: Mapping[str, Any]) -> tuple[str, int, int]:
    if not isinstance(inputs, Mapping):
        raise BuilderInputError(f"inputs must be a mapping, got {type(inputs).__name__}")
    try:
        return str(inputs["report_type"]), int(inputs["report_id"]), int(inputs["cycle_id"])
    except KeyError as missing:
        raise BuilderInputError(f"missing input {missing}") from None


def _phase_template(phase: str, report_type: str, report_id: int, cycle_id: int) -> dict[str, Any]:
    name = task_name(phase)
    template = copy.deepcopy(_load(PHASE_TEMPLATE))
    template["name"] = name
    template["activeDeadlineSeconds"] = PHASE_SLA_DAYS[phase] * SECONDS_PER_DAY
    template["metadata"]["labels"][PHASE_LABEL] = name
    template["metadata"]["annotations"][PHASE_NAME_ANNOTATION] = phase
    template["metadata"]["annotations"][ROLES_ANNOTATION] = ", ".join(PHASE_ROLES[phase])
    script = template["script"]
    script["source"] = ACTIVITY_PROGRAM
    env = {
        ENV_PHASE: name,
        ENV_REPORT_TYPE: report_type,
        ENV_REPORT_ID: str(report_id),
        ENV_CYCLE_ID: str(cycle_id),
        ENV_READS: ",".join(DATA_INPUTS[name]),
        ENV_ACTIVITIES: ",".join(PHASE_ACTIVITIES[phase]),
        ENV_RECORDS_DIR: RECORDS_DIR,
    }
    script["env"] = [{"name": key, "value": value} for key, value in env.items()]
    return template


@functools.cache
def _load(path: Path) -> dict[str, Any]:
    # Loaded once per process and deep-copied per use, as the backend does.
    with path.open(encoding="utf-8") as handle:
        return cast(dict[str, Any], yaml.safe_load(handle))
