"""Canary evidence: route every scenario through the real feature-flag router at each step.

The router is the code that serves production traffic during the rollout, so the evidence is
what the router does (which requests reach the new builder, which fall back), not what the
harness infers from a direct build.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from harness.builders import Builder


@dataclass(frozen=True)
class StepEvidence:
    percent: int
    requests: int
    routed_new: int
    fallbacks: int
    rejected: int
    fallback_reasons: dict[str, int]
    # Scenarios with at least one request that fell back, so the report can point at them.
    scenarios_with_fallback: tuple[str, ...]

    @property
    def fallback_rate(self) -> float:
        return self.fallbacks / self.routed_new if self.routed_new else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "percent": self.percent,
            "requests": self.requests,
            "routed_new": self.routed_new,
            "fallbacks": self.fallbacks,
            "rejected": self.rejected,
            "fallback_rate": self.fallback_rate,
            "fallback_reasons": dict(sorted(self.fallback_reasons.items())),
            "scenarios_with_fallback": list(self.scenarios_with_fallback),
        }


def probe_router(
    legacy: Builder,
    new: Builder,
    scenario_inputs: Mapping[str, dict[str, Any]],
    *,
    steps: Sequence[int],
    requests_per_scenario: int,
) -> tuple[StepEvidence, ...]:
    """Route ``requests_per_scenario`` distinct request keys per scenario (name -> builder
    inputs) through a router at each step percentage."""
    # The router logs each fallback as a warning; in a probe of thousands of requests those
    # warnings are the evidence, already counted, not news.
    router_log = logging.getLogger("harness.builders.flag")
    was_disabled, router_log.disabled = router_log.disabled, True
    try:
        return tuple(_probe_step(legacy, new, scenario_inputs, percent, requests_per_scenario) for percent in steps)
    finally:
        router_log.disabled = was_disabled


def _probe_step(
    legacy: Builder,
    new: Builder,
    scenario_inputs: Mapping[str, dict[str, Any]],
    percent: int,
    requests_per_scenario: int,
) -> StepEvidence:
    # The router is typed for the reference builders; any builder pair routes the same way.
    # Imported here: the flag module loads both reference builders (hera, kubernetes), which a
    # run of user builders that never probes the router should not pay for.
    from harness.builders.flag import FlagRouter

    router = FlagRouter(cast(Any, legacy), cast(Any, new), enabled=True, canary_percent=percent)
    with_fallback = []
    for name, inputs in sorted(scenario_inputs.items()):
        before = router.stats.fallbacks
        for index in range(requests_per_scenario):
            try:
                router.build(inputs, request_key=f"{name}/request-{index}")
            except Exception:  # both builders refused: counted by the router as rejected
                continue
        if router.stats.fallbacks > before:
            with_fallback.append(name)
    stats = router.stats
    return StepEvidence(
        percent=percent,
        requests=stats.requests,
        routed_new=stats.routed_new,
        fallbacks=stats.fallbacks,
        rejected=stats.rejected,
        fallback_reasons=dict(stats.fallback_reasons),
        scenarios_with_fallback=tuple(sorted(with_fallback)),
    )
