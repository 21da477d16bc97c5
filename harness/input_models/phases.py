"""The input model of the built-in ``phases`` suite: one report's data-testing cycle.

What the backend passes when it starts a cycle: the report and the cycle (ids), the report's type,
and which workflow definition to run (by name, from the bundled definitions; none: the one the
report type uses). Both multi-phase builders take it (:mod:`harness.builders.phases`).

Fuzzing (``parity fuzz --inputs-model harness.input_models.phases:PhasesInputs``) draws from the
model's JSON Schema. ``workflow``'s schema lists only the definitions that claim to keep the legacy
order (:data:`ORDER_KEEPING_WORKFLOWS`): those are the inputs on which the builders must agree. The
others are variants with a purpose (the parallel branches, a waived relaxation; a planted mistake
the harness must catch), reached by the suite's scenarios, each with its own expectation, and a
search that picked them would only rediscover them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

ReportType = Literal["fr-y-14m", "fr-y-9c", "ffiec-031"]

# The definitions meant to give the legacy chain's order exactly, each written its own way.
ORDER_KEEPING_WORKFLOWS = ("standard_dt_testing", "fr_y_14m_testing", "fr_y_9c_testing", "ffiec_031_testing")
# Definitions that change the order on purpose: allowed in a scenario, never generated.
VARIANT_WORKFLOWS = ("parallel_dt_testing", "testing_skips_request_info")

WorkflowName = Literal[
    "standard_dt_testing",
    "fr_y_14m_testing",
    "fr_y_9c_testing",
    "ffiec_031_testing",
    "parallel_dt_testing",
    "testing_skips_request_info",
]


class PhasesInputs(BaseModel):
    """A scenario's ``inputs`` in the phases suite."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    report_id: int = Field(ge=1, le=999_999_999)
    cycle_id: int = Field(ge=1, le=999_999_999)
    report_type: ReportType = "fr-y-14m"
    # A workflow of the bundled definitions (harness/builders/phases/definitions/); None: the one
    # listing the report type, else standard_dt_testing. The legacy builder has no definitions.
    workflow: Annotated[
        WorkflowName | None,
        WithJsonSchema({"anyOf": [{"enum": list(ORDER_KEEPING_WORKFLOWS)}, {"type": "null"}], "default": None}),
    ] = None
    namespace: str = Field(default="argo", pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
