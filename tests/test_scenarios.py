"""Scenario fixtures: the built-in set loads, and every kind of bad fixture is refused with a
message naming file, scenario and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import ParityInputError
from harness.scenarios import load_scenarios, parse_scenarios

VALID = """
- name: ok
  kind: plain
  inputs: {python_code: "print(1)"}
"""


def test_builtin_scenarios_cover_every_required_case(project_root: Path) -> None:
    scenarios = load_scenarios(project_root / "scenarios")
    assert len(scenarios) >= 14
    kinds = {s.kind for s in scenarios}
    assert {"plain", "dependencies", "requirements-file", "volumes", "env", "namespace", "container"} <= kinds
    deps = " ".join(s.inputs.dependencies or "" for s in scenarios)
    for needle in (",<", "[socks]", "python_version", ", "):
        assert needle in deps, needle
    assert any(s.inputs.volumes and any(v.read_only for v in s.inputs.volumes) for s in scenarios)
    assert any(s.inputs.volumes and len(s.inputs.volumes) > 1 for s in scenarios)
    assert any(isinstance(v, dict) or hasattr(v, "secretKeyRef") for s in scenarios for v in s.inputs.env.values())
    assert any(s.inputs.template == "container" for s in scenarios)
    assert any(s.inputs.namespace != "argo" for s in scenarios)
    codes = "".join(s.inputs.python_code for s in scenarios)
    for needle in ("'", '"', "$", "`", "日本"):
        assert needle in codes


def test_inputs_for_builder_is_plain_data_and_a_fresh_copy() -> None:
    scenario = parse_scenarios(
        "name: s\nkind: env\ninputs:\n  python_code: x\n"
        "  env: {A: '1', T: {secretKeyRef: {name: n, key: k}}}\n"
        "  volumes: [{name: v, claim_name: c, mount_path: /m}]\n"
    )[0]
    first = scenario.inputs.for_builder()
    assert first == {
        "python_code": "x",
        "dependencies": None,
        "requirements_file": None,
        "volumes": [{"name": "v", "claim_name": "c", "mount_path": "/m", "read_only": False}],
        "env": {"A": "1", "T": {"secretKeyRef": {"name": "n", "key": "k"}}},
        "namespace": "argo",
        "template": "script",
    }
    first["env"]["A"] = "changed"
    assert scenario.inputs.for_builder()["env"]["A"] == "1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- name: a\n  kind: plain\n  inputs: [\n", ["f.yaml", "invalid YAML", "line"]),
        (
            "- name: a\n  kind: plain\n  inputs: {python_code: x, colour: red}\n",
            ["scenario 'a'", "inputs.colour", "unknown key"],
        ),
        (
            "- name: a\n  kind: plain\n  inputs: {python_code: x}\n  extra: 1\n",
            ["scenario 'a'", "'extra'", "unknown key"],
        ),
        (
            "- name: a\n  kind: plain\n  inputs: {python_code: 5}\n",
            ["scenario 'a'", "inputs.python_code", "valid string"],
        ),
        (
            "- name: a\n  kind: plain\n  inputs: {python_code: x, env: {N: 42}}\n",
            ["inputs.env", "must be a string", "42"],
        ),
        (
            "- name: a\n  kind: plain\n  inputs: {python_code: x, env: {N: {secretKeyRef: {name: s}}}}\n",
            ["inputs.env.N.secretKeyRef.key", "missing"],
        ),
        ("- name: a\n  kind: nope\n  inputs: {python_code: x}\n", ["field 'kind'", "'nope'"]),
        ("- name: Bad_Name\n  kind: plain\n  inputs: {python_code: x}\n", ["field 'name'", "[a-z0-9-]"]),
        ("- name: a\n  kind: plain\n", ["field 'inputs'", "missing"]),
        (
            "- name: a\n  kind: plain\n  inputs: {python_code: x, volumes: [{name: v}]}\n",
            ["inputs.volumes[0].claim_name"],
        ),
        ("- name: a\n  kind: plain\n  inputs: {python_code: x, template: dag}\n", ["inputs.template", "'dag'"]),
        ("- 7\n", ["scenario '#1'", "mapping"]),
        ("", ["holds no scenario"]),
    ],
)
def test_bad_fixture_messages_name_file_scenario_and_field(text: str, expected: list[str]) -> None:
    with pytest.raises(ParityInputError) as info:
        parse_scenarios(text, source="f.yaml")
    message = str(info.value)
    assert message.startswith("f.yaml")
    for needle in expected:
        assert needle in message, (needle, message)


def test_duplicate_names_across_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(VALID)
    (tmp_path / "b.yaml").write_text(VALID)
    with pytest.raises(
        ParityInputError,
        match=r"b\.yaml: scenario 'ok': field 'name': duplicate scenario name, first defined in .*a\.yaml",
    ):
        load_scenarios(tmp_path)


def test_missing_folder_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(ParityInputError, match="no such file"):
        load_scenarios(tmp_path / "absent")
    with pytest.raises(ParityInputError, match="no scenario files"):
        load_scenarios(tmp_path)


def test_waivers_and_non_utf8_files(tmp_path: Path) -> None:
    (tmp_path / "waivers.yaml").write_text("waivers: []\n")
    (tmp_path / "s.yaml").write_text(VALID)
    assert [s.name for s in load_scenarios(tmp_path)] == ["ok"]
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ParityInputError, match=r"bin\.yaml: not UTF-8"):
        load_scenarios(tmp_path)


def test_multi_document_files_and_single_mappings(tmp_path: Path) -> None:
    path = tmp_path / "multi.yaml"
    path.write_text(
        "name: one\nkind: plain\ninputs: {python_code: x}\n---\n"
        "- name: two\n  kind: plain\n  inputs: {python_code: y}\n"
    )
    scenarios = load_scenarios(path)
    assert [s.name for s in scenarios] == ["one", "two"]
    assert scenarios[0].source == str(path)


def test_expected_waivers_are_parsed() -> None:
    scenario = parse_scenarios(VALID.replace("inputs:", "expect: {parity: {waived: [w-1]}}\n  inputs:"))[0]
    assert scenario.expect.waiver_ids == ("w-1",)


def test_a_folder_is_one_suite_its_sub_suites_are_left_to_their_own_model(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(VALID)
    (tmp_path / "team" / "deep").mkdir(parents=True)
    (tmp_path / "team" / "suite.toml").write_text('inputs_model = "x:Y"\n')
    (tmp_path / "team" / "deep" / "other.yaml").write_text("- name: t\n  kind: any\n  inputs: {job: 1}\n")
    assert [s.name for s in load_scenarios(tmp_path)] == ["ok"]
    (tmp_path / "team" / "suite.toml").unlink()
    with pytest.raises(ParityInputError, match=r"other\.yaml"):
        load_scenarios(tmp_path)  # without its suite.toml the folder is the default suite's


def test_a_planted_difference_is_parsed_and_a_bad_one_names_its_field() -> None:
    planted = "expect: {parity: {differs: {paths: ['spec.templates[main].dag'], reason: planted}}}\n  inputs:"
    scenario = parse_scenarios(VALID.replace("inputs:", planted))[0]
    assert scenario.expect.planted is not None
    assert (scenario.expect.planted.paths, scenario.expect.waiver_ids) == (["spec.templates[main].dag"], ())
    with pytest.raises(ParityInputError) as caught:
        parse_scenarios(VALID.replace("inputs:", planted.replace(", reason: planted", "")), source="s.yaml")
    assert caught.value.field == "expect.parity.differs.reason"


@pytest.mark.parametrize("glob", ["**", "spec.templates[*].dag", "spec.**.image"])
def test_a_planted_difference_names_exact_paths_never_globs(glob: str) -> None:
    # A glob would let one "planted" expectation absorb any real regression at the paths it
    # covers, with none of a waiver's owner, reason and expiry: a planted mistake is one known
    # difference at known places, so only exact readable paths are taken.
    planted = f"expect: {{parity: {{differs: {{paths: ['{glob}'], reason: planted}}}}}}\n  inputs:"
    with pytest.raises(ParityInputError) as caught:
        parse_scenarios(VALID.replace("inputs:", planted), source="s.yaml")
    assert caught.value.field == "expect.parity.differs.paths"
    assert "exact" in str(caught.value) and "waiver" in str(caught.value)
