"""The parity property: what counts as agreement, what as a divergence, and how it is reported.

``test_reference_builders_agree`` is the fuzz run of ``make test``: the profile comes from
``$PARITY_FUZZ_PROFILE`` (default ``ci``; ``PARITY_FUZZ_PROFILE=nightly pytest -k reference`` for the
long search).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from harness.builders import HERA_REF, LEGACY_REF, hera, legacy
from harness.diff import load_waivers
from harness.errors import BuilderInputError
from harness.fuzz import (
    Agreement,
    Divergence,
    DivergenceKind,
    ParityPropertyError,
    assert_parity,
    builder_inputs,
    check_parity,
    settings_for,
)
from tests import planted, planted_fuzz

CODE = "print('hi')"


@settings_for()
@given(builder_inputs())
def test_reference_builders_agree(inputs: dict[str, Any]) -> None:
    assert_parity(legacy.build, hera.build, inputs)


def test_equivalent_manifests_agree() -> None:
    outcome = check_parity(legacy.build, hera.build, {"python_code": CODE, "dependencies": "numpy>=1.26,<2"})
    assert isinstance(outcome, Agreement)
    assert not outcome.both_rejected


def test_both_builders_refusing_is_agreement() -> None:
    outcome = check_parity(legacy.build, hera.build, {"python_code": CODE, "namespace": "Not_Valid"})
    assert outcome == Agreement({"python_code": CODE, "namespace": "Not_Valid"}, both_rejected=True)


def test_a_semantic_difference_is_a_divergence_with_its_differences() -> None:
    inputs = {"python_code": CODE, "dependencies": "idna>=3,<4"}
    outcome = check_parity(legacy.build, planted_fuzz.splits_dependencies_on_every_comma, inputs)

    assert isinstance(outcome, Divergence)
    assert outcome.kind is DivergenceKind.SEMANTIC_DIFFERENCE
    [difference] = outcome.differences
    assert difference.path == "spec.templates[main].script.source"
    assert difference.rule == "pip-requirements"
    assert outcome.inputs == inputs
    report = outcome.report()
    assert "minimal input:" in report and "idna>=3,<4" in report and "[pip-requirements]" in report


def test_one_builder_refusing_what_the_other_builds_is_a_divergence() -> None:
    outcome = check_parity(legacy.build, planted.rejects_everything, {"python_code": CODE})
    assert isinstance(outcome, Divergence)
    assert outcome.kind is DivergenceKind.ONE_SIDED_REJECTION
    assert outcome.legacy.built and outcome.new.rejected
    assert outcome.summary() == "legacy built a manifest; new refused (ValueError: planted: refuses every input)"


@pytest.mark.parametrize("builder", [planted.raises_on_unicode, planted.returns_garbage])
def test_a_crash_or_a_non_manifest_is_a_divergence_even_when_the_other_side_refuses(builder: Any) -> None:
    outcome = check_parity(legacy.build, builder, {"python_code": "print('é')", "namespace": "Bad"})
    assert isinstance(outcome, Divergence)
    assert outcome.kind is DivergenceKind.BUILDER_CRASH
    assert outcome.legacy.rejected and outcome.new.error is not None and not outcome.new.rejected


def test_a_failing_comparison_is_a_harness_error_not_an_agreement() -> None:
    def broken_compare(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("spec")

    outcome = check_parity(legacy.build, hera.build, {"python_code": CODE}, compare_manifests=broken_compare)
    assert isinstance(outcome, Divergence)
    assert outcome.kind is DivergenceKind.HARNESS_ERROR
    assert "KeyError" in outcome.detail


def test_builders_get_private_copies_of_the_inputs() -> None:
    seen: list[dict[str, Any]] = []

    def mutating(inputs: dict[str, Any]) -> dict[str, Any]:
        inputs["env"]["INJECTED"] = "x"
        seen.append(inputs)
        return hera.build({k: v for k, v in inputs.items() if k != "env"})

    inputs = {"python_code": CODE, "env": {}}
    outcome = check_parity(legacy.build, mutating, inputs)
    assert inputs == {"python_code": CODE, "env": {}}
    assert outcome.inputs == {"python_code": CODE, "env": {}}


def test_a_waived_difference_is_not_a_failure(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n"
        "  - id: env-retyping\n"
        '    path: "spec.templates[main].script.env[*].value"\n'
        "    reason: planted for this test\n"
        "    owner: platform-team\n"
        "    expires: 2099-01-01\n",
        encoding="utf-8",
    )
    inputs = {"python_code": CODE, "env": {"FLAG": "yes"}}
    builder = planted_fuzz.retypes_yaml_special_env_values
    assert isinstance(check_parity(legacy.build, builder, inputs), Divergence)
    assert isinstance(check_parity(legacy.build, builder, inputs, waivers=load_waivers(waivers)), Agreement)


def test_assert_parity_raises_with_the_report() -> None:
    with pytest.raises(ParityPropertyError) as info:
        assert_parity(
            legacy.build, planted_fuzz.retypes_yaml_special_env_values, {"python_code": CODE, "env": {"A": "010"}}
        )
    assert info.value.divergence.kind is DivergenceKind.SEMANTIC_DIFFERENCE
    assert "env[A].value" in str(info.value) and '"010"' in str(info.value) and '"8"' in str(info.value)


def test_the_same_bug_in_a_script_and_a_container_template_has_one_signature() -> None:
    builder = planted_fuzz.splits_dependencies_on_every_comma
    script = check_parity(legacy.build, builder, {"python_code": CODE, "dependencies": "a>1,<2"})
    container = check_parity(
        legacy.build, builder, {"python_code": CODE, "dependencies": "b[x,y]", "template": "container"}
    )
    assert isinstance(script, Divergence) and isinstance(container, Divergence)
    assert script.signature == container.signature


def test_refusals_of_different_inputs_have_different_signatures() -> None:
    namespace = check_parity(legacy.build, planted.legacy_copy, {"python_code": CODE})
    assert isinstance(namespace, Agreement)

    def refuses_namespaces(inputs: dict[str, Any]) -> dict[str, Any]:
        raise BuilderInputError(f"namespace {inputs.get('namespace')!r} is refused")

    def refuses_env(inputs: dict[str, Any]) -> dict[str, Any]:
        raise BuilderInputError("env name 'X' is refused")

    first = check_parity(legacy.build, refuses_namespaces, {"python_code": CODE})
    second = check_parity(legacy.build, refuses_env, {"python_code": CODE})
    assert isinstance(first, Divergence) and isinstance(second, Divergence)
    assert first.signature != second.signature


def test_minimize_keeps_only_what_the_failure_needs() -> None:
    from harness.fuzz.minimize import minimize

    builder = planted_fuzz.splits_dependencies_on_every_comma
    noisy = {
        "python_code": "import os\nprint(os.environ['A'])\nx = 1",
        "dependencies": " six idna,  numpy>=1.26,<2 attrs , ",
        "requirements_file": "six\n# comment\n",
        "volumes": [{"name": "v", "claim_name": "c", "mount_path": "/v", "read_only": True}],
        "env": {"A": "1", "B": {"secretKeyRef": {"name": "s", "key": "k"}}},
        "namespace": "team-a",
        "template": "container",
    }
    outcome = check_parity(legacy.build, builder, noisy)
    assert isinstance(outcome, Divergence)

    smallest = minimize(outcome, lambda inputs: check_parity(legacy.build, builder, inputs))
    assert smallest.inputs == {
        "python_code": "pass",
        "dependencies": "numpy>=1.26,<2",
        "requirements_file": None,
        "volumes": None,
        "env": {},
        "namespace": "argo",
        "template": "script",
    }
    assert smallest.signature == outcome.signature


def test_measure_throughput_reports_every_stage() -> None:
    from harness.fuzz import measure_throughput

    result = measure_throughput(20, seed=1)
    assert result["examples"] == 20
    assert set(result["stages_ms"]) == {"generate", "legacy_build", "new_build", "coerce", "normalize", "compare"}
    assert result["pipeline_examples_per_s"] > 0 and result["end_to_end_examples_per_s"] > 0
    assert abs(sum(result["stage_share"].values()) - 1) < 0.01


def test_a_search_stops_once_the_caller_says_the_run_was_interrupted() -> None:
    # A Ctrl-C that Hypothesis or the builder host swallows must still stop an inline search:
    # the engine's own record of it is asked before every build.
    from harness.fuzz import FuzzConfig, run_fuzz

    asked: list[bool] = []

    def stopped() -> bool:
        asked.append(True)
        return len(asked) > 3

    config = FuzzConfig(legacy=LEGACY_REF, new=HERA_REF, profile="ci", examples=10_000, seed=1, use_database=False)
    with pytest.raises(KeyboardInterrupt):
        run_fuzz(config, stopped=stopped)
    assert len(asked) == 4
