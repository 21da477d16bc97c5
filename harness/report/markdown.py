"""Markdown report, sized for a GitHub job summary (which refuses more than 1 MiB)."""

from __future__ import annotations

import html
from typing import Any

from harness.diff.model import show_value

# GitHub rejects a job summary above 1 MiB; leave room for whatever else the job appends.
MAX_BYTES = 900 * 1024
_CELL_LIMIT = 160

_VERDICT_ICON = {"READY": "✅", "NOT READY": "❌", "INCONCLUSIVE": "⚠️"}
_STATUS_ICON = {
    "equivalent": "✅",
    "waived": "☑️",
    # Agreement, but no evidence that the builders make the same workflows: neutral, never green.
    "both-rejected": "⚪",
    "different": "❌",
    # A planted mistake found where its scenario expects it: the harness works, nothing to fix.
    "caught": "🎯",
    "builder-error": "❌",
    "legacy-crashed": "⚠️",
    "crashed": "⚠️",
}
_NO_EVIDENCE = ("unavailable", "unsupported", "error")
# Shown in the per-scenario detail; cosmetic and noise are form-only and would only drown it.
_DETAIL_CATEGORIES = ("semantic", "waived", "metadata")


def render_markdown(document: dict[str, Any]) -> str:
    head = _header(document) + _criteria(document) + _scenario_table(document) + _waivers(document)
    details = _details(document)
    footer = "\n---\n_" + _provenance(document) + "_\n"
    budget = MAX_BYTES - len((head + footer).encode("utf-8"))
    body, omitted = "", 0
    for block in details:
        if len((body + block).encode("utf-8")) > budget:
            omitted += 1
            continue
        body += block
    if omitted:
        body += f"\n_{omitted} scenario details omitted to fit a job summary; see parity-report.json._\n"
    return head + body + footer


def _header(document: dict[str, Any]) -> str:
    verdict = document["verdict"]
    summary = document["summary"]
    builders = document["builders"]
    return (
        f"## {_VERDICT_ICON.get(verdict, '')} argo-parity: **{verdict}** for phase `{document['phase']}`\n\n"
        f"Legacy `{builders['legacy']}` vs new `{builders['new']}` · "
        f"{summary['scenarios']} scenarios, {summary['passed']} passed · execution: `{document['execute']}`\n\n"
        + _ladder(document)
    )


def _ladder(document: dict[str, Any]) -> str:
    """Every phase's verdict on this run's evidence: where the rollout stands, at a glance."""
    steps = []
    for phase in document.get("phases", []):
        name = f"**{phase['phase']}**" if phase["phase"] == document["phase"] else phase["phase"]
        steps.append(f"{name} {_VERDICT_ICON.get(phase['verdict'], '')} {phase['verdict']}")
    return ("Rollout: " + " → ".join(steps) + "\n\n") if steps else ""


def _criteria(document: dict[str, Any]) -> str:
    rows = ["| criterion | verdict | detail |", "|---|---|---|"]
    for reason in document["reasons"]:
        detail = reason["message"]
        if reason["scenarios"]:
            detail += ": " + ", ".join(f"`{name}`" for name in reason["scenarios"][:20])
            if len(reason["scenarios"]) > 20:
                detail += f" and {len(reason['scenarios']) - 20} more"
        icon = _VERDICT_ICON.get(reason["verdict"], "")
        rows.append(f"| {reason['criterion']} | {icon} {reason['verdict']} | {_cell(detail, limit=2000)} |")
    return "\n".join(rows) + "\n\n"


def suite_groups(document: dict[str, Any]) -> list[tuple[dict[str, Any] | None, list[dict[str, Any]]]]:
    """The scenarios by suite, in the order of the report's ``suites`` (the default one first);
    one group with no suite when the run had only the default suite (or the report predates
    suites, schema 1.0). Shared by the markdown and html renderers."""
    suites = document.get("suites") or []
    if len(suites) <= 1:
        return [(None, list(document["scenarios"]))]
    groups: dict[str, list[dict[str, Any]]] = {suite["name"]: [] for suite in suites}
    for scenario in document["scenarios"]:
        groups.setdefault(scenario.get("suite", "default"), []).append(scenario)
    by_name = {suite["name"]: suite for suite in suites}
    return [(by_name.get(name, {"name": name}), members) for name, members in groups.items()]


def suite_title(suite: dict[str, Any]) -> str:
    """One line about a suite: its builders, input model and counts."""
    parts = []
    if "builders" in suite:
        parts.append(f"legacy {suite['builders']['legacy']} vs new {suite['builders']['new']}")
    if suite.get("inputs_model"):
        parts.append(f"input model {suite['inputs_model']} (call: {suite.get('call', 'dict')})")
    summary = suite.get("summary")
    if summary:
        parts.append(f"{summary['scenarios']} scenarios, {summary['passed']} passed")
    return " · ".join(parts)


def _scenario_table(document: dict[str, Any]) -> str:
    text = "### Scenarios\n\n"
    for suite, scenarios in suite_groups(document):
        if suite is not None:
            title = suite_title(suite)
            text += f"#### Suite `{suite['name']}`\n\n" + (f"{_cell(title, limit=2000)}\n\n" if title else "")
        text += _table(scenarios)
    return text


def _table(scenarios: list[dict[str, Any]]) -> str:
    rows = [
        "| scenario | kind | result | execution | semantic | waived | metadata | cosmetic | noise |",
        "|---|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for scenario in scenarios:
        counts = scenario["counts"]
        result = f"{_STATUS_ICON.get(scenario['status'], '')} {scenario['status']}"
        if scenario["problems"]:
            result += " (expectation not met)"
        rows.append(
            f"| `{scenario['name']}` | {scenario['kind']} | {result} | {_execution_cell(scenario.get('execution'))} | "
            f"{counts['semantic']} | "
            f"{counts['waived']} | {counts['metadata']} | {counts['cosmetic']} | {counts['noise']} |"
        )
    return "\n".join(rows) + "\n\n"


def _execution_cell(execution: dict[str, Any] | None) -> str:
    if not execution:
        return "-"
    icon = "✅" if execution["passed"] else ("⚠️" if execution["status"] in _NO_EVIDENCE else "❌")
    return f"{icon} {execution['status']}"


def _waivers(document: dict[str, Any]) -> str:
    waivers = document["waivers"]
    if not any(waivers.values()):
        return ""
    lines = ["### Waivers\n"]
    for label in ("used", "stale", "expired"):
        if waivers[label]:
            lines.append(f"- **{label}**: " + ", ".join(f"`{w}`" for w in waivers[label]))
    return "\n".join(lines) + "\n\n"


def _details(document: dict[str, Any]) -> list[str]:
    blocks = []
    grouped = suite_groups(document)
    for scenario in (scenario for _, scenarios in grouped for scenario in scenarios):
        execution = scenario.get("execution") or {}
        shown = [
            d for d in scenario["differences"] + execution.get("differences", []) if d["category"] in _DETAIL_CATEGORIES
        ]
        errors = [
            (side, scenario[side]["error"]) for side in ("legacy", "new") if scenario[side] and scenario[side]["error"]
        ]
        execution_problems = execution.get("problems", [])
        if execution and not execution["passed"] and execution.get("message"):
            execution_problems = [f"{execution['status']}: {execution['message']}", *execution_problems]
        if not (shown or errors or scenario["problems"] or scenario["crash"] or execution_problems):
            continue
        suite = f" (suite <code>{scenario['suite']}</code>)" if len(grouped) > 1 else ""
        lines = [
            f"<details><summary><code>{scenario['name']}</code>{suite}: {scenario['status']}</summary>\n",
        ]
        if scenario["crash"]:
            lines.append(f"Harness crash: {_code(scenario['crash'])}\n")
        for side, error in errors:
            lines.append(f"- {side} builder raised <code>{error['type']}</code>: {_cell(error['message'], limit=500)}")
        for problem in scenario["problems"]:
            lines.append(f"- expectation: {_cell(problem)}")
        for problem in execution_problems:
            lines.append(f"- execution: {_cell(problem, limit=500)}")
        if shown:
            lines += [
                "",
                "| path | category | rule | legacy | new | what changes |",
                "|---|---|---|---|---|---|",
            ]
            for diff in shown:
                category = diff["category"] + (f" ({diff['waiver']})" if diff.get("waiver") else "")
                lines.append(
                    f"| {_code(diff['path'])} | {category} | {diff['rule']} | {_value(diff['left'])} | "
                    f"{_value(diff['right'])} | {_cell(diff['message'])} |"
                )
        lines.append("\n</details>\n")
        blocks.append("\n".join(lines) + "\n")
    return blocks


def _provenance(document: dict[str, Any]) -> str:
    tool = document["tool"]
    return (
        f"{tool['name']} {tool['version']} · generated {document['generated_at']} · schema {document['schema_version']}"
    )


def _value(value: Any) -> str:
    if value is None:
        return "_(absent)_"
    text = value if isinstance(value, str) else show_value(value)
    return _code(text) if text else '<code>""</code>'


def _code(text: str) -> str:
    # <code> rather than backticks: values (bash, Python) contain backticks themselves.
    return f"<code>{_cell(text)}</code>"


def _cell(text: str, *, limit: int = _CELL_LIMIT) -> str:
    """One table cell: one line, bounded, with HTML and the column separator escaped."""
    text = " ".join(text.split()) if "\n" in text else text
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return html.escape(text, quote=False).replace("|", "&#124;")
