"""User rules (--rules): loading and what they decide."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.diff import Category, compare, load_rules
from harness.diff.rules import parse_rules
from harness.errors import ParityInputError

JOB = Path(__file__).parent / "fixtures" / "diff" / "job.yaml"


def job() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(JOB.read_text())
    return data


def test_rule_makes_metadata_semantic_and_semantic_cosmetic() -> None:
    rules = parse_rules(
        "rules:\n"
        "  - {id: team, path: metadata.labels.team, category: semantic, reason: billing reads it}\n"
        "  - {id: any-image, pointer: '/spec/templates/*/script/image', category: cosmetic}\n"
    )
    left, right = job(), job()
    right["metadata"]["labels"]["team"] = "other"
    right["spec"]["templates"][0]["script"]["image"] = "python:3.12-slim"
    comparison = compare(left, right, rules=rules)
    by_path = {d.path: d for d in comparison.differences}
    assert by_path["metadata.labels.team"].category is Category.SEMANTIC
    assert by_path["metadata.labels.team"].rule == "team"
    assert by_path["spec.templates[main].script.image"].category is Category.COSMETIC
    assert not comparison.equivalent
    # the pull policy did not change (both tags are pinned), so nothing else is reported
    assert set(by_path) == {"metadata.labels.team", "spec.templates[main].script.image"}


def test_first_matching_rule_wins() -> None:
    rules = parse_rules(
        "- {path: 'spec.**', category: cosmetic}\n- {path: 'spec.templates[main].script.image', category: semantic}\n"
    )
    left, right = job(), copy.deepcopy(job())
    right["spec"]["templates"][0]["script"]["image"] = "python:3.12-slim"
    (diff,) = compare(left, right, rules=rules).differences
    assert (diff.category, diff.rule) == (Category.COSMETIC, "user-rule-1")


def test_load_rules_from_json(tmp_path: Path) -> None:
    file = tmp_path / "rules.json"
    file.write_text('{"rules": [{"pointer": "/metadata/labels/team", "category": "semantic"}]}')
    rules = load_rules(file)
    assert len(rules) == 1
    assert rules.decide("metadata.labels.team") is not None
    assert rules.decide("metadata.labels.owner") is None


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("rules:\n  - {category: semantic}\n", "rules[0]", "exactly one of 'path'"),
        ("rules:\n  - {path: a, pointer: /a, category: semantic}\n", "rules[0]", "exactly one of 'path'"),
        ("rules:\n  - {path: a, category: waived}\n", "rules[0].category", "must be one of"),
        ("rules:\n  - {pointer: a, category: semantic}\n", "rules[0].pointer", "starts with '/'"),
        ("rules:\n  - {id: x, path: a, category: semantic, when: now}\n", "rules[0] (x)", "unknown field"),
        (
            "rules:\n  - {id: x, path: a, category: semantic}\n  - {id: x, path: b, category: semantic}\n",
            "rules[1] (x).id",
            "duplicate",
        ),
    ],
)
def test_errors_name_the_rule_and_field(text: str, field: str, message: str) -> None:
    with pytest.raises(ParityInputError) as info:
        parse_rules(text, source="rules.yaml")
    assert info.value.file == "rules.yaml"
    assert info.value.field == field
    assert message in info.value.message


def test_missing_rules_file(tmp_path: Path) -> None:
    with pytest.raises(ParityInputError, match="rules file not found"):
        load_rules(tmp_path / "nope.yaml")
