"""The report document: one JSON-ready dict that every writer renders.

Writers never look at the run's objects, only at this document, so ``parity report saved.json``
re-renders exactly what ``parity run`` wrote. Secrets are scrubbed here, once, before any
writer sees the data.
"""

from __future__ import annotations

import platform
from collections import Counter
from typing import TYPE_CHECKING, Any

from harness import __version__
from harness.outcomes import Status

if TYPE_CHECKING:
    from harness.redact import Redactor
    from harness.run_result import RunResult

# The version of the parity report document (parity-report.json), not of the fuzz report.
# 1.1: each scenario's `suite`, and the `suites` summary.
# 1.2: the status `caught` and each planted-mistake scenario's `planted` (expect.parity.differs).
REPORT_SCHEMA_VERSION = "1.2"


def build_document(result: RunResult) -> dict[str, Any]:
    config = result.config
    statuses = Counter(outcome.status for outcome in result.outcomes)
    document = {
        "schema_version": REPORT_SCHEMA_VERSION,
        "tool": {"name": "argo-parity", "version": __version__},
        "generated_at": result.started_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "duration_s": round(result.duration_s, 3),
        "machine": {"python": platform.python_version(), "platform": platform.platform(terse=True)},
        "phase": config.phase.value,
        "verdict": result.verdict.verdict.value,
        "reasons": [reason.to_dict() for reason in result.verdict.reasons],
        "phases": [phase.to_dict() for phase in result.phases],
        "rollout_config": config.rollout.source,
        "router": [step.to_dict() for step in result.router] if result.router is not None else None,
        "fuzz": result.fuzz.to_dict() if result.fuzz else None,
        "builders": {"legacy": config.legacy, "new": config.new},
        "execute": config.execute,
        "summary": {
            "scenarios": len(result.outcomes),
            "passed": sum(1 for outcome in result.outcomes if outcome.passed),
            **{status.value: statuses.get(status, 0) for status in Status},
        },
        "waivers": {
            "used": list(result.waivers_used),
            "stale": list(result.waivers_stale),
            "expired": list(result.waivers_expired),
        },
        "suites": _suites(result),
        "scenarios": [_scenario(outcome.to_dict(), result.redactor) for outcome in result.outcomes],
    }
    scrubbed: dict[str, Any] = result.redactor.scrub_strings(document)
    return scrubbed


def _suites(result: RunResult) -> list[dict[str, Any]]:
    """Each suite of the run, the default one first: its builders, input model and counts."""
    suites = []
    for suite in result.config.all_suites:
        outcomes = [outcome for outcome in result.outcomes if outcome.suite == suite.name]
        statuses = Counter(outcome.status for outcome in outcomes)
        suites.append(
            {
                "name": suite.name,
                "file": str(suite.file) if suite.file is not None else None,
                "builders": {"legacy": suite.legacy, "new": suite.new},
                "inputs_model": suite.inputs_model,
                "call": suite.call,
                "summary": {
                    "scenarios": len(outcomes),
                    "passed": sum(1 for outcome in outcomes if outcome.passed),
                    **{status.value: statuses.get(status, 0) for status in Status},
                },
            }
        )
    return suites


def _scenario(scenario: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    """Redact the scenario's data by name (inputs, manifests, differing values); the report's
    own fields are left to the value scrub, since "passed" or "tokens" are not secrets."""
    scenario["inputs"] = redactor.scrub(scenario["inputs"])
    for side in ("legacy", "new"):
        if scenario[side] and scenario[side]["manifest"]:
            scenario[side]["manifest"] = redactor.scrub(scenario[side]["manifest"])
    for difference in scenario["differences"]:
        for key in ("left", "right"):
            difference[key] = redactor.scrub(difference[key])
    return scenario
