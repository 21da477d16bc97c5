"""Waivers: loading (every error names file, waiver and field), matching, expiry, staleness."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from harness.diff import Category, Difference, load_waivers
from harness.diff.waivers import parse_waivers
from harness.errors import ParityInputError

GOOD = """
waivers:
  - id: hera-env-order
    path: "spec.templates[main].script.env"
    scenarios: ["env-*"]
    reason: Hera sorts env
    owner: platform-team
    expires: 2027-06-30
  - id: image-bump
    path: "spec.templates[*].script.image"
    reason: moving to 3.12
    owner: platform-team
    expires: "2025-01-31"
"""


def semantic(path: str) -> Difference:
    return Difference(path, Category.SEMANTIC, "value-change", "a", "b", "m")


def test_load_and_match(tmp_path: Path) -> None:
    file = tmp_path / "waivers.yaml"
    file.write_text(GOOD)
    waivers = load_waivers(file)
    assert [w.id for w in waivers] == ["hera-env-order", "image-bump"]
    env_diff = semantic("spec.templates[main].script.env[TASK_ID].value")
    matched = waivers.match(env_diff, "env-plain")
    assert matched is not None and matched.id == "hera-env-order"
    assert waivers.match(env_diff, "plain-hello") is None  # scenario filter
    assert waivers.match(env_diff) is not None  # no scenario: the filter does not apply
    assert waivers.match(semantic("spec.templates[x].script.image"), "plain-hello").id == "image-bump"  # type: ignore[union-attr]
    cosmetic = Difference("spec.templates[x].script.image", Category.COSMETIC, "r", 1, 2, "m")
    assert waivers.match(cosmetic) is None  # nothing to waive


def test_expired_and_stale() -> None:
    waivers = parse_waivers(GOOD)
    today = dt.date(2026, 1, 1)
    assert [w.id for w in waivers.expired(today)] == ["image-bump"]
    assert [w.id for w in waivers.active(today)] == ["hera-env-order"]
    assert [w.id for w in waivers.stale({"image-bump"})] == ["hera-env-order"]
    assert waivers.stale(waivers.ids) == ()


def test_empty_file_is_no_waivers() -> None:
    assert len(parse_waivers("")) == 0
    assert len(parse_waivers("waivers: []\n")) == 0


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("waivers:\n  - {id: a, path: p, reason: r, owner: o}\n", "waivers[0] (a).expires", "required"),
        (
            "waivers:\n  - {id: Bad_Id, path: p, reason: r, owner: o, expires: 2030-01-01}\n",
            "waivers[0] (Bad_Id).id",
            "must match",
        ),
        (
            "waivers:\n  - {id: a, path: 'x[', reason: r, owner: o, expires: 2030-01-01}\n",
            "waivers[0] (a).path",
            "missing ']'",
        ),
        (
            "waivers:\n  - {id: a, path: p, reason: '', owner: o, expires: 2030-01-01}\n",
            "waivers[0] (a).reason",
            "non-empty",
        ),
        (
            "waivers:\n  - {id: a, path: p, reason: r, owner: o, expires: soon}\n",
            "waivers[0] (a).expires",
            "not a date",
        ),
        (
            "waivers:\n  - {id: a, path: p, reason: r, owner: o, expires: 2030-01-01, extra: 1}\n",
            "waivers[0] (a).extra",
            "unknown field",
        ),
        (
            "waivers:\n  - {id: a, path: p, reason: r, owner: o, expires: 2030-01-01, scenarios: []}\n",
            "waivers[0] (a).scenarios",
            "non-empty list",
        ),
        (
            "waivers:\n  - {id: a, path: p, reason: r, owner: o, expires: 2030-01-01}\n"
            "  - {id: a, path: q, reason: r, owner: o, expires: 2030-01-01}\n",
            "waivers[1] (a).id",
            "duplicate",
        ),
        ("waivers:\n  - just a string\n", "waivers[0]", "a waiver is a mapping"),
        ("waivers: {id: a}\n", "waivers", "expected a 'waivers:' list"),
    ],
)
def test_errors_name_file_waiver_and_field(text: str, field: str, message: str) -> None:
    with pytest.raises(ParityInputError) as info:
        parse_waivers(text, source="scenarios/waivers.yaml")
    error = info.value
    assert error.file == "scenarios/waivers.yaml"
    assert error.field == field
    assert message in error.message
    assert str(error).startswith(f"scenarios/waivers.yaml: field '{field}': ")


def test_not_yaml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ParityInputError, match="not valid YAML"):
        parse_waivers("waivers: [", source="w.yaml")
    with pytest.raises(ParityInputError, match="waivers file not found"):
        load_waivers(tmp_path / "nope.yaml")
    with pytest.raises(ParityInputError, match="unknown top-level key"):
        parse_waivers("waiver: []\n")
