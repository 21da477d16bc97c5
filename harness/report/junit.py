"""JUnit XML: one test case per scenario and check, plus one per gate criterion, so any CI
that reads JUnit shows which scenario broke and why the gate said what it said."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from harness.diff.model import show_value

# XML 1.0 cannot carry most control characters, even escaped; program output may contain them.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render_junit(document: dict[str, Any]) -> str:
    root = ET.Element("testsuites", name="argo-parity")
    suites = [suite["name"] for suite in document.get("suites") or []]
    if len(suites) <= 1:
        root.append(_scenario_suite(document, "argo-parity.scenarios", document["scenarios"]))
    else:
        # A testsuite per suite (the default suite's name stays argo-parity.scenarios).
        for name in suites:
            members = [s for s in document["scenarios"] if s.get("suite", "default") == name]
            label = "argo-parity.scenarios" if name == "default" else f"argo-parity.scenarios.{name}"
            root.append(_scenario_suite(document, label, members))
    root.append(_gate_suite(document))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _scenario_suite(document: dict[str, Any], name: str, scenarios: list[dict[str, Any]]) -> ET.Element:
    suite = ET.Element("testsuite", name=name)
    for scenario in scenarios:
        for check, failure in _checks(scenario):
            seconds = sum((scenario[side] or {}).get("duration_ms", 0) for side in ("legacy", "new")) / 1000
            case = ET.SubElement(
                suite,
                "testcase",
                classname=_classname(scenario),
                name=f"{scenario['name']}[{check}]",
                time=f"{seconds:.3f}",
                file=_clean(scenario["source"]),
            )
            if failure is None:
                continue
            kind, message, body = failure
            element = ET.SubElement(case, kind, message=_clean(message), type=scenario["status"])
            element.text = _clean(body)
    _count(suite)
    return suite


def _classname(scenario: dict[str, Any]) -> str:
    suite = scenario.get("suite", "default")
    return f"parity.{scenario['kind']}" if suite == "default" else f"parity.{suite}.{scenario['kind']}"


def _checks(scenario: dict[str, Any]) -> list[tuple[str, tuple[str, str, str] | None]]:
    status = scenario["status"]
    if status == "crashed":
        return [("manifest", ("error", "harness crashed on this scenario", scenario["crash"] or ""))]
    if status == "legacy-crashed":
        # no baseline: missing evidence, an error (never read as a pass), not a failure
        return [("manifest", ("error", _failure_message(scenario), _failure_body(scenario)))]
    checks: list[tuple[str, tuple[str, str, str] | None]] = []
    failure = None
    if status in {"different", "builder-error"}:
        failure = ("failure", _failure_message(scenario), _failure_body(scenario))
    checks.append(("manifest", failure))
    if scenario["problems"]:
        checks.append(("expectations", ("failure", scenario["problems"][0], "\n".join(scenario["problems"]))))
    execution = scenario.get("execution")
    if execution:
        checks.append(("execution", _execution_failure(execution)))
    return checks


def _execution_failure(execution: dict[str, Any]) -> tuple[str, str, str] | None:
    if execution["passed"]:
        return None
    if execution["status"] in ("unavailable", "unsupported", "error"):
        # missing evidence: an error, so CI never reads it as a pass
        return ("error", f"execution {execution['status']}: {execution.get('message') or ''}", "")
    lines = [*execution["problems"]]
    lines += [f"{d['path']}: {d['message']}" for d in execution["differences"] if d["category"] == "semantic"]
    return ("failure", lines[0] if lines else f"execution {execution['status']}", "\n".join(lines))


def _failure_message(scenario: dict[str, Any]) -> str:
    for side in ("legacy", "new"):
        error = (scenario[side] or {}).get("error")
        if error:
            return f"{side} builder raised {error['type']}: {error['message']}"
    semantic = [d for d in scenario["differences"] if d["category"] == "semantic"]
    return f"{len(semantic)} semantic differences, first at {semantic[0]['path']}" if semantic else scenario["status"]


def _failure_body(scenario: dict[str, Any]) -> str:
    lines = []
    for difference in scenario["differences"]:
        if difference["category"] == "semantic":
            lines.append(f"{difference['path']}: {difference['message']} [{difference['rule']}]")
            # JSON style, as every other output writes values: `true`, `null`, never Python's.
            lines.append(f"    legacy: {show_value(difference['left'])}")
            lines.append(f"    new:    {show_value(difference['right'])}")
    return "\n".join(lines)


def _gate_suite(document: dict[str, Any]) -> ET.Element:
    suite = ET.Element("testsuite", name=f"argo-parity.gate.{document['phase']}")
    for reason in document["reasons"]:
        case = ET.SubElement(suite, "testcase", classname="parity.gate", name=reason["criterion"], time="0")
        if reason["verdict"] == "NOT READY":
            ET.SubElement(case, "failure", message=_clean(reason["message"]), type="NOT READY").text = "\n".join(
                reason["scenarios"]
            )
        elif reason["verdict"] == "INCONCLUSIVE":
            # JUnit has no "inconclusive"; an error (not a skip) keeps CI from reading it as a pass.
            ET.SubElement(case, "error", message=_clean(reason["message"]), type="INCONCLUSIVE").text = "\n".join(
                reason["scenarios"]
            )
    _count(suite)
    return suite


def _count(suite: ET.Element) -> None:
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    suite.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
    suite.set("skipped", "0")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\N{REPLACEMENT CHARACTER}", text)
