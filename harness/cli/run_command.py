"""``parity run``: every scenario through both builders, gated, reported."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from harness.argo.testcluster import CLUSTER_CHOICES
from harness.builders import HERA_REF, LEGACY_REF
from harness.cli import _options
from harness.cli.output import tolerate_closed_stdout
from harness.engine import InterruptWatch, ParitySession
from harness.execute import EXECUTORS
from harness.phases import Phase, Verdict
from harness.report import ReportWriteError, check_report_dir, write_reports
from harness.report.document import build_document
from harness.run_result import RunResult
from harness.scenarios import load_run_scenarios


@click.command()
@click.option(
    "--scenarios",
    "scenarios",
    type=click.Path(path_type=Path),
    default=Path("scenarios"),
    show_default=True,
    help="Folder (or file) of scenario fixtures.",
)
@click.option("--legacy", default=LEGACY_REF, show_default=True, help="Legacy builder, package.module:attr.")
@click.option("--new", default=HERA_REF, show_default=True, help="New builder, package.module:attr.")
@_options.inputs_model
@_options.call
@click.option(
    "--phase",
    type=click.Choice([p.value for p in Phase]),
    default=Phase.DEV.value,
    show_default=True,
    help="Rollout phase whose gate decides the verdict.",
)
@click.option(
    "--execute",
    type=click.Choice(EXECUTORS),
    default="none",
    show_default=True,
    help="Also run both workflows and compare results.",
)
@click.option(
    "--cluster",
    type=click.Choice(CLUSTER_CHOICES),
    default="kubeconfig",
    show_default=True,
    help="With --execute cluster: the cluster make cluster-up made (or PARITY_KUBE_CONTEXT's), or "
    "testcontainers, a throwaway k3s with Argo for this run.",
)
@click.option("--report-dir", type=click.Path(path_type=Path), default=Path("reports"), show_default=True)
@click.option(
    "--waivers",
    type=click.Path(path_type=Path),
    default=None,
    help="Waiver file [default: waivers.yaml beside the scenarios, when present].",
)
@click.option(
    "--rules",
    type=click.Path(path_type=Path),
    default=None,
    help="User rules marking paths semantic or cosmetic [default: rules.yaml beside the scenarios, when present].",
)
@_options.build_timeout
@click.option(
    "--rollout",
    "rollout",
    type=click.Path(path_type=Path),
    default=None,
    help="Gate criteria [default: the project configuration's rollout, else rollout.yaml at the project root, "
    "else built-in].",
)
@click.option(
    "--fuzz-report",
    type=click.Path(path_type=Path),
    default=None,
    help="A `parity fuzz --report` result: the fuzz evidence for canary and later phases.",
)
@click.option("-n", "--jobs", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes.")
@click.option(
    "--noise-calibration/--no-noise-calibration",
    default=True,
    show_default=True,
    help="Build the legacy side twice to detect noise.",
)
@click.option("--progress/--no-progress", default=None, help="Progress bar [default: on a terminal].")
@click.pass_context
def run(ctx: click.Context, /, **params: object) -> None:
    """Run scenarios through both builders and write the rollout-readiness report.

    Options not given are taken from the project configuration ([tool.parity] in the nearest
    pyproject.toml, or parity.toml), else the defaults shown.

    Exit codes: 0 READY, 1 NOT READY, 3 INCONCLUSIVE, 2 bad input.
    """
    from harness.project_config import load_project_config, resolve_run

    resolved = resolve_run(load_project_config(), _options.given(ctx), door="cli")
    config = resolved.config
    assert config.scenarios is not None
    # Every suite's scenarios (the scenarios folder's own, and each sub-folder with a suite.toml).
    scenarios = load_run_scenarios(config)
    report_dir = resolved.report_dir
    check_report_dir(report_dir)
    progress = resolved.progress
    with InterruptWatch():
        try:
            session = ParitySession(config)
        except KeyboardInterrupt:
            click.echo("parity: interrupted before any scenario ran; no report written", err=True)
            sys.exit(Verdict.INCONCLUSIVE.exit_code)
    with session:
        show_progress = sys.stderr.isatty() if progress is None else progress
        if show_progress:
            from harness.cli._progress import ScenarioProgress

            with ScenarioProgress(total=len(scenarios)) as bar:
                result = session.run(scenarios, progress=bar.advance)
        else:
            result = session.run(scenarios)
    document = build_document(result)
    try:
        paths = write_reports(document, report_dir)
    except ReportWriteError as exc:
        # The verdict stays visible in the log; it is not delivered, so the exit says INCONCLUSIVE.
        with tolerate_closed_stdout():
            _print_summary(result, [])
        click.echo(f"parity: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    with tolerate_closed_stdout():
        _print_summary(result, paths)
    sys.exit(result.verdict.verdict.exit_code)


def _print_summary(result: RunResult, paths: list[Path]) -> None:
    from harness.cli._summary import print_summary

    print_summary(result, paths)
