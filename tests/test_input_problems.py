"""Bad input lists every problem it has, each with its field, and still exits 2 (one problem per
line after the first, never "(and 1 more problem)")."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.errors import ParityInputError, Problem
from harness.scenarios import parse_scenarios

TWO_PROBLEMS = """\
- name: two-problems
  kind: plain
  colour: red
  inputs:
    python_code: "print(1)"
    namespace: 42
"""


def test_an_error_with_several_problems_names_each_field() -> None:
    error = ParityInputError(
        "unknown key", file="f.yaml", scenario="a", field="colour", also=[Problem("must be text", field="inputs.x")]
    )
    assert str(error) == "f.yaml: scenario 'a': field 'colour': unknown key\n  and field 'inputs.x': must be text"
    assert error.problems == (Problem("unknown key", "colour"), Problem("must be text", "inputs.x"))
    single = ParityInputError("no such file", file="f.yaml")
    assert str(single) == "f.yaml: no such file" and single.problems == (Problem("no such file"),)


def test_a_scenario_with_two_problems_lists_both() -> None:
    with pytest.raises(ParityInputError) as info:
        parse_scenarios(TWO_PROBLEMS, source="f.yaml")
    message = str(info.value)
    assert "more problem" not in message
    assert message.startswith("f.yaml: scenario 'two-problems': field 'colour': unknown key"), message
    assert "\n  and field 'inputs.namespace': " in message, message
    assert {p.field for p in info.value.problems} == {"colour", "inputs.namespace"}


def test_parity_run_prints_every_problem_and_exits_2(tmp_path: Path) -> None:
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "bad.yaml").write_text(TWO_PROBLEMS)
    result = CliRunner().invoke(cli, ["run", "--scenarios", str(scenarios), "--report-dir", str(tmp_path / "r")])
    assert result.exit_code == 2, result.output
    assert "field 'colour': unknown key" in result.stderr
    assert "and field 'inputs.namespace'" in result.stderr
    assert "Traceback" not in result.output


def test_a_project_configuration_with_two_problems_lists_both(tmp_path: Path) -> None:
    from harness.project_config import read_config_file

    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.parity]\nlegacy = "a.b:c"\nlegcy = "x"\nbuild_timeout = "soon"\n')
    with pytest.raises(ParityInputError) as info:
        read_config_file(pyproject, "tool.parity.")
    fields = {p.field for p in info.value.problems}
    assert fields == {"tool.parity.legcy", "tool.parity.build_timeout"}, str(info.value)
    assert str(info.value).count("\n  and field 'tool.parity.") == 1


def test_a_rollout_file_with_two_problems_lists_both(tmp_path: Path) -> None:
    from harness.rollout.config import parse_rollout_config

    with pytest.raises(ParityInputError) as info:
        parse_rollout_config({"phases": {"canary": {"min_success_rate": "most", "colour": "red"}}}, source="r.yaml")
    assert len(info.value.problems) == 2, str(info.value)
    assert all(p.field and p.field.startswith("phases.canary.") for p in info.value.problems)
