"""``parity fuzz``: property-based search for inputs on which the two builders disagree."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from harness.builders import HERA_REF, LEGACY_REF
from harness.cli import _options

if TYPE_CHECKING:
    from harness.redact import Redactor

EXIT_CLEAN = 0
EXIT_FOUND = 1


@click.command()
@click.option(
    "--examples",
    type=click.IntRange(min=1),
    default=None,
    help="Generated examples per search round [default: the profile's].",
)
@click.option("--legacy", default=LEGACY_REF, show_default=True, help="Legacy builder, package.module:attr.")
@click.option("--new", default=HERA_REF, show_default=True, help="New builder, package.module:attr.")
@_options.inputs_model
@_options.call
@click.option(
    "--promote",
    "promote",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Write each minimal counterexample as a scenario fixture in this folder (e.g. scenarios/regressions).",
)
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Seed for a reproducible search.")
@click.option(
    "--profile",
    type=click.Choice(["ci", "dev", "nightly"]),
    default="dev",
    show_default=True,
    help="ci: 300 examples, dev: 1,000, nightly: 10,000.",
)
@click.option(
    "--max-failures",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Stop after this many distinct failures.",
)
@click.option(
    "--waivers",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Waiver file [default: waivers.yaml beside the scenarios folder when present].",
)
@click.option(
    "--report",
    "fuzz_report",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the machine-readable result (JSON) to this file [default: the project configuration's fuzz_report].",
)
@click.option(
    "--database/--no-database",
    default=True,
    show_default=True,
    help="Replay and save examples in .hypothesis/.",
)
@_options.build_timeout
@click.pass_context
def fuzz(ctx: click.Context, /, **params: object) -> None:
    """Search generated inputs for ones on which the two builders disagree.

    A failure is a semantic difference between the manifests, one builder refusing an input the
    other builds, or a builder crashing. Each is shrunk to a minimal input; after one is found the
    search goes on with it set aside, up to --max-failures.

    Options not given are taken from the project configuration ([tool.parity] in the nearest
    pyproject.toml, or parity.toml), else the defaults shown.

    Exit codes: 0 none found, 1 found, 2 bad input.
    """
    from harness.fuzz.search import run_fuzz
    from harness.project_config import load_project_config, resolve_fuzz

    resolved = resolve_fuzz(load_project_config(), _options.given(ctx))
    config, report_path = resolved.config, resolved.report
    result = run_fuzz(config)
    redactor = _redactor_for(result)
    if report_path is not None:
        from harness.atomic_files import write_atomic

        document = result.to_dict()
        # The failures' inputs and differences carry what the inputs held: a generated value
        # under a secret-looking name (db_password) is scrubbed like a real one would be.
        document["failures"] = redactor.scrub_strings(redactor.scrub(document["failures"]))
        write_atomic(report_path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    _print(result, report_path, redactor)
    sys.exit(EXIT_FOUND if result.found else EXIT_CLEAN)


def _redactor_for(result: object) -> Redactor:
    """Learns the secret values of every failure: its inputs and both sides' manifests."""
    from harness.fuzz.search import FuzzResult
    from harness.redact import Redactor

    assert isinstance(result, FuzzResult)
    redactor = Redactor()
    for failure in result.failures:
        divergence = failure.divergence
        redactor.learn_from(divergence.inputs, divergence.legacy.manifest, divergence.new.manifest)
    return redactor


def _print(result: object, report_path: Path | None, redactor: Redactor) -> None:
    from harness.fuzz.search import FuzzResult

    assert isinstance(result, FuzzResult)
    head = (
        f"parity fuzz: {result.examples} examples in {result.duration_s:.1f} s "
        f"({result.examples_per_s:.0f}/s, {result.cpu_s:.1f} s CPU), profile {result.config.profile}, "
        f"seed {result.seed}"
    )
    click.echo(head)
    click.echo(f"  legacy {result.config.legacy}  vs  new {result.config.new}")
    if not result.found:
        click.echo(
            f"no divergence: the last {result.clean_examples} examples ran clean "
            f"({result.both_rejected} refused by both builders)"
        )
    for index, failure in enumerate(result.failures, start=1):
        click.echo("")
        click.echo(f"failure {index} of {len(result.failures)} (round {failure.round})")
        click.echo(_indent(redactor.scrub_text(failure.divergence.report())))
        if failure.fixture is not None:
            click.echo(
                f"  promoted to {failure.fixture}  (reproduce: parity run --scenarios "
                f"{failure.fixture.parent} --legacy {result.config.legacy} --new {result.config.new}"
                f"{_model_options(result.config)})"
            )
        elif failure.promotion_error:
            click.echo(f"  not promoted: {failure.promotion_error}")
    if result.found:
        more = " (stopped at --max-failures; more may exist)" if result.bound_reached else ""
        click.echo("")
        click.echo(f"{len(result.failures)} divergence(s) found{more}")
    if report_path is not None:
        click.echo(f"report: {report_path}")


def _model_options(config: object) -> str:
    """`` --inputs-model REF --call MODE`` for a team's input model (harness.input_models)."""
    model = getattr(config, "inputs_model", None)
    call = str(getattr(config, "call", "dict"))
    return (f" --inputs-model {model}" if model else "") + (f" --call {call}" if call != "dict" else "")


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())
