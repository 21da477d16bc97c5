"""``parity report JSON``: re-render a saved report in another format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from harness.atomic_files import write_atomic
from harness.errors import ParityInputError
from harness.report import FILE_NAMES, renderer

# The report fields every renderer relies on; a file without them is not a parity report.
_REQUIRED = ("schema_version", "verdict", "phase", "scenarios", "summary")


@click.command()
@click.argument("report_json", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(sorted(FILE_NAMES)), default="md", show_default=True)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), default=None, help="Write here (atomically) instead of printing."
)
def report(report_json: Path, fmt: str, output: Path | None) -> None:
    """Re-render a saved parity-report.json."""
    document = load_document(report_json)
    text = renderer(fmt)(document)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text)


def load_document(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParityInputError("no such file", file=str(path)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParityInputError(f"not a JSON report: {exc}", file=str(path)) from None
    if not isinstance(document, dict):
        raise ParityInputError("not a parity report: the top level is not an object", file=str(path))
    missing = [key for key in _REQUIRED if key not in document]
    if missing:
        raise ParityInputError("not a parity report", file=str(path), field=missing[0])
    return document
