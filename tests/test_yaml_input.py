"""One safe reader for user YAML/JSON: alias bombs, deep nesting, duplicate keys and NaN are
refused with one line naming the file, through every entry point that reads user text."""

from __future__ import annotations

import itertools
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.builders import NotAManifestError, coerce_manifest
from harness.cli import cli
from harness.diff import compare, load_rules, load_waivers
from harness.errors import ParityInputError
from harness.project_config import load_rollout_config
from harness.report import render_json
from harness.scenarios import load_scenarios, parse_scenarios
from harness.yaml_input import MAX_ALIAS_NODES, MAX_NESTING, load_yaml, load_yaml_documents

REPO = Path(__file__).resolve().parents[1]
JOB = REPO / "tests" / "fixtures" / "diff" / "job.yaml"
HEADER = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """ "Billion laughs": each anchor is a list of `width` aliases to the previous one."""
    names = [chr(ord("a") + i) for i in range(levels)]
    lines = [f"{names[0]}: &{names[0]} [{', '.join(['lol'] * width)}]"]
    lines += [f"{name}: &{name} [{', '.join(['*' + prev] * width)}]" for prev, name in itertools.pairwise(names)]
    return HEADER + "data:\n" + "".join(f"  {line}\n" for line in lines)


def nested(levels: int, *, kind: str = "list") -> str:
    inner = "1"
    for _ in range(levels):
        inner = f"[{inner}]" if kind == "list" else f"{{k: {inner}}}"
    return inner


def refusal(text: str, source: str = "x.yaml") -> str:
    with pytest.raises(ParityInputError) as info:
        load_yaml_documents(text, source=source)
    assert info.value.file == source
    return str(info.value)


def parity(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`parity ...` in a fresh interpreter, so a hang or a runaway allocation cannot take the test
    run with it (the timeout says "finishes", not how fast)."""
    return subprocess.run(
        [sys.executable, "-c", "from harness.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=20,
        check=False,
    )


def diff(*args: str) -> Result:
    return CliRunner().invoke(cli, ["diff", *args])


def assert_bad_input(stderr: str, exit_code: int, file: Path | str, *needles: str) -> None:
    assert exit_code == 2, stderr
    assert stderr.startswith(f"parity: error: {file}: "), stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert "Traceback" not in stderr
    for needle in needles:
        assert needle in stderr, (needle, stderr)


# --- alias bombs ---------------------------------------------------------------------------------


def test_alias_bomb_is_refused_before_anything_expands() -> None:
    message = refusal(alias_bomb())
    assert message.startswith(f"x.yaml: YAML aliases expand to more than {MAX_ALIAS_NODES} nodes (an alias bomb?)")


@pytest.mark.fault(
    group="errors and reports",
    case="parity diff on a YAML alias bomb (billion laughs)",
    expected="exit 2 in well under a second, naming the file and the limit",
)
def test_parity_diff_on_an_alias_bomb_exits_2_naming_the_file(tmp_path: Path) -> None:
    bomb = tmp_path / "a.yaml"
    bomb.write_text(alias_bomb())
    result = parity("diff", str(bomb), str(JOB), cwd=tmp_path)
    assert_bad_input(result.stderr, result.returncode, bomb, "YAML aliases expand to more than", "alias bomb")


def test_ordinary_alias_reuse_still_loads() -> None:
    text = "env: &env [{name: A, value: '1'}, {name: B, value: '2'}]\n" + "".join(f"t{i}: *env\n" for i in range(50))
    (doc,) = load_yaml_documents(text, source="x.yaml")
    assert doc["t49"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    # PyYAML would build a recursive object; go-yaml refuses it, and JSON cannot hold it.
    for text in ("a: &a [1, *a]\n", "a: &a {b: *a}\n", "a: &a {<<: *a}\n"):
        assert "is inside that node" in refusal(text)


# --- nesting ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["list", "map"])
def test_nesting_up_to_the_limit_loads_and_one_more_level_is_refused(kind: str) -> None:
    assert load_yaml(nested(MAX_NESTING, kind=kind), source="x.yaml") is not None
    message = refusal(nested(MAX_NESTING + 1, kind=kind))
    assert f"YAML nested more than {MAX_NESTING} levels deep at line 1" in message


@pytest.mark.parametrize("kind", ["list", "map"])
def test_the_limit_is_the_same_with_and_without_aliases_in_the_text(kind: str) -> None:
    # A document with no `*` takes a cheaper walk; a `*` in a string sends it down the full one.
    for suffix in ("", "\n# a comment with a * in it\n"):
        assert load_yaml(nested(MAX_NESTING, kind=kind) + suffix, source="x.yaml") is not None
        assert f"more than {MAX_NESTING} levels" in refusal(nested(MAX_NESTING + 1, kind=kind) + suffix)


def test_nesting_reached_through_an_alias_counts() -> None:
    deep = "a: &a " + nested(60) + "\nb: " + "[" * 50 + "*a" + "]" * 50 + "\n"
    assert f"more than {MAX_NESTING} levels" in refusal(deep)


@pytest.mark.fault(
    group="errors and reports",
    case="parity diff on a manifest nested 500 levels deep",
    expected="exit 2, naming the file and the depth limit (no RecursionError)",
)
def test_parity_diff_on_500_levels_exits_2_naming_file_and_limit(tmp_path: Path) -> None:
    for kind in ("list", "map"):
        deep = tmp_path / f"deep-{kind}.yaml"
        deep.write_text(HEADER + "data:\n  a: " + nested(500, kind=kind) + "\n")
        result = parity("diff", str(JOB), str(deep), cwd=tmp_path)
        assert_bad_input(result.stderr, result.returncode, deep, f"more than {MAX_NESTING} levels deep")


# --- duplicate keys --------------------------------------------------------------------------------


def test_duplicate_key_names_key_and_both_lines() -> None:
    assert refusal("a: 1\nb:\n  c: 2\n  c: 3\n") == "x.yaml: duplicate key 'c' at line 4 (first at line 3)"
    assert refusal('{"a": 1, "a": 2}').endswith("key 'a' at line 1, column 10 (first at line 1, column 2)")  # JSON
    assert "duplicate key 'x'" in refusal("c:\n  <<: {x: 1, x: 2}\n")  # a mapping written inside a merge


def test_keys_of_different_types_are_different_keys() -> None:
    # As in go-yaml: the integer 1 and the string "1" are two keys.
    assert load_yaml("1: a\n'1': b\n", source="x.yaml") == {1: "a", "1": "b"}


def test_merge_keys_still_work_and_an_explicit_key_overrides_a_merged_one() -> None:
    text = (
        "base: &base {image: alpine, pull: Always}\n"
        "extra: &extra {pull: Never, tty: true}\n"
        "one: {<<: *base, image: busybox}\n"  # YAML 1.1: the explicit key wins
        "two:\n  <<: [*base, *extra]\n  name: b\n"  # earlier merges win
    )
    doc = load_yaml(text, source="x.yaml")
    assert doc["one"] == {"image": "busybox", "pull": "Always"}
    assert doc["two"] == {"image": "alpine", "pull": "Always", "tty": True, "name": "b"}


def test_of_several_merged_mappings_the_earlier_wins_whatever_the_key_length() -> None:
    # yaml.org/type/merge.html and go-yaml; PyYAML 6.0.4 alone lets the later win for keys
    # longer than one character (yaml/pyyaml#953).
    text = "a: &a {kk: 1, k: 1}\nb: &b {kk: 2, k: 2}\nc: &c {kk: 3, k: 3}\nr:\n  <<: [*a, *b, *c]\n"
    assert load_yaml(text, source="x.yaml")["r"] == {"kk": 1, "k": 1}
    two_keys = "a: &a {kk: 1}\nb: &b {kk: 2}\nr: {<<: *a, <<: *b}\n"
    assert load_yaml(two_keys, source="x.yaml")["r"] == {"kk": 1}


def test_a_mapping_merged_before_it_is_reused_is_not_a_duplicate() -> None:
    # Flattening rewrites the merged mapping in place; checking it again afterwards would see
    # its merged key and its override as a duplicate.
    text = (
        "first:\n  <<: &defaults\n    <<: &base\n      source: staging\n    source: production\n"
        "second: *defaults\nthird: {<<: *defaults}\n"
    )
    doc = load_yaml(text, source="x.yaml")
    assert doc["first"] == doc["second"] == doc["third"] == {"source": "production"}
    reused_first = "defaults: &defaults {<<: {source: staging}, source: production}\nthird: {<<: *defaults}\n"
    assert load_yaml(reused_first, source="x.yaml")["third"] == {"source": "production"}


@pytest.mark.fault(
    group="errors and reports",
    case="a manifest with a duplicate key",
    expected="exit 2 naming the key and both lines (Kubernetes' reader refuses it too)",
)
def test_parity_diff_with_a_duplicate_key_exits_2(tmp_path: Path) -> None:
    manifest = tmp_path / "dup.yaml"
    manifest.write_text(JOB.read_text().replace("  entrypoint: main\n", "  entrypoint: main\n  entrypoint: other\n"))
    lines = manifest.read_text().splitlines()
    first, second = (i + 1 for i, line in enumerate(lines) if line.startswith("  entrypoint:"))
    result = diff(str(JOB), str(manifest))
    needle = f"duplicate key 'entrypoint' at line {second} (first at line {first})"
    assert_bad_input(result.stderr, result.exit_code, manifest, needle)


MERGED = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: merged}
spec:
  entrypoint: a
  templates:
    - name: a
      script: &script {image: "python:3.11", command: [python], source: "print(1)"}
    - name: b
      script:
        <<: *script
        image: "python:3.12"
"""


def test_parity_diff_reads_merge_keys_as_kubernetes_does(tmp_path: Path) -> None:
    merged = tmp_path / "merged.yaml"
    merged.write_text(MERGED)
    written_out = tmp_path / "written-out.yaml"
    script = '{image: "python:3.12", command: [python], source: "print(1)"}'
    written_out.write_text(MERGED.split("      script:\n", maxsplit=1)[0] + f"      script: {script}\n")
    assert diff(str(merged), str(written_out)).exit_code == 0
    written_out.write_text(written_out.read_text().replace("python:3.12", "python:3.11"))
    assert diff(str(merged), str(written_out)).exit_code == 1


SCENARIO_WITH_DUPLICATE = """\
- name: x
  kind: plain
  inputs:
    python_code: "print(1)"
    env:
      A: "1"
    python_code: "print(2)"
"""


def test_scenario_fixture_with_a_duplicate_key_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "x.yaml").write_text(SCENARIO_WITH_DUPLICATE)
    with pytest.raises(ParityInputError) as info:
        load_scenarios(folder)
    assert str(info.value) == f"{folder / 'x.yaml'}: duplicate key 'python_code' at line 7 (first at line 4)"


@pytest.mark.fault(
    group="errors and reports",
    case="a scenario fixture with a duplicate key",
    expected="exit 2 before the run, naming file, key and lines",
)
def test_parity_run_with_a_duplicate_key_in_a_fixture_exits_2(tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "x.yaml").write_text(SCENARIO_WITH_DUPLICATE)
    result = CliRunner().invoke(
        cli, ["run", "--scenarios", str(folder), "--report-dir", str(tmp_path / "r"), "--no-progress"]
    )
    assert_bad_input(result.stderr, result.exit_code, folder / "x.yaml", "duplicate key 'python_code' at line 7")
    assert not (tmp_path / "r").exists()


def test_scenario_syntax_errors_keep_their_wording() -> None:
    with pytest.raises(ParityInputError, match=r"^f\.yaml: invalid YAML at line 4, column 1: "):
        parse_scenarios("- name: a\n  kind: plain\n  inputs: [\n", source="f.yaml")


def test_waivers_file_with_a_duplicate_key_is_refused(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n  - id: w\n    path: spec\n    reason: r\n    owner: o\n    expires: 2999-01-01\n"
        "    expires: 2999-12-31\n"
    )
    with pytest.raises(ParityInputError, match=r"duplicate key 'expires' at line 7 \(first at line 6\)") as info:
        load_waivers(waivers)
    assert info.value.file == str(waivers)
    result = diff(str(JOB), str(JOB), "--waivers", str(waivers))
    assert_bad_input(result.stderr, result.exit_code, waivers, "duplicate key 'expires'")


def test_rules_file_with_a_duplicate_key_is_refused(tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text('{"rules": [{"path": "spec", "category": "cosmetic", "category": "semantic"}]}')
    with pytest.raises(ParityInputError, match=r"rules\.json: duplicate key 'category' at line 1"):
        load_rules(rules)


def test_a_date_that_does_not_exist_is_bad_input_with_its_line(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - id: w\n    expires: 2024-02-30\n")
    with pytest.raises(ParityInputError, match=r"not valid YAML or JSON at line 3, column 14: 2024-02-30: day is out"):
        load_waivers(waivers)


def test_rollout_yaml_with_a_duplicate_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "rollout.yaml").write_text(
        "phases:\n  staging: {min_success_rate: 0.9}\n  staging: {min_success_rate: 0.5}\n"
    )
    with pytest.raises(ParityInputError) as info:
        load_rollout_config(tmp_path)
    assert str(info.value) == f"{tmp_path / 'rollout.yaml'}: duplicate key 'staging' at line 3 (first at line 2)"


# --- NaN and Infinity ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.Inf", "+.INF", "1.0e+999", "!!float nan"])
def test_nan_and_infinity_are_refused_with_their_line(value: str) -> None:
    message = refusal(f"spec:\n  parallelism: {value}\n")
    assert message.startswith("x.yaml: ")
    assert "at line 2, column 16 is NaN or Infinity" in message


@pytest.mark.fault(
    group="errors and reports",
    case="a manifest holding .nan",
    expected="exit 2 naming the line (never an invalid JSON report)",
)
def test_parity_diff_on_a_manifest_with_nan_exits_2(tmp_path: Path) -> None:
    manifest = tmp_path / "nan.yaml"
    manifest.write_text(JOB.read_text().replace("  entrypoint: main\n", "  entrypoint: main\n  parallelism: .nan\n"))
    result = diff(str(JOB), str(manifest), "--format", "json")
    assert_bad_input(result.stderr, result.exit_code, manifest, ".nan at line 11, column 16 is NaN or Infinity")
    assert "NaN" not in result.stdout  # and no invalid JSON on stdout


def test_render_json_refuses_nan_rather_than_writing_invalid_json() -> None:
    with pytest.raises(ValueError, match="not JSON compliant"):
        render_json({"parallelism": math.nan})


# --- a builder's YAML text: its fault, a NotAManifestError -------------------------------------------


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("kind: Workflow\nkind: CronWorkflow\n", "duplicate key 'kind' at line 2 (first at line 1)"),
        ("kind: Workflow\nspec: {parallelism: .nan}\n", "NaN or Infinity"),
        (alias_bomb(), "alias bomb"),
        ("kind: Workflow\nspec: " + nested(MAX_NESTING + 5) + "\n", "levels deep"),
        ("kind: [unclosed\n", "refuses: not valid YAML at line 2"),
    ],
)
def test_builder_yaml_that_the_reader_refuses_is_not_a_manifest(text: str, needle: str) -> None:
    for returned in (text, text.encode()):
        with pytest.raises(NotAManifestError, match=r"^builder returned ") as info:
            coerce_manifest(returned)
        assert needle in str(info.value)


@pytest.mark.fault(
    group="errors and reports",
    case="a builder returns a manifest holding NaN",
    expected="that side crashed (not a manifest): the JSON report stays valid",
)
def test_builder_dict_holding_nan_is_not_a_manifest() -> None:
    with pytest.raises(NotAManifestError, match="not JSON-serialisable"):
        coerce_manifest({"kind": "Workflow", "spec": {"parallelism": math.inf}})


# --- embedded documents: refused content is compared as text, and fast --------------------------------


def _with_resource_manifest(text: str) -> dict[str, Any]:
    template = {"name": "a", "resource": {"action": "create", "manifest": text}}
    spec = {"entrypoint": "a", "templates": [template]}
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "w"}, "spec": spec}


def test_embedded_document_the_reader_refuses_is_compared_as_text() -> None:
    clean = "kind: ConfigMap\nmetadata: {name: a}\n"
    flow = "{kind: ConfigMap, metadata: {name: a}}"
    assert compare(_with_resource_manifest(clean), _with_resource_manifest(flow)).equivalent
    duplicated = "kind: ConfigMap\nmetadata: {name: a, name: b}\n"
    reformatted = "kind: ConfigMap\nmetadata:\n  name: a\n  name: b\n"
    # As data the two would be equal (last name wins); as written they are not.
    assert not compare(_with_resource_manifest(duplicated), _with_resource_manifest(reformatted)).equivalent
    bomb = alias_bomb()
    assert compare(_with_resource_manifest(bomb), _with_resource_manifest(bomb)).equivalent


# --- everything else unchanged ----------------------------------------------------------------------


def test_documents_and_single_document() -> None:
    assert load_yaml_documents("---\na: 1\n---\n---\nb: 2\n", source="x") == [{"a": 1}, {"b": 2}]
    assert load_yaml("", source="x") is None
    with pytest.raises(ParityInputError, match="expected a single document in the stream, but found another"):
        load_yaml("a: 1\n---\nb: 2\n", source="x")


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
_DATA = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None)
@given(_DATA, st.booleans())
def test_clean_yaml_loads_exactly_as_pyyaml_loads_it(data: Any, flow: bool) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    assert load_yaml(text, source="x") == yaml.safe_load(text)
