"""Report writers. Each renders the report document (``document.build_document``) to one format
and every file is written atomically."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from harness.report._atomic import write_atomic

Renderer = Callable[[dict[str, Any]], str]

FILE_NAMES = {"json": "parity-report.json", "md": "parity-report.md", "junit": "junit.xml"}
DEFAULT_FORMATS = ("json", "md", "junit")


def render_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def renderer(fmt: str) -> Renderer:
    if fmt == "json":
        return render_json
    if fmt == "md":
        from harness.report.markdown import render_markdown

        return render_markdown
    if fmt == "junit":
        from harness.report.junit import render_junit

        return render_junit
    raise ValueError(f"unknown report format {fmt!r}")


def write_reports(document: dict[str, Any], report_dir: Path, formats: Iterable[str] = DEFAULT_FORMATS) -> list[Path]:
    written = []
    for fmt in formats:
        path = report_dir / FILE_NAMES[fmt]
        write_atomic(path, renderer(fmt)(document))
        written.append(path)
    return written
