"""Rollout gates: configurable criteria, honest verdicts, canary evidence through the router."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from harness.cli import cli
from harness.errors import ParityInputError
from harness.phases import Phase
from harness.project_config import load_rollout_config
from harness.rollout.config import DEFAULT_CRITERIA as DEFAULTS

ROOT = Path(__file__).resolve().parent.parent


def write_scenarios(folder: Path, count: int, *, marked: int = -1) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for index in range(count):
        code = f"print({index})" + ("  # planted: new builder fails here" if index == marked else "")
        lines.append(f"- name: job-{index:02d}\n  kind: plain\n  inputs: {{python_code: {json.dumps(code)}}}\n")
    (folder / "jobs.yaml").write_text("".join(lines))
    return folder


def write_fuzz_report(
    path: Path,
    clean_examples: int,
    *,
    legacy: str = "harness.builders.legacy:build",
    new: str = "harness.builders.hera:build",
    failures: list[dict] | None = None,
) -> Path:
    """A saved `parity fuzz --report` about these builders at their current source."""
    from harness.builders.isolation import source_of

    report = {
        "schema_version": 2,
        "kind": "parity-fuzz",
        "legacy": legacy,
        "new": new,
        "builders": {"legacy": source_of(legacy).to_dict(), "new": source_of(new).to_dict()},
        "examples": clean_examples,
        "clean_examples": 0 if failures else clean_examples,
        "failures": failures or [],
    }
    path.write_text(json.dumps(report))
    return path


def parity_run(tmp_path: Path, *args: str) -> tuple[Result, dict]:
    report_dir = tmp_path / "reports"
    result = CliRunner().invoke(cli, ["run", "--report-dir", str(report_dir), "--no-progress", *args])
    path = report_dir / "parity-report.json"
    return result, json.loads(path.read_text()) if path.exists() else {}


def reason(report: dict, criterion: str, phase: str | None = None) -> dict:
    reasons = (
        report["reasons"] if phase is None else next(p for p in report["phases"] if p["phase"] == phase)["reasons"]
    )
    return next(r for r in reasons if r["criterion"] == criterion)


def test_default_phases_each_include_the_previous_ones() -> None:
    staging, canary, production = DEFAULTS[Phase.STAGING], DEFAULTS[Phase.CANARY], DEFAULTS[Phase.PRODUCTION]
    assert staging.require_execution and staging.min_success_rate == 0.99 and staging.max_duration_ratio == 1.10
    assert canary.steps == (10, 25, 50, 75, 100) and canary.max_fallback_rate == 0.0
    assert canary.min_success_rate == staging.min_success_rate and canary.min_fuzz_examples == 1000
    assert production.steps == canary.steps and not production.allow_stale_waivers
    assert DEFAULTS[Phase.CLEANUP].steps == (100,)


def test_rollout_yaml_overrides_single_thresholds(tmp_path: Path) -> None:
    (tmp_path / "rollout.yaml").write_text("phases:\n  staging: {min_success_rate: 0.9}\n  canary: {steps: [5, 100]}\n")
    config = load_rollout_config(tmp_path)
    assert config.criteria(Phase.STAGING).min_success_rate == 0.9
    assert config.criteria(Phase.STAGING).max_duration_ratio == 1.10  # untouched default
    assert config.criteria(Phase.CANARY).steps == (5, 100)
    assert config.source.endswith("rollout.yaml")


def test_pyproject_table_is_read_when_there_is_no_rollout_yaml(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.parity.rollout.phases.canary]\nmin_fuzz_examples = 50\n")
    assert load_rollout_config(tmp_path).criteria(Phase.CANARY).min_fuzz_examples == 50
    assert load_rollout_config(tmp_path / "elsewhere").source == "defaults"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("phases:\n  qa: {}\n", "field 'phases.qa': unknown phase"),
        ("phases:\n  staging: {min_success_rate: 1.5}\n", "field 'phases.staging.min_success_rate'"),
        ("phases:\n  staging: {typo: 1}\n", "field 'phases.staging.typo'"),
        ("stages: {}\n", "expected a mapping with one key, 'phases'"),
    ],
)
def test_bad_rollout_config_names_file_and_field(tmp_path: Path, text: str, needle: str) -> None:
    (tmp_path / "rollout.yaml").write_text(text)
    with pytest.raises(ParityInputError, match=r"rollout\.yaml") as info:
        load_rollout_config(tmp_path)
    assert needle in str(info.value)


def test_one_failing_input_in_twenty_is_a_five_percent_fallback_rate_and_not_ready(tmp_path: Path) -> None:
    scenarios = write_scenarios(tmp_path / "scenarios", 20, marked=7)
    fuzz = tmp_path / "fuzz.json"
    write_fuzz_report(fuzz, 2000, new="tests.planted:raises_on_marked_code")
    result, report = parity_run(
        tmp_path, "--scenarios", str(scenarios), "--phase", "canary", "--new", "tests.planted:raises_on_marked_code",
        "--fuzz-report", str(fuzz),
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    full = next(step for step in report["router"] if step["percent"] == 100)
    assert full["routed_new"] == 20 * 20
    assert full["fallbacks"] == 20
    assert full["fallback_rate"] == pytest.approx(0.05)
    assert full["scenarios_with_fallback"] == ["job-07"]
    assert full["fallback_reasons"] == {"RuntimeError: planted: new builder fails on marked code": 20}
    router = reason(report, "router-fallback")
    assert router["verdict"] == "NOT READY"
    assert "100%: 20/400 fell back (5.0%)" in router["message"]
    assert router["scenarios"] == ["job-07"]


def test_clean_router_probe_with_fuzz_evidence_leaves_only_execution_missing(tmp_path: Path) -> None:
    scenarios = write_scenarios(tmp_path / "scenarios", 5)
    fuzz = tmp_path / "fuzz.json"
    write_fuzz_report(fuzz, 2000)
    result, report = parity_run(
        tmp_path, "--scenarios", str(scenarios), "--phase", "canary", "--fuzz-report", str(fuzz)
    )
    assert result.exit_code == 3, result.output
    assert reason(report, "router-fallback")["verdict"] == "READY"
    assert reason(report, "fuzz-clean")["verdict"] == "READY"
    not_ready = {r["criterion"] for r in report["reasons"] if r["verdict"] != "READY"}
    assert not_ready == {"execution-parity", "success-rate", "duration-ratio"}


def test_too_few_fuzz_examples_is_inconclusive_and_failures_are_not_ready(tmp_path: Path) -> None:
    scenarios = write_scenarios(tmp_path / "scenarios", 2)
    fuzz = tmp_path / "fuzz.json"
    write_fuzz_report(fuzz, 10)
    _, report = parity_run(tmp_path, "--scenarios", str(scenarios), "--phase", "canary", "--fuzz-report", str(fuzz))
    assert reason(report, "fuzz-clean")["verdict"] == "INCONCLUSIVE"
    assert "only 10 fuzz examples ran, 1000 needed" in reason(report, "fuzz-clean")["message"]
    write_fuzz_report(fuzz, 5000, failures=[{"inputs": {}}])
    _, report = parity_run(tmp_path, "--scenarios", str(scenarios), "--phase", "canary", "--fuzz-report", str(fuzz))
    assert reason(report, "fuzz-clean")["verdict"] == "NOT READY"


def test_every_phase_is_judged_on_the_same_evidence(tmp_path: Path) -> None:
    result, report = parity_run(tmp_path, "--scenarios", str(ROOT / "scenarios"))
    assert result.exit_code == 0
    verdicts = {p["phase"]: p["verdict"] for p in report["phases"]}
    assert verdicts == {
        "dev": "READY",
        "staging": "INCONCLUSIVE",
        "canary": "INCONCLUSIVE",
        "production": "INCONCLUSIVE",
        "cleanup": "INCONCLUSIVE",
    }
    # The router probe covers the python job's feature-flag router; the phases suite has none.
    assert reason(report, "router-fallback", "canary")["message"] == (
        "the feature-flag router was not probed [default suite only; not routed: phases]"
    )


def write_waivers(path: Path, *, expires: str) -> Path:
    path.write_text(
        textwrap.dedent(
            f"""
            waivers:
              - id: old-annotation
                path: "metadata.annotations.**"
                reason: "annotations moved to the template"
                owner: platform-team
                expires: {expires}
            """
        )
    )
    return path


def test_expired_waiver_fails_the_gate(tmp_path: Path) -> None:
    waivers = write_waivers(tmp_path / "waivers.yaml", expires="2020-01-01")
    result, report = parity_run(tmp_path, "--scenarios", str(ROOT / "scenarios"), "--waivers", str(waivers))
    assert result.exit_code == 1, result.output
    assert report["waivers"]["expired"] == ["old-annotation"]
    assert reason(report, "waivers-current")["verdict"] == "NOT READY"


def test_stale_waiver_is_reported_and_fails_production_only(tmp_path: Path) -> None:
    waivers = write_waivers(tmp_path / "waivers.yaml", expires="2099-01-01")
    result, report = parity_run(tmp_path, "--scenarios", str(ROOT / "scenarios"), "--waivers", str(waivers))
    assert result.exit_code == 0, result.output
    assert report["waivers"]["stale"] == ["old-annotation"]
    assert "old-annotation" in (tmp_path / "reports" / "parity-report.md").read_text()
    production = next(p for p in report["phases"] if p["phase"] == "production")
    assert production["verdict"] == "NOT READY"
    assert reason(report, "waivers-used", "production")["verdict"] == "NOT READY"


def strip_volatile(text: str) -> str:
    report = json.loads(text)
    report.pop("generated_at")
    report.pop("duration_s")
    for scenario in report["scenarios"]:
        for side in ("legacy", "new"):
            if scenario[side]:
                scenario[side].pop("duration_ms")
    return json.dumps(report, indent=2, ensure_ascii=False)


def test_two_runs_give_byte_identical_json_apart_from_timestamps_and_durations(tmp_path: Path) -> None:
    texts = []
    for name in ("first", "second"):
        parity_run(tmp_path / name, "--scenarios", str(ROOT / "scenarios"))
        texts.append((tmp_path / name / "reports" / "parity-report.json").read_text())
    assert strip_volatile(texts[0]) == strip_volatile(texts[1])


def test_killing_parity_run_while_it_writes_leaves_the_previous_report(tmp_path: Path) -> None:
    report_dir = tmp_path / "reports"
    report_dir.mkdir()
    previous = {name: f"previous {name}" for name in ("parity-report.json", "parity-report.md", "junit.xml")}
    for name, text in previous.items():
        (report_dir / name).write_text(text)
    # sitecustomize makes the report writer stall mid-file, so the kill lands during a write.
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(
        textwrap.dedent(
            """
            import os, sys, time
            import harness.atomic_files as atomic
            real_fdopen = os.fdopen
            class Stalling:
                def __init__(self, handle): self.handle = handle
                def __enter__(self): return self
                def __exit__(self, *exc): self.handle.close()
                def write(self, data):
                    self.handle.write(data[: len(data) // 2]); self.handle.flush()
                    print("WRITING", flush=True); time.sleep(60)
                def flush(self): self.handle.flush()
                def fileno(self): return self.handle.fileno()
            atomic.os.fdopen = lambda fd, mode: Stalling(real_fdopen(fd, mode))
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(hooks), str(ROOT)])}
    process = subprocess.Popen(
        [sys.executable, "-c", "from harness.cli import main; main()", "run", "--no-progress",
         "--scenarios", str(ROOT / "scenarios"), "--report-dir", str(report_dir)],
        stdout=subprocess.PIPE, env=env, text=True, cwd=ROOT,
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "WRITING"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert {p.name: p.read_text() for p in report_dir.iterdir() if not p.name.startswith(".")} == previous


def test_expired_waiver_no_longer_hides_its_difference(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n"
        "  - {id: deps-dropped, path: 'spec.templates[main].script.source', reason: r, owner: o, expires: 2020-01-01}\n"
    )
    args = ["--scenarios", str(ROOT / "scenarios" / "dependencies.yaml"), "--new", "tests.planted:drops_dependencies"]
    _, report = parity_run(tmp_path / "expired", *args, "--waivers", str(waivers))
    assert {s["status"] for s in report["scenarios"] if s["inputs"]["dependencies"]} == {"different"}
    waivers.write_text(waivers.read_text().replace("2020-01-01", "2099-01-01"))
    result, report = parity_run(tmp_path / "current", *args, "--waivers", str(waivers))
    assert result.exit_code == 0, result.output
    assert {s["status"] for s in report["scenarios"]} == {"waived"}
    assert report["waivers"]["used"] == ["deps-dropped"]


def small_fuzz_rollout(tmp_path: Path, examples: int) -> Path:
    rollout = tmp_path / "rollout.yaml"
    rollout.write_text(f"phases:\n  canary: {{min_fuzz_examples: {examples}}}\n")
    return rollout


def test_canary_without_a_fuzz_report_fuzzes_inline(tmp_path: Path) -> None:
    scenarios = write_scenarios(tmp_path / "scenarios", 2)
    rollout = small_fuzz_rollout(tmp_path, 60)
    _, report = parity_run(tmp_path, "--scenarios", str(scenarios), "--phase", "canary", "--rollout", str(rollout))
    fuzz = reason(report, "fuzz-clean")
    assert fuzz["verdict"] == "READY", fuzz
    assert report["fuzz"]["source"].startswith("inline fuzz run, seed")
    assert report["fuzz"]["examples"] >= 60 and report["fuzz"]["failures"] == 0


@pytest.mark.slow  # ~30 s: the canary gate fuzzes inline
def test_inline_fuzzing_catches_a_builder_the_scenarios_miss(tmp_path: Path) -> None:
    # no built scenario has a comma in its dependencies: only the fuzzer can find this bug
    scenarios = write_scenarios(tmp_path / "scenarios", 2)
    rollout = small_fuzz_rollout(tmp_path, 300)
    new = "tests.planted_fuzz:splits_dependencies_on_every_comma"
    result, report = parity_run(tmp_path, "--scenarios", str(scenarios), "--phase", "canary",
                                "--rollout", str(rollout), "--new", new)  # fmt: skip
    assert result.exit_code == 1
    assert reason(report, "manifest-parity")["verdict"] == "READY"
    assert reason(report, "fuzz-clean")["verdict"] == "NOT READY"
    assert report["fuzz"]["failures"] >= 1


def test_a_fuzz_report_about_other_builders_is_no_evidence(tmp_path: Path) -> None:
    scenarios = write_scenarios(tmp_path / "scenarios", 2)
    fuzz = write_fuzz_report(tmp_path / "fuzz.json", 5000, new="tests.planted:legacy_copy")
    _, report = parity_run(tmp_path, "--scenarios", str(scenarios), "--phase", "canary", "--fuzz-report", str(fuzz))
    fuzz_reason = reason(report, "fuzz-clean")
    assert fuzz_reason["verdict"] == "INCONCLUSIVE"
    assert "is no evidence for this run: it fuzzed new builder tests.planted:legacy_copy" in fuzz_reason["message"]


@pytest.mark.fault(
    group="false READY",
    case="a fuzz report of an older version of the builders (their source changed since)",
    expected="no evidence: the canary's fuzz criterion is INCONCLUSIVE",
)
def test_a_fuzz_report_about_an_older_version_of_the_builders_is_no_evidence(tmp_path: Path) -> None:
    scenarios = write_scenarios(tmp_path / "scenarios", 2)
    fuzz = write_fuzz_report(tmp_path / "fuzz.json", 5000)
    data = json.loads(fuzz.read_text())
    data["builders"]["new"]["sha256"] = "0" * 64  # fuzzed before the latest change to the builder
    fuzz.write_text(json.dumps(data))
    _, report = parity_run(tmp_path, "--scenarios", str(scenarios), "--phase", "canary", "--fuzz-report", str(fuzz))
    fuzz_reason = reason(report, "fuzz-clean")
    assert fuzz_reason["verdict"] == "INCONCLUSIVE"
    assert "source (harness.builders.hera:build) changed since it was fuzzed" in fuzz_reason["message"]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        pytest.param(
            {"examples": 100000, "failures": []},
            "not a `parity fuzz --report` file",
            id="hand-typed",
            marks=pytest.mark.fault(
                group="false READY",
                case='a hand-typed fuzz report {"examples": 100000, "failures": []} given to a canary gate',
                expected="exit 2 before the run: it names no builders and no source hash",
            ),
        ),
        pytest.param(
            {"examples": 5000, "failures": "x"},
            "not a `parity fuzz --report` file",
            id="failures-not-a-list",
            marks=pytest.mark.fault(
                group="errors and reports",
                case='a fuzz report with "failures": "x"',
                expected="exit 2 before any scenario runs (not a crash after all of them)",
            ),
        ),
        pytest.param("{not json", "not a `parity fuzz --report` file", id="not-json"),
    ],
)
def test_a_hand_typed_or_broken_fuzz_report_is_bad_input_before_the_run(
    tmp_path: Path, content: object, needle: str
) -> None:
    scenarios = write_scenarios(tmp_path / "scenarios", 2)
    fuzz = tmp_path / "fuzz.json"
    fuzz.write_text(content if isinstance(content, str) else json.dumps(content))
    result, report = parity_run(
        tmp_path, "--scenarios", str(scenarios), "--phase", "canary", "--fuzz-report", str(fuzz)
    )
    assert result.exit_code == 2, result.output
    assert not report
    assert needle in result.output and "fuzz.json" in result.output


def test_a_report_written_by_parity_fuzz_is_evidence_for_the_same_builders(tmp_path: Path) -> None:
    fuzz = tmp_path / "fuzz.json"
    fuzzed = CliRunner().invoke(
        cli, ["fuzz", "--examples", "30", "--seed", "3", "--no-database", "--profile", "ci", "--report", str(fuzz)]
    )
    assert fuzzed.exit_code == 0, fuzzed.output
    rollout = tmp_path / "rollout.yaml"
    rollout.write_text("phases:\n  canary: {min_fuzz_examples: 30}\n")
    scenarios = write_scenarios(tmp_path / "scenarios", 2)
    _, report = parity_run(
        tmp_path, "--scenarios", str(scenarios), "--phase", "canary", "--fuzz-report", str(fuzz),
        "--rollout", str(rollout),
    )  # fmt: skip
    assert reason(report, "fuzz-clean")["verdict"] == "READY", reason(report, "fuzz-clean")
