"""Suites: a sub-folder of the scenarios folder holding a ``suite.toml`` runs its scenarios through
its own builders and input model; one run, one report grouped by suite, one gate over them all.

The project: the scenarios folder holds a python-job scenario (the reference builders, the default
suite) and ``team/``, a suite of ``tests.team_builders`` jobs (``TeamJob``, called with the model).
``build_new`` writes one retry fewer at ``retries: 5``: a semantic difference in the team suite only.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from harness.cli import cli

ROOT = Path(__file__).resolve().parent.parent

PLAIN = """\
- name: plain-hello
  kind: plain
  description: the smallest job
  inputs:
    python_code: print("hello from argo-parity")
"""

TEAM_JOBS = """\
- name: team-four
  kind: retries
  inputs: {job_name: nightly, image: "busybox:1.36", command: [echo, hi], retries: 4}
- name: team-five
  kind: retries
  inputs: {job_name: nightly, image: "busybox:1.36", command: [echo, hi], retries: 5}
"""

FIXED = "tests.team_builders:build_new_fixed"
DEFECTIVE = "tests.team_builders:build_new"


def suite_toml(new: str = FIXED, extra: str = "") -> str:
    return (
        'legacy = "tests.team_builders:build_legacy"\n'
        f'new = "{new}"\n'
        'inputs_model = "tests.team_builders:TeamJob"\n'
        'call = "model"\n' + extra
    )


def make_project(tmp_path: Path, *, suite: str | None = None, jobs: str = TEAM_JOBS, here: bool = False) -> Path:
    root = tmp_path if here else tmp_path / "proj"
    (root / ".git").mkdir(parents=True)
    (root / "cases" / "team").mkdir(parents=True)
    (root / "cases" / "plain.yaml").write_text(PLAIN)
    (root / "cases" / "team" / "suite.toml").write_text(suite if suite is not None else suite_toml())
    (root / "cases" / "team" / "jobs.yaml").write_text(jobs)
    (root / "parity.toml").write_text('scenarios = "cases"\nreport_dir = "out"\n')
    return root


def parity_run(root: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[Result, dict[str, Any]]:
    monkeypatch.chdir(root)
    result = CliRunner().invoke(cli, ["run", "--no-progress", *args])
    report = root / "out" / "parity-report.json"
    return result, json.loads(report.read_text()) if report.exists() else {}


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {scenario["name"]: scenario for scenario in report["scenarios"]}


def test_one_run_gives_one_report_grouped_by_suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(tmp_path)
    result, report = parity_run(root, monkeypatch)
    assert result.exit_code == 0, result.output
    assert report["schema_version"] == "1.2"
    scenarios = by_name(report)
    assert {name: s["suite"] for name, s in scenarios.items()} == {
        "plain-hello": "default",
        "team-four": "team",
        "team-five": "team",
    }
    assert all(s["status"] == "equivalent" for s in scenarios.values())
    # each suite's own builders built its scenarios, with its own input model
    assert scenarios["team-four"]["legacy"]["builder"] == "tests.team_builders:build_legacy"
    assert scenarios["team-four"]["inputs"]["queue"] == "default-q"  # the model's default, filled in
    assert scenarios["plain-hello"]["new"]["builder"] == "harness.builders.hera:build"
    default, team = report["suites"]
    assert default["name"] == "default" and default["file"] is None and default["inputs_model"] is None
    assert default["summary"]["scenarios"] == 1
    assert team["name"] == "team" and team["file"] == str(root / "cases" / "team" / "suite.toml")
    assert team["builders"] == {"legacy": "tests.team_builders:build_legacy", "new": FIXED}
    assert (team["inputs_model"], team["call"]) == ("tests.team_builders:TeamJob", "model")
    assert team["summary"]["scenarios"] == 2 and team["summary"]["passed"] == 2
    assert report["summary"]["scenarios"] == 3

    markdown = (root / "out" / "parity-report.md").read_text()
    assert "#### Suite `default`" in markdown and "#### Suite `team`" in markdown
    assert markdown.index("#### Suite `team`") < markdown.index("`team-four`")
    html = (root / "out" / "parity-report.html").read_text()
    assert 'id="suite-team"' in html and "<h3>Suite team</h3>" in html
    junit = ET.parse(root / "out" / "junit.xml").getroot()
    suites = {suite.get("name"): suite for suite in junit.findall("testsuite")}
    assert {case.get("name") for case in suites["argo-parity.scenarios.team"].findall("testcase")} == {
        "team-four[manifest]",
        "team-five[manifest]",
    }
    assert [case.get("name") for case in suites["argo-parity.scenarios"].findall("testcase")] == [
        "plain-hello[manifest]"
    ]


def test_a_semantic_difference_in_one_suite_only_fails_the_whole_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path, suite=suite_toml(new=DEFECTIVE))
    result, report = parity_run(root, monkeypatch)
    assert result.exit_code == 1, result.output
    assert report["verdict"] == "NOT READY"
    scenarios = by_name(report)
    assert scenarios["plain-hello"]["status"] == "equivalent"
    assert scenarios["team-five"]["status"] == "different"
    assert [d["path"] for d in scenarios["team-five"]["differences"]] == ["spec.templates[main].retryStrategy.limit"]
    parity = next(reason for reason in report["reasons"] if reason["criterion"] == "manifest-parity")
    assert parity["verdict"] == "NOT READY" and parity["scenarios"] == ["team-five"]
    assert [suite["summary"]["different"] for suite in report["suites"]] == [0, 1]


def test_a_suite_has_its_own_waivers_beside_its_suite_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(tmp_path, suite=suite_toml(new=DEFECTIVE))
    (root / "cases" / "team" / "waivers.yaml").write_text(
        "waivers:\n"
        "  - id: team-retry-limit\n"
        "    path: spec.templates[main].retryStrategy.limit\n"
        "    reason: the new retry budget is agreed\n"
        "    owner: team\n"
        "    expires: 2999-01-01\n"
    )
    result, report = parity_run(root, monkeypatch)
    assert result.exit_code == 0, result.output
    assert by_name(report)["team-five"]["status"] == "waived"
    assert report["waivers"]["used"] == ["team-retry-limit"]


@pytest.mark.parametrize(
    ("extra", "key", "message"),
    [
        ('report_dir = "elsewhere"\n', "report_dir", "not a suite setting"),
        ('legcy = "x:y"\n', "legcy", "unknown key"),
        ("build_timeout = -1\n", "build_timeout", "greater than 0"),
        ('waivers = "missing.yaml"\n', "waivers", "no such file"),
    ],
)
def test_a_bad_key_in_suite_toml_is_bad_input_naming_the_file_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str, key: str, message: str
) -> None:
    root = make_project(tmp_path, suite=suite_toml(extra=extra))
    result, report = parity_run(root, monkeypatch)
    assert result.exit_code == 2, result.output
    assert str(root / "cases" / "team" / "suite.toml") in result.output
    assert f"field '{key}'" in result.output and message in result.output
    assert report == {}


def test_scenario_names_are_unique_across_suites(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    jobs = TEAM_JOBS.replace("team-four", "plain-hello")
    root = make_project(tmp_path, jobs=jobs)
    result, _ = parity_run(root, monkeypatch)
    assert result.exit_code == 2, result.output
    assert "duplicate scenario name" in result.output
    assert str(root / "cases" / "plain.yaml") in result.output
    assert str(root / "cases" / "team" / "jobs.yaml") in result.output


def test_suite_names_are_unique_and_default_is_the_root_suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(tmp_path, suite=suite_toml(extra='name = "default"\n'))
    result, _ = parity_run(root, monkeypatch)
    assert result.exit_code == 2, result.output
    assert "field 'name'" in result.output and "the scenarios folder's own suite" in result.output


def test_a_suite_scenario_is_validated_against_the_suite_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(tmp_path, jobs=TEAM_JOBS.replace("retries: 5", "retries: 9"))
    result, _ = parity_run(root, monkeypatch)
    assert result.exit_code == 2, result.output
    assert str(root / "cases" / "team" / "jobs.yaml") in result.output
    assert "scenario 'team-five'" in result.output and "field 'inputs.retries'" in result.output


def test_a_python_job_in_a_team_suite_folder_is_refused_by_the_team_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path)
    (root / "cases" / "team" / "stray.yaml").write_text(PLAIN.replace("plain-hello", "stray"))
    result, _ = parity_run(root, monkeypatch)
    assert result.exit_code == 2, result.output
    assert "scenario 'stray'" in result.output and "inputs" in result.output


def _comparable(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "verdict": report["verdict"],
        "suites": report["suites"],
        "scenarios": [
            {key: s[key] for key in ("name", "suite", "status", "inputs", "differences", "counts")}
            | {side: s[side]["manifest"] for side in ("legacy", "new")}
            for s in report["scenarios"]
        ],
    }


def test_parallel_workers_give_the_same_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(tmp_path, suite=suite_toml(new=DEFECTIVE))
    serial_result, serial = parity_run(root, monkeypatch)
    parallel_result, parallel = parity_run(root, monkeypatch, "-n", "2")
    assert serial_result.exit_code == parallel_result.exit_code == 1, parallel_result.output
    assert _comparable(parallel) == _comparable(serial)


def test_the_pytest_plugin_runs_every_suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(pytester.path, suite=suite_toml(new=DEFECTIVE), here=True)
    # tests.team_builders must import in the pytest subprocess
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--parity-phase=dev", "-v")
    result.stdout.fnmatch_lines(
        [
            "*plain.yaml::plain-hello PASSED*",
            "*jobs.yaml::team/team-four PASSED*",
            "*jobs.yaml::team/team-five FAILED*",
        ]
    )
    assert result.ret == 1
    report = json.loads((root / "out" / "parity-report.json").read_text())
    assert [suite["name"] for suite in report["suites"]] == ["default", "team"]
    assert {s["name"]: s["suite"] for s in report["scenarios"]} == {
        "plain-hello": "default",
        "team-five": "team",
        "team-four": "team",
    }
    assert report["verdict"] == "NOT READY"


def test_the_router_and_fuzz_criteria_say_which_suites_they_left_out() -> None:
    from harness.phases import Phase
    from harness.rollout.evidence import Evidence, FuzzEvidence
    from harness.rollout.gates import evaluate

    evidence = Evidence(outcomes=(), fuzz=FuzzEvidence(10_000, 0, "saved.json"), unprobed_suites=("team",))
    reasons = {reason.criterion: reason for reason in evaluate(Phase.CANARY, evidence).reasons}
    assert reasons["fuzz-clean"].message.endswith("[default suite only; not fuzzed: team]")
    assert reasons["router-fallback"].message.endswith("[default suite only; not routed: team]")
    alone = {r.criterion: r for r in evaluate(Phase.CANARY, Evidence(outcomes=(), fuzz=evidence.fuzz)).reasons}
    assert "default suite only" not in alone["fuzz-clean"].message


def test_a_suite_whose_builds_ran_unconfined_makes_the_build_isolation_criterion_doubt_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each suite has a builder host of its own; the gate must hear from every one of them.
    from harness.engine import ParitySession
    from harness.project_config import load_project_config, resolve_run

    root = make_project(tmp_path)
    monkeypatch.chdir(root)
    config = resolve_run(load_project_config(), {}).config
    with ParitySession(config) as session:
        team = session.suites["team"].host
        monkeypatch.setattr(team, "confinement_problems", ("seccomp unavailable in the team suite's host",))
        evidence = session.gather([])
    assert evidence.confinement_problems == ("seccomp unavailable in the team suite's host",)


# --- a suite folder run on its own: the scenarios folder itself holds the suite.toml -----------


def test_the_built_in_phases_folder_runs_alone_as_the_phases_suite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["run", "--no-progress", "--scenarios", "scenarios/phases", "--report-dir", str(out)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "parity-report.json").read_text())
    assert report["verdict"] == "READY"
    # Every fixture of the folder, read here as plain YAML: the six phases scenarios.
    fixtures = [
        entry["name"]
        for path in sorted((ROOT / "scenarios" / "phases").glob("*.yaml"))
        if path.name != "waivers.yaml"
        for entry in yaml.safe_load(path.read_text())
    ]
    assert len(fixtures) == 6
    assert sorted(by_name(report)) == sorted(fixtures)
    # The folder's suite.toml is the run's suite: its name, file and builders; no "default" suite.
    assert {s["suite"] for s in report["scenarios"]} == {"phases"}
    (suite,) = report["suites"]
    assert (suite["name"], suite["file"]) == ("phases", str(Path("scenarios/phases/suite.toml")))
    assert suite["builders"] == {
        "legacy": "harness.builders.phases.legacy:build",
        "new": "harness.builders.phases.hera:build",
    }
    assert suite["inputs_model"] == "harness.input_models.phases:PhasesInputs"
    # Its waivers, beside its suite.toml, are used, and so not stale.
    assert report["waivers"]["used"] == ["sample-selection-parallel-data-provider-id"]
    assert report["waivers"]["stale"] == []


def make_suite_project(tmp_path: Path, suite: str, *, config: str = "") -> Path:
    """A project whose parity.toml points the run at one suite folder, ``cases/team``."""
    root = make_project(tmp_path, suite=suite)
    (root / "parity.toml").write_text('scenarios = "cases/team"\nreport_dir = "out"\n' + config)
    return root


def test_a_suite_folder_named_as_the_scenarios_folder_is_the_run_and_its_name_is_the_folder_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_suite_project(tmp_path, suite_toml())
    (root / "cases" / "team" / "nested").mkdir()
    (root / "cases" / "team" / "nested" / "suite.toml").write_text(  # the python job, a suite of its own
        'legacy = "harness.builders.legacy:build"\nnew = "harness.builders.hera:build"\n'
    )
    (root / "cases" / "team" / "nested" / "plain.yaml").write_text(PLAIN)
    result, report = parity_run(root, monkeypatch)
    assert result.exit_code == 0, result.output
    assert {s["name"]: s["suite"] for s in report["scenarios"]} == {
        "team-four": "team",
        "team-five": "team",
        "plain-hello": "nested",
    }
    assert [(s["name"], s["file"]) for s in report["suites"]] == [
        ("team", str(root / "cases" / "team" / "suite.toml")),
        ("nested", str(root / "cases" / "team" / "nested" / "suite.toml")),
    ]
    assert by_name(report)["plain-hello"]["new"]["builder"] == "harness.builders.hera:build"


def test_the_command_line_beats_the_folders_suite_toml_which_beats_the_project_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # parity.toml names the defective builder; the suite.toml, more specific, names the fixed one.
    root = make_suite_project(tmp_path, suite_toml(), config=f'new = "{DEFECTIVE}"\n')
    result, report = parity_run(root, monkeypatch)
    assert result.exit_code == 0, result.output
    assert report["suites"][0]["builders"]["new"] == FIXED
    result, report = parity_run(root, monkeypatch, "--new", DEFECTIVE)
    assert result.exit_code == 1, result.output
    assert report["suites"][0]["builders"]["new"] == DEFECTIVE
    assert by_name(report)["team-five"]["status"] == "different"


@pytest.mark.parametrize(
    ("extra", "key", "message"),
    [
        ('legcy = "x:y"\n', "legcy", "unknown key"),
        ('phase = "canary"\n', "phase", "not a suite setting"),
        ('rules = "missing.yaml"\n', "rules", "no such file"),
        ('name = "not a name"\n', "name", "must be a string"),
    ],
)
def test_a_bad_key_in_the_scenarios_folders_own_suite_toml_is_bad_input_before_any_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str, key: str, message: str
) -> None:
    root = make_suite_project(tmp_path, suite_toml(extra=extra))
    result, report = parity_run(root, monkeypatch)
    assert result.exit_code == 2, result.output
    assert str(root / "cases" / "team" / "suite.toml") in result.output
    assert f"field '{key}'" in result.output and message in result.output
    assert report == {}


def test_a_nested_suite_may_not_take_the_name_of_the_folders_own_suite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_suite_project(tmp_path, suite_toml())
    (root / "cases" / "team" / "again").mkdir()
    (root / "cases" / "team" / "again" / "suite.toml").write_text('name = "team"\n' + suite_toml())
    (root / "cases" / "team" / "again" / "plain.yaml").write_text(PLAIN)
    result, _ = parity_run(root, monkeypatch)
    assert result.exit_code == 2, result.output
    assert str(root / "cases" / "team" / "again" / "suite.toml") in result.output
    assert "field 'name'" in result.output and str(root / "cases" / "team" / "suite.toml") in result.output


def test_the_pytest_plugin_runs_a_suite_folder_on_its_own(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(pytester.path, suite=suite_toml(new=DEFECTIVE), here=True)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--parity-phase=dev", "--parity-scenarios=cases/team", "-v"
    )
    # The run's own suite: its tests are named by the scenario alone, built by the suite's builders.
    result.stdout.fnmatch_lines(["*jobs.yaml::team-four PASSED*", "*jobs.yaml::team-five FAILED*"])
    assert "plain-hello" not in result.stdout.str()
    assert result.ret == 1
    report = json.loads((root / "out" / "parity-report.json").read_text())
    assert [(suite["name"], suite["builders"]["new"]) for suite in report["suites"]] == [("team", DEFECTIVE)]
    assert {s["name"]: s["suite"] for s in report["scenarios"]} == {"team-five": "team", "team-four": "team"}
    assert report["verdict"] == "NOT READY"


@pytest.mark.slow  # ~30 s: the canary gate routes every scenario and fuzzes inline
def test_a_suite_folder_run_alone_is_routed_and_its_waivers_judged_as_the_runs_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The router probe and the waiver bookkeeping follow the run's own suite, whatever its name.
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        ["run", "--no-progress", "--scenarios", "scenarios/phases", "--phase", "canary", "--report-dir", str(out)],
    )
    assert result.exit_code in (0, 3), result.output
    report = json.loads((out / "parity-report.json").read_text())
    router = next(r for r in report["reasons"] if r["criterion"] == "router-fallback")
    assert router["verdict"] == "READY", router["message"]
    assert report["waivers"]["stale"] == []


@pytest.mark.parametrize("given", ['name = "team"\n', 'name = "team"\nlegacy = "teambuild:legacy"\n'])
def test_a_suite_toml_must_name_both_builders_never_falling_back_to_the_reference_pair(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    # A suite exists to run its own builders: one that names none would silently run the built-in
    # reference pair (whatever [tool.parity] names), and could be READY about the wrong code.
    root = make_project(tmp_path)
    (root / "parity.toml").write_text(
        'legacy = "tests.team_builders:build_legacy"\nnew = "tests.team_builders:build_new"\nscenarios = "cases"\n'
        'report_dir = "out"\n'
    )
    for folder in (root / "cases", root / "cases" / "nested"):
        folder.mkdir(parents=True, exist_ok=True)
    for place in (root / "cases", root / "cases" / "nested"):
        suite_file = place / "suite.toml"
        others = [
            p for p in (root / "cases" / "suite.toml", root / "cases" / "nested" / "suite.toml") if p != suite_file
        ]
        for other in others:
            other.unlink(missing_ok=True)
        suite_file.write_text(given)
        result, _ = parity_run(root, monkeypatch)
        assert result.exit_code == 2, result.output
        assert str(suite_file.relative_to(root)) in result.output or str(suite_file) in result.output
        assert "field 'new'" in result.output and "reference" in result.output
        assert "Traceback" not in result.output
