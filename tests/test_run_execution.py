"""Execution through the front doors: `parity run --execute local` and `pytest --parity-execute`.

The executors themselves are tested in tests/test_execute_*.py and tests/test_sandbox.py; these
tests check that their evidence reaches the gate and the reports.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from harness.cli import cli
from harness.execute import get_executor
from tests.requirements import LOCAL_EXECUTOR

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def local_executor_available() -> None:
    LOCAL_EXECUTOR.require(get_executor("local").unavailable_reason())


needs_local = pytest.mark.usefixtures("local_executor_available")


def parity_run(tmp_path: Path, *args: str) -> tuple[Result, dict]:
    report_dir = tmp_path / "reports"
    result = CliRunner().invoke(cli, ["run", "--report-dir", str(report_dir), "--no-progress", *args])
    path = report_dir / "parity-report.json"
    return result, json.loads(path.read_text()) if path.exists() else {}


def reason(report: dict, criterion: str) -> dict:
    return next(r for r in report["reasons"] if r["criterion"] == criterion)


@needs_local
def test_staging_is_ready_when_both_sides_run_alike(tmp_path: Path) -> None:
    # Durations are measured, never asserted: timing belongs to `make bench`, not to tests.
    rollout = tmp_path / "rollout.yaml"
    rollout.write_text("phases:\n  staging: {max_duration_ratio: 1000}\n")
    args = ["--rollout", str(rollout), "--execute", "local", "--phase", "staging", "-n", "2"]
    result, report = parity_run(tmp_path, "--scenarios", str(ROOT / "scenarios" / "env.yaml"), *args)
    assert result.exit_code == 0, result.output
    executed = [s for s in report["scenarios"] if s["execution"]]
    assert {s["execution"]["status"] for s in executed} == {"equivalent"}
    assert reason(report, "execution-parity")["verdict"] == "READY"
    assert reason(report, "success-rate")["message"].startswith(f"{len(executed)}/{len(executed)} new-builder runs")
    assert reason(report, "duration-ratio")["message"].startswith("median new/legacy duration")


@needs_local
def test_injected_secret_printed_by_the_job_never_reaches_a_report(tmp_path: Path) -> None:
    result, report = parity_run(tmp_path, "--scenarios", str(ROOT / "scenarios" / "env.yaml"), "--execute", "local")
    assert result.exit_code == 0, result.output
    scenario = next(s for s in report["scenarios"] if s["name"] == "env-from-secret")
    stdout = scenario["execution"]["new"]["stdout"]["text"]
    assert stdout.startswith("token: <redacted> password: <redacted>"), stdout
    texts = [p.read_text() for p in (tmp_path / "reports").iterdir() if p.is_file()]
    assert not any("plain-text-password-do-not-leak" in text for text in texts)


@needs_local
def test_a_new_builder_that_mounts_the_wrong_path_is_not_ready_on_execution(tmp_path: Path) -> None:
    result, report = parity_run(tmp_path, "--scenarios", str(ROOT / "scenarios" / "volumes.yaml"), "--execute", "local",
                                "--phase", "staging", "--new", "tests.planted_execution:mounts_wrong_path")  # fmt: skip
    assert result.exit_code == 1
    failing = reason(report, "execution-parity")
    assert failing["verdict"] == "NOT READY" and "volumes-default-results" in failing["scenarios"]
    scenario = next(s for s in report["scenarios"] if s["name"] == "volumes-default-results")
    assert any(d["path"].startswith("execution.") for d in scenario["execution"]["differences"])
    assert (tmp_path / "reports" / "parity-report.html").read_text().count("execution.") > 0


def test_an_executor_that_cannot_run_is_inconclusive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")  # no bwrap, no uv: the local executor cannot run
    result, report = parity_run(tmp_path, "--scenarios", str(ROOT / "scenarios" / "namespace.yaml"),
                                "--execute", "local", "--phase", "staging")  # fmt: skip
    assert result.exit_code == 3, result.output
    assert {s["execution"]["status"] for s in report["scenarios"] if s["execution"]} == {"unavailable"}
    assert reason(report, "execution-parity")["verdict"] == "INCONCLUSIVE"


@needs_local
def test_pytest_staging_gate_with_local_execution(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    (pytester.path / "scenarios").mkdir()
    shutil.copy(ROOT / "scenarios" / "namespace.yaml", pytester.path / "scenarios")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    (pytester.path / "rollout.yaml").write_text("phases:\n  staging: {max_duration_ratio: 1000}\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--parity-phase=staging",
                                           "--parity-execute=local", "--parity-report-dir=out")  # fmt: skip
    result.assert_outcomes(passed=1)
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*argo-parity: READY for phase staging*"])
