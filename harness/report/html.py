"""One self-contained HTML file: no external request of any kind (fonts, scripts, images), so
it opens from a CI artifact, an air-gapped laptop or an e-mail attachment alike."""

from __future__ import annotations

from collections import Counter
from functools import cache
from typing import Any

import jinja2

from harness.report.markdown import suite_groups, suite_title
from harness.report.sidebyside import Row, side_by_side

CATEGORIES = ("semantic", "waived", "metadata", "noise", "cosmetic")
_CHART_WIDTH = 560


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("harness.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(document: dict[str, Any]) -> str:
    scenarios = [_scenario_view(scenario) for scenario in document["scenarios"]]
    views = {id(original): view for original, view in zip(document["scenarios"], scenarios, strict=True)}
    # By suite, a heading each when the run had more than one (markdown groups the same way).
    groups = [(suite, [views[id(member)] for member in members]) for suite, members in suite_groups(document)]
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            doc=document,
            scenarios=scenarios,
            groups=groups,
            suite_titles={suite["name"]: suite_title(suite) for suite, _ in groups if suite is not None},
            statuses=sorted(Counter(s["status"] for s in document["scenarios"]).items()),
            category_chart=_category_chart(document),
            duration_chart=_duration_chart(document),
            categories=CATEGORIES,
        )
    )


def _scenario_view(scenario: dict[str, Any]) -> dict[str, Any]:
    legacy = (scenario["legacy"] or {}).get("manifest")
    new = (scenario["new"] or {}).get("manifest")
    identical = legacy is not None and legacy == new and not scenario["differences"]
    rows: list[Row] = []
    unplaced: list[dict[str, Any]] = []
    # Identical manifests would be all equal lines, folded away: the view just says so.
    if not identical and (legacy or new):
        rows, unplaced = side_by_side(legacy, new, scenario["differences"])
    return {**scenario, "rows": rows, "unplaced": unplaced, "identical": identical}


def _category_chart(document: dict[str, Any]) -> dict[str, Any]:
    totals = Counter(d["category"] for s in document["scenarios"] for d in s["differences"])
    bars = [{"label": category, "value": totals.get(category, 0)} for category in CATEGORIES]
    return _bars(bars)


def _bars(bars: list[dict[str, Any]]) -> dict[str, Any]:
    top = max((bar["value"] for bar in bars), default=0) or 1
    for index, bar in enumerate(bars):
        bar["y"] = index * 26
        bar["width"] = round(bar["value"] / top * (_CHART_WIDTH - 200), 1)
    return {"bars": bars, "height": len(bars) * 26}


def _duration_chart(document: dict[str, Any]) -> dict[str, Any]:
    """Per-scenario time on each side: the execution's when there was one, else the build's."""
    rows = []
    for scenario in document["scenarios"]:
        execution = scenario.get("execution") or {}
        legacy_ms = _duration_ms(execution.get("legacy")) or _duration_ms(scenario["legacy"])
        new_ms = _duration_ms(execution.get("new")) or _duration_ms(scenario["new"])
        rows.append({"name": scenario["name"], "legacy": legacy_ms, "new": new_ms})
    top = max((max(r["legacy"], r["new"]) for r in rows), default=0) or 1
    for index, row in enumerate(rows):
        row["y"] = index * 30
        row["legacy_width"] = round(row["legacy"] / top * (_CHART_WIDTH - 340), 1)
        row["new_width"] = round(row["new"] / top * (_CHART_WIDTH - 340), 1)
    source = "execution" if any(s.get("execution") for s in document["scenarios"]) else "build"
    return {"rows": rows, "height": len(rows) * 30, "source": source}


def _duration_ms(side: dict[str, Any] | None) -> float:
    if not side:
        return 0.0
    if "duration_ms" in side:
        return float(side["duration_ms"] or 0)
    return float(side.get("duration_s") or 0) * 1000
