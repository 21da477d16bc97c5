"""Report formats: the JSON matches its published schema, and every renderer reads only the
document, so a saved report re-renders identically."""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

import jsonschema
import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.execute import get_executor
from tests.requirements import LOCAL_EXECUTOR, skip_or_fail

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads(resources.files("harness.report").joinpath("parity-report.schema.json").read_text())


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three real runs: READY, NOT READY with differences and a secret, and a canary probe (and
    one executed, where the local executor runs). Tests that use it are marked slow: ~20 s."""
    base = tmp_path_factory.mktemp("reports")
    runs = {
        "ready": [],
        "different": ["--new", "tests.planted:inlines_secrets"],
        "canary": ["--phase", "canary", "--new", "tests.planted:raises_on_unicode"],
    }
    if get_executor("local").unavailable_reason() is None:
        runs["executed"] = ["--scenarios", str(ROOT / "scenarios" / "volumes.yaml"), "--execute", "local",
                            "--new", "tests.planted_execution:mounts_wrong_path"]  # fmt: skip
    for name, args in runs.items():
        result = CliRunner().invoke(
            cli,
            ["run", "--scenarios", str(ROOT / "scenarios"), "--report-dir", str(base / name), "--no-progress", *args],
        )
        assert result.exit_code in (0, 1, 3), result.output
    return {name: base / name for name in runs}


def _local_executor_missing() -> NoReturn:
    problem = get_executor("local").unavailable_reason() or "it was unavailable when the reports were made"
    skip_or_fail(LOCAL_EXECUTOR, problem)


def test_schema_is_itself_valid() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.slow  # the `reports` fixture: ~20 s
@pytest.mark.parametrize("run", ["ready", "different", "canary", "executed"])
def test_real_reports_validate_against_the_schema(reports: dict[str, Path], run: str) -> None:
    if run not in reports:
        _local_executor_missing()
    document = json.loads((reports[run] / "parity-report.json").read_text())
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(document)


@pytest.mark.slow  # the `reports` fixture: ~20 s
def test_schema_rejects_a_report_missing_its_verdict(reports: dict[str, Path]) -> None:
    document = json.loads((reports["ready"] / "parity-report.json").read_text())
    del document["verdict"]
    with pytest.raises(jsonschema.ValidationError, match="'verdict' is a required property"):
        jsonschema.validate(document, SCHEMA)


@pytest.mark.slow  # the `reports` fixture: ~20 s
@pytest.mark.parametrize("fmt", ["md", "html", "junit"])
def test_every_format_rerenders_identically_from_the_saved_json(reports: dict[str, Path], fmt: str) -> None:
    names = {"md": "parity-report.md", "html": "parity-report.html", "junit": "junit.xml"}
    saved = reports["different"] / "parity-report.json"
    result = CliRunner().invoke(cli, ["report", str(saved), "--format", fmt])
    assert result.exit_code == 0
    assert result.output == (reports["different"] / names[fmt]).read_text()


@pytest.mark.slow  # the `reports` fixture: ~20 s
def test_junit_has_one_case_per_scenario_check_and_gate_criterion(reports: dict[str, Path]) -> None:
    document = json.loads((reports["canary"] / "parity-report.json").read_text())
    root = ET.parse(reports["canary"] / "junit.xml").getroot()
    # a testsuite per suite of scenarios (the built-in ones: the python job and the phases), the gate last
    *scenario_suites, gate_suite = root.findall("testsuite")
    assert [suite.get("name") for suite in scenario_suites] == [
        "argo-parity.scenarios" if s["name"] == "default" else f"argo-parity.scenarios.{s['name']}"
        for s in document["suites"]
    ]
    cases = {case.get("name"): case for suite in scenario_suites for case in suite.findall("testcase")}
    assert {f"{s['name']}[manifest]" for s in document["scenarios"]} <= set(cases)
    failure = cases["plain-unicode[manifest]"].find("failure")
    assert failure is not None and "new builder raised RuntimeError" in failure.get("message", "")
    assert sum(int(suite.get("failures", "0")) for suite in scenario_suites) == 1
    gate = {case.get("name"): case for case in gate_suite.findall("testcase")}
    assert set(gate) == {r["criterion"] for r in document["reasons"]}
    # missing evidence is an error in JUnit terms, never a pass or a skip
    assert gate["execution-parity"].find("error") is not None
    assert gate["router-fallback"].find("failure") is not None


@pytest.mark.slow  # the `reports` fixture: ~20 s
def test_html_is_self_contained_and_shows_the_differing_lines(reports: dict[str, Path]) -> None:
    html = (reports["different"] / "parity-report.html").read_text()
    for external in ("http://", "https://", "//cdn", "@import", "<link", "src="):
        assert external not in html.replace("https://json-schema.org", ""), external
    assert "default-src 'none'" in html
    assert 'id="s-env-from-secret"' in html
    # the differing line is highlighted as semantic with its rule beside it
    assert '<tr class="change semantic">' in html
    assert "env[API_TOKEN]" in html or "API_TOKEN" in html
    assert "0xC0FFEE" not in html and "plain-text-password-do-not-leak" not in html


@pytest.mark.slow  # the `reports` fixture: ~20 s
def test_markdown_stays_within_a_github_job_summary(reports: dict[str, Path]) -> None:
    from harness.report.markdown import MAX_BYTES, render_markdown

    document = json.loads((reports["different"] / "parity-report.json").read_text())
    # many scenarios with many differences: details are dropped, never the verdict or the table
    many = [
        {"path": f"spec.templates[main].script.env[V{n}].value", "category": "semantic", "rule": "value-change",
         "left": "x" * 150, "right": "y" * 150, "message": "a value changes"}
        for n in range(40)
    ]  # fmt: skip
    scenarios = [dict(s, name=f"{s['name']}-{i}", differences=many) for i in range(20) for s in document["scenarios"]]
    big = dict(document, scenarios=scenarios)
    text = render_markdown(big)
    assert len(text.encode()) <= MAX_BYTES
    assert text.startswith("## ❌ argo-parity: **NOT READY**")
    assert "scenario details omitted to fit a job summary" in text


@pytest.mark.slow  # the `reports` fixture: ~20 s
def test_execution_results_reach_every_format(reports: dict[str, Path]) -> None:
    if "executed" not in reports:
        _local_executor_missing()
    folder = reports["executed"]
    document = json.loads((folder / "parity-report.json").read_text())
    broken = next(s for s in document["scenarios"] if s["name"] == "volumes-default-results")
    assert broken["execution"]["status"] == "different"
    assert "execution." in (folder / "parity-report.html").read_text()
    assert "❌ different" in (folder / "parity-report.md").read_text()
    cases = {c.get("name"): c for c in ET.parse(folder / "junit.xml").getroot().iter("testcase")}
    assert cases["volumes-default-results[execution]"].find("failure") is not None


@pytest.mark.slow  # the `reports` fixture: ~20 s
def test_readers_open_the_stable_names_of_a_real_run(reports: dict[str, Path]) -> None:
    folder = reports["different"]
    for name in ("parity-report.json", "parity-report.md", "parity-report.html", "junit.xml"):
        assert (folder / name).is_symlink()
    with open(folder / "parity-report.json", encoding="utf-8") as handle:
        assert json.load(handle)["verdict"] == "NOT READY"
    result = CliRunner().invoke(cli, ["report", str(folder / "parity-report.json"), "--format", "md"])
    assert result.exit_code == 0, result.output
    assert result.output == (folder / "parity-report.md").read_text()


def test_a_second_run_into_the_same_dir_switches_all_four_files(tmp_path: Path) -> None:
    """READY, then NOT READY into one dir: every format says NOT READY, none still says READY."""
    report_dir = tmp_path / "reports"
    report_dir.mkdir()
    (report_dir / ".gitkeep").write_text("")
    for args in ([], ["--new", "tests.planted:inlines_secrets"]):
        result = CliRunner().invoke(
            cli,
            ["run", "--scenarios", str(ROOT / "scenarios" / "env.yaml"), "--report-dir", str(report_dir),
             "--no-progress", *args],
        )  # fmt: skip
        assert result.exit_code in (0, 1), result.output
    document = json.loads((report_dir / "parity-report.json").read_text())
    assert document["verdict"] == "NOT READY"
    assert (report_dir / "parity-report.md").read_text().startswith("## ❌ argo-parity: **NOT READY**")
    assert "NOT READY" in (report_dir / "parity-report.html").read_text()
    suites = ET.parse(report_dir / "junit.xml").getroot().findall("testsuite")
    assert sum(int(suite.get("failures", "0")) for suite in suites) > 0
    assert (report_dir / ".gitkeep").read_text() == ""
    assert sorted(p.name for p in report_dir.iterdir() if not p.name.startswith(".")) == [
        "junit.xml", "parity-report.html", "parity-report.json", "parity-report.md",
    ]  # fmt: skip


@pytest.mark.slow  # the `reports` fixture: ~20 s
def test_report_output_is_a_plain_file(reports: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "elsewhere" / "summary.html"
    saved = reports["ready"] / "parity-report.json"
    result = CliRunner().invoke(cli, ["report", str(saved), "--format", "html", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file() and not out.is_symlink()
    assert [p.name for p in out.parent.iterdir()] == ["summary.html"]
    assert out.read_text() == (reports["ready"] / "parity-report.html").read_text()


# --- the HTML report's reading order and value style, on documents made here -----------------------


def _manifest(cpu: str = "1", image: str = "python:3.11-slim") -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": "python-job-", "namespace": "argo"},
        "spec": {
            "entrypoint": "main",
            "templates": [
                {"name": "main", "container": {"image": image, "resources": {"limits": {"cpu": cpu}}}},
            ],
        },
    }


def _scenario(name: str, status: str, *, passed: bool, **extra: Any) -> dict[str, Any]:
    manifest = _manifest()
    scenario: dict[str, Any] = {
        "name": name, "suite": "default", "kind": "plain", "description": "", "source": "cases.yaml",
        "status": status, "passed": passed, "inputs": {},
        "legacy": {"builder": "l:b", "manifest": manifest, "error": None, "duration_ms": 1.0},
        "new": {"builder": "n:b", "manifest": copy.deepcopy(manifest), "error": None, "duration_ms": 2.0},
        "differences": [], "counts": dict.fromkeys(("semantic", "metadata", "cosmetic", "waived", "noise"), 0),
        "waivers_used": [], "problems": [], "crash": None, "execution": None,
    }  # fmt: skip
    scenario.update(extra)
    return scenario


def _document(scenarios: list[dict[str, Any]], *, verdict: str = "READY", **extra: Any) -> dict[str, Any]:
    reasons = [{"criterion": "manifest-parity", "verdict": verdict, "message": "parity", "scenarios": []}]
    document: dict[str, Any] = {
        "schema_version": "1.1", "tool": {"name": "argo-parity", "version": "0"},
        "generated_at": "2026-01-01T00:00:00Z", "duration_s": 1.0, "machine": {}, "phase": "dev",
        "verdict": verdict, "reasons": reasons,
        "phases": [{"phase": "dev", "verdict": verdict, "reasons": reasons}], "rollout_config": "defaults",
        "router": None, "fuzz": None, "builders": {"legacy": "l:b", "new": "n:b"}, "execute": "none",
        "summary": {"scenarios": len(scenarios), "passed": sum(s["passed"] for s in scenarios)},
        "waivers": {"used": [], "stale": [], "expired": []}, "suites": [], "scenarios": scenarios,
    }  # fmt: skip
    document.update(extra)
    return document


def _different(name: str = "image-changed") -> dict[str, Any]:
    difference = {
        "path": "spec.templates[main].container.image", "category": "semantic", "rule": "value-change",
        "left": True, "right": None, "message": "the image changes",
    }  # fmt: skip
    scenario = _scenario(name, "different", passed=False, differences=[difference])
    scenario["new"]["manifest"]["spec"]["templates"][0]["container"]["image"] = "python:3.12-slim"
    scenario["counts"]["semantic"] = 1
    return scenario


def test_values_are_written_json_style_in_every_format() -> None:
    from harness.report import renderer

    execution = {
        "executor": "local", "status": "different", "passed": False, "message": None, "problems": [],
        "differences": [], "legacy": {"phase": "Failed", "exit_code": None, "duration_ms": 5.0,
                                      "stdout": {"text": "", "truncated": False}, "files": []},
        "new": None,
    }  # fmt: skip
    document = _document([_different() | {"execution": execution}], verdict="NOT READY")
    outputs = {fmt: renderer(fmt)(document) for fmt in ("md", "html", "junit")}
    for fmt, text in outputs.items():
        assert not re.search(r"\b(True|False|None)\b", text), f"{fmt} writes a Python value"
    assert "legacy: true" in outputs["junit"] and "new:    null" in outputs["junit"]
    assert "<code>true</code>" in outputs["md"]
    assert '<td class="num">null</td>' in outputs["html"]  # the run's missing exit code


def test_html_puts_verdict_reasons_and_decisions_before_what_is_fine() -> None:
    from harness.report.html import render_html

    crashed = _scenario("legacy-broke", "legacy-crashed", passed=False)
    crashed["legacy"] = {"builder": "l:b", "manifest": None, "duration_ms": 0.1,
                         "error": {"type": "RuntimeError", "message": "boom", "kind": "exception"}}  # fmt: skip
    refused = _scenario("new-refuses", "builder-error", passed=False)
    refused["new"] = {"builder": "n:b", "manifest": None, "duration_ms": 0.1,
                      "error": {"type": "KeyError", "message": "'script'", "kind": "exception"}}  # fmt: skip
    scenarios = [_scenario("all-good", "equivalent", passed=True), crashed, refused, _different()]
    reasons = [
        {"criterion": "scenarios-ran", "verdict": "READY", "message": "all ran", "scenarios": []},
        {"criterion": "legacy-baseline", "verdict": "INCONCLUSIVE", "message": "no baseline",
         "scenarios": ["legacy-broke"]},
        {"criterion": "manifest-parity", "verdict": "NOT READY", "message": "differences",
         "scenarios": ["image-changed"]},
        {"criterion": "execution-parity", "verdict": "INCONCLUSIVE", "message": "the local executor could not run",
         "scenarios": []},
    ]  # fmt: skip
    document = _document(
        scenarios, verdict="NOT READY", reasons=reasons,
        waivers={"used": [], "stale": ["old-one"], "expired": ["old-one"]},
    )  # fmt: skip
    html = render_html(document)
    order = [html.index(marker) for marker in (
        'id="verdict"', 'id="reasons"', 'id="attention"', 'id="overview"', 'id="details"', 'id="charts"',
    )]  # fmt: skip
    assert order == sorted(order)
    # failing criteria first, the met ones after them
    criteria = re.findall(r'<td class="criterion">([a-z-]+)</td>', html)
    assert criteria == ["manifest-parity", "legacy-baseline", "execution-parity", "scenarios-ran"]
    assert "1 criterion NOT READY and 2 criteria INCONCLUSIVE (of 4)" in html
    # the decisions: a difference in what runs, a builder error, the expired waiver, missing evidence
    attention = html[html.index('id="attention"') : html.index('id="overview"')]
    kinds = re.findall(r'<li class="tone-\w+" data-kind="([a-z-]+)"', attention)
    # (and a criterion no scenario explains: the run lacked evidence)
    assert kinds == ["different", "builder-error", "expired-waiver", "legacy-crashed", "criterion"]
    assert "the local executor could not run" in attention
    assert "all-good" not in attention
    assert "the image changes" in attention and "new builder raised KeyError" in attention
    # the scenarios needing a decision are open, the agreeing ones folded
    assert re.search(r'<details class="scenario" id="s-image-changed"[^>]* open>', html)
    assert re.search(r'<details class="scenario" id="s-all-good"[^>]*"\s*>', html)


def test_both_rejected_is_neutral_and_says_why_it_proves_little() -> None:
    from harness.report.html import render_html, status_view

    assert status_view("both-rejected").tone == "neutral"
    scenario = _scenario("bad-namespace", "both-rejected", passed=True, legacy=None, new=None)
    html = render_html(_document([scenario]))
    badge = re.search(
        r'<span class="status tone-(\w+)" title="([^"]+)"><span class="dot tone-\w+"></span>both rejected', html
    )
    assert badge is not None and badge.group(1) == "neutral"
    assert "proves nothing about the workflows they build" in badge.group(2)


def test_unknown_and_caught_statuses_render() -> None:
    from harness.report.html import render_html, status_view

    assert status_view("caught").label == "expected difference caught"
    assert status_view("some-future-status").label == "some-future-status"
    planted = {"paths": ["spec.**"], "reason": "planted on purpose"}
    caught = _different("planted-mistake") | {"status": "caught", "passed": True, "planted": planted}
    html = render_html(_document([caught, _scenario("odd", "some-future-status", passed=True)]))
    assert "expected difference caught" in html and "Planted on purpose: planted on purpose" in html
    assert "some-future-status" in html and 'class="status tone-neutral"' in html


def test_trivial_charts_are_left_out_or_folded() -> None:
    from harness.report.html import render_html

    html = render_html(_document([_scenario(f"s{i}", "equivalent", passed=True) for i in range(28)]))
    assert "Differences by category" not in html  # all zero: says nothing
    assert re.search(r'<details class="chart" id="durations">', html)  # context, folded
    html = render_html(_document([_different()], verdict="NOT READY"))
    assert "Differences by category" in html and 'class="bar-semantic"' in html
    assert 'class="bar-noise"' not in html


def test_form_only_lines_are_marked_equal_with_their_rule_and_shown_on_request() -> None:
    from harness.report.html import render_html

    scenario = _scenario("quantity-written-differently", "equivalent", passed=True)
    scenario["new"]["manifest"]["spec"]["templates"][0]["container"]["resources"]["limits"]["cpu"] = "1000m"
    html = render_html(_document([scenario]))
    row = re.search(r'<tr class="change form optional">(.*?)</tr>', html, re.S)
    assert row is not None, "the form-only line is not marked optional"
    assert "cpu: 1000m" in row.group(1) and "[quantity]" in row.group(1) and ">equal</span>" in row.group(1)
    assert "differ in form only" in html and 'id="show-form"' in html
    # hidden until asked for, by the page's own stylesheet
    assert ".diff tr.optional, .diff tr.fold.view-all { display: none; }" in html


def test_html_draws_dag_pictures_with_a_legend() -> None:
    from harness.report.html import render_html
    from tests.test_report_dag_picture import chain, parallel

    scenario = _scenario("phases-parallel", "waived", passed=True)
    scenario["legacy"]["manifest"], scenario["new"]["manifest"] = chain(), parallel()
    html = render_html(_document([scenario]))
    assert html.count('<svg class="dag"') == 2
    assert "only in legacy: the new DAG no longer orders these tasks" in html
    assert "data-provider-id may now start before sample-selection finishes" in html
    assert "<link" not in html and "<script src" not in html and "http://" not in html
