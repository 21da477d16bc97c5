"""What one run found: plain data passed from the engine to rollout gates and report writers.

Everything here is picklable (scenarios run in worker processes) and turns into JSON with
``to_dict`` in a stable order, so two runs on the same inputs give the same report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from harness.diff import Category, Difference

if TYPE_CHECKING:
    from harness.execute.parity import ExecutionOutcome


class Status(StrEnum):
    """A scenario's manifest-parity outcome."""

    EQUIVALENT = "equivalent"  # no semantic difference
    WAIVED = "waived"  # semantic differences, every one covered by a waiver
    DIFFERENT = "different"  # at least one semantic difference nobody waived
    BOTH_REJECTED = "both-rejected"  # both builders refused the input: agreement
    BUILDER_ERROR = "builder-error"  # one builder raised, the other built: a difference
    CRASHED = "crashed"  # the harness itself failed on this scenario: no evidence either way

    @property
    def agrees(self) -> bool:
        return self in {Status.EQUIVALENT, Status.WAIVED, Status.BOTH_REJECTED}


@dataclass(frozen=True)
class BuilderError:
    type: str
    message: str

    @classmethod
    def from_exception(cls, exc: BaseException) -> BuilderError:
        return cls(type=type(exc).__name__, message=str(exc) or repr(exc))

    def to_dict(self) -> dict[str, str]:
        return {"type": self.type, "message": self.message}


@dataclass(frozen=True)
class SideResult:
    """One builder's result for one scenario: a manifest or an error, never both."""

    builder: str
    manifest: dict[str, Any] | None = None
    error: BuilderError | None = None
    duration_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "builder": self.builder,
            "manifest": self.manifest,
            "error": self.error.to_dict() if self.error else None,
            "duration_ms": round(self.duration_s * 1000, 3),
        }


@dataclass(frozen=True)
class ScenarioOutcome:
    name: str
    kind: str
    description: str
    source: str
    status: Status
    legacy: SideResult | None = None
    new: SideResult | None = None
    differences: tuple[Difference, ...] = ()
    waivers_used: tuple[str, ...] = ()
    # Where the scenario's own `expect` section was not met (e.g. an expected waiver unused).
    problems: tuple[str, ...] = ()
    crash: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    # Both workflows run and compared; None when not executed (--execute none, manifest-only).
    execution: ExecutionOutcome | None = None
    # The scenario's expect.execution.exit_code: a run may be expected to fail (exit 7).
    expected_exit_code: int | None = None

    @property
    def passed(self) -> bool:
        executed_ok = self.execution is None or self.execution.passed
        return self.status.agrees and not self.problems and executed_ok

    @property
    def semantic_differences(self) -> tuple[Difference, ...]:
        return tuple(d for d in self.differences if d.category is Category.SEMANTIC)

    def count(self, category: Category) -> int:
        return sum(1 for d in self.differences if d.category is category)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "source": self.source,
            "status": self.status.value,
            "passed": self.passed,
            "inputs": self.inputs,
            "legacy": self.legacy.to_dict() if self.legacy else None,
            "new": self.new.to_dict() if self.new else None,
            "differences": [d.to_dict() for d in self.differences],
            "counts": {category.value: self.count(category) for category in Category},
            "waivers_used": list(self.waivers_used),
            "problems": list(self.problems),
            "crash": self.crash,
            "execution": self.execution.to_dict() if self.execution else None,
        }
