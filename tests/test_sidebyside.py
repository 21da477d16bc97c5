from __future__ import annotations

from harness.report.sidebyside import CONTEXT, manifest_lines, side_by_side


def manifest(image: str, env: list[dict[str, str]], extra: int = 0) -> dict:
    labels = {f"l{i:02d}": "x" for i in range(extra)}
    return {
        "metadata": {"labels": labels, "generateName": "job-"},
        "spec": {
            "templates": [{"name": "main", "script": {"image": image, "env": env, "source": "set -e\necho hi\n"}}]
        },
    }


def test_lines_carry_readable_paths_keyed_by_name() -> None:
    lines = manifest_lines(manifest("python:3.11", [{"name": "A", "value": "1"}]))
    paths = {line.text: line.path for line in lines}
    assert paths["image: python:3.11"] == "spec.templates[main].script.image"
    assert paths["value: 1"] == "spec.templates[main].script.env[A].value"
    # multi-line strings become block lines that all belong to their field
    assert [line.path for line in lines if line.text == "echo hi"] == ["spec.templates[main].script.source"]


def test_a_semantic_difference_lights_up_its_line_and_carries_its_note() -> None:
    left = manifest("python:3.11", [{"name": "A", "value": "1"}], extra=30)
    right = manifest("python:3.12", [{"name": "A", "value": "1"}], extra=30)
    difference = {"path": "spec.templates[main].script.image", "category": "semantic", "rule": "image", "message": "m"}
    rows, unplaced = side_by_side(left, right, [difference])
    changed = [row for row in rows if row.kind == "change"]
    assert [(r.left.text, r.right.text, r.category) for r in changed if r.left and r.right] == [
        ("image: python:3.11", "image: python:3.12", "semantic")
    ]
    assert changed[0].notes == [difference]
    assert unplaced == []
    folds = [row for row in rows if row.kind == "fold"]
    assert folds and folds[0].folded > 20  # the 30 equal labels are folded away
    shown_equal = [row for row in rows if row.kind == "equal"]
    assert len(shown_equal) <= 2 * CONTEXT


def test_lines_that_differ_in_form_only_are_marked_form() -> None:
    left = manifest("python:3.11", [{"name": "A", "value": "1"}])
    right = manifest("python:3.11", [{"name": "A", "value": "01"}])
    rows, _ = side_by_side(left, right, [])
    assert {row.category for row in rows if row.kind == "change"} == {"form"}


def test_difference_on_identical_looking_lines_falls_back_to_the_closest_path() -> None:
    same = manifest("python:3.11", [])
    difference = {
        "path": "spec.templates[main].script.env[NEW].value",
        "category": "semantic",
        "rule": "r",
        "message": "m",
    }
    rows, unplaced = side_by_side(same, same, [difference])
    noted = [row for row in rows if row.notes]
    assert len(noted) == 1 and noted[0].category == "semantic"
    assert unplaced == []
    rows, unplaced = side_by_side(same, same, [dict(difference, path="status.phase")])
    assert unplaced and unplaced[0]["path"] == "status.phase"
