"""The closing summary of ``parity run`` on stdout: coloured on a terminal, plain in CI logs."""

from __future__ import annotations

from pathlib import Path

import click

from harness.outcomes import Status
from harness.run_result import RunResult

_COLOURS = {
    Status.EQUIVALENT: "green",
    Status.WAIVED: "cyan",
    Status.BOTH_REJECTED: "green",
    Status.CAUGHT: "green",  # a planted mistake the harness found: the detector works
    Status.DIFFERENT: "red",
    Status.BUILDER_ERROR: "red",
    Status.LEGACY_CRASHED: "yellow",
    Status.CRASHED: "yellow",
}
_VERDICT_COLOURS = {"READY": "green", "NOT READY": "red", "INCONCLUSIVE": "yellow"}


def print_summary(result: RunResult, paths: list[Path]) -> None:
    scrub = result.redactor.scrub_text
    width = max((len(outcome.name) for outcome in result.outcomes), default=10)
    for outcome in result.outcomes:
        # a status added later shows uncoloured rather than ending the run in a KeyError
        status = click.style(f"{outcome.status.value:<14}", fg=_COLOURS.get(outcome.status))
        detail = ""
        if outcome.semantic_differences:
            first = outcome.semantic_differences[0]
            # the message says what changes, its values in the JSON style every output uses
            detail = f"{len(outcome.semantic_differences)} semantic, first: {first.path}: {first.message}"
        for label, side in (("legacy", outcome.legacy), ("new", outcome.new)):
            if side and side.error and outcome.status in {Status.BUILDER_ERROR, Status.LEGACY_CRASHED}:
                detail = f"{label} raised {side.error.type}: {side.error.message}"
        if outcome.crash:
            detail = outcome.crash
        if outcome.problems:
            detail = "; ".join(outcome.problems)
        click.echo(f"  {outcome.name:<{width}}  {status} {scrub(detail)[:200]}")
    verdict = result.verdict
    click.echo()
    for reason in verdict.reasons:
        if reason.verdict.value != "READY":
            click.echo(f"  {reason.criterion}: {scrub(reason.message)}")
    colour = _VERDICT_COLOURS[verdict.verdict.value]
    click.echo(click.style(f"{verdict.verdict.value}", fg=colour, bold=True) + f" for phase {verdict.phase.value}")
    for path in paths:
        click.echo(f"  wrote {path}")
