"""DAG templates compared by meaning (harness.normalize.dag), both ways: forms Argo reads alike
are one cosmetic difference, a relaxed or added ordering is one semantic difference per pair of
tasks at ``tasks[<later task>].depends``, a condition that differs says when the task now runs,
and a steps template against a DAG is one difference."""

from __future__ import annotations

import copy
import itertools
from typing import Any

from harness.diff import Category, Comparison, compare
from harness.spec import depends as D

PHASES = [
    "planning",
    "scoping",
    "sample-selection",
    "data-provider-id",
    "request-info",
    "testing",
    "observations",
]


def task(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "template": "work", **fields}


def dag_workflow(tasks: list[dict[str, Any]], *, kind: str = "dag") -> dict[str, Any]:
    body: Any = {"tasks": tasks} if kind == "dag" else tasks
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": "phases-"},
        "spec": {
            "entrypoint": "main",
            "templates": [
                {"name": "main", kind: body},
                {"name": "work", "container": {"image": "alpine:3.20", "command": ["true"]}},
            ],
        },
    }


def chain(field: str = "depends") -> list[dict[str, Any]]:
    tasks = [task(PHASES[0])]
    for before, name in itertools.pairwise(PHASES):
        tasks.append(task(name, **{field: before if field == "depends" else [before]}))
    return tasks


def by_name(tasks: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(t for t in tasks if t["name"] == name)


def semantic(comparison: Comparison) -> list[Any]:
    return list(comparison.by_category(Category.SEMANTIC))


def path(name: str) -> str:
    return f"spec.templates[main].dag.tasks[{name}].depends"


# --- form only ------------------------------------------------------------------------------------------


def test_dependencies_list_equals_a_bare_depends() -> None:
    comparison = compare(dag_workflow(chain("dependencies")), dag_workflow(chain("depends")))
    assert comparison.equivalent
    cosmetic = comparison.by_category(Category.COSMETIC)
    assert {d.path for d in cosmetic} == {path(n) for n in PHASES[1:]}
    assert {d.rule for d in comparison.differences} == {"dag-depends-form"}
    first = next(d for d in cosmetic if d.path == path("scoping"))
    assert first.left == ["planning"] and first.right == "planning"
    assert "dependencies and depends say the same" in first.message


def test_operand_order_is_form_only() -> None:
    left = [task("a"), task("b"), task("c", depends="a && (b || a.Failed)")]
    right = [task("a"), task("b"), task("c", depends="(a.Failed || b) && a")]
    comparison = compare(dag_workflow(left), dag_workflow(right))
    assert comparison.equivalent
    assert [(d.category, d.rule) for d in comparison.differences] == [(Category.COSMETIC, "dag-depends-form")]


def test_a_redundant_transitive_edge_is_form_only() -> None:
    right = chain()
    by_name(right, "testing")["depends"] = "scoping && request-info && planning"
    comparison = compare(dag_workflow(chain()), dag_workflow(right))
    assert comparison.equivalent, [d.to_dict() for d in semantic(comparison)]
    (difference,) = comparison.differences
    assert difference.path == path("testing") and difference.category is Category.COSMETIC


def test_the_same_manifest_has_no_difference() -> None:
    assert compare(dag_workflow(chain()), dag_workflow(chain())).differences == ()


# --- orderings ---------------------------------------------------------------------------------------------


def test_parallel_branches_relax_exactly_one_ordering() -> None:
    right = chain()
    by_name(right, "data-provider-id")["depends"] = "scoping"
    by_name(right, "request-info")["depends"] = "sample-selection && data-provider-id"
    comparison = compare(dag_workflow(chain()), dag_workflow(right))
    assert not comparison.equivalent
    (relaxed,) = semantic(comparison)
    assert relaxed.rule == "dag-ordering-relaxed"
    assert relaxed.path == path("data-provider-id")
    assert relaxed.message.startswith("data-provider-id may now start before sample-selection finishes")


def test_a_dropped_ordering_is_one_difference_per_relaxed_pair() -> None:
    right = chain()
    by_name(right, "testing")["depends"] = "data-provider-id"  # no longer waits for request-info
    comparison = compare(dag_workflow(chain()), dag_workflow(right))
    found = {(d.path, d.rule) for d in semantic(comparison)}
    assert found == {
        (path("testing"), "dag-ordering-relaxed"),
        (path("observations"), "dag-ordering-relaxed"),  # observations waited for it through testing
    }
    messages = sorted(d.message for d in semantic(comparison))
    assert messages[0].startswith("observations may now start before request-info finishes")
    assert messages[1].startswith("testing may now start before request-info finishes")


def test_an_added_ordering_says_the_task_now_waits() -> None:
    left = [task("a"), task("b"), task("c", dependencies=["a"])]
    right = [task("a"), task("b"), task("c", depends="a && b")]
    (added,) = semantic(compare(dag_workflow(left), dag_workflow(right)))
    assert added.rule == "dag-ordering-added" and added.path == path("c")
    assert added.message.startswith("c now waits for b to finish")
    assert added.left == ["a"] and added.right == "a && b"


def test_a_task_only_one_side_has_is_reported_whole_and_once() -> None:
    right = [*chain(), task("report", depends="observations")]
    comparison = compare(dag_workflow(chain()), dag_workflow(right))
    (difference,) = comparison.differences
    assert difference.path == "spec.templates[main].dag.tasks[report]"
    assert difference.right == {"name": "report", "template": "work", "depends": "observations"}


# --- conditions --------------------------------------------------------------------------------------------


def test_a_condition_that_differs_by_meaning_says_when_the_task_now_runs() -> None:
    left = [task("a"), task("b", depends="a")]
    right = [task("a"), task("b", depends="a.Failed")]
    (changed,) = semantic(compare(dag_workflow(left), dag_workflow(right)))
    assert changed.rule == "dag-condition" and changed.path == path("b")
    assert changed.message.startswith("b no longer runs when a Succeeded")
    assert 'depends: "a" -> depends: "a.Failed"' in changed.message


def test_continue_on_of_the_named_task_changes_what_a_bare_name_means() -> None:
    left = [task("a", continueOn={"failed": True}), task("b", depends="a")]
    right = [task("a", continueOn={"failed": True}), task("b", depends="a.Succeeded || a.Skipped || a.Daemoned")]
    changed = [d for d in semantic(compare(dag_workflow(left), dag_workflow(right))) if d.rule == "dag-condition"]
    assert [d.path for d in changed] == [path("b")]
    assert "when a Failed" in changed[0].message
    same = [task("a", continueOn={"failed": True}), task("b", depends="a || a.Failed")]
    assert compare(dag_workflow(left), dag_workflow(same)).equivalent


def test_an_unreadable_expression_is_semantic_with_the_parse_error() -> None:
    right = chain()
    by_name(right, "testing")["depends"] = "request-info &&"
    (difference,) = semantic(compare(dag_workflow(chain()), dag_workflow(right)))
    assert difference.rule == "dag-condition" and difference.path == path("testing")
    assert "cannot be read" in difference.message and "expected a task name" in difference.message


def test_beyond_the_bound_only_the_canonical_text_is_equal() -> None:
    names = [f"t{i}" for i in range(8)]
    assert len(D.PHASE_RESULTS) ** len(names) > D.MAX_COMBINATIONS
    base = [task(n) for n in names]
    left = dag_workflow([*base, task("z", depends=" && ".join(names))])
    same = dag_workflow([*base, task("z", depends=" && ".join(reversed(names)))])
    assert compare(left, same).equivalent
    # Conditions that tell every result of each task apart, logically equal but written apart:
    # 6**8 combinations, beyond the bound: not decided, so reported (never called equal unproven).
    every = " && ".join("(" + " || ".join(f"{n}.{r}" for r in D.PHASE_RESULTS if r != "Daemoned") + ")" for n in names)
    wide = dag_workflow([*base, task("z", depends=every)])
    negated = dag_workflow([*base, task("z", depends=" && ".join(f"!{n}.Daemoned" for n in names))])
    (undecided,) = semantic(compare(wide, negated))
    assert undecided.rule == "dag-condition" and "not decided" in undecided.message


def test_a_redundant_edge_deep_in_a_wide_dag_is_form_only() -> None:
    # 8 layers of 3 tasks, each waiting for the whole layer above: a task deep down has 21 tasks
    # before it, far beyond any search; conjunctions of bare names are decided by what they imply.
    layers = [[f"l{i}-{j}" for j in range(3)] for i in range(8)]
    tasks = [task(n) for n in layers[0]]
    for above, layer in itertools.pairwise(layers):
        tasks += [task(n, depends=" && ".join(above)) for n in layer]
    redundant = [dict(t) for t in tasks]
    by_name(redundant, "l7-0")["depends"] += " && l0-0 && l3-2"  # already implied through layer 6
    dropped = [dict(t) for t in tasks]
    by_name(dropped, "l7-0")["depends"] = "l6-0 && l6-1"  # l6-2 is no one's ancestor here
    assert compare(dag_workflow(tasks), dag_workflow(redundant)).equivalent
    (relaxed,) = semantic(compare(dag_workflow(tasks), dag_workflow(dropped)))
    assert relaxed.rule == "dag-ordering-relaxed" and "l7-0 may now start before l6-2 finishes" in relaxed.message


# --- steps against a DAG -----------------------------------------------------------------------------------


def steps_chain() -> list[list[dict[str, Any]]]:
    return [[task(n)] for n in PHASES]


def test_steps_against_a_dag_in_the_same_order_is_one_difference() -> None:
    comparison = compare(dag_workflow(steps_chain(), kind="steps"), dag_workflow(chain()))
    (difference,) = comparison.differences
    assert difference.category is Category.SEMANTIC and difference.rule == "steps-vs-dag"
    assert difference.path == "spec.templates[main]"
    assert "as steps on the left, as a DAG on the other side, in the same order" in difference.message


def test_steps_against_a_dag_in_another_order_says_which_pairs() -> None:
    right = chain()
    by_name(right, "data-provider-id")["depends"] = "scoping"
    by_name(right, "request-info")["depends"] = "sample-selection && data-provider-id"
    (difference,) = compare(dag_workflow(right), dag_workflow(steps_chain(), kind="steps")).differences
    assert difference.rule == "steps-vs-dag"
    assert "as steps on the right" in difference.message
    assert "data-provider-id after sample-selection only as steps" in difference.message


def test_the_relaxation_can_be_waived_at_the_contracted_path() -> None:
    from harness.diff.waivers import parse_waivers

    right = chain()
    by_name(right, "data-provider-id")["depends"] = "scoping"
    by_name(right, "request-info")["depends"] = "sample-selection && data-provider-id"
    waivers = parse_waivers(
        "waivers:\n"
        "  - id: parallel-data-provider\n"
        '    path: "spec.templates[main].dag.tasks[data-provider-id].depends"\n'
        "    reason: the two phases read different tables\n"
        "    owner: platform\n"
        "    expires: 2099-01-01\n"
    )
    comparison = compare(dag_workflow(chain()), dag_workflow(copy.deepcopy(right)), waivers=waivers)
    assert comparison.equivalent
    assert comparison.waivers_used == {"parallel-data-provider"}


def test_a_condition_on_a_task_only_one_side_has_is_a_change_of_condition_not_form() -> None:
    # The left runs drop-tables only when health-check failed; the right has no health-check and
    # runs drop-tables every time. The removed task is one difference; the condition is another,
    # so a waiver for the removal cannot make the pair equivalent.
    left = dag_workflow([task("health-check"), task("drop-tables", depends="health-check.Failed")])
    right = dag_workflow([task("drop-tables")])
    differences = {d.path: d for d in semantic(compare(left, right))}
    condition = differences[path("drop-tables")]
    assert condition.rule == "dag-condition"
    assert "drop-tables" in condition.message and "health-check.Failed" in condition.message
    at_the_task = [d for d in compare(left, right).differences if d.path == path("drop-tables")]
    assert [d.category for d in at_the_task] == [Category.SEMANTIC]
