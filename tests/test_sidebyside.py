from __future__ import annotations

from harness.report.sidebyside import CONTEXT, explain_form, manifest_lines, side_by_side


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


def with_cpu(cpu: str, generate_name: str = "job-") -> dict:
    built = manifest("python:3.11", [{"name": "A", "value": "1"}], extra=30)
    built["spec"]["templates"][0]["script"]["resources"] = {"limits": {"cpu": cpu}}
    built["metadata"]["generateName"] = generate_name
    return built


def test_form_only_lines_carry_the_rule_that_judged_them_equal() -> None:
    left, right = with_cpu("1"), with_cpu("1000m")
    rows, unplaced = side_by_side(left, right, [])
    explain_form(rows, left, right)
    (form,) = [row for row in rows if row.kind == "change"]
    assert form.form_only and form.category == "form"
    assert (form.left and form.left.text, form.right and form.right.text) == ("cpu: 1", "cpu: 1000m")
    assert [(note["category"], note["rule"]) for note in form.notes] == [("form", "quantity")]
    assert form.notes[0]["message"].startswith("equal in meaning: resource quantities compared by amount")
    assert unplaced == []


def test_a_reordered_list_is_equal_by_the_keyed_list_rule_and_one_run_carries_one_note() -> None:
    left = manifest("python:3.11", [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}])
    right = manifest("python:3.11", [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}])
    rows, _ = side_by_side(left, right, [])
    explain_form(rows, left, right)
    changed = [row for row in rows if row.kind == "change"]
    assert changed and all(row.form_only for row in changed)
    notes = [note for row in changed for note in row.notes]
    # The rule the differ recorded for the list read by name, never a guess.
    assert notes and {note["rule"] for note in notes} == {"keyed-list"}
    assert len(notes) < len(changed)  # adjacent rows judged equal alike share the first row's note


def test_form_only_rows_and_their_context_are_shown_only_on_request() -> None:
    # a real change at the top (generateName), a form-only one at the bottom (cpu), 30 labels between
    left, right = with_cpu("1"), with_cpu("1000m", generate_name="task-")
    name = {"path": "metadata.generateName", "category": "semantic", "rule": "r", "message": "m"}
    rows, _ = side_by_side(left, right, [name])
    by_text = {row.right.text: row for row in rows if row.right}
    assert not by_text["generateName: task-"].optional
    assert by_text["cpu: 1000m"].form_only and by_text["cpu: 1000m"].optional
    folds = [(row.view, row.folded) for row in rows if row.kind == "fold"]
    views = {view for view, _ in folds}
    assert {"default", "all"} <= views, folds
    # either view accounts for every line once: shown rows plus folded ones
    total = len(manifest_lines(right))
    for view in ("default", "all"):
        shown = [row for row in rows if row.kind != "fold" and (view == "all" or not (row.optional or row.form_only))]
        folded = sum(count for v, count in folds if v in (view, "both"))
        assert len(shown) + folded == total, view


def test_a_cosmetic_difference_goes_beside_its_line_marked_equal() -> None:
    left = manifest("python:3.11", [{"name": "A", "value": "1"}])
    right = manifest("python:3.11", [{"name": "A", "value": "01"}])
    cosmetic = {"path": "spec.templates[main].script.env[A].value", "category": "cosmetic", "rule": "user-form",
                "message": "written differently"}  # fmt: skip
    rows, unplaced = side_by_side(left, right, [cosmetic])
    (row,) = [row for row in rows if row.kind == "change"]
    assert row.category == "cosmetic" and row.form_only and row.notes == [cosmetic]
    assert unplaced == []
