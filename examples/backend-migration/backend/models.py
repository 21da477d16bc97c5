"""The request the backend's endpoint accepts: the team's own input model, with its own names."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class TaskRequest(BaseModel):
    """One analysis task, as the ``POST /tasks`` endpoint receives it."""

    model_config = ConfigDict(extra="forbid")

    task_name: str = Field(pattern=r"^[a-z][a-z0-9-]{0,39}$")
    code: str = Field(min_length=1)
    packages: list[str] = Field(default_factory=list, max_length=20)
    results_claim: str | None = Field(default="task-results-pvc", pattern=r"^[a-z0-9][a-z0-9-]*$")
    project: str = Field(default="analytics", pattern=r"^[a-z][a-z0-9-]{0,30}$")
    cpu: str = "500m"
