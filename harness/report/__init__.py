"""Report writers. Each renders the report document (``document.build_document``) to one format;
the files of one run are published as one set (see ``_set``): a reader sees the previous
complete set or the new one, never a mix.

For the CLI and the pytest plugin:

- ``check_report_dir(path)`` before any scenario runs: ParityInputError (exit 2) when the
  reports could not be written there;
- ``write_reports(document, report_dir)`` after the run: the stable paths, or ReportWriteError
  (an OSError; ``str()`` is one line, ``exit_code`` is 3, INCONCLUSIVE) with the previous
  reports left as they were.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from harness.report._set import RUNS_DIR, ReportWriteError, check_report_dir, write_report_set

__all__ = [
    "DEFAULT_FORMATS",
    "FILE_NAMES",
    "RUNS_DIR",
    "ReportWriteError",
    "check_report_dir",
    "render_json",
    "renderer",
    "write_reports",
]

Renderer = Callable[[dict[str, Any]], str]

FILE_NAMES = {
    "json": "parity-report.json",
    "md": "parity-report.md",
    "html": "parity-report.html",
    "junit": "junit.xml",
}
DEFAULT_FORMATS = ("json", "md", "html", "junit")


def render_json(document: dict[str, Any]) -> str:
    # allow_nan=False: the readers refuse NaN and Infinity, so one reaching here is a harness
    # bug; a ValueError says so instead of writing `NaN`, which no JSON parser accepts.
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False, allow_nan=False) + "\n"


def renderer(fmt: str) -> Renderer:
    if fmt == "json":
        return render_json
    if fmt == "md":
        from harness.report.markdown import render_markdown

        return render_markdown
    if fmt == "html":
        from harness.report.html import render_html

        return render_html
    if fmt == "junit":
        from harness.report.junit import render_junit

        return render_junit
    raise ValueError(f"unknown report format {fmt!r}")


def write_reports(document: dict[str, Any], report_dir: Path, formats: Iterable[str] = DEFAULT_FORMATS) -> list[Path]:
    """Render every format, then publish the files as one set in ``report_dir``; returns their
    stable paths (``report_dir / FILE_NAMES[fmt]``) in ``formats`` order.

    A renderer that fails raises before anything is written. A write that fails (disk full,
    read-only, I/O error) raises ReportWriteError and leaves the previous set in place.
    """
    formats = list(dict.fromkeys(formats))
    rendered = {FILE_NAMES[fmt]: renderer(fmt)(document) for fmt in formats}
    # JSON last: where the set cannot be switched in one step (no symbolic links), the JSON,
    # which every other format is made from, never shows a run whose other files are missing.
    ordered = dict(sorted(rendered.items(), key=lambda item: item[0] == FILE_NAMES["json"]))
    write_report_set(report_dir, ordered, FILE_NAMES.values())
    return [report_dir / FILE_NAMES[fmt] for fmt in formats]
