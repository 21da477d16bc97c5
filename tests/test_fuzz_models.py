"""Fuzzing any input model: strategies derived from a team's model honour its constraints, single
fields take registered strategies, the minimiser shrinks towards the model's defaults, and a
planted defect only a constrained value shows (retries == 5, the model's upper bound) is found,
promoted in the model's shape and reproduced by `parity run --inputs-model ... --call model`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from harness.builders.result import BuilderError, BuildFailureKind
from harness.cli import cli
from harness.errors import ParityInputError
from harness.fuzz import (
    Divergence,
    DivergenceKind,
    FuzzConfig,
    Side,
    builder_inputs,
    check_parity,
    model_inputs,
    promote,
    register_field_strategy,
    resolve_field_strategies,
    run_fuzz,
    unregister_field_strategy,
)
from harness.fuzz.minimize import minimize, simpler_for_model
from harness.fuzz.promote import fixture_text, scenario_kind
from harness.input_models import DEFAULT_INPUT_MODEL, InputModel
from harness.scenarios import load_scenarios, parse_scenarios
from tests import team_builders
from tests.team_builders import JOB_NAME_PATTERN, QUEUE_PATTERN

TEAM_MODEL = "tests.team_builders:TeamJob"
LEGACY = "tests.team_builders:build_legacy"
NEW = "tests.team_builders:build_new"
FIXED = "tests.team_builders:build_new_fixed"
QUICK = settings(max_examples=150, suppress_health_check=list(HealthCheck), database=None, deadline=None)

# Referenced by "pkg.mod:name" in the registration tests.
GPU_QUEUES = st.sampled_from(["gpu-q", "tpu-q"])


def gpu_images() -> st.SearchStrategy[str]:
    return st.just("nvidia/cuda:12")


class Step(BaseModel):
    name: str = Field(pattern=r"^[a-z]{1,8}$")
    image: str = "busybox"


class Pipeline(BaseModel):
    title: str = Field(max_length=10)
    steps: list[Step] = Field(min_length=1, max_length=3)


@pytest.fixture(scope="module")
def team() -> InputModel:
    return InputModel.from_reference(TEAM_MODEL)


# --- strategies ----------------------------------------------------------------------------------


@QUICK
@given(inputs=model_inputs(TEAM_MODEL))
def test_generated_inputs_keep_every_constraint_of_the_model(inputs: dict[str, Any]) -> None:
    assert set(inputs) == {"job_name", "image", "command", "retries", "queue"}  # plain, defaults filled in
    assert re.fullmatch(JOB_NAME_PATTERN.strip("^$"), inputs["job_name"])
    assert re.fullmatch(QUEUE_PATTERN.strip("^$"), inputs["queue"])
    assert 0 <= inputs["retries"] <= 5
    assert 1 <= len(inputs["image"]) <= 40 and 1 <= len(inputs["command"]) <= 3
    assert InputModel.from_reference(TEAM_MODEL).validate(inputs) == inputs


def test_the_bounds_themselves_are_generated(team: InputModel) -> None:
    strategy = model_inputs(team)
    assert find(strategy, lambda inputs: inputs["retries"] == 5)["retries"] == 5
    custom_queue = find(strategy, lambda inputs: inputs["queue"] != "default-q")
    assert re.fullmatch(r"[a-z]+-q", custom_queue["queue"])


@pytest.mark.parametrize("reference", ["tests.team_builders:TeamJobData", "tests.team_builders:TeamJobDict"])
def test_dataclass_and_typeddict_models_are_fuzzed_too(reference: str) -> None:
    model = InputModel.from_reference(reference)

    @QUICK
    @given(model_inputs(model))
    def generated_inputs_are_valid(inputs: dict[str, Any]) -> None:
        assert model.validate(inputs) == inputs
        assert {"job_name", "image", "command"} <= set(inputs)

    generated_inputs_are_valid()


def test_the_python_job_keeps_its_own_strategies() -> None:
    assert model_inputs(None) is builder_inputs()
    assert model_inputs(DEFAULT_INPUT_MODEL) is builder_inputs()


def test_a_registered_strategy_fills_its_field_through_lists() -> None:
    pipeline = InputModel(Pipeline)
    register_field_strategy("steps.name", st.just("build"))
    try:

        @QUICK
        @given(model_inputs(pipeline, field_strategies={"title": st.just("nightly")}))
        def every_step_is_named_build(inputs: dict[str, Any]) -> None:
            assert inputs["title"] == "nightly"
            assert [step["name"] for step in inputs["steps"]] == ["build"] * len(inputs["steps"])
            assert all("image" in step for step in inputs["steps"])  # its default filled in

        every_step_is_named_build()
    finally:
        unregister_field_strategy("steps.name")


def test_field_strategies_by_reference_as_the_project_configuration_gives_them(team: InputModel) -> None:
    mapping = {"queue": "tests.test_fuzz_models:GPU_QUEUES", "image": "tests.test_fuzz_models:gpu_images"}

    @QUICK
    @given(model_inputs(team, field_strategies=mapping))
    def queues_and_images_come_from_the_references(inputs: dict[str, Any]) -> None:
        assert inputs["queue"] in {"gpu-q", "tpu-q"} and inputs["image"] == "nvidia/cuda:12"

    queues_and_images_come_from_the_references()


@pytest.mark.parametrize(
    ("mapping", "needle"),
    [
        ({"queue": "tests.test_fuzz_models"}, "must look like 'package.module:name'"),
        ({"queue": "tests.test_fuzz_models:NOWHERE"}, "has no attribute 'NOWHERE'"),
        ({"queue": "tests.team_builders:MAX_RETRIES"}, "is not a Hypothesis strategy"),
        ({"queue": "tests.team_builders:build_legacy"}, "raised TypeError"),
        ({"queue..name": st.just("x")}, "dotted field names"),
    ],
)
def test_bad_field_strategies_name_the_option_and_the_path(mapping: dict[str, Any], needle: str) -> None:
    with pytest.raises(ParityInputError) as info:
        resolve_field_strategies(mapping)
    assert needle in str(info.value)
    assert (info.value.field or "").startswith("fuzz_strategies")


# --- minimising and promoting --------------------------------------------------------------------


def test_simplifications_stay_inside_the_model(team: InputModel) -> None:
    inputs = team.validate(
        {"job_name": "nightly-x", "image": "busybox", "command": ["a", "b"], "retries": 5, "queue": "gpu-q"}
    )
    candidates = list(simpler_for_model(inputs, team))
    assert candidates and all(team.validate(candidate) == candidate for candidate in candidates)
    assert {**inputs, "queue": "default-q"} in candidates  # back to the default
    assert {**inputs, "command": ["b"]} in candidates


def test_the_minimiser_shrinks_a_team_counterexample_towards_the_defaults(team: InputModel) -> None:
    legacy, new = team_builders.build_legacy, team_builders.build_new
    big = {"job_name": "nightly-batch", "image": "registry/x:1", "command": ["a", "bb", "ccc"], "retries": 5}
    big = team.validate({**big, "queue": "abc-q"})

    def check(inputs: dict[str, Any]) -> Any:
        return check_parity(legacy, new, inputs, input_model=team, call="model")

    found = check(big)
    assert isinstance(found, Divergence) and found.kind is DivergenceKind.SEMANTIC_DIFFERENCE
    smallest = minimize(found, check, model=team)
    # Each string cut to one character (the patterns allow no less), the list to one empty item,
    # the queue back to its default; the retries the failure needs stay.
    assert smallest.inputs == {"job_name": "n", "image": "r", "command": [""], "retries": 5, "queue": "default-q"}


def test_a_team_fixture_holds_the_models_shape_and_loads_back(team: InputModel, tmp_path: Path) -> None:
    inputs = team.validate({"job_name": "a", "image": "i", "command": ["x"], "retries": 5})
    divergence = Divergence(
        DivergenceKind.ONE_SIDED_REJECTION,
        inputs,
        Side(manifest={"kind": "Workflow"}),
        Side(error=BuilderError("ValueError", "retries: refused", BuildFailureKind.REJECTED)),
    )
    assert scenario_kind(inputs, team) == "retries"
    text = fixture_text(divergence, legacy=LEGACY, new=NEW, input_model=team, call="model")
    assert "queue" not in text  # at its default: left out
    assert f"input model {TEAM_MODEL}, --call model" in text
    path = promote(divergence, tmp_path, legacy=LEGACY, new=NEW, input_model=team, call="model")
    [scenario] = load_scenarios(path, input_model=team)
    assert scenario.kind == "retries" and scenario.inputs.for_builder() == inputs
    with pytest.raises(ParityInputError):  # the python job cannot read it
        parse_scenarios(path.read_text(encoding="utf-8"))


# --- the search, end to end ----------------------------------------------------------------------


def parity(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.mark.slow  # a search, a shrink, then two `parity run`s
def test_a_defect_at_the_models_bound_is_found_promoted_and_reproduced(tmp_path: Path) -> None:
    regressions = tmp_path / "regressions"
    config = FuzzConfig(
        legacy=LEGACY,
        new=NEW,
        inputs_model=TEAM_MODEL,
        call="model",
        profile="ci",
        seed=3,
        use_database=False,
        max_failures=1,
        promote_dir=regressions,
    )
    result = run_fuzz(config)

    [failure] = result.failures
    assert failure.divergence.inputs["retries"] == 5
    assert failure.divergence.inputs["queue"] == "default-q"  # shrunk to what the failure needs
    assert [d.path for d in failure.divergence.differences] == ["spec.templates[main].retryStrategy.limit"]
    report = result.to_dict()
    assert report["inputs_model"] == TEAM_MODEL and report["call"] == "model"
    json.dumps(report)

    [scenario] = load_scenarios(regressions, input_model=TEAM_MODEL)
    assert failure.fixture == regressions / f"{scenario.name}.yaml"
    assert scenario.kind == "retries" and scenario.inputs["retries"] == 5

    def run(new: str) -> Result:
        return parity("run", "--scenarios", str(regressions), "--legacy", LEGACY, "--new", new,
                      "--inputs-model", TEAM_MODEL, "--call", "model",
                      "--report-dir", str(tmp_path / "reports"), "--no-progress")  # fmt: skip

    not_ready = run(NEW)
    assert not_ready.exit_code == 1, not_ready.output
    assert "NOT READY" in not_ready.output
    ready = run(FIXED)
    assert ready.exit_code == 0, ready.output


@pytest.mark.slow
def test_parity_fuzz_takes_the_model_and_the_call_mode_on_the_command_line(tmp_path: Path) -> None:
    report = tmp_path / "fuzz.json"
    result = parity("fuzz", "--legacy", LEGACY, "--new", NEW, "--inputs-model", TEAM_MODEL, "--call", "model",
                    "--profile", "ci", "--seed", "3", "--no-database", "--max-failures", "1",
                    "--report", str(report))  # fmt: skip
    assert result.exit_code == 1, result.output
    [failure] = json.loads(report.read_text(encoding="utf-8"))["failures"]
    assert failure["inputs"]["retries"] == 5


def test_a_strategy_for_a_field_the_model_does_not_have_is_bad_input() -> None:
    # A typo in fuzz_strategies would silently fuzz nothing there: named, before any search.
    with pytest.raises(ParityInputError) as raised:
        model_inputs(TEAM_MODEL, field_strategies={"nosuchfield": st.just("x")})
    assert raised.value.field == "fuzz_strategies.nosuchfield"
    with pytest.raises(ParityInputError):
        model_inputs(TEAM_MODEL, field_strategies={"retries.deeper": st.just(1)})
    assert model_inputs(TEAM_MODEL, field_strategies={"command": st.just(["true"])}) is not None


def test_a_strategy_the_model_refuses_every_time_is_bad_input_not_a_divergence(tmp_path: Path) -> None:
    # The queue must match ^[a-z]+-q$: a strategy that never does leaves nothing to fuzz.
    config = FuzzConfig(
        legacy=LEGACY,
        new=NEW,
        inputs_model=TEAM_MODEL,
        call="model",
        profile="ci",
        examples=20,
        seed=1,
        use_database=False,
        fuzz_strategies={"queue": st.just("NOT A QUEUE")},
    )
    with pytest.raises(ParityInputError) as raised:
        run_fuzz(config)
    assert "no valid input could be generated" in str(raised.value)


SECRET_JOB = """
from pydantic import BaseModel, Field

class Job(BaseModel):
    name: str = Field(pattern=r"^[a-z]{1,8}$")
    db_password: str = Field(pattern=r"^[a-z0-9]{12}$")

def legacy(job):
    env = [{"name": "DB_PASSWORD", "value": job.db_password}]
    main = {"name": "main", "container": {"image": "alpine", "env": env}}
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": job.name},
            "spec": {"entrypoint": "main", "templates": [main]}}

def new(job):
    manifest = legacy(job)
    manifest["spec"]["templates"][0]["container"]["image"] = "busybox"
    return manifest
"""


def test_a_generated_value_under_a_secret_name_never_reaches_the_console_or_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "secretjob.py").write_text(SECRET_JOB)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    report = tmp_path / "fuzz.json"
    result = parity(
        "fuzz", "--legacy", "secretjob:legacy", "--new", "secretjob:new", "--inputs-model", "secretjob:Job",
        "--call", "model", "--examples", "20", "--seed", "1", "--no-database", "--report", str(report),
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    [failure] = json.loads(report.read_text())["failures"]
    assert failure["inputs"]["db_password"] == "<redacted>"
    assert re.search(r"db_password: \S*<redacted>", result.output), result.output
    assert not re.search(r"[a-z0-9]{12}", result.output.split("differences:")[0].split("minimal input:")[1])
