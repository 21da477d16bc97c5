"""`parity fuzz` end to end: planted bugs are found within the ci profile, promoted to fixtures that
reproduce them with `parity run`, and the machine-readable report says what happened."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from harness.cli import cli
from harness.fuzz.env import YAML_SPECIAL_STRINGS
from harness.scenarios import load_scenarios

COMMA_BUG = "tests.planted_fuzz:splits_dependencies_on_every_comma"
YAML_BUG = "tests.planted_fuzz:retypes_yaml_special_env_values"
HERA = "harness.builders.hera:build"


def parity(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def fuzz(tmp_path: Path, *args: str) -> tuple[Result, dict[str, Any]]:
    report = tmp_path / "fuzz.json"
    # A fixed seed and no example database: the test proves the search finds the bug from scratch.
    result = parity("fuzz", "--profile", "ci", "--seed", "3", "--no-database", "--report", str(report), *args)
    return result, json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}


def run_scenarios(tmp_path: Path, scenarios: Path, new: str) -> Result:
    return parity("run", "--scenarios", str(scenarios), "--new", new, "--report-dir", str(tmp_path / "reports"),
                  "--no-progress")  # fmt: skip


@pytest.mark.slow  # ~12 s: fuzzes until the failure, then shrinks it
def test_a_builder_splitting_dependencies_on_every_comma_is_found_and_promoted(tmp_path: Path) -> None:
    regressions = tmp_path / "regressions"
    result, report = fuzz(tmp_path, "--new", COMMA_BUG, "--promote", str(regressions), "--max-failures", "1")

    assert result.exit_code == 1, result.output
    assert report["status"] == "failures-found"
    [failure] = report["failures"]
    assert failure["kind"] == "semantic-difference"
    dependencies = failure["inputs"]["dependencies"]
    assert "," in dependencies.strip(" ,"), "the minimal example needs a comma inside a requirement"
    assert {d["path"] for d in failure["differences"]} == {"spec.templates[main].script.source"}
    assert "minimal input:" in result.output and "pip-requirements" in result.output

    [scenario] = load_scenarios(regressions)
    assert Path(failure["fixture"]) == regressions / f"{scenario.name}.yaml"
    assert scenario.name.startswith("fuzz-") and scenario.kind == "dependencies"
    assert scenario.inputs.dependencies == dependencies
    assert "differ semantically" in scenario.description and COMMA_BUG in scenario.description

    not_ready = run_scenarios(tmp_path, regressions, COMMA_BUG)
    assert not_ready.exit_code == 1, not_ready.output
    assert "NOT READY" in not_ready.output
    ready = run_scenarios(tmp_path, regressions, HERA)
    assert ready.exit_code == 0, ready.output
    assert "READY" in ready.output


def test_a_builder_retyping_yaml_special_env_values_is_found_and_promoted(tmp_path: Path) -> None:
    regressions = tmp_path / "regressions"
    result, report = fuzz(tmp_path, "--new", YAML_BUG, "--promote", str(regressions), "--max-failures", "1")

    assert result.exit_code == 1, result.output
    [failure] = report["failures"]
    [(name, value)] = failure["inputs"]["env"].items()
    assert value in YAML_SPECIAL_STRINGS
    [difference] = failure["differences"]
    assert difference["path"] == f"spec.templates[main].script.env[{name}].value"

    [scenario] = load_scenarios(regressions)
    assert scenario.kind == "env" and scenario.inputs.env == {name: value}
    assert run_scenarios(tmp_path, regressions, YAML_BUG).exit_code == 1
    assert run_scenarios(tmp_path, regressions, HERA).exit_code == 0


def test_the_reference_builders_run_clean_and_the_report_says_so(tmp_path: Path) -> None:
    result, report = fuzz(tmp_path, "--examples", "60")

    assert result.exit_code == 0, result.output
    assert "no divergence: the last 60 examples ran clean" in result.output
    assert report["schema_version"] == 2
    assert report["status"] == "clean" and report["failures"] == []
    assert report["examples"] == report["clean_examples"] == report["max_examples"] == 60
    assert report["seed"] == 3 and report["profile"] == "ci"
    assert report["legacy"] == "harness.builders.legacy:build" and report["new"] == HERA
    assert report["duration_s"] > 0 and report["examples_per_s"] > 0
    assert 0 <= report["both_rejected"] < 60


@pytest.mark.slow  # ~35 s: fuzzes until several distinct failures
def test_several_distinct_failures_are_reported_up_to_the_bound(tmp_path: Path) -> None:
    result, report = fuzz(tmp_path, "--new", "tests.planted_fuzz:two_independent_bugs", "--examples", "150")

    assert result.exit_code == 1, result.output
    paths = sorted(d["path"] for failure in report["failures"] for d in failure["differences"])
    assert paths == ["spec.templates[main].script.env[TASK_ID].value", "spec.templates[main].script.source"]
    assert report["bound_reached"] is False and report["clean_examples"] == 150
    assert "2 divergence(s) found" in result.output

    bounded, report = fuzz(tmp_path, "--new", "tests.planted_fuzz:two_independent_bugs", "--max-failures", "1",
                           "--examples", "150")  # fmt: skip
    assert bounded.exit_code == 1
    assert len(report["failures"]) == 1 and report["bound_reached"] is True and report["clean_examples"] == 0
    assert "stopped at --max-failures" in bounded.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--new", "no.such.module:build"], "cannot import 'no.such.module'"),
        (["--legacy", "harness.builders.legacy"], "must look like 'package.module:function'"),
        (["--examples", "0"], "Invalid value for '--examples'"),
        (["--profile", "weekly"], "Invalid value for '--profile'"),
        (["--waivers", "missing-waivers.yaml"], "waiver file not found"),
    ],
)
def test_bad_input_exits_2(args: list[str], message: str) -> None:
    result = parity("fuzz", "--examples", "5", *args) if "--examples" not in args else parity("fuzz", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_promote_into_a_file_is_bad_input(tmp_path: Path) -> None:
    target = tmp_path / "file.yaml"
    target.write_text("", encoding="utf-8")
    result = parity("fuzz", "--examples", "5", "--promote", str(target))
    assert result.exit_code == 2, result.output
