"""Input models: a team's own job shape (tests/team_builders.py) is resolved, validates scenario
inputs with errors naming file, scenario and field, and reaches isolated builders in each call
mode; the python job stays the built-in default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.builders.isolation import BuilderHost
from harness.engine import ParitySession
from harness.errors import ParityInputError
from harness.input_models import (
    DEFAULT_INPUT_MODEL,
    CallMode,
    InputModel,
    Inputs,
    InputsInvalid,
    ModelInputs,
    call_mode,
    resolve_input_model,
)
from harness.outcomes import Status
from harness.run_config import RunConfig
from harness.scenarios import load_scenarios, parse_scenarios
from tests.team_builders import TeamJob, TeamJobData

TEAM_MODEL = "tests.team_builders:TeamJob"
DATA_MODEL = "tests.team_builders:TeamJobData"
DICT_MODEL = "tests.team_builders:TeamJobDict"
LEGACY = "tests.team_builders:build_legacy"
NEW = "tests.team_builders:build_new"

JOB = {"job_name": "nightly", "image": "busybox:1.36", "command": ["echo", "hi"]}
PLAIN_JOB = {**JOB, "retries": 0, "queue": "default-q"}


def fixture(inputs: str, *, kind: str = "team-job", name: str = "a") -> str:
    return f"- name: {name}\n  kind: {kind}\n  inputs: {inputs}\n"


# --- resolving a model ---------------------------------------------------------------------------


@pytest.mark.parametrize("reference", [TEAM_MODEL, DATA_MODEL, DICT_MODEL])
def test_a_pydantic_model_a_dataclass_and_a_typeddict_are_input_models(reference: str) -> None:
    model = InputModel.from_reference(reference)
    assert model.reference == reference and not model.is_builtin
    assert model.scenario_kinds is None
    assert model.validate(JOB)["job_name"] == "nightly"
    assert model.json_schema()["type"] == "object"


def test_no_reference_or_the_builtin_one_is_the_python_job() -> None:
    assert InputModel.from_reference(None) is DEFAULT_INPUT_MODEL
    assert resolve_input_model("harness.input_models.python_job:Inputs") is DEFAULT_INPUT_MODEL
    assert DEFAULT_INPUT_MODEL.is_builtin and DEFAULT_INPUT_MODEL.target is Inputs
    assert "plain" in (DEFAULT_INPUT_MODEL.scenario_kinds or ())


@pytest.mark.parametrize(
    ("reference", "needle"),
    [
        ("tests.team_builders", "must look like 'package.module:Model'"),
        ("tests.no_such_module:Model", "cannot import 'tests.no_such_module'"),
        ("tests.team_builders:Missing", "has no attribute 'Missing'"),
        ("tests.team_builders:NOT_A_MODEL", "is an object of type int, not a pydantic model"),
        ("tests.team_builders:build_legacy", "not a pydantic model, a dataclass or a TypedDict"),
    ],
)
def test_a_bad_model_reference_names_the_option(reference: str, needle: str) -> None:
    with pytest.raises(ParityInputError) as info:
        InputModel.from_reference(reference, option="--inputs-model")
    assert info.value.field == "--inputs-model"
    assert needle in str(info.value)


def test_a_bad_call_mode_names_the_option() -> None:
    assert call_mode("kwargs") is CallMode.KWARGS
    with pytest.raises(ParityInputError, match=r"field '--call': unknown call mode 'positional'"):
        call_mode("positional")


# --- scenarios against a team's model ------------------------------------------------------------


def test_team_scenarios_hold_plain_validated_data_and_any_kind_label(tmp_path: Path) -> None:
    (tmp_path / "jobs.yaml").write_text(
        fixture("{job_name: nightly, image: 'busybox:1.36', command: [echo, hi]}", kind="nightly-batch")
        + fixture("{job_name: n, image: i, command: [x], retries: 5, queue: gpu-q}", name="b", kind="retries")
    )
    first, second = load_scenarios(tmp_path, input_model=TEAM_MODEL)
    assert first.kind == "nightly-batch" and second.kind == "retries"
    assert isinstance(first.inputs, ModelInputs)
    assert first.inputs == PLAIN_JOB  # defaults filled in: what a builder is called with
    given = first.inputs.for_builder()
    assert given == PLAIN_JOB and type(given) is dict
    given["command"].append("changed")
    assert first.inputs.for_builder()["command"] == ["echo", "hi"]
    assert second.inputs["retries"] == 5 and second.inputs["queue"] == "gpu-q"


def test_the_builtin_model_keeps_its_inputs_and_its_kinds() -> None:
    [scenario] = parse_scenarios(fixture("{python_code: x}", kind="plain"))
    assert isinstance(scenario.inputs, Inputs)
    with pytest.raises(ParityInputError, match="field 'kind'"):
        parse_scenarios(fixture("{python_code: x}", kind="team-job"))


@pytest.mark.parametrize(
    ("model", "inputs", "expected"),
    [
        (TEAM_MODEL, "{job_name: n, image: i, command: [x], colour: red}", ["inputs.colour", "unknown key"]),
        (TEAM_MODEL, "{job_name: n, command: [x]}", ["inputs.image", "required field is missing"]),
        (
            TEAM_MODEL,
            "{job_name: n, image: i, command: [x], retries: 6}",
            ["inputs.retries", "or equal to 5"],
        ),
        (TEAM_MODEL, "{job_name: n, image: i, command: [x], retries: -1}", ["inputs.retries", "greater than or equal"]),
        (TEAM_MODEL, "{job_name: n, image: i, command: [x], queue: gpu}", ["inputs.queue", "^[a-z]+-q$"]),
        (TEAM_MODEL, "{job_name: Nightly, image: i, command: [x]}", ["inputs.job_name", "pattern"]),
        (TEAM_MODEL, "{job_name: n, image: i, command: [x, 5]}", ["inputs.command[1]", "valid string"]),
        (TEAM_MODEL, "{job_name: n, image: i, command: []}", ["inputs.command", "at least 1 item"]),
        (TEAM_MODEL, "[1, 2]", ["field 'inputs'"]),
        (DATA_MODEL, "{job_name: n, image: i, command: [x], colour: red}", ["inputs.colour", "unknown key"]),
        (DATA_MODEL, "{job_name: n, image: i, command: [x], retries: lots}", ["inputs.retries", "valid integer"]),
        (DICT_MODEL, "{job_name: n, image: i, command: [x], queue: q}", ["inputs.queue", "unknown key"]),
        (DICT_MODEL, "{job_name: n, image: i}", ["inputs.command", "required field is missing"]),
    ],
)
def test_team_fixture_errors_name_file_scenario_and_field(model: str, inputs: str, expected: list[str]) -> None:
    with pytest.raises(ParityInputError) as info:
        parse_scenarios(fixture(inputs), source="f.yaml", input_model=model)
    message = str(info.value)
    assert message.startswith("f.yaml: scenario 'a': field '"), message
    for needle in expected:
        assert needle in message, (needle, message)


def test_scenario_field_errors_and_input_errors_are_weighed_together() -> None:
    text = "- name: a\n  kind: Not_A_Label\n  inputs: {job_name: n, image: i, command: [x]}\n"
    with pytest.raises(ParityInputError, match=r"field 'kind'"):
        parse_scenarios(text, source="f.yaml", input_model=TEAM_MODEL)
    text = "- name: a\n  kind: k\n  extra: 1\n  inputs: {job_name: n, image: i, command: [x], colour: red}\n"
    with pytest.raises(ParityInputError, match=r"unknown key\n  and field 'extra': unknown key$"):
        parse_scenarios(text, source="f.yaml", input_model=TEAM_MODEL)
    with pytest.raises(ParityInputError, match=r"field 'inputs': required field is missing"):
        parse_scenarios("- name: a\n  kind: k\n", source="f.yaml", input_model=TEAM_MODEL)


def test_model_validation_reports_every_problem_as_the_author_wrote_it() -> None:
    model = InputModel.from_reference(TEAM_MODEL)
    with pytest.raises(InputsInvalid) as info:
        model.validate({"job_name": "n", "image": "", "command": ["x", 1]})
    locations = sorted(str(error["loc"]) for error in info.value.errors)
    assert locations == ["('command', 1)", "('image',)"]


# --- call modes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("builder", "model", "call"),
    [
        ("tests.team_builders:build_from_dict", TEAM_MODEL, "dict"),
        ("tests.team_builders:build_from_kwargs", TEAM_MODEL, "kwargs"),
        ("tests.team_builders:build_legacy", TEAM_MODEL, "model"),
        ("tests.team_builders:build_from_data", DATA_MODEL, "model"),
        ("tests.team_builders:build_from_dict", DICT_MODEL, "model"),  # a TypedDict's instance is a dict
    ],
)
def test_each_call_mode_reaches_an_isolated_builder(builder: str, model: str, call: str) -> None:
    inputs = InputModel.from_reference(model).validate({**JOB, "retries": 2})
    with BuilderHost({"legacy": builder, "new": builder}, inputs_model=model, call=call) as host:
        legacy, new = host.build_all([("legacy", inputs), ("new", inputs)])
    assert legacy.error is None, legacy.error
    assert legacy.manifest == new.manifest
    assert legacy.manifest is not None
    template = legacy.manifest["spec"]["templates"][0]
    assert template["container"]["command"] == ["echo", "hi"]  # the dict builder's own edit stayed its own
    assert template["retryStrategy"] == {"limit": 2}


def test_a_builder_called_the_wrong_way_crashes_its_side_only() -> None:
    with BuilderHost({"legacy": LEGACY, "new": NEW}, inputs_model=TEAM_MODEL, call="dict") as host:
        result = host.build("legacy", PLAIN_JOB)
    assert result.error is not None and not result.error.rejected
    assert "expected a TeamJob, got dict" in result.error.message


def test_the_host_refuses_a_bad_model_or_call_mode_before_any_build() -> None:
    host = BuilderHost({"legacy": LEGACY, "new": NEW}, inputs_model="tests.team_builders:NOT_A_MODEL")
    with pytest.raises(ParityInputError) as info:
        host.start()
    host.close()
    assert info.value.field == "--inputs-model"
    assert "not a pydantic model" in info.value.message
    with pytest.raises(ParityInputError, match="'--call'"):
        BuilderHost({"legacy": LEGACY, "new": NEW}, call="positional")


def test_model_instances_and_plain_data_round_trip() -> None:
    model = InputModel.from_reference(TEAM_MODEL)
    job = model.instance(PLAIN_JOB)
    assert isinstance(job, TeamJob) and model.plain(job) == PLAIN_JOB
    data = InputModel.from_reference(DATA_MODEL).instance(JOB)
    assert isinstance(data, TeamJobData) and data.queue == "default-q"
    seen: list[Any] = []
    model.call(seen.append, PLAIN_JOB, CallMode.MODEL)
    model.call(lambda **value: seen.append(value), PLAIN_JOB, "kwargs")
    assert isinstance(seen[0], TeamJob) and seen[1] == PLAIN_JOB


# --- the engine ----------------------------------------------------------------------------------


def test_the_engine_builds_team_scenarios_with_the_model_and_call_mode(tmp_path: Path) -> None:
    (tmp_path / "jobs.yaml").write_text(
        fixture("{job_name: n, image: i, command: [x], retries: 4}", name="four", kind="retries")
        + fixture("{job_name: n, image: i, command: [x], retries: 5}", name="five", kind="retries")
    )
    scenarios = load_scenarios(tmp_path, input_model=TEAM_MODEL)
    config = RunConfig(legacy=LEGACY, new=NEW, inputs_model=TEAM_MODEL, call="model", scenarios=tmp_path)
    with ParitySession(config) as session:
        four, five = list(session.outcomes(scenarios))
    assert four.status is Status.EQUIVALENT, four
    assert five.status is Status.DIFFERENT, five
    assert [d.path for d in five.differences] == ["spec.templates[main].retryStrategy.limit"]
    assert five.inputs == {"job_name": "n", "image": "i", "command": ["x"], "retries": 5, "queue": "default-q"}


PLAIN_TYPEDDICT = """
from typing import TypedDict

class Request(TypedDict, total=False):
    name: str
    retries: int
"""


def test_a_typeddict_from_typing_is_an_input_model_on_every_supported_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pydantic refuses typing.TypedDict before Python 3.12; a team should not have to know that.
    (tmp_path / "plain_typeddict.py").write_text(PLAIN_TYPEDDICT)
    monkeypatch.syspath_prepend(str(tmp_path))
    model = InputModel.from_reference("plain_typeddict:Request")
    assert model.validate({"name": "a", "retries": "3"}) == {"name": "a", "retries": 3}
    assert model.validate({}) == {}
    with pytest.raises(Exception, match="retries"):
        model.validate({"retries": "many"})
