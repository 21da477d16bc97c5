"""The built-in ``phases`` suite (docs/phases.md): its input model, its two builders, its
scenarios, and a parity run of it with the outcome each scenario should have, the planted mistake
``caught`` included; and the ``expect.parity.differs`` expectation both ways (a planted difference
found passes, one the harness misses fails the scenario and the gate)."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.builders.phases import hera, legacy
from harness.builders.phases.activity import DATA_INPUTS
from harness.builders.phases.definitions import WorkflowDefinition, bundled_definitions, plan
from harness.diff import Category, compare
from harness.engine import ParitySession
from harness.errors import BuilderInputError, ParityInputError
from harness.fuzz.model_strategies import model_inputs
from harness.input_models.model import InputModel
from harness.input_models.phases import ORDER_KEEPING_WORKFLOWS, VARIANT_WORKFLOWS, PhasesInputs
from harness.normalize import canonicalize
from harness.outcomes import PlantedDifference, ScenarioOutcome, Status
from harness.phases import Phase, Verdict
from harness.project_config import discover_suites
from harness.report.document import build_document
from harness.report.markdown import render_markdown
from harness.rollout.config import RolloutConfig
from harness.rollout.evidence import Evidence
from harness.rollout.gates import planted_differences
from harness.run_config import RunConfig
from harness.run_result import RunResult
from harness.scenarios import load_run_scenarios, load_scenarios, parse_scenarios

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
PHASES = SCENARIOS / "phases"
MODEL = InputModel.from_reference("harness.input_models.phases:PhasesInputs")
DAG = "spec.templates[dt-testing].dag.tasks"
CHAIN = ["planning", "scoping", "sample-selection", "data-provider-id", "request-info", "testing", "observations"]


def inputs(**overrides: Any) -> dict[str, Any]:
    return {"report_id": 1042, "cycle_id": 7, "report_type": "fr-y-14m", **overrides}


def tasks(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    dag = next(t for t in manifest["spec"]["templates"] if t["name"] == "dt-testing")["dag"]
    return {task["name"]: task for task in dag["tasks"]}


def templates(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in manifest["spec"]["templates"]}


def semantic(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    return [d.path for d in compare(canonicalize(a), canonicalize(b)).differences if d.category is Category.SEMANTIC]


# --- the input model -------------------------------------------------------------------------------


def test_the_model_names_every_bundled_definition_and_only_those() -> None:
    assert set(ORDER_KEEPING_WORKFLOWS) | set(VARIANT_WORKFLOWS) == set(bundled_definitions())
    for name in bundled_definitions():
        assert PhasesInputs(report_id=1, cycle_id=1, workflow=name).workflow == name


def test_the_model_refuses_what_no_cycle_has() -> None:
    for bad in ({"report_id": 0, "cycle_id": 1}, {"report_id": 1, "cycle_id": 1, "workflow": "nightly"}):
        with pytest.raises(ValueError, match=r"report_id|workflow"):
            PhasesInputs.model_validate(bad)
    with pytest.raises(ValueError, match="extra"):
        PhasesInputs.model_validate({"report_id": 1, "cycle_id": 1, "phases": []})


def test_a_bad_workflow_name_in_a_fixture_is_bad_input_naming_file_scenario_and_field() -> None:
    text = "- name: typo\n  kind: standard\n  inputs: {report_id: 1, cycle_id: 2, workflow: standrd_dt_testing}\n"
    with pytest.raises(ParityInputError) as caught:
        parse_scenarios(text, source="phases.yaml", input_model=MODEL)
    assert (caught.value.file, caught.value.scenario, caught.value.field) == ("phases.yaml", "typo", "inputs.workflow")


def test_fuzzing_explores_only_the_definitions_meant_to_keep_the_order() -> None:
    schema = MODEL.json_schema()["properties"]["workflow"]
    assert schema["anyOf"][0]["enum"] == list(ORDER_KEEPING_WORKFLOWS)
    seen: set[Any] = set()

    @settings(max_examples=150, database=None, suppress_health_check=list(HealthCheck))
    @given(model_inputs(MODEL))
    def collect(drawn: dict[str, Any]) -> None:
        seen.add(drawn.get("workflow"))

    collect()
    assert seen <= {None, *ORDER_KEEPING_WORKFLOWS}
    assert len(seen) >= 3  # the search does explore the choice


@settings(max_examples=25, database=None, deadline=None, suppress_health_check=list(HealthCheck))
@given(model_inputs(MODEL))
def test_on_fuzzed_inputs_both_builders_build_the_same_workflow(drawn: dict[str, Any]) -> None:
    assert semantic(legacy.build(drawn), hera.build(drawn)) == []


@given(st.sampled_from(VARIANT_WORKFLOWS))
@settings(max_examples=5, database=None)
def test_the_variants_do_differ_so_leaving_them_out_of_fuzzing_matters(workflow: str) -> None:
    assert semantic(legacy.build(inputs()), hera.build(inputs(workflow=workflow)))


# --- the builders ----------------------------------------------------------------------------------


def test_legacy_writes_the_hard_coded_chain_as_dependencies_lists() -> None:
    manifest = legacy.build(inputs())
    found = tasks(manifest)
    assert list(found) == CHAIN
    assert "dependencies" not in found["planning"]
    for before, after in itertools.pairwise(CHAIN):
        assert found[after]["dependencies"] == [before]
        assert "depends" not in found[after]
    planning = templates(manifest)["planning"]
    assert planning["activeDeadlineSeconds"] == 7 * 86_400
    assert planning["metadata"]["annotations"]["dte.synapse.io/roles"] == "Tester, Test Manager"
    assert manifest["metadata"]["labels"]["dte.synapse.io/report-id"] == "1042"


def test_hera_chains_with_depends_and_turns_the_sla_into_a_deadline() -> None:
    manifest = hera.build(inputs(workflow="standard_dt_testing"))
    found = tasks(manifest)
    assert [found[name].get("depends") for name in CHAIN] == [None, *CHAIN[:-1]]
    assert all("dependencies" not in task for task in found.values())
    assert templates(manifest)["testing"]["activeDeadlineSeconds"] == 14 * 86_400


def test_hera_builds_the_parallel_branches_as_a_fork_and_a_join() -> None:
    found = tasks(hera.build(inputs(workflow="parallel_dt_testing")))
    assert found["sample-selection"]["depends"] == found["data-provider-id"]["depends"] == "scoping"
    assert found["request-info"]["depends"] == "sample-selection && data-provider-id"
    # The group's SLA applies to branches that set none.
    assert templates(hera.build(inputs(workflow="parallel_dt_testing")))["data-provider-id"][
        "activeDeadlineSeconds"
    ] == (5 * 86_400)


def test_the_report_type_picks_its_definition() -> None:
    nine_c = templates(hera.build(inputs(report_type="fr-y-9c")))
    assert nine_c["data-provider-id"]["metadata"]["annotations"]["dte.synapse.io/roles"] == "Data Owner"
    assert nine_c["testing"]["activeDeadlineSeconds"] == 336 * 3_600  # hours, the same 14 days
    assert (
        tasks(hera.build(inputs(report_type="ffiec-031")))["testing"]["depends"] == "request-info && sample-selection"
    )


def test_both_sides_read_the_same_records_and_the_data_inputs_are_not_the_order() -> None:
    # Data Provider ID reads Scoping only: the chain orders it after Sample Selection for no data.
    assert DATA_INPUTS["data-provider-id"] == ("scoping",)
    for manifest in (legacy.build(inputs()), hera.build(inputs(workflow="parallel_dt_testing"))):
        env = {e["name"]: e["value"] for e in templates(manifest)["request-info"]["script"]["env"]}
        assert env["READS"] == "sample-selection,data-provider-id"


@pytest.mark.parametrize(
    ("phases", "message"),
    [
        ([{"id": "planning", "name": "P"}, {"id": "scoping", "name": "S", "depends_on": ["plannning"]}], "unknown id"),
        ([{"id": "planning", "name": "P", "depends_on": ["scoping"]}, {"id": "scoping", "name": "S"}], "cycle"),
        ([{"id": "planning", "name": "P"}, {"id": "audit", "name": "A"}], "no activity code"),
        ([{"id": "planning", "name": "P"}, {"id": "planning", "name": "P2"}], "used twice"),
    ],
)
def test_a_definition_no_dag_can_follow_is_refused(phases: list[dict[str, Any]], message: str) -> None:
    definition = WorkflowDefinition.model_validate({"version": 1, "phases": phases})
    with pytest.raises(BuilderInputError, match=message):
        plan("broken", definition)


def test_a_sequential_phase_without_depends_on_waits_for_the_one_before_it() -> None:
    definition = WorkflowDefinition.model_validate(
        {"version": 1, "phases": [{"id": "planning", "name": "P"}, {"id": "scoping", "name": "S"}]}
    )
    assert [p.depends for p in plan("two", definition)] == [(), ("planning",)]


# --- the expectation of a planted difference ----------------------------------------------------------


def test_a_differs_expectation_needs_exact_paths_and_a_reason() -> None:
    base = "- name: p\n  kind: planted\n  inputs: {report_id: 1, cycle_id: 2}\n  expect:\n    parity:\n"
    (scenario,) = parse_scenarios(
        base + "      differs: {paths: ['spec.templates[x].dag.tasks[t].depends'], reason: planted}\n",
        input_model=MODEL,
    )
    assert scenario.expect.planted is not None and scenario.expect.planted.reason == "planted"
    for bad, field in (
        ("      differs: {paths: ['spec.templates[x'], reason: planted}\n", "expect.parity.differs.paths"),
        ("      differs: {paths: ['spec.x']}\n", "expect.parity.differs.reason"),
        ("      differs: {paths: [], reason: r}\n", "expect.parity.differs.paths"),
        (
            "      differs: {paths: ['spec.templates[x].dag.tasks[*].depends'], reason: r}\n",
            "expect.parity.differs.paths",
        ),
    ):
        with pytest.raises(ParityInputError) as caught:
            parse_scenarios(base + bad, source="p.yaml", input_model=MODEL)
        assert caught.value.field == field, caught.value


# --- a parity run of the suite -------------------------------------------------------------------------


def run_phases(tmp_path: Path, extra: str | None = None) -> RunResult:
    """The built-in scenarios folder's phases suite (plus ``extra`` fixtures in a copy of it)."""
    folder = SCENARIOS
    if extra is not None:
        import shutil

        folder = tmp_path / "scenarios"
        shutil.copytree(PHASES, folder / "phases")
        (folder / "phases" / "extra.yaml").write_text(extra)
    config = RunConfig(scenarios=folder, suites=discover_suites(folder), calibrate_noise=False)
    chosen = [s for s in load_run_scenarios(config) if s.suite == "phases"]
    with ParitySession(config) as session:
        return session.run(chosen)


@pytest.fixture(scope="module")
def suite_run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    return run_phases(tmp_path_factory.mktemp("phases"))


def test_the_suite_is_discovered_with_its_own_builders_and_model() -> None:
    (suite,) = discover_suites(SCENARIOS)
    assert (suite.name, suite.legacy, suite.new, suite.inputs_model) == (
        "phases",
        "harness.builders.phases.legacy:build",
        "harness.builders.phases.hera:build",
        "harness.input_models.phases:PhasesInputs",
    )
    # The default suite's loader leaves the phases scenarios to their own suite.
    assert not any(s.name.startswith("phases-") for s in load_scenarios(SCENARIOS))


def test_each_scenario_has_the_outcome_it_should(suite_run: RunResult) -> None:
    statuses = {o.name: o.status for o in suite_run.outcomes}
    assert statuses == {
        "phases-standard": Status.EQUIVALENT,
        "phases-parallel-sample-provider": Status.WAIVED,
        "phases-planted-testing-skips-request-info": Status.CAUGHT,
        "phases-report-type-fr-y-14m": Status.EQUIVALENT,
        "phases-report-type-fr-y-9c": Status.EQUIVALENT,
        "phases-report-type-ffiec-031": Status.EQUIVALENT,
    }
    assert all(o.passed for o in suite_run.outcomes), [(o.name, o.problems) for o in suite_run.outcomes]
    assert suite_run.verdict.verdict is Verdict.READY, suite_run.verdict.reasons


def test_the_relaxation_is_found_explained_and_waived(suite_run: RunResult) -> None:
    outcome = next(o for o in suite_run.outcomes if o.name == "phases-parallel-sample-provider")
    (waived,) = [d for d in outcome.differences if d.category is Category.WAIVED]
    assert waived.path == f"{DAG}[data-provider-id].depends"
    assert "data-provider-id may now start before sample-selection finishes" in waived.message
    assert waived.waiver == "sample-selection-parallel-data-provider-id"


def test_the_planted_mistake_is_caught_at_its_paths_and_carried_to_gate_and_report(suite_run: RunResult) -> None:
    outcome = next(o for o in suite_run.outcomes if o.name == "phases-planted-testing-skips-request-info")
    assert {d.path for d in outcome.semantic_differences} == {f"{DAG}[testing].depends", f"{DAG}[observations].depends"}
    assert any("testing may now start before request-info finishes" in d.message for d in outcome.semantic_differences)
    reason = next(r for r in suite_run.verdict.reasons if r.criterion == "planted-differences")
    assert reason.verdict is Verdict.READY and reason.scenarios == (outcome.name,)
    document = build_document(suite_run)
    row = next(s for s in document["scenarios"] if s["name"] == outcome.name)
    assert (row["status"], row["passed"]) == ("caught", True)
    assert row["planted"]["paths"] == [f"{DAG}[testing].depends", f"{DAG}[observations].depends"]
    assert "🎯 caught" in render_markdown(document)


def test_the_role_change_of_one_report_type_shows_as_metadata(suite_run: RunResult) -> None:
    outcome = next(o for o in suite_run.outcomes if o.name == "phases-report-type-fr-y-9c")
    (metadata,) = [d for d in outcome.differences if d.category is Category.METADATA]
    assert metadata.path == 'spec.templates[data-provider-id].metadata.annotations["dte.synapse.io/roles"]'
    assert (metadata.left, metadata.right) == ("CDO", "Data Owner")


MISSED = """\
- name: phases-planted-but-nothing-differs
  kind: planted
  inputs: {report_id: 5, cycle_id: 6, workflow: standard_dt_testing}
  expect:
    parity:
      differs: {paths: ["spec.templates[dt-testing].dag.tasks[testing].depends"], reason: "a mistake that is not there"}
- name: phases-planted-only-half-expected
  kind: planted
  inputs: {report_id: 5, cycle_id: 6, workflow: testing_skips_request_info}
  expect:
    parity:
      differs: {paths: ["spec.templates[dt-testing].dag.tasks[testing].depends"], reason: "expects Testing only"}
"""


def test_a_planted_difference_the_harness_misses_fails_the_scenario_and_the_gate(tmp_path: Path) -> None:
    result = run_phases(tmp_path, MISSED)
    by_name = {o.name: o for o in result.outcomes}
    missed = by_name["phases-planted-but-nothing-differs"]
    assert missed.status is Status.EQUIVALENT and not missed.passed
    assert "the harness missed it" in missed.problems[0]
    half = by_name["phases-planted-only-half-expected"]
    assert half.status is Status.DIFFERENT and not half.passed
    assert half.problems == (f"semantic differences outside the planted ones: {DAG}[observations].depends",)
    assert result.verdict.verdict is Verdict.NOT_READY
    reason = next(r for r in result.verdict.reasons if r.criterion == "planted-differences")
    assert reason.verdict is Verdict.NOT_READY
    assert set(reason.scenarios) == {missed.name, half.name}


def test_the_planted_criterion_is_silent_without_planted_scenarios_and_ignores_crashes() -> None:
    def outcome(name: str, status: Status, planted: bool) -> ScenarioOutcome:
        mark = PlantedDifference(("spec.x",), "why") if planted else None
        return ScenarioOutcome(name, "k", "", "", status, planted=mark)

    criteria = RolloutConfig().criteria(Phase.DEV)
    plain = Evidence(outcomes=(outcome("a", Status.EQUIVALENT, False),))
    assert planted_differences(plain, criteria) is None
    crashed = dataclasses.replace(plain, outcomes=(outcome("b", Status.CRASHED, True),))
    reason = planted_differences(crashed, criteria)
    assert reason is not None and reason.verdict is Verdict.READY and reason.scenarios == ()
