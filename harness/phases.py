"""The rollout's vocabulary: phases and verdicts (no logic, cheap to import)."""

from __future__ import annotations

from enum import StrEnum


class Phase(StrEnum):
    DEV = "dev"
    STAGING = "staging"
    CANARY = "canary"
    PRODUCTION = "production"
    CLEANUP = "cleanup"


class Verdict(StrEnum):
    READY = "READY"
    NOT_READY = "NOT READY"
    INCONCLUSIVE = "INCONCLUSIVE"

    @property
    def exit_code(self) -> int:
        """``parity run``'s exit code for this verdict (the README's table)."""
        return {Verdict.READY: 0, Verdict.NOT_READY: 1, Verdict.INCONCLUSIVE: 3}[self]
