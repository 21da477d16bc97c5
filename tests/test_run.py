"""`parity run` end to end: reference builders, planted defects, exit codes, reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from harness.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def parity_run(tmp_path: Path, *args: str) -> tuple[Result, dict]:
    report_dir = tmp_path / "reports"
    result = CliRunner().invoke(
        cli, ["run", "--scenarios", str(SCENARIOS), "--report-dir", str(report_dir), "--no-progress", *args]
    )
    report_path = report_dir / "parity-report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    return result, report


def python_job_scenarios(report: dict) -> list[dict]:
    """The built-in default suite's scenarios: the ones `--legacy`/`--new` swap builders for (the
    `phases` suite keeps its own builders, from its suite.toml)."""
    return [s for s in report["scenarios"] if s["suite"] == "default"]


def test_reference_builders_are_ready_for_dev(tmp_path: Path) -> None:
    result, report = parity_run(tmp_path)
    assert result.exit_code == 0, result.output
    assert report["verdict"] == "READY"
    assert report["phase"] == "dev"
    assert report["summary"]["scenarios"] == len(report["scenarios"]) >= 14
    assert all(s["passed"] for s in report["scenarios"])
    assert (tmp_path / "reports" / "parity-report.md").read_text().startswith("## ✅ argo-parity: **READY**")


def test_legacy_against_itself_finds_no_difference(tmp_path: Path) -> None:
    result, report = parity_run(tmp_path, "--new", "harness.builders.legacy:build")
    assert result.exit_code == 0, result.output
    assert {s["status"] for s in python_job_scenarios(report)} == {"equivalent"}
    assert all(not s["differences"] for s in python_job_scenarios(report))


def test_one_raising_scenario_is_reported_and_the_others_still_run(tmp_path: Path) -> None:
    result, report = parity_run(tmp_path, "--new", "tests.planted:raises_on_unicode")
    assert result.exit_code == 1, result.output
    assert report["verdict"] == "NOT READY"
    failed = {s["name"]: s for s in report["scenarios"] if not s["passed"]}
    assert set(failed) == {"plain-unicode"}
    row = failed["plain-unicode"]
    assert row["status"] == "builder-error"
    assert row["new"]["error"] == {
        "type": "RuntimeError",
        "message": "planted: cannot encode non-ASCII code",
        "kind": "exception",
    }
    assert row["legacy"]["manifest"]["kind"] == "Workflow"
    assert sum(s["status"] == "equivalent" for s in report["scenarios"]) >= 13
    markdown = (tmp_path / "reports" / "parity-report.md").read_text()
    assert "RuntimeError" in markdown and "plain-unicode" in markdown
    assert "plain-unicode" in result.output and "RuntimeError" in result.output


def test_both_builders_rejecting_an_input_is_agreement(tmp_path: Path) -> None:
    result, report = parity_run(
        tmp_path, "--legacy", "tests.planted:rejects_everything", "--new", "tests.planted:rejects_everything"
    )
    assert {s["status"] for s in python_job_scenarios(report)} == {"both-rejected"}
    assert all(s["passed"] for s in report["scenarios"])
    # ...but a suite in which no scenario gave two manifests says nothing about its workflows,
    # whatever the run's other suite (phases, with its own builders) compared
    compared = next(r for r in report["reasons"] if r["criterion"] == "manifests-compared")
    assert compared["verdict"] == "INCONCLUSIVE" and "default" in compared["message"]
    assert result.exit_code == 3, result.output


def test_dropped_dependencies_are_a_semantic_difference(tmp_path: Path) -> None:
    result, report = parity_run(tmp_path, "--new", "tests.planted:drops_dependencies")
    assert result.exit_code == 1
    failed = {s["name"] for s in report["scenarios"] if s["status"] == "different"}
    with_deps = {s["name"] for s in python_job_scenarios(report) if s["inputs"]["dependencies"]}
    assert failed == with_deps


def test_a_builder_returning_garbage_is_a_builder_error(tmp_path: Path) -> None:
    result, report = parity_run(tmp_path, "--new", "tests.planted:returns_garbage")
    assert result.exit_code == 1
    assert {s["new"]["error"]["type"] for s in python_job_scenarios(report)} == {"NotAManifestError"}


def test_secret_values_never_reach_any_report(tmp_path: Path) -> None:
    result, report = parity_run(tmp_path, "--new", "tests.planted:inlines_secrets")
    assert result.exit_code == 1  # a secret turned into a literal value is a semantic difference
    texts = [p.read_text() for p in (tmp_path / "reports").iterdir() if p.is_file()] + [result.output]
    for text in texts:
        assert "0xC0FFEE" not in text
        assert "plain-text-password-do-not-leak" not in text
    env_scenario = next(s for s in report["scenarios"] if s["name"] == "env-from-secret")
    assert env_scenario["status"] == "different"
    assert env_scenario["inputs"]["env"]["DB_PASSWORD"] == "<redacted>"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--new", "no_such_module:build"], "cannot import 'no_such_module'"),
        (["--new", "harness.builders.hera"], "must look like 'package.module:function'"),
        (["--new", "harness.builders.hera:nope"], "has no attribute 'nope'"),
        (["--scenarios", "/nonexistent/dir"], "no such file or directory"),
        (["--waivers", "/nonexistent/waivers.yaml"], "waiver file not found"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_no_traceback(tmp_path: Path, args: list[str], needle: str) -> None:
    result = CliRunner().invoke(cli, ["run", "--report-dir", str(tmp_path), "--no-progress", *args])
    assert result.exit_code == 2, result.output
    assert needle in result.output
    assert "Traceback" not in result.output


def test_bad_fixture_exits_2_naming_file_scenario_and_field(tmp_path: Path) -> None:
    fixtures = tmp_path / "scenarios"
    fixtures.mkdir()
    (fixtures / "broken.yaml").write_text("- name: broken\n  kind: plain\n  inputs: {python_code: x, typo: 1}\n")
    result = CliRunner().invoke(cli, ["run", "--scenarios", str(fixtures), "--report-dir", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert "broken.yaml: scenario 'broken': field 'inputs.typo': unknown key" in result.output
    assert not (tmp_path / "r").exists()


def test_requested_executor_that_is_unavailable_is_inconclusive(tmp_path: Path) -> None:
    result, report = parity_run(tmp_path, "--phase", "staging")
    assert result.exit_code == 3, result.output
    assert report["verdict"] == "INCONCLUSIVE"
    assert any(r["criterion"] == "execution-parity" and r["verdict"] == "INCONCLUSIVE" for r in report["reasons"])


def test_parallel_run_gives_the_same_report(tmp_path: Path) -> None:
    _, serial = parity_run(tmp_path / "one")
    result, parallel = parity_run(tmp_path / "two", "-n", "2")
    assert result.exit_code == 0, result.output
    for report in (serial, parallel):
        for volatile in ("generated_at", "duration_s"):
            report.pop(volatile)
        for scenario in report["scenarios"]:
            for side in ("legacy", "new"):
                scenario[side].pop("duration_ms")
    assert serial == parallel


def test_report_rerenders_from_saved_json(tmp_path: Path) -> None:
    parity_run(tmp_path)
    saved = tmp_path / "reports" / "parity-report.json"
    result = CliRunner().invoke(cli, ["report", str(saved), "--format", "md"])
    assert result.exit_code == 0
    assert result.output == (tmp_path / "reports" / "parity-report.md").read_text()
    (tmp_path / "junk.json").write_text("[1, 2]")
    bad = CliRunner().invoke(cli, ["report", str(tmp_path / "junk.json")])
    assert bad.exit_code == 2 and "junk.json: not a parity report" in bad.output


def test_scenario_crash_is_inconclusive_not_ready(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from harness import engine

    real_compare = engine.ParitySession._compare

    def compare_that_crashes_once(self, scenario, legacy, new):  # type: ignore[no-untyped-def]
        if scenario.name == "plain-hello":
            raise KeyError("planted harness bug")
        return real_compare(self, scenario, legacy, new)

    monkeypatch.setattr(engine.ParitySession, "_compare", compare_that_crashes_once)
    result, report = parity_run(tmp_path)
    assert result.exit_code == 3, result.output
    crashed = [s for s in report["scenarios"] if s["status"] == "crashed"]
    assert [s["name"] for s in crashed] == ["plain-hello"]
    assert "planted harness bug" in crashed[0]["crash"]
    assert sum(s["passed"] for s in report["scenarios"]) == len(report["scenarios"]) - 1


def test_console_script_is_installed_and_runs() -> None:
    script = Path(sys.executable).parent / "parity"
    assert script.exists(), f"no console script at {script}: reinstall with `make install`"
    completed = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=False)
    assert completed.returncode == 0
    assert completed.stdout.startswith("parity, version ")


def test_what_differs_between_two_legacy_builds_is_noise_not_a_difference(tmp_path: Path) -> None:
    plain = [
        "--scenarios", str(SCENARIOS / "plain.yaml"),
        "--legacy", "tests.planted:legacy_with_random_run_id", "--new", "tests.planted:hera_with_random_run_id",
    ]  # fmt: skip
    result, report = parity_run(tmp_path / "calibrated", *plain)
    assert result.exit_code == 0, result.output
    for scenario in report["scenarios"]:
        assert scenario["status"] == "equivalent"
        assert [(d["path"], d["category"]) for d in scenario["differences"]] == [
            ("spec.templates[main].script.env[RUN_ID].value", "noise")
        ]
    result, report = parity_run(tmp_path / "uncalibrated", *plain, "--no-noise-calibration")
    assert result.exit_code == 1
    assert {s["status"] for s in report["scenarios"]} == {"different"}


def test_a_builder_that_drops_a_variable_the_other_sets_is_not_excused_as_noise(tmp_path: Path) -> None:
    # the legacy side's id varies between its own builds, but the new side has no RUN_ID at all
    plain = ["--scenarios", str(SCENARIOS / "plain.yaml"), "--legacy", "tests.planted:legacy_with_random_run_id"]
    result, report = parity_run(tmp_path, *plain)
    assert result.exit_code == 1
    differences = {d["path"]: d["category"] for s in report["scenarios"] for d in s["differences"]}
    assert differences == {"spec.templates[main].script.env[RUN_ID]": "semantic"}
