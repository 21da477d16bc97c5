"""Promoted fixtures load back to exactly the counterexample, whatever characters it holds."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from harness.builders.result import BuilderError
from harness.builders.result import BuildFailureKind as FailureKind
from harness.fuzz import Divergence, DivergenceKind, Side, builder_inputs, promote, scenario_kind, settings_for
from harness.fuzz.inputs import DEFAULT_INPUTS as _DEFAULTS
from harness.fuzz.promote import fixture_name, fixture_text
from harness.scenarios import load_scenarios, parse_scenarios

LEGACY = "harness.builders.legacy:build"
NEW = "tests.planted_fuzz:splits_dependencies_on_every_comma"
PROFILE = settings_for()


def divergence(inputs: dict[str, Any]) -> Divergence:
    return Divergence(
        DivergenceKind.ONE_SIDED_REJECTION,
        inputs,
        Side(manifest={"kind": "Workflow"}),
        Side(error=BuilderError("BuilderInputError", "dependencies: 'x' is refused", FailureKind.REJECTED)),
    )


def full(**inputs: Any) -> dict[str, Any]:
    return {"python_code": "pass", **_DEFAULTS, **inputs}


NASTY = [
    full(python_code="print('a')\r\nprint('b')\r\n"),
    full(python_code="x = 1\u2028y = 2\x85z = 3\n  \n\t\n"),
    full(python_code="  indented = 'first line'\nprint(1)\n\n\n"),
    full(python_code="\ufeffprint('bom')", env={"YES": "yes", "E": "", "T": "~", "N": "null", "O": "010"}),
    full(python_code="print('''#: - ? | > ! & * %')", dependencies=" six,idna  attrs , , ", namespace="010"),
    full(python_code="s = '" + "é$`\\\\" * 400 + "'", requirements_file="six\n# $HOME `id`\nREQUIREMENTS_EOF"),
    full(env={"1": {"secretKeyRef": {"name": "s", "key": "k"}}}, template="container"),
    full(volumes=[{"name": "v", "claim_name": "c", "mount_path": "/mnt/yes", "read_only": True}]),
]


@pytest.mark.parametrize("inputs", NASTY, ids=range(len(NASTY)))
def test_nasty_inputs_load_back_exactly(inputs: dict[str, Any], tmp_path: Path) -> None:
    path = promote(divergence(inputs), tmp_path, legacy=LEGACY, new=NEW)
    [scenario] = load_scenarios(path)
    assert scenario.inputs.for_builder() == inputs


@settings(PROFILE, max_examples=max(50, PROFILE.max_examples // 6), suppress_health_check=list(HealthCheck))
@given(builder_inputs())
def test_every_generated_input_is_promotable(inputs: dict[str, Any]) -> None:
    text = fixture_text(divergence(inputs), legacy=LEGACY, new=NEW)
    texts = [text, fixture_text(divergence(inputs), legacy=LEGACY, new=NEW, readable=False)]
    assert any(parse_scenarios(t)[0].inputs.for_builder() == inputs for t in texts)


def test_a_fixture_is_named_after_its_input_and_only_shows_what_is_not_default(tmp_path: Path) -> None:
    inputs = full(dependencies="numpy>=1.26,<2")
    path = promote(divergence(inputs), tmp_path, legacy=LEGACY, new=NEW, found=datetime.date(2026, 1, 2), seed=7)

    assert path.name == f"{fixture_name(divergence(inputs))}.yaml"
    assert fixture_name(divergence(dict(inputs))) == fixture_name(divergence(inputs))
    text = path.read_text(encoding="utf-8")
    assert "namespace" not in text and "volumes" not in text
    [scenario] = parse_scenarios(text)
    assert scenario.kind == "dependencies"
    assert scenario.expect.parity == "equivalent"
    assert "found 2026-01-02 by `parity fuzz --seed 7`" in scenario.description
    assert LEGACY in scenario.description and NEW in scenario.description


def test_an_existing_fixture_keeps_when_it_was_first_found(tmp_path: Path) -> None:
    inputs = full(env={"A": "yes"})
    first = promote(divergence(inputs), tmp_path, legacy=LEGACY, new=NEW, found=datetime.date(2026, 1, 1))
    again = promote(divergence(inputs), tmp_path, legacy=LEGACY, new=NEW, found=datetime.date(2027, 1, 1))
    assert first == again
    assert "found 2026-01-01" in first.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("inputs", "kind"),
    [
        (full(), "plain"),
        (full(dependencies="six", env={"A": "1"}), "dependencies"),
        (full(requirements_file="six\n", env={"A": "1"}), "requirements-file"),
        (full(env={"A": "yes"}), "env"),
        (full(volumes=[]), "volumes"),
        (full(namespace="Bad"), "namespace"),
        (full(template="container"), "container"),
    ],
)
def test_the_kind_names_the_input_the_failure_needs(inputs: dict[str, Any], kind: str) -> None:
    assert scenario_kind(inputs) == kind
