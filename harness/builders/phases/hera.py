"""The new multi-phase builder: a workflow definition turned into an Argo DAG with Hera.

Reads the workflow the inputs name (or the one for the report type) from the bundled definitions
(:mod:`harness.builders.phases.definitions`), and writes it the Hera way: one ``Script`` per phase,
a ``DAG`` whose tasks are chained with ``>>`` (Hera writes ``depends: "a && b"``). A phase's SLA
becomes its template's ``activeDeadlineSeconds``, its roles an annotation. Written from the
definition format, not from the legacy output, so the harness compares two implementations.

As the python job's Hera builder does, every value Hera would otherwise take from
``hera.shared.global_config`` (namespace, service account, image, API version) is passed
explicitly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from hera.workflows import DAG, Env, ExistingVolume, Script, Task, Workflow
from hera.workflows import models as m

from harness.builders.phases.activity import (
    ACTIVITY_PROGRAM,
    COMMAND,
    DATA_INPUTS,
    ENV_ACTIVITIES,
    ENV_CYCLE_ID,
    ENV_PHASE,
    ENV_READS,
    ENV_RECORDS_DIR,
    ENV_REPORT_ID,
    ENV_REPORT_TYPE,
    IMAGE,
    RECORDS_DIR,
    RESULTS_CLAIM,
    RESULTS_MOUNT,
    RESULTS_VOLUME,
)
from harness.builders.phases.definitions import PlannedPhase, choose, plan
from harness.builders.phases.metadata import (
    CYCLE_ID_LABEL,
    PHASE_LABEL,
    PHASE_NAME_ANNOTATION,
    REPORT_ID_LABEL,
    REPORT_TYPE_LABEL,
    ROLES_ANNOTATION,
)
from harness.errors import BuilderInputError
from harness.spec.fields import WORKFLOW_API_VERSION

ENTRYPOINT = "dt-testing"
SERVICE_ACCOUNT = "dt-testing-runner"


def workflow(inputs: Mapping[str, Any]) -> Workflow:
    """The Hera ``Workflow`` of one report's data-testing cycle (not submitted)."""
    if not isinstance(inputs, Mapping):
        raise BuilderInputError(f"inputs must be a mapping, got {type(inputs).__name__}")
    for key in ("report_type", "report_id", "cycle_id"):
        if key not in inputs:
            raise BuilderInputError(f"missing input {key!r}")
    report = {"type": str(inputs["report_type"]), "id": str(inputs["report_id"]), "cycle": str(inputs["cycle_id"])}
    name, definition = choose(inputs.get("workflow"), report["type"])
    phases = plan(name, definition)
    with Workflow(
        api_version=WORKFLOW_API_VERSION,
        generate_name="dt-testing-",
        namespace=inputs.get("namespace") or "argo",
        entrypoint=ENTRYPOINT,
        service_account_name=SERVICE_ACCOUNT,
        labels={
            "app.kubernetes.io/name": "dt-testing",
            REPORT_TYPE_LABEL: report["type"],
            REPORT_ID_LABEL: report["id"],
            CYCLE_ID_LABEL: report["cycle"],
        },
        volumes=[ExistingVolume(name=RESULTS_VOLUME, claim_name=RESULTS_CLAIM)],
    ) as w:
        scripts = {phase.task: _script(phase, report) for phase in phases}
        with DAG(name=ENTRYPOINT):
            tasks = {phase.task: Task(name=phase.task, template=scripts[phase.task]) for phase in phases}
            for phase in phases:
                for before in phase.depends:
                    tasks[before] >> tasks[phase.task]
    return w


def build(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The Workflow manifest as the dict Hera would submit."""
    return cast(dict[str, Any], workflow(inputs).to_dict())


def submit(inputs: Mapping[str, Any]) -> Workflow:
    """Build and create the Workflow through the Argo server (``hera.shared.global_config`` host/token)."""
    return cast(Workflow, workflow(inputs).create())


def _script(phase: PlannedPhase, report: Mapping[str, str]) -> Script:
    env = {
        ENV_PHASE: phase.task,
        ENV_REPORT_TYPE: report["type"],
        ENV_REPORT_ID: report["id"],
        ENV_CYCLE_ID: report["cycle"],
        ENV_READS: ",".join(DATA_INPUTS[phase.task]),
        ENV_ACTIVITIES: ",".join(phase.activities),
        ENV_RECORDS_DIR: RECORDS_DIR,
    }
    return Script(
        name=phase.task,
        image=IMAGE,
        command=list(COMMAND),
        source=ACTIVITY_PROGRAM,
        env=[Env(name=key, value=value) for key, value in env.items()],
        volume_mounts=[m.VolumeMount(name=RESULTS_VOLUME, mount_path=RESULTS_MOUNT)],
        active_deadline_seconds=phase.sla_seconds,
        labels={PHASE_LABEL: phase.task},
        annotations={PHASE_NAME_ANNOTATION: phase.name, ROLES_ANNOTATION: ", ".join(phase.roles)},
    )
