"""One self-contained HTML file: no external request of any kind (fonts, scripts, images), so
it opens from a CI artifact, an air-gapped laptop or an e-mail attachment alike.

The page reads in the order of a promotion-day decision: the verdict and the criteria behind it,
then what needs a person's decision (failing and inconclusive criteria, scenarios with semantic
differences, builder errors and crashes, expired and stale waivers), then what is fine. Charts
come last and only when they say something. Every colour has a legend beside it.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2

from harness.diff.model import show_value
from harness.report.dag_picture import dag_pictures, legend_items
from harness.report.markdown import suite_groups, suite_title
from harness.report.sidebyside import Row, explain_form, side_by_side

CATEGORIES = ("semantic", "waived", "metadata", "noise", "cosmetic")
_CHART_WIDTH = 560
_VERDICT_ORDER = {"NOT READY": 0, "INCONCLUSIVE": 1, "READY": 2}


@dataclass(frozen=True)
class StatusView:
    """How the page shows a scenario status: its words, its tone (the colour class) and what it
    means for the decision."""

    label: str
    tone: str  # ok | bad | warn | neutral | waived
    meaning: str


STATUS_VIEWS: dict[str, StatusView] = {
    "equivalent": StatusView("equivalent", "ok", "no semantic difference between the two manifests"),
    "waived": StatusView("waived", "waived", "every semantic difference is covered by a current waiver"),
    "caught": StatusView(
        "expected difference caught", "ok", "the planted mistake this scenario carries was detected, as expected"
    ),
    # Agreement, but no evidence that the two builders make the same workflows: neutral, never green.
    "both-rejected": StatusView(
        "both rejected",
        "neutral",
        "both builders refused this input: they agree, but that proves nothing about the workflows they build",
    ),
    "different": StatusView(
        "different", "bad", "semantic differences nobody waived: the workflows would run differently"
    ),
    "builder-error": StatusView(
        "builder error", "bad", "one builder refused or crashed where the other built (or built what the other refused)"
    ),
    "legacy-crashed": StatusView(
        "legacy crashed", "warn", "the legacy builder crashed: there is no baseline, so no evidence either way"
    ),
    "crashed": StatusView("harness crashed", "warn", "the harness failed on this scenario: no evidence either way"),
}


def status_view(status: str) -> StatusView:
    """The view of a status; one this report does not know (a newer harness wrote it) is shown as
    written, in a neutral colour."""
    known = STATUS_VIEWS.get(status)
    if known is not None:
        return known
    if "caught" in status:
        return STATUS_VIEWS["caught"]
    return StatusView(
        status, "neutral", f"status {show_value(status)}, which this version of the report does not describe"
    )


# Execution statuses that mean "no evidence" (the executor could not run it), not a difference.
_NO_EVIDENCE = frozenset({"unavailable", "unsupported", "error"})


def execution_tone(execution: dict[str, Any]) -> str:
    """The colour class of an execution's status: missing evidence is a warning, not a failure."""
    if execution.get("passed"):
        return "tone-ok"
    return "tone-warn" if execution.get("status") in _NO_EVIDENCE else "tone-bad"


def value_text(value: Any) -> str:
    """A value as every other output writes it (:func:`harness.diff.model.show_value`: ``true``,
    ``null``), but a string as it is: the page shows it in its own cell."""
    return value if isinstance(value, str) else show_value(value)


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("harness.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["value"] = value_text
    environment.globals["status_view"] = status_view
    environment.globals["dag_legend"] = legend_items
    environment.globals["execution_tone"] = execution_tone
    return environment


def render_html(document: dict[str, Any]) -> str:
    scenarios = [_scenario_view(scenario) for scenario in document["scenarios"]]
    views = {id(original): view for original, view in zip(document["scenarios"], scenarios, strict=True)}
    # By suite, a heading each when the run had more than one (markdown groups the same way).
    groups = [(suite, [views[id(member)] for member in members]) for suite, members in suite_groups(document)]
    reasons = sorted(document["reasons"], key=lambda reason: _VERDICT_ORDER.get(reason["verdict"], 1))
    failing = [reason for reason in reasons if reason["verdict"] != "READY"]
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            doc=document,
            scenarios=scenarios,
            groups=groups,
            attention_groups=[(suite, [s for s in members if s["attention"]]) for suite, members in groups],
            fine_groups=[(suite, [s for s in members if not s["attention"]]) for suite, members in groups],
            attention_count=sum(1 for s in scenarios if s["attention"]),
            attention=_attention_items(document, scenarios),
            suite_titles={suite["name"]: suite_title(suite) for suite, _ in groups if suite is not None},
            statuses=sorted(Counter(s["status"] for s in document["scenarios"]).items()),
            reasons=reasons,
            multi_suite=len(groups) > 1,
            failing_reasons=failing,
            headline=_headline(document, failing),
            category_chart=_category_chart(document),
            duration_chart=_duration_chart(document),
            categories=CATEGORIES,
            shown_categories=[c for c in CATEGORIES if any(s["counts"].get(c) for s in document["scenarios"])],
        )
    )


# What needs a decision, most pressing first: a difference in what runs, then a builder that
# breaks where the other does not, then an expired waiver, then missing evidence.
_ATTENTION_RANK = {"different": 0, "builder-error": 1, "crashed": 3, "legacy-crashed": 4}


def _attention_items(document: dict[str, Any], scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The "needs a decision" list: scenarios that did not pass, grouped when they share a status
    and a reason (five scenarios on which the legacy builder crashed the same way are one item),
    and expired and stale waivers."""
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for scenario in scenarios:
        if not scenario["attention"]:
            continue
        key = (scenario["status"], scenario["reason"] if scenario["status"] not in ("different",) else scenario["name"])
        item = grouped.setdefault(
            key,
            {
                "rank": _ATTENTION_RANK.get(scenario["status"], 5),
                "tone": scenario["view"].tone,
                "label": scenario["view"].label,
                "status": scenario["status"],
                "scenarios": [],
                "why": scenario["reason"],
                "waiver": None,
            },
        )
        item["scenarios"].append((scenario["name"], scenario.get("suite")))
    items = list(grouped.values())
    for name in document["waivers"]["expired"]:
        items.append(
            {
                "rank": 2, "tone": "bad", "label": "expired waiver", "status": "expired-waiver", "scenarios": [],
                "waiver": name,
                "why": "an expired waiver covers nothing and fails the gate: renew it with a reason, "
                "or fix what it covered",
            }
        )  # fmt: skip
    expired = document["waivers"]["expired"]
    for reason in document["reasons"]:
        # A criterion not met for a reason no item above shows: the run itself lacks evidence
        # (no executor, too few fuzz examples, a router probe that fell back).
        if reason["verdict"] == "READY" or reason["scenarios"] or any(name in reason["message"] for name in expired):
            continue
        bad = reason["verdict"] == "NOT READY"
        items.append(
            {
                "rank": 2.5 if bad else 4.5, "tone": "bad" if bad else "warn", "status": "criterion",
                "label": f"{reason['criterion']}: {reason['verdict']}", "scenarios": [], "waiver": None,
                "why": reason["message"],
            }
        )  # fmt: skip
    for name in document["waivers"]["stale"]:
        if name in document["waivers"]["expired"]:
            continue  # said above
        items.append(
            {
                "rank": 6, "tone": "neutral", "label": "stale waiver", "status": "stale-waiver", "scenarios": [],
                "waiver": name, "why": "matches no difference any more: remove it",
            }
        )  # fmt: skip
    return sorted(items, key=lambda item: item["rank"])


def _headline(document: dict[str, Any], failing: list[dict[str, Any]]) -> str:
    """One sentence under the verdict: why, in counts."""
    total = len(document["reasons"])
    if not failing:
        return f"All {total} criteria of phase {document['phase']} are met."
    counts = Counter(reason["verdict"] for reason in failing)
    parts = [f"{counts[v]} {'criterion' if counts[v] == 1 else 'criteria'} {v}" for v in ("NOT READY", "INCONCLUSIVE")]
    parts = [part for part, v in zip(parts, ("NOT READY", "INCONCLUSIVE"), strict=True) if counts[v]]
    return (
        f"{' and '.join(parts)} (of {total}): "
        + "; ".join(f"{reason['criterion']}" for reason in failing[:4])
        + ("…" if len(failing) > 4 else "")
    )


def _scenario_view(scenario: dict[str, Any]) -> dict[str, Any]:
    legacy = (scenario["legacy"] or {}).get("manifest")
    new = (scenario["new"] or {}).get("manifest")
    identical = legacy is not None and legacy == new and not scenario["differences"]
    rows: list[Row] = []
    unplaced: list[dict[str, Any]] = []
    # Identical manifests would be all equal lines, folded away: the view just says so. With one
    # side only (the other refused or crashed) there is nothing to compare line by line.
    if not identical and legacy is not None and new is not None:
        rows, unplaced = side_by_side(legacy, new, scenario["differences"])
        explain_form(rows, legacy, new)
    execution = scenario.get("execution") or {}
    attention = not scenario["passed"] or bool(execution and not execution.get("passed", True))
    return {
        **scenario,
        "rows": rows,
        "unplaced": unplaced,
        "identical": identical,
        "view": status_view(scenario["status"]),
        "attention": attention,
        "reason": _reason(scenario),
        "form_rows": sum(1 for row in rows if row.form_only),
        "meaning_rows": sum(1 for row in rows if row.kind == "change" and not row.form_only),
        "dags": dag_pictures(legacy, new),
        "only_side": _only_side(legacy, new),
    }


def _only_side(legacy: Any, new: Any) -> str | None:
    """The side that alone produced a manifest (the other refused or crashed), if one did."""
    if (legacy is None) == (new is None):
        return None
    return "legacy" if new is None else "new"


def _reason(scenario: dict[str, Any]) -> str:
    """One line saying why a scenario needs a decision (empty when it does not)."""
    if scenario.get("crash"):
        return f"harness crash: {scenario['crash'].splitlines()[0] if scenario['crash'] else ''}"
    for side in ("legacy", "new"):
        error = (scenario[side] or {}).get("error")
        if error:
            return f"{side} builder raised {error['type']}: {error['message']}"
    semantic = [d for d in scenario["differences"] if d["category"] == "semantic"]
    if semantic:
        more = f" (and {len(semantic) - 1} more)" if len(semantic) > 1 else ""
        return f"{semantic[0]['message']}{more}"
    if scenario["problems"]:
        return f"expectation not met: {scenario['problems'][0]}"
    execution = scenario.get("execution") or {}
    if execution and not execution.get("passed", True):
        return f"execution {execution['status']}: {execution.get('message') or ''}".rstrip(": ")
    return ""


def _category_chart(document: dict[str, Any]) -> dict[str, Any] | None:
    """Differences by category, or None when there are none: an all-zero chart says nothing."""
    totals = Counter(d["category"] for s in document["scenarios"] for d in s["differences"])
    if not sum(totals.values()):
        return None
    bars = [{"label": category, "value": totals.get(category, 0)} for category in CATEGORIES if totals.get(category)]
    return _bars(bars)


def _bars(bars: list[dict[str, Any]]) -> dict[str, Any]:
    top = max((bar["value"] for bar in bars), default=0) or 1
    for index, bar in enumerate(bars):
        bar["y"] = index * 26
        bar["width"] = round(bar["value"] / top * (_CHART_WIDTH - 200), 1)
    return {"bars": bars, "height": len(bars) * 26}


def _duration_chart(document: dict[str, Any]) -> dict[str, Any] | None:
    """Per-scenario time on each side: the execution's when there was one, else the build's.
    Folded in the page (it is context, not a reason); None without scenarios."""
    rows = []
    for scenario in document["scenarios"]:
        execution = scenario.get("execution") or {}
        legacy_ms = _duration_ms(execution.get("legacy")) or _duration_ms(scenario["legacy"])
        new_ms = _duration_ms(execution.get("new")) or _duration_ms(scenario["new"])
        rows.append({"name": scenario["name"], "legacy": legacy_ms, "new": new_ms})
    if not rows:
        return None
    top = max((max(r["legacy"], r["new"]) for r in rows), default=0) or 1
    for index, row in enumerate(rows):
        row["y"] = index * 30
        row["legacy_width"] = round(row["legacy"] / top * (_CHART_WIDTH - 340), 1)
        row["new_width"] = round(row["new"] / top * (_CHART_WIDTH - 340), 1)
    source = "execution" if any(s.get("execution") for s in document["scenarios"]) else "build"
    return {
        "rows": rows,
        "height": len(rows) * 30,
        "source": source,
        "median_legacy": statistics.median(r["legacy"] for r in rows),
        "median_new": statistics.median(r["new"] for r in rows),
    }


def _duration_ms(side: dict[str, Any] | None) -> float:
    if not side:
        return 0.0
    if "duration_ms" in side:
        return float(side["duration_ms"] or 0)
    return float(side.get("duration_s") or 0) * 1000
