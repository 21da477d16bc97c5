"""What a gate may look at: the outcomes and everything the evidence step gathered beside them.

Plain data, filled by :mod:`harness.evidence` and read by :mod:`harness.rollout.gates`. ``None``
means not gathered (the gate then says INCONCLUSIVE where it needs it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.outcomes import ScenarioOutcome
    from harness.rollout.router_probe import StepEvidence


@dataclass(frozen=True)
class FuzzEvidence:
    examples: int
    failures: int
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"examples": self.examples, "failures": self.failures, "source": self.source}


@dataclass(frozen=True)
class Evidence:
    """Everything a gate may look at, gathered by the evidence step. ``None`` means not gathered."""

    outcomes: Sequence[ScenarioOutcome]
    execute: str = "none"
    expired_waivers: tuple[str, ...] = ()
    stale_waivers: tuple[str, ...] = ()
    router: tuple[StepEvidence, ...] | None = None
    fuzz: FuzzEvidence | None = None
    # Every scenario the run was meant to cover (None: the outcomes are all of them), and
    # whether it was cut short: a scenario that did not run is missing evidence.
    expected: tuple[str, ...] | None = None
    interrupted: bool = False
    # What of the build confinement this machine could not provide (no syscall filter...).
    confinement_problems: tuple[str, ...] = ()
    # User rules (rules.yaml) that turned differences the built-in rules call semantic into
    # something else: rule id -> how many.
    demoted_by_rules: tuple[tuple[str, int], ...] = ()
    # Waivers some difference of the run matched (the report lists them; no gate judges them).
    used_waivers: tuple[str, ...] = ()
    # What each gatherer of the evidence step gathered, or why it gathered nothing.
    notes: tuple[str, ...] = ()
    # Suites other than the default one: the router probe and fuzzing covered none of them.
    unprobed_suites: tuple[str, ...] = ()
