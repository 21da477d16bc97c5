"""The pytest front door: one test per scenario, and a session verdict."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    shutil.copytree(ROOT / "scenarios", pytester.path / "scenarios")
    # tests.planted must import in the pytest subprocess
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return pytester


def run(project: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict]:
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "--parity-report-dir=out", *args)
    report_path = project.path / "out" / "parity-report.json"
    return result, json.loads(report_path.read_text()) if report_path.exists() else {}


def test_ready_session_has_one_passing_test_per_scenario(project: pytest.Pytester) -> None:
    result, report = run(project, "--parity-phase=dev")
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=len(report["scenarios"]))
    assert report["verdict"] == "READY"
    result.stdout.fnmatch_lines(["*argo-parity: READY for phase dev*"])


def test_failing_scenario_is_named_and_the_session_is_not_ready(project: pytest.Pytester) -> None:
    result, report = run(project, "--parity-phase=dev", "--parity-new=tests.planted:raises_on_unicode", "-rf")
    assert result.ret == 1
    result.assert_outcomes(passed=len(report["scenarios"]) - 1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*argo-parity: NOT READY for phase dev*",
            "*FAILED scenarios/plain.yaml::plain-unicode*",
        ]
    )
    assert "new builder raised RuntimeError: planted: cannot encode non-ASCII code" in result.stdout.str()


def test_missing_evidence_fails_the_session_as_inconclusive(project: pytest.Pytester) -> None:
    result, report = run(project, "--parity-phase=staging")
    result.assert_outcomes(passed=len(report["scenarios"]))
    assert report["verdict"] == "INCONCLUSIVE"
    assert result.ret == 3
    result.stdout.fnmatch_lines(["*argo-parity: INCONCLUSIVE for phase staging*"])


def test_bad_fixture_is_a_collection_error_naming_the_field(project: pytest.Pytester) -> None:
    (project.path / "scenarios" / "broken.yaml").write_text("- name: broken\n  kind: plain\n  inputs: {code: x}\n")
    result, _ = run(project, "--parity-phase=dev")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*broken.yaml: scenario 'broken': field 'inputs.code': unknown key*"])
    assert "Traceback" not in result.stdout.str()


def test_plugin_is_inert_without_parity_options(project: pytest.Pytester) -> None:
    project.makepyfile(test_plain="def test_ok():\n    assert True\n")
    result = project.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert not (project.path / "reports").exists()


def test_failure_output_and_reports_never_show_secret_values(project: pytest.Pytester) -> None:
    result, _ = run(project, "--parity-phase=dev", "--parity-new=tests.planted:inlines_secrets")
    assert result.ret == 1
    assert "env[API_TOKEN]" in result.stdout.str()
    outputs = [result.stdout.str(), *(p.read_text() for p in (project.path / "out").iterdir() if p.is_file())]
    for text in outputs:
        assert "0xC0FFEE" not in text
        assert "plain-text-password-do-not-leak" not in text


@pytest.mark.slow  # ~25 s: serial and -n 2 pytest sessions in subprocesses
def test_xdist_workers_results_are_merged_into_one_report(project: pytest.Pytester) -> None:
    serial_result, serial = run(project, "--parity-phase=dev", "--parity-new=tests.planted:raises_on_unicode")
    parallel_result, parallel = run(
        project, "--parity-phase=dev", "--parity-new=tests.planted:raises_on_unicode", "-n", "2"
    )
    assert parallel_result.ret == serial_result.ret == 1
    parallel_result.assert_outcomes(passed=len(serial["scenarios"]) - 1, failed=1)
    assert [s["name"] for s in parallel["scenarios"]] == [s["name"] for s in serial["scenarios"]]
    assert [s["status"] for s in parallel["scenarios"]] == [s["status"] for s in serial["scenarios"]]
    assert parallel["verdict"] == "NOT READY"


@pytest.mark.slow  # ~20 s: two pytest sessions in subprocesses
def test_a_result_lost_between_worker_and_controller_is_inconclusive(project: pytest.Pytester) -> None:
    # A conftest that drops one worker's payload stands in for a worker that died after running.
    project.makeconftest(
        """
        import pytest

        @pytest.hookimpl(optionalhook=True, tryfirst=True)
        def pytest_testnodedown(node, error):
            if node.gateway.id == "gw1":
                node.workeroutput.pop("argo_parity_outcomes", None)
        """
    )
    result, report = run(project, "--parity-phase=dev", "-n", "2")
    assert report["verdict"] == "INCONCLUSIVE"
    lost = [s for s in report["scenarios"] if s["status"] == "crashed"]
    assert lost and all("never reached the controller" in s["crash"] for s in lost)
    assert sorted(s["name"] for s in report["scenarios"]) == serial_names(project)
    assert result.ret == 3


def serial_names(project: pytest.Pytester) -> list[str]:
    """Every scenario of the project's run: the scenarios folder's and each suite's below it."""
    from harness.project_config import discover_suites
    from harness.run_config import RunConfig
    from harness.scenarios import load_run_scenarios

    scenarios = project.path / "scenarios"
    config = RunConfig(scenarios=scenarios, suites=discover_suites(scenarios))
    return sorted(s.name for s in load_run_scenarios(config))


@pytest.mark.fault(
    group="false READY",
    case="pytest -k deselects the one differing scenario",
    expected="INCONCLUSIVE (exit 3), naming the scenario that did not run",
)
def test_deselecting_a_scenario_is_inconclusive_never_ready(project: pytest.Pytester) -> None:
    # plain-unicode is the one scenario this builder breaks; -k takes it out of the run
    result, report = run(
        project, "--parity-phase=dev", "--parity-new=tests.planted:raises_on_unicode", "-k", "not plain-unicode"
    )
    assert report["verdict"] == "INCONCLUSIVE"
    ran = next(r for r in report["reasons"] if r["criterion"] == "scenarios-ran")
    assert ran["verdict"] == "INCONCLUSIVE" and ran["scenarios"] == ["plain-unicode"]
    assert result.ret == 3
    result.stdout.fnmatch_lines(["*argo-parity: INCONCLUSIVE for phase dev*"])


@pytest.mark.fault(
    group="false READY",
    case="both builders crash, under the pytest plugin",
    expected="every scenario test fails, the session INCONCLUSIVE",
)
def test_both_builders_crashing_fails_the_session(project: pytest.Pytester) -> None:
    result, report = run(
        project,
        "--parity-phase=dev",
        "--parity-legacy=tests.hostile_builders:crashes_runtime",
        "--parity-new=tests.hostile_builders:crashes_keyerror",
    )
    assert report["verdict"] == "INCONCLUSIVE"
    # The options swap the builders of the python-job suite; the phases suite keeps its own.
    python_job = [s for s in report["scenarios"] if s["suite"] == "default"]
    assert {s["status"] for s in python_job} == {"legacy-crashed"}
    result.assert_outcomes(failed=len(python_job), passed=len(report["scenarios"]) - len(python_job))
    assert result.ret != 0


@pytest.mark.fault(
    group="errors and reports",
    case="a builder module with a syntax error, under the pytest plugin",
    expected="a usage error naming --parity-new, no INTERNALERROR",
)
def test_a_builder_that_cannot_be_imported_is_a_usage_error(project: pytest.Pytester) -> None:
    project.makepyfile(team_builder="def build(inputs):\n    return {'kind': 'Workflow'\n")
    result, report = run(project, "--parity-phase=dev", "--parity-new=team_builder:build")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert not report
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    assert "--parity-new" in result.stderr.str() and "syntax error" in result.stderr.str()


@pytest.mark.fault(
    group="errors and reports",
    case="--parity-report-dir under a file",
    expected="a usage error before any scenario runs",
)
def test_an_unwritable_report_dir_is_a_usage_error_before_any_scenario(project: pytest.Pytester) -> None:
    (project.path / "a-file").write_text("")
    result = project.runpytest_subprocess(
        "-p", "no:cacheprovider", "--parity-phase=dev", "--parity-report-dir=a-file/x"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--parity-report-dir" in result.stderr.str() or "report" in result.stderr.str()


@pytest.mark.fault(
    group="false READY",
    case="Ctrl-C during a pytest session",
    expected="the reports say INCONCLUSIVE, not READY on the scenarios that finished",
)
def test_ctrl_c_during_a_session_reports_inconclusive(project: pytest.Pytester) -> None:
    import signal
    import subprocess
    import sys
    import time

    started = project.path / "hanging"
    (project.path / "scenarios" / "zz-hang.yaml").write_text(
        "- name: zz-hang\n  kind: plain\n  inputs: {python_code: 'print(1)  # hostile'}\n"
    )
    env = {**os.environ, "HOSTILE_STARTED": str(started)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--parity-report-dir=out",
            "--parity-phase=dev",
            "--parity-new=tests.hostile_builders:hangs",
        ],
        cwd=project.path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)
    output, _ = process.communicate(timeout=60)
    report = json.loads((project.path / "out" / "parity-report.json").read_text())
    assert report["verdict"] == "INCONCLUSIVE", output
    assert process.returncode != 0


@pytest.mark.fault(
    group="false READY",
    case="pytest --reruns 2 with a new builder that differs on every other build",
    expected="NOT READY: a rerun that passes does not clear the scenario's earlier failure",
)
def test_a_rerun_cannot_clear_a_failure(project: pytest.Pytester) -> None:
    for path in (project.path / "scenarios").rglob("*.yaml"):
        if path.name != "plain.yaml":
            path.unlink()
    result, report = run(
        project, "--parity-phase=dev", "--parity-new=tests.hostile_builders:differs_every_other_build", "--reruns", "2"
    )
    assert report["verdict"] == "NOT READY", result.stdout.str()
    assert any(s["status"] == "different" for s in report["scenarios"])
    assert result.ret == 1


@pytest.mark.slow  # ~15 s: two pytest sessions in subprocesses
@pytest.mark.fault(
    group="false READY",
    case="SIGTERM (a cancelled CI job) during a pytest session, after a READY run wrote its reports",
    expected="the reports are rewritten INCONCLUSIVE, not left saying READY",
)
def test_sigterm_during_a_session_reports_inconclusive(project: pytest.Pytester) -> None:
    import signal
    import subprocess
    import sys
    import time

    first, report = run(project, "--parity-phase=dev")
    assert report["verdict"] == "READY", first.stdout.str()
    started = project.path / "hanging"
    (project.path / "scenarios" / "zz-hang.yaml").write_text(
        "- name: zz-hang\n  kind: plain\n  inputs: {python_code: 'print(1)  # hostile'}\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--parity-report-dir=out", "--parity-phase=dev",
         "--parity-new=tests.hostile_builders:hangs"],
        cwd=project.path,
        env={**os.environ, "HOSTILE_STARTED": str(started)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    report = json.loads((project.path / "out" / "parity-report.json").read_text())
    assert report["verdict"] == "INCONCLUSIVE", output
    assert process.returncode != 0


def test_failure_text_writes_values_as_every_other_output_does() -> None:
    # JSON style (true, null, "text"), as parity diff, the console summary and the reports write them
    from harness.diff import Category, Difference
    from harness.outcomes import ScenarioOutcome, Status
    from harness.pytest_plugin import describe_failure

    differences = (
        Difference(
            "spec.templates[main].script.volumeMounts[d].readOnly", Category.SEMANTIC, "typed-scalar", True, None, "m"
        ),
        Difference(
            "spec.templates[main].script.image", Category.SEMANTIC, "value-change", "python:3.11", "python:3.12", "i"
        ),
    )
    text = describe_failure(ScenarioOutcome("s", "volumes", "", "f.yaml", Status.DIFFERENT, differences=differences))
    assert "legacy: true\n" in text and "new:    null\n" in text
    assert 'legacy: "python:3.11"' in text and 'new:    "python:3.12"' in text
    assert "True" not in text and "None" not in text and "'" not in text
