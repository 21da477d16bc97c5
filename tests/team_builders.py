"""A team's own job shape and builders: not the python job, with field names of its own.

``TeamJob`` is the team's input model (a pydantic model; ``TeamJobData`` and ``TeamJobDict`` are
the same shape as a dataclass and as a TypedDict). The builders take it each way a suite can call
them: ``build_legacy``/``build_new`` take the model instance (``--call model``),
``build_from_dict`` one plain dict (``--call dict``), ``build_from_kwargs`` keywords
(``--call kwargs``).

``build_new`` carries a planted defect that only a constrained value shows: at the most retries
the model allows (``retries == 5``, ``le=5``) it writes one retry fewer. A fuzzer that ignored the
model's bounds would rarely meet 5; one that honours them meets it soon.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NotRequired

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

MAX_RETRIES = 5
QUEUE_PATTERN = r"^[a-z]+-q$"
JOB_NAME_PATTERN = r"^[a-z][a-z0-9-]{0,20}$"


class TeamJob(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    job_name: str = Field(pattern=JOB_NAME_PATTERN)
    image: str = Field(min_length=1, max_length=40)
    command: list[str] = Field(min_length=1, max_length=3)
    retries: int = Field(default=0, ge=0, le=MAX_RETRIES)
    queue: str = Field(default="default-q", pattern=QUEUE_PATTERN)


@dataclasses.dataclass
class TeamJobData:
    job_name: str
    image: str
    command: list[str]
    retries: int = 0
    queue: str = "default-q"


class TeamJobDict(TypedDict):
    job_name: str
    image: str
    command: list[str]
    retries: NotRequired[int]


NOT_A_MODEL = 42


def _manifest(job_name: str, image: str, command: list[str], retries: int, queue: str) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": f"{job_name}-", "namespace": "team"},
        "spec": {
            "entrypoint": "main",
            "templates": [
                {
                    "name": "main",
                    "retryStrategy": {"limit": retries},
                    "nodeSelector": {"queue": queue},
                    "container": {"image": image, "command": list(command)},
                }
            ],
        },
    }


def build_legacy(job: TeamJob) -> dict[str, Any]:
    if not isinstance(job, TeamJob):
        raise TypeError(f"expected a TeamJob, got {type(job).__name__}")
    return _manifest(job.job_name, job.image, job.command, job.retries, job.queue)


def build_new(job: TeamJob) -> dict[str, Any]:
    if not isinstance(job, TeamJob):
        raise TypeError(f"expected a TeamJob, got {type(job).__name__}")
    retries = job.retries - 1 if job.retries == MAX_RETRIES else job.retries  # the planted defect
    return _manifest(job.job_name, job.image, job.command, retries, job.queue)


def build_new_fixed(job: TeamJob) -> dict[str, Any]:
    return build_legacy(job)


def build_from_dict(inputs: dict[str, Any]) -> dict[str, Any]:
    if type(inputs) is not dict:
        raise TypeError(f"expected a plain dict, got {type(inputs).__name__}")
    inputs["command"].append("--mutated")  # a builder that changes its argument: the other side must not see it
    retries, queue = inputs.get("retries", 0), inputs.get("queue", "default-q")
    return _manifest(inputs["job_name"], inputs["image"], inputs["command"][:-1], retries, queue)


def build_from_kwargs(*, job_name: str, image: str, command: list[str], retries: int, queue: str) -> dict[str, Any]:
    return _manifest(job_name, image, command, retries, queue)


def build_from_data(job: TeamJobData) -> dict[str, Any]:
    if not isinstance(job, TeamJobData):
        raise TypeError(f"expected a TeamJobData, got {type(job).__name__}")
    return _manifest(job.job_name, job.image, job.command, job.retries, job.queue)
