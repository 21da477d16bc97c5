"""The local executor runs a DAG task's whole ``depends`` expression as Argo does: the task waits for
every task the expression names, then runs when the condition holds and is Omitted (no node, no
pod) when it does not; a task group's AnySucceeded / AllFailed are read from its iterations;
failFast stops new tasks once one failed; an expression Argo rejects is reported unsupported."""

from __future__ import annotations

from typing import Any

import pytest

from harness.execute.check import inspect_workflow
from harness.execute.local import LocalExecutor
from harness.execute.result import RunPhase as Phase
from harness.execute.scheduler import omit_false_conditions
from harness.execute.support import task_condition, task_dependencies
from harness.spec import depends as D
from tests.execution_support import RESULTS, script, workflow
from tests.requirements import LOCAL_EXECUTOR


@pytest.fixture(scope="module")
def local() -> LocalExecutor:
    executor = LocalExecutor(default_deadline_s=60)
    LOCAL_EXECUTOR.require(executor.unavailable_reason())
    return executor


def _dag(tasks: list[dict[str, Any]], *templates: dict[str, Any], fail_fast: bool | None = None) -> dict[str, Any]:
    dag: dict[str, Any] = {"tasks": tasks}
    if fail_fast is not None:
        dag["failFast"] = fail_fast
    return workflow([{"name": "main", "dag": dag}, *templates], volumes=[RESULTS])


def _ran(run: Any) -> list[str]:
    return sorted(node.name for node in run.nodes if node.name != "main")


def _record(name: str) -> dict[str, Any]:
    return script(name, f"echo {name} >> /mnt/results/ran.txt", mounts=True)


def test_a_failure_handler_runs_and_the_normal_path_is_omitted(local: LocalExecutor) -> None:
    manifest = _dag(
        [
            {"name": "a", "template": "fails"},
            {"name": "handler", "template": "handler", "depends": "a.Failed"},
            {"name": "normal", "template": "normal", "depends": "a"},  # bare: Succeeded || Skipped || Daemoned
            {"name": "either", "template": "either", "depends": "normal || handler.Succeeded"},
        ],
        script("fails", "echo failing; exit 3"),
        _record("handler"),
        _record("normal"),
        _record("either"),
        fail_fast=False,
    )
    run = local.run(manifest, label="depends-handler")
    assert _ran(run) == ["main.a", "main.either", "main.handler"], [(n.name, n.phase) for n in run.nodes]
    assert run.file("/mnt/results/ran.txt").preview == "handler\neither\n"  # type: ignore[union-attr]
    assert run.phase is Phase.FAILED  # a failed: the DAG fails, as it does today


def test_fail_fast_starts_no_new_task_once_one_failed(local: LocalExecutor) -> None:
    manifest = _dag(
        [
            {"name": "a", "template": "fails"},
            {"name": "handler", "template": "handler", "depends": "a.Failed"},
        ],
        script("fails", "exit 3"),
        _record("handler"),
    )
    run = local.run(manifest, label="depends-fail-fast")
    assert _ran(run) == ["main.a"]
    assert run.phase is Phase.FAILED


def test_not_and_parentheses_decide_which_tasks_run(local: LocalExecutor) -> None:
    manifest = _dag(
        [
            {"name": "a", "template": "ok"},
            {"name": "b", "template": "b", "depends": "!a.Failed && (a.Succeeded || a.Errored)"},
            {"name": "c", "template": "c", "depends": "!a"},  # false: Omitted
            {"name": "d", "template": "d", "depends": "c || b"},  # c Omitted is not 'c', b is
            {"name": "e", "template": "e", "depends": "c.Omitted && d"},
        ],
        script("ok", "echo ok"),
        _record("b"),
        _record("c"),
        _record("d"),
        _record("e"),
    )
    run = local.run(manifest, label="depends-operators")
    assert run.phase is Phase.SUCCEEDED, [(n.name, n.phase, n.message) for n in run.nodes]
    assert _ran(run) == ["main.a", "main.b", "main.d", "main.e"]
    assert run.file("/mnt/results/ran.txt").preview == "b\nd\ne\n"  # type: ignore[union-attr]


def test_any_succeeded_and_all_failed_read_a_task_groups_iterations(local: LocalExecutor) -> None:
    loop = script("loop", 'test "{{inputs.parameters.n}}" = 0')
    loop["inputs"] = {"parameters": [{"name": "n"}]}
    manifest = _dag(
        [
            {
                "name": "loop",
                "template": "loop",
                "withItems": ["0", "1"],
                "arguments": {"parameters": [{"name": "n", "value": "{{item}}"}]},
            },
            {"name": "some", "template": "some", "depends": "loop.AnySucceeded"},
            {"name": "none", "template": "none", "depends": "loop.AllFailed"},
        ],
        loop,
        _record("some"),
        _record("none"),
        fail_fast=False,
    )
    run = local.run(manifest, label="depends-group")
    assert "main.some" in _ran(run) and "main.none" not in _ran(run), _ran(run)
    assert run.file("/mnt/results/ran.txt").preview == "some\n"  # type: ignore[union-attr]


def test_dependencies_and_the_same_depends_run_alike(local: LocalExecutor) -> None:
    def manifest(**later: Any) -> dict[str, Any]:
        return _dag(
            [{"name": "a", "template": "a"}, {"name": "b", "template": "b"}, {"name": "c", "template": "c", **later}],
            _record("a"),
            _record("b"),
            _record("c"),
        )

    written = local.run(manifest(dependencies=["a", "b"]), label="depends-list")
    expression = local.run(manifest(depends="b && a"), label="depends-expr")
    assert _ran(written) == _ran(expression) == ["main.a", "main.b", "main.c"]
    for run in (written, expression):
        assert run.file("/mnt/results/ran.txt").preview.endswith("c\n")  # type: ignore[union-attr]


# --- without a sandbox --------------------------------------------------------------------------------


def test_omitted_tasks_cascade_until_nothing_changes() -> None:
    tasks = {
        "a": {"name": "a"},
        "b": {"name": "b", "depends": "a.Failed"},
        "c": {"name": "c", "depends": "b"},
        "d": {"name": "d", "depends": "c.Omitted"},
    }
    conditions = {name: task_condition(task, tasks) for name, task in tasks.items()}
    results = {"a": D.outcome(D.SUCCEEDED)}
    pending = {n: t for n, t in tasks.items() if n != "a"}
    omitted = omit_false_conditions(pending, conditions, results, {n: i for i, n in enumerate(tasks)})
    assert omitted == ["b", "c"]  # b's condition is false; then c's (b Omitted); d's is true: it runs
    assert results["c"] == D.outcome(D.OMITTED)


def test_continue_on_widens_what_a_bare_name_accepts() -> None:
    tasks = {"a": {"name": "a", "continueOn": {"failed": True}}, "b": {"name": "b", "depends": "a"}}
    condition = task_condition(tasks["b"], tasks)
    assert condition is not None
    assert D.evaluate(condition, {"a": D.outcome(D.FAILED)})
    assert not D.evaluate(condition, {"a": D.outcome(D.ERRORED)})


def test_a_malformed_expression_is_reported_unsupported_and_nothing_runs() -> None:
    manifest = _dag(
        [{"name": "a", "template": "ok"}, {"name": "b", "template": "ok", "depends": "a &&"}],
        script("ok", "echo ok"),
    )
    with pytest.raises(ValueError, match="expected a task name"):
        task_dependencies({"depends": "a &&"})
    inspection = inspect_workflow(manifest)
    assert any("tasks[b].depends" in u and "expected a task name" in u for u in inspection.unsupported), inspection


def test_every_expression_argo_accepts_is_run() -> None:
    manifest = _dag(
        [
            {"name": "a", "template": "ok"},
            {"name": "b", "template": "ok", "depends": "(a.Succeeded || a.Skipped) && !a.Errored"},
            {"name": "c", "template": "ok", "depends": "a.AnySucceeded || b.Daemoned || b.Omitted"},
        ],
        script("ok", "echo ok"),
    )
    inspection = inspect_workflow(manifest)
    assert inspection.unsupported == () and inspection.invalid is None, inspection
