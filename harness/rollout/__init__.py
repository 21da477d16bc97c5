"""Rollout: gate criteria per phase (``config``), the evidence a gate looks at (``evidence``),
the gates themselves (``gates``) and the canary's feature-flag router probe (``router_probe``).

>>> from harness.rollout import Evidence, evaluate
>>> evaluate(Phase.STAGING, Evidence(outcomes=outcomes, execute="local")).verdict
"""

from harness.rollout.config import PhaseCriteria, RolloutConfig
from harness.rollout.evidence import Evidence, FuzzEvidence
from harness.rollout.gates import PhaseVerdict, Reason, evaluate, evaluate_all

__all__ = [
    "Evidence",
    "FuzzEvidence",
    "PhaseCriteria",
    "PhaseVerdict",
    "Reason",
    "RolloutConfig",
    "evaluate",
    "evaluate_all",
]
