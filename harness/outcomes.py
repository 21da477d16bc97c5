"""What one scenario gave: plain data passed from the engine to the evidence step, the gates and
the report writers (the whole run's result, :class:`~harness.run_result.RunResult`, sits beside it).

Everything here is picklable (scenarios run in worker processes) and turns into JSON with
``to_dict`` in a stable order, so two runs on the same inputs give the same report. Importing it
loads no part of the differ or the executors: the gates and the report document read outcomes
without paying for the bash parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from harness.diff.model import Category
from harness.suites import DEFAULT_SUITE

if TYPE_CHECKING:
    from harness.builders.result import BuilderError, BuildResult
    from harness.diff.model import Difference
    from harness.execute.parity import ExecutionOutcome


class Status(StrEnum):
    """A scenario's manifest-parity outcome."""

    EQUIVALENT = "equivalent"  # no semantic difference
    WAIVED = "waived"  # semantic differences, every one covered by a waiver
    DIFFERENT = "different"  # at least one semantic difference nobody waived
    # The scenario plants a mistake in the new builder (expect.parity.differs) and the harness found
    # it: semantic differences at every expected path and no unwaived one elsewhere. The scenario
    # passes: it is evidence that the detector works, not a difference to fix.
    CAUGHT = "caught"
    BOTH_REJECTED = "both-rejected"  # both builders refused the input (ValueError): agreement
    # One side built or refused and the other did not do the same: the new builder refuses what
    # the legacy one built (or the reverse), or the new builder crashed where the legacy did not.
    BUILDER_ERROR = "builder-error"
    # The legacy builder crashed (exception, exit, hang, network): there is no baseline to hold
    # the new one against, whatever it did. No evidence either way.
    LEGACY_CRASHED = "legacy-crashed"
    CRASHED = "crashed"  # the harness itself failed on this scenario: no evidence either way

    @property
    def agrees(self) -> bool:
        return self in {Status.EQUIVALENT, Status.WAIVED, Status.BOTH_REJECTED}

    @property
    def as_expected(self) -> bool:
        """The manifests are what the scenario says: they agree, or differ exactly as planted."""
        return self.agrees or self is Status.CAUGHT

    @property
    def is_evidence(self) -> bool:
        """The scenario says something about the migration (good or bad)."""
        return self not in {Status.LEGACY_CRASHED, Status.CRASHED}


@dataclass(frozen=True)
class SideResult:
    """One builder's result for one scenario: a manifest or an error, never both."""

    builder: str = ""
    manifest: dict[str, Any] | None = None
    error: BuilderError | None = None
    duration_s: float = 0.0

    @classmethod
    def of(cls, builder: str, result: BuildResult) -> SideResult:
        return cls(builder=builder, manifest=result.manifest, error=result.error, duration_s=result.duration_s)

    @property
    def built(self) -> bool:
        return self.manifest is not None

    @property
    def rejected(self) -> bool:
        return self.error is not None and self.error.rejected

    @property
    def crashed(self) -> bool:
        """Failed other than by refusing the input (or returned no manifest at all)."""
        return self.manifest is None and not self.rejected

    def to_dict(self) -> dict[str, Any]:
        return {
            "builder": self.builder,
            "manifest": self.manifest,
            "error": self.error.to_dict() if self.error else None,
            "duration_ms": round(self.duration_s * 1000, 3),
        }


def decide_sides(legacy: SideResult, new: SideResult) -> Status | None:
    """The one definition of agreement, used by ``parity run``, the pytest plugin and fuzzing.

    ``None`` when both built a manifest: the manifests decide. Otherwise only a *rejection* on
    both sides agrees (both builders refuse the input, as their contract allows); a crash of the
    legacy side leaves nothing to compare with; any other mix is a difference the new builder
    brings: it refuses or crashes where the legacy one did not, or builds what it refused.
    """
    if legacy.manifest is not None and new.manifest is not None:
        return None
    if legacy.rejected and new.rejected:
        return Status.BOTH_REJECTED
    if legacy.crashed:
        return Status.LEGACY_CRASHED
    return Status.BUILDER_ERROR


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
    # The suite whose builders built it (harness.run_config.SuiteConfig).
    suite: str = DEFAULT_SUITE
    # The scenario's planted difference (expect.parity.differs): the path globs it must show at and
    # why it is planted; None for a scenario whose builders should agree.
    planted: PlantedDifference | None = None

    @property
    def passed(self) -> bool:
        executed_ok = self.execution is None or self.execution.passed
        return self.status.as_expected and not self.problems and executed_ok

    @property
    def semantic_differences(self) -> tuple[Difference, ...]:
        return tuple(d for d in self.differences if d.category is Category.SEMANTIC)

    def count(self, category: Category) -> int:
        return sum(1 for d in self.differences if d.category is category)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "suite": self.suite,
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
            # Only for a scenario with a planted difference: reports of every other scenario keep
            # their shape.
            **({"planted": self.planted.to_dict()} if self.planted else {}),
        }


@dataclass(frozen=True)
class PlantedDifference:
    """Where a scenario's planted difference must show (globs over readable paths), and why."""

    paths: tuple[str, ...]
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"paths": list(self.paths), "reason": self.reason}
