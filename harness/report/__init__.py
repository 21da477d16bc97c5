"""Report writers. Each renders the report document (``document.build_document``) to one format
and every file is written atomically."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from harness.report._atomic import write_atomic

Renderer = Callable[[dict[str, Any]], str]

FILE_NAMES = {
    "json": "parity-report.json",
    "md": "parity-report.md",
    "html": "parity-report.html",
    "junit": "junit.xml",
}
DEFAULT_FORMATS = ("json", "md", "html", "junit")


def render_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


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
    """Render every format first, then write each atomically: a renderer that fails leaves all
    of the previous reports in place rather than a mix of old and new."""
    rendered = [(report_dir / FILE_NAMES[fmt], renderer(fmt)(document)) for fmt in formats]
    for path, text in rendered:
        write_atomic(path, text)
    return [path for path, _ in rendered]
