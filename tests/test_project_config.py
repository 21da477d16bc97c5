"""Project configuration: [tool.parity] in pyproject.toml or parity.toml, read by one code path
(harness.project_config) for `parity run`, `parity fuzz` and the pytest plugin."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from harness.builders import HERA_REF, LEGACY_REF
from harness.cli import cli
from harness.cli.fuzz_command import fuzz as fuzz_command
from harness.cli.run_command import run as run_command
from harness.errors import ParityInputError
from harness.phases import Phase
from harness.project_config import (
    OPTIONS,
    find_config_file,
    load_project_config,
    resolve_fuzz,
    resolve_run,
)

ROOT = Path(__file__).resolve().parent.parent
PLAIN = ROOT / "scenarios" / "plain.yaml"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def project(tmp_path: Path, table: str, *, file: str = "pyproject.toml") -> Path:
    """A project folder (a repository root) holding one scenario file and the given settings."""
    root = tmp_path / "proj"
    (root / ".git").mkdir(parents=True)
    (root / "cases").mkdir()
    shutil.copy(PLAIN, root / "cases" / "plain.yaml")
    header = "[tool.parity]\n" if file == "pyproject.toml" else ""
    write(root / file, header + table)
    return root


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


# --- discovery -------------------------------------------------------------------------------------


def test_the_nearest_configuration_upwards_is_found_passing_pyprojects_without_a_parity_table(tmp_path: Path) -> None:
    root = project(tmp_path, 'scenarios = "cases"\n')
    write(root / "pkg" / "pyproject.toml", "[project]\nname = 'pkg'\n")
    deeper = root / "pkg" / "src" / "deeper"
    deeper.mkdir(parents=True)
    assert find_config_file(deeper) == (root / "pyproject.toml", "tool.parity.")
    loaded = load_project_config(deeper)
    assert loaded.root == root and loaded.settings.scenarios == "cases"


def test_the_search_stops_at_the_repository_root(tmp_path: Path) -> None:
    write(tmp_path / "parity.toml", 'legacy = "outside:build"\n')
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "sub").mkdir()
    assert find_config_file(repo / "sub") is None
    assert load_project_config(repo / "sub").file is None


def test_parity_toml_wins_over_pyproject_in_the_same_folder(tmp_path: Path) -> None:
    root = project(tmp_path, 'legacy = "from.pyproject:build"\n')
    write(root / "parity.toml", 'legacy = "from.parity_toml:build"\n')
    loaded = load_project_config(root)
    assert loaded.file == root / "parity.toml"
    assert loaded.settings.legacy == "from.parity_toml:build"
    assert loaded.key("legacy") == "legacy"


# --- paths and precedence ----------------------------------------------------------------------------


def test_paths_in_the_file_are_relative_to_its_folder_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(
        tmp_path,
        'scenarios = "cases"\nreport_dir = "out"\nwaivers = "policy/w.yaml"\nfuzz_report = "out/fuzz.json"\n',
    )
    write(root / "policy" / "w.yaml", "waivers: []\n")
    write(root / "out" / "fuzz.json", "{}")
    elsewhere = root / "deep" / "er"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    resolved = resolve_run(load_project_config(), {})
    assert resolved.config.scenarios == root / "cases"
    assert resolved.report_dir == root / "out"
    assert resolved.config.waivers == root / "policy" / "w.yaml"
    assert resolved.config.fuzz_report == root / "out" / "fuzz.json"
    # An explicit option stays relative to the working directory.
    assert resolve_run(load_project_config(), {"scenarios": Path("mine")}).config.scenarios == Path("mine")


def test_defaults_are_at_the_project_root_and_waivers_rules_beside_the_scenarios(tmp_path: Path) -> None:
    root = project(tmp_path, 'legacy = "harness.builders.legacy:build"\n')
    (root / "scenarios").mkdir()
    write(root / "rollout.yaml", "phases:\n  staging: {min_success_rate: 0.5}\n")
    resolved = resolve_run(load_project_config(root / "cases"), {})
    assert resolved.config.scenarios == root / "scenarios"
    assert resolved.report_dir == root / "reports"
    assert resolved.config.rollout.criteria(Phase.STAGING).min_success_rate == 0.5
    # The engine finds waivers.yaml and rules.yaml beside the scenarios folder; the fuzz search
    # gets the waivers from the same place.
    assert resolved.config.waivers is None and resolved.config.rules is None
    write(root / "scenarios" / "waivers.yaml", "waivers: []\n")
    assert resolve_fuzz(load_project_config(root), {}).config.waivers == root / "scenarios" / "waivers.yaml"


def test_without_a_file_the_built_in_defaults_apply_relative_to_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    resolved = resolve_run(load_project_config(tmp_path), {})
    config = resolved.config
    assert (config.legacy, config.new, config.phase, config.execute, config.jobs) == (
        LEGACY_REF,
        HERA_REF,
        Phase.DEV,
        "none",
        1,
    )
    assert config.scenarios == Path("scenarios") and resolved.report_dir == Path("reports")
    assert config.calibrate_noise and config.rollout.source == "defaults"
    assert config.legacy_option == "--legacy"


def test_an_option_overrides_the_file_which_overrides_the_default(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        'legacy = "team.legacy:build"\nnew = "team.new:build"\nbuild_timeout = 12\nphase = "staging"\n'
        'noise_calibration = false\njobs = 3\ninputs_model = "team.models:Job"\ncall = "kwargs"\n',
    )
    loaded = load_project_config(root)
    from_file = resolve_run(loaded, {}).config
    assert (from_file.legacy, from_file.new, from_file.build_timeout_s) == ("team.legacy:build", "team.new:build", 12)
    assert from_file.phase is Phase.STAGING and not from_file.calibrate_noise and from_file.jobs == 3
    assert (from_file.inputs_model, from_file.call) == ("team.models:Job", "kwargs")
    assert resolve_run(loaded, {"call": "model"}).config.call == "model"
    assert (resolve_fuzz(loaded, {}).config.inputs_model, resolve_fuzz(loaded, {}).config.call) == (
        "team.models:Job",
        "kwargs",
    )
    # A message about a file setting names the file and its key.
    assert from_file.legacy_option == f"tool.parity.legacy in {root / 'pyproject.toml'}"
    flagged = resolve_run(loaded, {"new": "mine:build", "build_timeout": 5.0, "noise_calibration": True}).config
    assert (flagged.legacy, flagged.new, flagged.build_timeout_s) == ("team.legacy:build", "mine:build", 5.0)
    assert flagged.calibrate_noise and flagged.new_option == "--new"
    assert resolve_run(loaded, {"new": "mine:build"}, door="pytest").config.new_option == "--parity-new"
    # None is "not given": the file's value stands.
    assert resolve_run(loaded, {"phase": None}).config.phase is Phase.STAGING


def test_the_cluster_comes_from_the_option_the_file_the_environment_or_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PARITY_CLUSTER", raising=False)
    plain = load_project_config(project(tmp_path / "a", ""))
    assert resolve_run(plain, {}).config.cluster == "kubeconfig"
    configured = load_project_config(project(tmp_path / "b", 'execute = "cluster"\ncluster = "testcontainers"\n'))
    before = dict(os.environ)
    assert resolve_run(configured, {}).config.cluster == "testcontainers"
    assert resolve_run(configured, {"cluster": "kubeconfig"}, door="pytest").config.cluster == "kubeconfig"
    # The choice travels in the config: resolving a run leaves the process environment alone.
    assert dict(os.environ) == before
    monkeypatch.setenv("PARITY_CLUSTER", "testcontainers")  # a user's way to choose, below the file
    assert resolve_run(plain, {}).config.cluster == "testcontainers"
    assert resolve_run(configured, {"cluster": "kubeconfig"}).config.cluster == "kubeconfig"
    assert os.environ["PARITY_CLUSTER"] == "testcontainers"
    monkeypatch.setenv("PARITY_CLUSTER", "minikube")
    with pytest.raises(
        ParityInputError,
        match="unknown cluster 'minikube' in the environment variable PARITY_CLUSTER; choose from kubeconfig",
    ):
        resolve_run(plain, {})


# --- a scenarios folder holding a suite.toml: that suite, run on its own --------------------------------


# A suite.toml names both builders (a suite that left one out would run the reference one).
REFERENCE_BUILDERS = f'legacy = "{LEGACY_REF}"\nnew = "{HERA_REF}"\n'


def suite_folder(root: Path, suite: str) -> Path:
    """``root/cases/team``: one python-job scenario and the given suite.toml."""
    folder = root / "cases" / "team"
    folder.mkdir(parents=True)
    shutil.copy(PLAIN, folder / "plain.yaml")
    write(folder / "suite.toml", suite)
    return folder


def test_the_folders_suite_toml_sits_between_the_command_line_and_the_project_file(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        'scenarios = "cases/team"\nlegacy = "proj.legacy:build"\nnew = "proj.new:build"\n'
        'call = "kwargs"\nbuild_timeout = 30.0\nphase = "staging"\n',
    )
    folder = suite_folder(
        root, 'name = "team"\nlegacy = "team.legacy:build"\nnew = "team.new:build"\nrules = "rules.yaml"\n'
    )
    write(folder / "rules.yaml", "rules: []\n")
    loaded = load_project_config(root)
    config = resolve_run(loaded, {}).config
    suite_file = folder / "suite.toml"
    assert (config.suite_name, config.suite_file, config.suites) == ("team", suite_file, ())
    # The suite.toml's keys beat the project file's; a suite key it leaves out is the built-in
    # default (as when the folder runs as a sub-folder suite), except build_timeout, the run's too.
    assert (config.new, config.legacy, config.call, config.build_timeout_s) == (
        "team.new:build",
        "team.legacy:build",
        "dict",
        30.0,
    )
    assert config.rules == folder / "rules.yaml" and config.waivers is None
    assert config.phase is Phase.STAGING  # the run's settings stay the project file's
    assert config.new_option == f"new in {suite_file}"
    assert config.build_timeout_option == f"tool.parity.build_timeout in {root / 'pyproject.toml'}"
    default = config.default_suite
    assert (default.name, default.file, default.folder, default.new) == ("team", suite_file, folder, "team.new:build")
    # The command line beats the suite.toml.
    flagged = resolve_run(loaded, {"new": "mine:build", "call": "model"}, door="pytest").config
    assert (flagged.new, flagged.call, flagged.new_option) == ("mine:build", "model", "--parity-new")
    # Fuzzing reads the same layers: the suite's builders.
    assert resolve_fuzz(loaded, {}).config.new == "team.new:build"


def test_the_folders_suite_is_named_after_the_folder_and_its_sub_folder_suites_stay_its_own(tmp_path: Path) -> None:
    root = project(tmp_path, "")
    folder = suite_folder(root, REFERENCE_BUILDERS)
    write(folder / "nested" / "suite.toml", f'legacy = "{LEGACY_REF}"\nnew = "nested.new:build"\n')
    config = resolve_run(load_project_config(root), {"scenarios": folder}).config
    assert config.suite_name == "team" and config.new == HERA_REF
    assert [(suite.name, suite.new) for suite in config.suites] == [("nested", "nested.new:build")]
    assert [suite.name for suite in config.all_suites] == ["team", "nested"]
    alone = resolve_run(load_project_config(root), {"scenarios": root / "cases" / "team" / "nested"}).config
    assert (alone.suite_name, alone.new) == ("nested", "nested.new:build")  # run alone, same builders
    # A scenarios file (or a folder with no suite.toml) is the "default" suite, as before.
    bare = resolve_run(load_project_config(root), {"scenarios": root / "cases" / "plain.yaml"}).config
    assert (bare.suite_name, bare.suite_file) == ("default", None)


@pytest.mark.parametrize(
    ("suite", "key", "message"),
    [
        ('legacy = "team.legacy:build"\nnew = ""\n', "new", "at least 1 character"),
        ('report_dir = "x"\n', "report_dir", "not a suite setting"),
        ('legacy = "team.legacy:build"\n', "new", "required: a suite names its own builders"),
        (REFERENCE_BUILDERS + 'waivers = "gone.yaml"\n', "waivers", "no such file"),
        ("name = 3\n", "name", "got 3"),
    ],
)
def test_a_bad_key_in_the_folders_suite_toml_names_the_file_and_the_key(
    tmp_path: Path, suite: str, key: str, message: str
) -> None:
    root = project(tmp_path, 'scenarios = "cases/team"\n')
    folder = suite_folder(root, suite)
    with pytest.raises(ParityInputError) as caught:
        resolve_run(load_project_config(root), {})
    assert (caught.value.file, caught.value.field) == (str(folder / "suite.toml"), key)
    assert message in str(caught.value)


def test_a_folder_name_that_is_no_suite_name_asks_for_a_name(tmp_path: Path) -> None:
    root = project(tmp_path, "")
    folder = root / "my cases"
    folder.mkdir()
    write(folder / "suite.toml", "")
    with pytest.raises(ParityInputError, match="set `name` in the file") as caught:
        resolve_run(load_project_config(root), {"scenarios": folder})
    assert caught.value.field == "name"


def test_rollout_a_path_or_inline_criteria_beats_rollout_yaml_and_the_option_beats_both(tmp_path: Path) -> None:
    root = project(tmp_path, "[tool.parity.rollout.phases.canary]\nmin_fuzz_examples = 50\n")
    write(root / "rollout.yaml", "phases:\n  canary: {min_fuzz_examples: 7}\n")
    explicit = write(tmp_path / "mine.yaml", "phases:\n  canary: {min_fuzz_examples: 9}\n")
    loaded = load_project_config(root)
    assert resolve_run(loaded, {}).config.rollout.criteria(Phase.CANARY).min_fuzz_examples == 50
    assert resolve_run(loaded, {"rollout": explicit}).config.rollout.criteria(Phase.CANARY).min_fuzz_examples == 9
    write(root / "parity.toml", 'rollout = "gates/rollout.yaml"\n')
    write(root / "gates" / "rollout.yaml", "phases:\n  canary: {min_fuzz_examples: 11}\n")
    assert resolve_run(load_project_config(root), {}).config.rollout.criteria(Phase.CANARY).min_fuzz_examples == 11


def test_a_configured_fuzz_report_not_written_yet_is_no_report_but_an_explicit_one_must_exist(tmp_path: Path) -> None:
    root = project(tmp_path, 'fuzz_report = "out/fuzz.json"\n')
    loaded = load_project_config(root)
    assert resolve_run(loaded, {}).config.fuzz_report is None
    assert resolve_fuzz(loaded, {}).report == root / "out" / "fuzz.json"  # where parity fuzz writes it
    assert resolve_run(loaded, {"fuzz_report": Path("x.json")}).config.fuzz_report == Path("x.json")


def test_fuzz_settings_come_from_the_file(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        'legacy = "team.legacy:build"\nexamples = 40\nseed = 7\nprofile = "ci"\npromote = "cases/regressions"\n'
        'max_failures = 2\ndatabase = false\nbuild_timeout = 9\n[tool.parity.fuzz_strategies]\n"env" = "team.s:env"\n',
    )
    loaded = load_project_config(root)
    config = resolve_fuzz(loaded, {}).config
    assert (config.legacy, config.examples, config.seed, config.profile) == ("team.legacy:build", 40, 7, "ci")
    assert (config.max_failures, config.use_database, config.build_timeout_s) == (2, False, 9.0)
    assert config.promote_dir == root / "cases" / "regressions"
    assert config.fuzz_strategies == {"env": "team.s:env"}
    assert resolve_fuzz(loaded, {"seed": 1, "database": True}).config.seed == 1


# --- bad configuration ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "table", "key", "message"),
    [
        ("pyproject.toml", 'legcy = "x:y"\n', "tool.parity.legcy", "unknown key"),
        ("pyproject.toml", 'jobs = "4"\n', "tool.parity.jobs", "valid integer"),
        ("pyproject.toml", "build_timeout = 0\n", "tool.parity.build_timeout", "greater than 0"),
        ("pyproject.toml", 'phase = "qa"\n', "tool.parity.phase", "unknown phase 'qa'"),
        ("parity.toml", 'call = "positional"\n', "call", "'dict', 'kwargs' or 'model'"),
        ("parity.toml", "[fuzz_strategies]\nenv = 'nocolon'\n", "fuzz_strategies", "package.module:strategy"),
        ("parity.toml", 'waivers = "missing.yaml"\n', "waivers", "no such file"),
        ("parity.toml", "[rollout.phases]\nqa = {}\n", "phases.qa", "unknown phase"),
        ("parity.toml", 'cluster = "minikube"\n', "cluster", "unknown cluster 'minikube'"),
    ],
)
def test_a_bad_setting_is_bad_input_naming_the_file_and_the_key_before_any_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, file: str, table: str, key: str, message: str
) -> None:
    # The builders named here would take an hour to import: the error comes first.
    root = project(tmp_path, table, file=file)
    monkeypatch.chdir(root)
    result = invoke("run", "--legacy", "tests.does_not_exist:build", "--no-progress")
    assert result.exit_code == 2, result.output
    assert str(root / file) in result.output
    assert key in result.output and message in result.output
    assert not (root / "reports").exists()
    if "rollout" not in table:  # parity fuzz does not read the gate criteria
        assert invoke("fuzz").exit_code == 2


def test_invalid_toml_is_bad_input_naming_the_file(tmp_path: Path) -> None:
    write(tmp_path / "parity.toml", "legacy = \n")
    with pytest.raises(ParityInputError, match=r"parity\.toml: invalid TOML"):
        load_project_config(tmp_path)


# --- the team's run, through both front doors ----------------------------------------------------------


TEAM = (
    'scenarios = "cases"\nreport_dir = "out"\nlegacy = "harness.builders.legacy:build"\n'
    'new = "tests.planted:raises_on_unicode"\nnoise_calibration = false\n'
)


def test_parity_run_with_only_the_file_does_the_teams_run_and_flags_override_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path, TEAM)
    (root / "sub").mkdir()
    monkeypatch.chdir(root / "sub")
    result = invoke("run", "--no-progress")
    assert result.exit_code == 1, result.output  # the file's planted new builder fails plain-unicode
    report = json.loads((root / "out" / "parity-report.json").read_text())
    assert report["verdict"] == "NOT READY"
    failed = [s["name"] for s in report["scenarios"] if not s["passed"]]
    assert failed == ["plain-unicode"]
    result = invoke("run", "--no-progress", "--new", HERA_REF, "--report-dir", "here")
    assert result.exit_code == 0, result.output
    assert json.loads((root / "sub" / "here" / "parity-report.json").read_text())["verdict"] == "READY"


def test_pytest_with_only_the_file_and_the_phase_does_the_teams_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    (pytester.path / "cases").mkdir()
    shutil.copy(PLAIN, pytester.path / "cases" / "plain.yaml")
    write(pytester.path / "pyproject.toml", "[tool.parity]\n" + TEAM)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--parity-phase=dev", "-rf")
    assert result.ret == 1, result.stdout.str()
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*argo-parity: NOT READY for phase dev*", "*FAILED cases/plain.yaml::plain-unicode*"])
    assert json.loads((pytester.path / "out" / "parity-report.json").read_text())["verdict"] == "NOT READY"


def test_a_bad_file_is_a_pytest_usage_error_naming_the_file_and_key(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(pytester.path / "parity.toml", "jobz = 2\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--parity-phase=dev")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*argo-parity: {pytester.path / 'parity.toml'}: field 'jobz': unknown key*"])


# --- every option in every door ---------------------------------------------------------------------------


def _click_flags(command: click.Command) -> dict[str, click.Parameter]:
    return {
        name: param
        for param in command.params
        if isinstance(param, click.Option) and param.name != "help"
        for name in param.opts
        if name.startswith("--")
    }


def _has_option(config: pytest.Config, flag: str) -> bool:
    try:
        config.getoption(flag)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(("command", "name"), [(run_command, "run"), (fuzz_command, "fuzz")])
def test_every_command_option_is_a_project_setting(command: click.Command, name: str) -> None:
    settings = {option.key for option in OPTIONS if name in option.commands}
    params = {param.name for param in command.params if param.name != "help"}
    assert params == settings - {"fuzz_strategies"}
    # Each setting's documented flag is the command's own.
    flags = _click_flags(command)
    for option in OPTIONS:
        flag = option.fuzz_cli if name == "fuzz" and option.fuzz_cli else option.cli
        if name in option.commands and flag is not None:
            assert flag in flags, flag
            assert flags[flag].name == option.key


def test_every_parity_run_option_has_its_pytest_twin(pytestconfig: pytest.Config) -> None:
    # This session has the plugin loaded (its entry point), with every --parity-* option.
    run_keys = {param.name for param in run_command.params}
    for option in OPTIONS:
        if option.key not in run_keys:
            continue
        if option.pytest is None:
            assert option.no_twin, f"--{option.key} has no --parity-* twin and no reason why"
        else:
            assert _has_option(pytestconfig, option.pytest), option.pytest
    assert _has_option(pytestconfig, "--parity-no-noise-calibration")
    assert not _has_option(pytestconfig, "--parity-no-such-option")


# --- duplicate scenario names ------------------------------------------------------------------------------


def _duplicate(folder: Path) -> None:
    write(folder / "a.yaml", "- name: twin\n  kind: plain\n  inputs: {python_code: 'print(1)'}\n")
    write(folder / "b.yaml", "- name: twin\n  kind: plain\n  inputs: {python_code: 'print(2)'}\n")


def test_duplicate_scenario_names_are_bad_input_for_parity_run_naming_both_files(tmp_path: Path) -> None:
    _duplicate(tmp_path / "s")
    result = invoke("run", "--scenarios", str(tmp_path / "s"), "--report-dir", str(tmp_path / "r"), "--no-progress")
    assert result.exit_code == 2
    assert f"{tmp_path / 's' / 'b.yaml'}: scenario 'twin': field 'name'" in result.output
    assert f"first defined in {tmp_path / 's' / 'a.yaml'}" in result.output


def test_duplicate_scenario_names_are_a_collection_error_for_the_plugin_naming_both_files(
    pytester: pytest.Pytester,
) -> None:
    _duplicate(pytester.path / "scenarios")
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--parity-phase=dev", "--parity-report-dir=out", "--parity-no-noise-calibration"
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED  # errors during collection: nothing ran
    result.stdout.fnmatch_lines(
        ["*b.yaml: scenario 'twin': field 'name': duplicate scenario name, first defined in*a.yaml*"]
    )
    assert json.loads((pytester.path / "out" / "parity-report.json").read_text())["verdict"] == "INCONCLUSIVE"


def test_a_duplicate_name_within_one_file_is_refused_by_the_plugin_too(pytester: pytest.Pytester) -> None:
    write(
        pytester.path / "scenarios" / "a.yaml",
        "- name: twin\n  kind: plain\n  inputs: {python_code: 'print(1)'}\n"
        "- name: twin\n  kind: plain\n  inputs: {python_code: 'print(2)'}\n",
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--parity-phase=dev", "--parity-report-dir=out")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*a.yaml: scenario 'twin': field 'name': duplicate scenario name*"])


@pytest.mark.parametrize(
    "reference", ["nosuchmodule_for_parity:Model", "tests.team_builders:Nope", "tests.team_builders"]
)
def test_a_bad_input_model_in_the_file_is_blamed_on_the_file_not_on_the_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: str
) -> None:
    root = project(tmp_path, f'scenarios = "cases"\ninputs_model = "{reference}"\n')
    monkeypatch.chdir(root)
    result = invoke("run", "--no-progress")
    assert result.exit_code == 2, result.output
    assert "inputs_model" in result.output and "pyproject.toml" in result.output, result.output
    assert "--inputs-model" not in result.output
