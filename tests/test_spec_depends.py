"""Argo's depends grammar (harness.spec.depends): parsing, the bare-name meaning, evaluation and
equivalence over task results, both ways (equal forms are equal, a real change is found with a
combination of results that tells them apart)."""

from __future__ import annotations

import pytest

from harness.spec import depends as D


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a", D.Ref("a")),
        ("task-1.Succeeded", D.Ref("task-1", "Succeeded")),
        ("a && b", D.And((D.Ref("a"), D.Ref("b")))),
        ("a || b && c", D.Or((D.Ref("a"), D.And((D.Ref("b"), D.Ref("c")))))),  # && binds tighter
        ("(a || b) && !c.Failed", D.And((D.Or((D.Ref("a"), D.Ref("b"))), D.Not(D.Ref("c", "Failed"))))),
        ("!!a", D.Not(D.Not(D.Ref("a")))),
        ("  a.AnySucceeded||b.AllFailed ", D.Or((D.Ref("a", "AnySucceeded"), D.Ref("b", "AllFailed")))),
    ],
)
def test_parses_argos_grammar(text: str, expected: D.Expression) -> None:
    assert D.parse_depends(text) == expected
    assert D.parse_depends(D.to_text(expected)) == expected  # to_text round-trips


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "the expression is empty"),
        ("a &&", "expected a task name or '(' at the end at column 5"),
        ("a.Finished", "unknown task result 'Finished'"),
        ("(a || b", "missing ')'"),
        ("a b", "unexpected 'b' at column 3"),
        ("a & b", "unexpected character '&'"),
        ("a || || b", "expected a task name, found '||'"),
        ("_a", "unexpected character '_'"),
    ],
)
def test_a_malformed_expression_is_a_clear_error(text: str, problem: str) -> None:
    with pytest.raises(D.DependsError, match=r"depends .*" + problem.replace("(", r"\(").replace(")", r"\)")):
        D.parse_depends(text)


def test_dependencies_and_both_fields() -> None:
    assert D.parse_dependencies(["a", "b"]) == D.And((D.Ref("a"), D.Ref("b")))
    assert D.task_condition({"dependencies": ["a"]}) == D.Ref("a")
    assert D.task_condition({"name": "x"}) is None
    with pytest.raises(D.DependsError, match="both 'depends' and 'dependencies'"):
        D.task_condition({"depends": "a", "dependencies": ["a"]})
    with pytest.raises(D.DependsError, match="not a task name"):
        D.parse_dependencies(["a b"])


def test_referenced_tasks_in_first_seen_order_and_never_raises() -> None:
    assert D.referenced_tasks({"depends": "(b.Failed || a) && !b && c-1"}) == ("b", "a", "c-1")
    assert D.referenced_tasks({"dependencies": ["x", "y", "x"]}) == ("x", "y")
    assert D.referenced_tasks({"depends": "a && (((", "dependencies": ["ignored"]}) == ("a",)
    assert D.referenced_tasks({"depends": 3}) == ()
    assert D.referenced_tasks({}) == ()


def test_a_bare_name_is_succeeded_skipped_or_daemoned_widened_by_continue_on() -> None:
    bare = D.parse_depends("a")
    for result in D.PHASE_RESULTS:
        assert D.evaluate(bare, {"a": D.outcome(result)}) is (result in D.BARE_NAME_RESULTS), result
    widened = D.expand(bare, {"a": {"error": True, "failed": True}})
    assert D.evaluate(widened, {"a": D.outcome(D.FAILED)}) and D.evaluate(widened, {"a": D.outcome(D.ERRORED)})
    assert not D.evaluate(widened, {"a": D.outcome(D.OMITTED)})
    assert D.expand(D.parse_depends("a.Failed"), {"a": {"failed": True}}) == D.Ref("a", "Failed")


def test_group_results_hold_beside_the_groups_own() -> None:
    expr = D.parse_depends("a.AnySucceeded && a.Failed")
    assert D.evaluate(expr, {"a": D.outcome(D.FAILED, D.ANY_SUCCEEDED)})
    assert not D.evaluate(expr, {"a": D.outcome(D.FAILED)})


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("a && b", "b && a"),
        ("a", "a.Succeeded || a.Skipped || a.Daemoned"),
        ("!(a.Failed || b.Failed)", "!a.Failed && !b.Failed"),
        ("a && (b || c)", "(a && b) || (a && c)"),
        ("a.Succeeded || a.Failed || a.Errored || a.Skipped || a.Omitted || a.Daemoned", "a || !a"),
        ("a.Succeeded && !a.Failed", "a.Succeeded"),  # one result per task: Succeeded excludes Failed
    ],
)
def test_equivalent_forms_are_equal(left: str, right: str) -> None:
    verdict = D.equivalent(D.parse_depends(left), D.parse_depends(right))
    assert verdict.same is True, verdict


@pytest.mark.parametrize(
    ("left", "right", "witness_holds_on"),
    [
        ("a", "a.Succeeded", "left"),  # a Skipped or Daemoned
        ("a && b", "a || b", "right"),
        ("a.Failed", "a", None),
        ("a.AnySucceeded", "a.Succeeded", None),
        ("a", "a && b", "left"),
    ],
)
def test_a_real_change_is_found_with_a_witness(left: str, right: str, witness_holds_on: str | None) -> None:
    lx, rx = D.parse_depends(left), D.parse_depends(right)
    verdict = D.equivalent(lx, rx)
    assert verdict.same is False
    assert verdict.witness is not None
    assert D.evaluate(lx, verdict.witness) != D.evaluate(rx, verdict.witness)
    if witness_holds_on is not None:
        assert D.evaluate(lx if witness_holds_on == "left" else rx, verdict.witness)


def every_result_but(task: str, result: str) -> str:
    """``(t.Succeeded || ...)`` over every result but one: as true as ``!t.result``, and an
    expression that tells all six results of the task apart."""
    return "(" + " || ".join(f"{task}.{r}" for r in D.PHASE_RESULTS if r != result) + ")"


def test_beyond_the_bound_nothing_is_decided_and_canonical_text_decides() -> None:
    names = [f"t{i}" for i in range(8)]  # every result told apart: 6**8 combinations > MAX_COMBINATIONS
    left = D.parse_depends(" && ".join(every_result_but(n, "Daemoned") for n in names))
    right = D.parse_depends(" && ".join(f"!{n}.Daemoned" for n in reversed(names)))
    verdict = D.equivalent(left, right)
    assert verdict.same is None and verdict.combinations > D.MAX_COMBINATIONS
    assert D.canonical_text(left) != D.canonical_text(right)
    # The same condition in another order needs no search at all.
    reordered = D.parse_depends(" && ".join(every_result_but(n, "Daemoned") for n in reversed(names)))
    assert D.equivalent(left, reordered) == D.Equivalence(True, None, 0)


def test_a_fan_in_of_bare_names_costs_two_cases_per_task_not_six() -> None:
    # Each bare name is true for Succeeded, Skipped and Daemoned and false for the rest: two
    # classes of results, so a fan-in of 8 tasks is decided over 2**8 combinations.
    names = [f"t{i}" for i in range(8)]
    left = D.parse_depends(" && ".join(names))
    right = D.parse_depends(" && ".join(names[:-1]) + " && (t7.Succeeded || t7.Skipped)")
    verdict = D.equivalent(left, right)
    # t7 is told apart four ways: Succeeded, Skipped, Daemoned, and the three the bare name refuses.
    assert verdict.same is False and verdict.combinations == 2**7 * 4
    assert verdict.witness is not None and D.DAEMONED in verdict.witness["t7"]
