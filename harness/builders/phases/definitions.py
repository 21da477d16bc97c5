"""Workflow definitions: the configuration the new multi-phase builder reads.

The shape the analysis proposes (``workflow_definition.yaml``)::

    workflows:
      standard_dt_testing:
        version: 1.0
        report_types: [fr-y-14m]          # optional: the report types that use this workflow
        phases:
          - id: planning
            name: "Planning"
            type: sequential               # default
            roles: ["Tester", "Test Manager"]
            sla: {duration: 7, unit: days}
            activities: [create_test_plan, review_requirements]
          - id: parallel_phases
            name: "Parallel Execution"
            type: parallel
            depends_on: [scoping]
            sla: {duration: 5, unit: days}   # for branches that set none
            branches:
              - {id: sample_selection, name: "Sample Selection", roles: [Tester], activities: [...]}
              - {id: data_provider_id, name: "Data Provider ID", roles: [CDO], activities: [...]}

What a phase waits for: its ``depends_on`` (phase or branch-group ids; a group stands for all its
branches), or, without one, the phase listed before it (the first waits for nothing): that is
what ``type: sequential`` means. A parallel group is no task of its own: its branches start
together once the group's dependencies finished, and a phase depending on the group waits for
every branch. Ids become task names with dashes (``data_provider_id`` -> ``data-provider-id``).

The bundled files (``definitions/*.yaml`` beside this module) are the backend's configuration;
``planted_mistakes.yaml`` holds the deliberately wrong definitions the harness's own scenarios
must catch.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from harness.builders.phases.activity import DATA_INPUTS, task_name
from harness.errors import BuilderInputError

DEFINITIONS_DIR = Path(__file__).parent / "definitions"
STANDARD_WORKFLOW = "standard_dt_testing"
_UNIT_SECONDS = {"days": 86_400, "hours": 3_600, "minutes": 60}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sla(_Strict):
    duration: int = Field(gt=0)
    unit: Literal["days", "hours", "minutes"] = "days"

    @property
    def seconds(self) -> int:
        return self.duration * _UNIT_SECONDS[self.unit]


class Branch(_Strict):
    id: str = Field(min_length=1)
    name: str
    roles: list[str] = Field(default_factory=list)
    sla: Sla | None = None
    activities: list[str] = Field(default_factory=list)


class PhaseDefinition(_Strict):
    id: str = Field(min_length=1)
    name: str
    type: Literal["sequential", "parallel"] = "sequential"
    depends_on: list[str] | None = None
    roles: list[str] = Field(default_factory=list)
    sla: Sla | None = None
    activities: list[str] = Field(default_factory=list)
    branches: list[Branch] = Field(default_factory=list)

    @model_validator(mode="after")
    def _branches_make_a_parallel_phase(self) -> PhaseDefinition:
        if self.type == "parallel" and not self.branches:
            raise ValueError(f"phase {self.id!r} is parallel but has no branches")
        if self.type == "sequential" and self.branches:
            raise ValueError(f"phase {self.id!r} has branches: make it type: parallel")
        return self


class WorkflowDefinition(_Strict):
    version: str | float
    description: str = ""
    report_types: list[str] = Field(default_factory=list)
    phases: list[PhaseDefinition] = Field(min_length=1)


class DefinitionsFile(_Strict):
    workflows: dict[str, WorkflowDefinition]


@dataclass(frozen=True)
class PlannedPhase:
    """One task of the DAG a definition gives: what it waits for, and its template's settings."""

    task: str
    name: str
    depends: tuple[str, ...]
    roles: tuple[str, ...]
    sla_seconds: int | None
    activities: tuple[str, ...]


@functools.cache
def bundled_definitions() -> dict[str, WorkflowDefinition]:
    """Every workflow of the bundled definition files, by name."""
    workflows: dict[str, WorkflowDefinition] = {}
    for path in sorted(DEFINITIONS_DIR.glob("*.yaml")):
        for name, workflow in read_definitions(path).items():
            if name in workflows:
                raise BuilderInputError(f"{path}: workflow {name!r} is defined twice")
            workflows[name] = workflow
    return workflows


def read_definitions(path: Path) -> dict[str, WorkflowDefinition]:
    """One definition file's workflows; BuilderInputError naming the file and field otherwise."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return DefinitionsFile.model_validate(raw).workflows
    except yaml.YAMLError as exc:
        raise BuilderInputError(f"{path}: invalid YAML ({exc})") from None
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise BuilderInputError(f"{path}: {where}: {error['msg']}") from None


def choose(workflow: str | None, report_type: str) -> tuple[str, WorkflowDefinition]:
    """The workflow named ``workflow``; without a name, the one listing ``report_type``, else the
    standard one."""
    workflows = bundled_definitions()
    if workflow is None:
        workflow = next((n for n, w in workflows.items() if report_type in w.report_types), STANDARD_WORKFLOW)
    if workflow not in workflows:
        raise BuilderInputError(f"workflow: no workflow definition named {workflow!r} (known: {sorted(workflows)})")
    return workflow, workflows[workflow]


def plan(name: str, workflow: WorkflowDefinition) -> tuple[PlannedPhase, ...]:
    """The DAG's tasks in definition order; BuilderInputError for a definition no DAG can follow
    (an unknown or repeated id, a phase with no activity code, a cycle)."""
    ids = [phase.id for phase in workflow.phases] + [b.id for phase in workflow.phases for b in phase.branches]
    repeated = sorted({each for each in ids if ids.count(each) > 1})
    if repeated:
        raise BuilderInputError(f"workflow {name!r}: id {repeated[0]!r} is used twice")
    groups: dict[str, tuple[str, ...]] = {}  # phase or group id -> its tasks
    pending: list[tuple[PhaseDefinition, list[Branch | PhaseDefinition], Sequence[str]]] = []
    previous: str | None = None
    for phase in workflow.phases:
        members: list[Branch | PhaseDefinition] = list(phase.branches) if phase.type == "parallel" else [phase]
        for member in members:
            if task_name(member.id) not in DATA_INPUTS:
                raise BuilderInputError(
                    f"workflow {name!r}: phase {member.id!r} has no activity code "
                    f"(known phases: {', '.join(sorted(DATA_INPUTS))})"
                )
            groups[member.id] = (task_name(member.id),)
        groups[phase.id] = tuple(task_name(member.id) for member in members)
        waits_for: Sequence[str] = phase.depends_on if phase.depends_on is not None else [previous] if previous else []
        pending.append((phase, members, waits_for))
        previous = phase.id
    planned: list[PlannedPhase] = []
    for phase, members, waits_for in pending:
        depends: list[str] = []
        for needed in waits_for:
            if needed not in groups:
                raise BuilderInputError(f"workflow {name!r}: phase {phase.id!r} depends on unknown id {needed!r}")
            depends.extend(task for task in groups[needed] if task not in depends)
        for member in members:
            sla = member.sla or phase.sla
            planned.append(
                PlannedPhase(
                    task=task_name(member.id),
                    name=member.name,
                    depends=tuple(depends),
                    roles=tuple(member.roles or phase.roles),
                    sla_seconds=sla.seconds if sla else None,
                    activities=tuple(member.activities),
                )
            )
    _refuse_cycles(name, planned)
    return tuple(planned)


def _refuse_cycles(name: str, planned: Sequence[PlannedPhase]) -> None:
    # Argo refuses a DAG with a cycle at submission; a builder must not emit one.
    waits: Mapping[str, tuple[str, ...]] = {p.task: p.depends for p in planned}
    done: set[str] = set()

    def visit(task: str, path: tuple[str, ...]) -> None:
        if task in path:
            cycle = " -> ".join((*path[path.index(task) :], task))
            raise BuilderInputError(f"workflow {name!r}: dependency cycle {cycle}")
        if task in done:
            return
        for before in waits[task]:
            visit(before, (*path, task))
        done.add(task)

    for task in waits:
        visit(task, ())
