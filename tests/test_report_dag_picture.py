"""DAG pictures in the HTML report: each side's DAG template drawn as inline SVG, laid out in
layers, with the edges that differ between the sides marked by what the other side still orders."""

from __future__ import annotations

import copy
import itertools
import xml.etree.ElementTree as ET
from typing import Any

from harness.report.dag_picture import Dag, dag_pictures, dag_templates, layers

CHAIN = ["planning", "scoping", "sample-selection", "data-provider-id", "request-info", "testing", "observations"]


def workflow(tasks: list[dict[str, Any]], name: str = "phases") -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": "phases-"},
        "spec": {
            "entrypoint": name,
            "templates": [
                {"name": name, "dag": {"tasks": tasks}},
                {"name": "phase", "script": {"image": "python:3.11-slim", "source": "print(1)"}},
            ],
        },
    }


def chain(form: str = "dependencies") -> dict[str, Any]:
    """The seven phases one after the other, written with `dependencies` lists or `depends`."""
    tasks: list[dict[str, Any]] = []
    for before, task in zip([None, *CHAIN], CHAIN, strict=False):
        item: dict[str, Any] = {"name": task, "template": "phase"}
        if before is not None:
            item.update({"dependencies": [before]} if form == "dependencies" else {"depends": f"{before}.Succeeded"})
        tasks.append(item)
    return workflow(tasks)


def parallel() -> dict[str, Any]:
    """Sample selection and data provider ID both after scoping; request info waits for both."""
    manifest = chain(form="depends")
    tasks = {task["name"]: task for task in manifest["spec"]["templates"][0]["dag"]["tasks"]}
    tasks["data-provider-id"]["depends"] = "scoping"
    tasks["request-info"]["depends"] = "(sample-selection && data-provider-id.Succeeded)"
    return manifest


def test_edges_come_from_depends_and_dependencies_alike() -> None:
    for form in ("dependencies", "depends"):
        dags = dag_templates(chain(form))
        assert list(dags) == ["phases"]  # the script template is no DAG
        dag = dags["phases"]
        assert dag.tasks == tuple(CHAIN)
        assert dag.edges == frozenset(itertools.pairwise(CHAIN))
    # an expression names each task once, whatever its result qualifier or parentheses
    assert ("sample-selection", "request-info") in dag_templates(parallel())["phases"].edges
    assert ("data-provider-id", "request-info") in dag_templates(parallel())["phases"].edges


def test_layers_put_each_task_below_the_deepest_task_it_waits_for() -> None:
    assert layers(dag_templates(chain())["phases"]) == [[task] for task in CHAIN]
    assert layers(dag_templates(parallel())["phases"]) == [
        ["planning"], ["scoping"], ["sample-selection", "data-provider-id"], ["request-info"], ["testing"],
        ["observations"],
    ]  # fmt: skip
    # a cycle (an invalid DAG) is drawn anyway, its tasks in a last layer
    cyclic = Dag(("a", "b", "c"), frozenset({("b", "c"), ("c", "b")}))
    assert layers(cyclic) == [["a"], ["b", "c"]]


def test_a_dropped_ordering_is_marked_on_the_legacy_side_and_said_in_words() -> None:
    (picture,) = dag_pictures(chain(), parallel())
    assert picture.template == "phases"
    changes = {edge: (kind, meaning) for kind, edge, meaning in picture.changes}
    assert changes["sample-selection → data-provider-id"] == (
        "dropped",
        "data-provider-id may now start before sample-selection finishes",
    )
    # new edges whose ordering the chain already implied are form only, not "added"
    assert changes["scoping → data-provider-id"][0] == "implied"
    assert changes["sample-selection → request-info"][0] == "implied"
    assert {kind for kind, _, _ in picture.changes} == {"dropped", "implied"}
    assert picture.legacy is not None and picture.new is not None
    legacy_svg = ET.fromstring(str(picture.legacy))
    marked = {g.get("data-edge"): g.get("class") for g in legacy_svg.iter("g") if g.get("data-edge")}
    assert marked["sample-selection->data-provider-id"] == "edge dropped"
    assert marked["planning->scoping"] == "edge same"


def test_an_added_ordering_is_marked_on_the_new_side() -> None:
    (picture,) = dag_pictures(parallel(), chain())
    assert [(kind, edge) for kind, edge, _ in picture.changes if kind == "added"] == [
        ("added", "sample-selection → data-provider-id")
    ]
    assert "data-provider-id now waits for sample-selection" in {meaning for _, _, meaning in picture.changes}
    new_svg = ET.fromstring(str(picture.new))
    assert any(g.get("class") == "edge added" for g in new_svg.iter("g"))


def test_the_same_order_written_differently_marks_nothing() -> None:
    (picture,) = dag_pictures(chain("dependencies"), chain("depends"))
    assert picture.changes == ()
    assert picture.marks == frozenset({"same"})
    assert not picture.one_sided_tasks


def test_a_task_on_one_side_only_is_drawn_dashed_and_names_are_escaped() -> None:
    new = copy.deepcopy(chain())
    new["spec"]["templates"][0]["dag"]["tasks"].append(
        {"name": "sign-off<script>", "template": "phase", "dependencies": ["observations"]}
    )
    (picture,) = dag_pictures(chain(), new)
    assert picture.new is not None
    svg = str(picture.new)
    assert "<script>" not in svg and "sign-off&lt;script&gt;" in svg
    tasks = {g.get("data-task"): g.get("class") for g in ET.fromstring(svg).iter("g") if g.get("data-task")}
    assert tasks["sign-off<script>"] == "task only-here"
    assert picture.one_sided_tasks
    assert tasks["planning"] == "task"
    assert [kind for kind, _, _ in picture.changes] == ["added"]


def test_pictures_are_self_contained_svg() -> None:
    (picture,) = dag_pictures(chain(), parallel())
    for svg in (picture.legacy, picture.new):
        root = ET.fromstring(str(svg))
        assert root.tag == "svg"
        text = str(svg)
        assert "href" not in text and "http" not in text and "<image" not in text
        # every task is drawn once, inside the picture's own width
        width = float(root.get("width", "0"))
        rects = list(root.iter("rect"))
        assert len(rects) == len(CHAIN)
        for rect in rects:
            left = float(rect.get("x", "-1"))
            assert left >= 0 and left + float(rect.get("width", "0")) <= width


def test_a_template_on_one_side_only_and_manifests_without_dags() -> None:
    (picture,) = dag_pictures(chain(), None)
    assert picture.legacy is not None and picture.new is None
    assert dag_pictures({"kind": "Workflow", "spec": {"templates": [{"name": "main", "script": {}}]}}, {}) == []
    assert dag_pictures("not a manifest", [1, 2]) == []
