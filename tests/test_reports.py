"""Report formats: the JSON matches its published schema, and every renderer reads only the
document, so a saved report re-renders identically."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path
from typing import NoReturn

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
    scenario_suite, gate_suite = root.findall("testsuite")
    cases = {case.get("name"): case for case in scenario_suite.findall("testcase")}
    assert {f"{s['name']}[manifest]" for s in document["scenarios"]} <= set(cases)
    failure = cases["plain-unicode[manifest]"].find("failure")
    assert failure is not None and "new builder raised RuntimeError" in failure.get("message", "")
    assert int(scenario_suite.get("failures", "0")) == 1
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
