"""What one whole run gave: its outcomes, the evidence gathered beside them and the gates' verdicts.

Plain data beside :mod:`harness.outcomes`, made by the engine and read by the report document and
the front doors' summaries; importing it loads neither the engine nor the differ.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.redact import Redactor

if TYPE_CHECKING:
    from harness.outcomes import ScenarioOutcome
    from harness.rollout.evidence import Evidence, FuzzEvidence
    from harness.rollout.gates import PhaseVerdict
    from harness.rollout.router_probe import StepEvidence
    from harness.run_config import RunConfig


@dataclass(frozen=True)
class RunResult:
    config: RunConfig
    outcomes: tuple[ScenarioOutcome, ...]
    verdict: PhaseVerdict  # the requested phase's
    phases: tuple[PhaseVerdict, ...]  # every phase's, on the same evidence
    router: tuple[StepEvidence, ...] | None
    fuzz: FuzzEvidence | None
    waivers_used: tuple[str, ...]
    waivers_stale: tuple[str, ...]
    waivers_expired: tuple[str, ...]
    started_at: datetime.datetime
    duration_s: float
    redactor: Redactor
    # Scenarios selected for the run (None: whatever ran was everything) and whether it was cut short.
    expected: tuple[str, ...] | None = None
    interrupted: bool = False

    @classmethod
    def judged(
        cls,
        config: RunConfig,
        evidence: Evidence,
        phases: tuple[PhaseVerdict, ...],
        *,
        started_at: datetime.datetime | None = None,
        duration_s: float = 0.0,
    ) -> RunResult:
        """The result of a run whose ``evidence`` the gates judged as ``phases`` (every phase's
        verdict, ``config.phase``'s among them)."""
        outcomes = tuple(evidence.outcomes)
        return cls(
            config=config,
            outcomes=outcomes,
            verdict=next(p for p in phases if p.phase is config.phase),
            phases=phases,
            router=evidence.router,
            fuzz=evidence.fuzz,
            waivers_used=evidence.used_waivers,
            waivers_stale=evidence.stale_waivers,
            waivers_expired=evidence.expired_waivers,
            started_at=started_at or datetime.datetime.now(datetime.UTC),
            duration_s=duration_s,
            redactor=redactor_for(outcomes),
            expected=evidence.expected,
            interrupted=evidence.interrupted,
        )


def redactor_for(outcomes: Iterable[ScenarioOutcome]) -> Redactor:
    """A redactor that knows every secret value in these outcomes' inputs and manifests."""
    redactor = Redactor()
    for outcome in outcomes:
        manifests = [side.manifest for side in (outcome.legacy, outcome.new) if side and side.manifest]
        if len(manifests) == 2 and manifests[0] == manifests[1]:
            # A faithful migration's usual case: the second walk could find nothing new.
            manifests.pop()
        redactor.learn_from(outcome.inputs, *manifests)
        if outcome.execution:
            # values the executor injected for secretKeyRef env vars: scrubbed from stdout too
            for value in outcome.execution.secret_values:
                redactor.learn(value)
    return redactor
