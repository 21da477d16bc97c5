"""compare(): the public contract (docs/architecture.md), noise, waivers, short-circuit."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import harness.diff.comparison as compare_module
from harness.diff import Category, Comparison, Difference, calibrate_noise, compare
from harness.diff.waivers import parse_waivers
from harness.normalize import canonicalize

FIXTURES = Path(__file__).parent / "fixtures" / "diff"
REPO = Path(__file__).resolve().parents[1]


def job() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((FIXTURES / "job.yaml").read_text())
    return data


def test_equal_manifests() -> None:
    comparison = compare(job(), job())
    assert comparison == Comparison((), True)
    assert comparison.to_dict() == {"equivalent": True, "differences": []}


def test_list_of_documents_and_dict_are_the_same_manifest() -> None:
    assert compare([job()], job()).equivalent


def test_difference_to_dict() -> None:
    right = job()
    right["spec"]["templates"][0]["script"]["env"][1]["value"] = "43"
    (diff,) = compare(job(), right).differences
    assert isinstance(diff, Difference)
    assert diff.to_dict() == {
        "path": "spec.templates[main].script.env[TASK_ID].value",
        "category": "semantic",
        "rule": "value-change",
        "left": "42",
        "right": "43",
        "message": "a value changes in template main, env TASK_ID: 42 -> 43",
    }


def test_equal_canonical_forms_short_circuit(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object) -> None:
        raise AssertionError("walked equal canonical forms")

    monkeypatch.setattr(compare_module, "raw_differences", boom)
    assert compare(job(), yaml.safe_load((FIXTURES / "job-reformatted.yaml").read_text())).equivalent


def test_canonical_forms_can_be_passed_in() -> None:
    left = canonicalize(job())
    assert compare(left, job()).equivalent


def test_deepdiff_is_never_imported() -> None:
    code = (
        "import sys, yaml\n"
        "from harness.diff import compare\n"
        f"a = yaml.safe_load(open({str(FIXTURES / 'job.yaml')!r}))\n"
        "b = yaml.safe_load(open(" + repr(str(FIXTURES / "job.yaml")) + "))\n"
        "b['spec']['entrypoint'] = 'other'\n"
        "assert not compare(a, b).equivalent\n"
        "print('deepdiff' in sys.modules, 'hera' in sys.modules, 'kubernetes' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.split() == ["False", "False", "False"]


def test_annotations_only_one_side_has_are_reported_at_their_own_path() -> None:
    right = job()
    right["spec"]["templates"][0]["metadata"] = {"annotations": {"note": "x"}}
    (diff,) = compare(job(), right).differences
    assert diff.path == "spec.templates[main].metadata.annotations.note"
    assert diff.category is Category.METADATA


def test_unknown_field_is_semantic() -> None:
    # What loops-param-argument shows: annotations directly on a template are not pod metadata.
    right = job()
    right["spec"]["templates"][0]["annotations"] = {"note": "x"}
    (diff,) = compare(job(), right).differences
    assert diff.category is Category.SEMANTIC


def test_keyed_item_only_one_side_has_is_one_difference() -> None:
    right = job()
    right["spec"]["templates"][0]["script"]["env"].append({"name": "NEW", "value": "1"})
    (diff,) = compare(job(), right).differences
    assert diff.path == "spec.templates[main].script.env[NEW]"
    assert diff.left is None and diff.right == {"name": "NEW", "value": "1"}
    assert "added" in diff.message


# --- noise -----------------------------------------------------------------------------------------------


def _build(suffix: str, stamp: str) -> dict[str, Any]:
    doc = job()
    doc["metadata"]["generateName"] = f"python-job-{suffix}-"
    doc["metadata"]["annotations"] = {"built-at": stamp}
    return doc


def test_calibrate_noise_finds_what_differs_between_two_builds_of_one_side() -> None:
    noise = calibrate_noise(_build("a1", "t1"), _build("b2", "t2")).paths
    assert noise == frozenset({"metadata.generateName", "metadata.annotations.built-at"})
    assert calibrate_noise(job(), job()).paths == frozenset()


def test_noise_paths_turn_differences_into_noise() -> None:
    noise = calibrate_noise(_build("a1", "t1"), _build("b2", "t2"))
    right = _build("c3", "t3")
    right["spec"]["templates"][0]["script"]["image"] = "python:3.12-slim"
    comparison = compare(_build("a1", "t1"), right, noise=noise)
    categories = {d.path: d.category for d in comparison.differences}
    assert categories == {
        "metadata.generateName": Category.NOISE,
        "metadata.annotations.built-at": Category.NOISE,
        "spec.templates[main].script.image": Category.SEMANTIC,
    }
    assert all(d.rule == "noise-calibration" for d in comparison.by_category(Category.NOISE))


# --- waivers ---------------------------------------------------------------------------------------------

WAIVERS = parse_waivers(
    "waivers:\n"
    "  - {id: image-bump, path: 'spec.templates[*].script.image', scenarios: ['plain-*'], reason: bump,"
    " owner: me, expires: 2999-01-01}\n"
    "  - {id: unused, path: spec.onExit, reason: r, owner: me, expires: 2999-01-01}\n"
)


def test_waiver_applies_within_its_scenarios() -> None:
    right = job()
    right["spec"]["templates"][0]["script"]["image"] = "python:3.12-slim"
    waived = compare(job(), right, waivers=WAIVERS, scenario="plain-hello")
    assert waived.equivalent
    (diff,) = waived.differences
    assert (diff.category, diff.waiver, diff.rule) == (Category.WAIVED, "image-bump", "value-change")
    assert diff.to_dict()["waiver"] == "image-bump"
    assert waived.waivers_used == {"image-bump"}
    assert [w.id for w in WAIVERS.stale(waived.waivers_used)] == ["unused"]
    other = compare(job(), right, waivers=WAIVERS, scenario="env-plain")
    assert not other.equivalent


def test_noise_wins_over_waivers() -> None:
    right = copy.deepcopy(job())
    right["spec"]["templates"][0]["script"]["image"] = "python:3.12-slim"
    comparison = compare(job(), right, waivers=WAIVERS, noise_paths={"spec.templates[main].script"})
    assert [d.category for d in comparison.differences] == [Category.NOISE]


def test_a_document_that_is_not_a_mapping_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="document 2 is a str, not a mapping"):
        compare([job(), "oops"], job())  # type: ignore[list-item]
