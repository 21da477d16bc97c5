"""DAG templates by meaning: which tasks run after which, and under which condition.

A DAG task's ``depends`` or ``dependencies`` becomes one :class:`DependsLeaf` at
``tasks[<name>].depends`` in the canonical form, whichever field was written (Argo documents
``dependencies: [A, B]`` as ``depends: "A && B"``; :mod:`harness.spec.depends`). Its key is the
form as written, so any change of form reaches the differ, which asks :func:`compare_dags` what
it means:

- **ordering**: each DAG is a partial order, the transitive closure of "runs after" (Argo
  evaluates a task's condition only once every task it names has finished, so a task runs after
  each of them whatever the condition says). A pair ordered on the left only is one relaxed
  ordering (*b may now start before a finishes*); on the right only, one added ordering. A
  redundant transitive edge changes no pair.
- **condition**: for a task ordered the same way on both sides, whether it runs for the same
  results of the tasks before it. First over the tasks it names, each with exactly one result
  (:func:`harness.spec.depends.equivalent`); when that differs, in context: each task before it
  ends as it would on its own (Succeeded, Failed, Errored, Skipped, Daemoned), or Omitted when
  its own condition on that side is false, so ``c: a && b`` equals ``c: b`` when ``b`` runs only
  after ``a`` succeeded. Both searches are bounded (:data:`harness.spec.depends.MAX_COMBINATIONS`);
  beyond the bound two conditions are equal only when their canonical text is, and a change is
  reported saying it was not decided.
- **form**: anything else that differs is form only (cosmetic).

The DAG's own ``failFast`` and each task's ``when`` are compared as fields by the walk, not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from harness.normalize.canonical import Leaf
from harness.spec import depends as D


class DependsLeaf(Leaf):
    """A DAG task's ``depends``/``dependencies``: ``key`` is the form written, ``condition`` the
    parsed expression with bare names expanded by the named tasks' ``continueOn`` (None: the
    expression does not parse, ``error`` says why)."""

    __slots__ = ("condition", "error", "field", "refs", "written")

    def __init__(
        self,
        field: str,
        written: Any,
        condition: D.Expression | None,
        refs: tuple[str, ...],
        error: str | None,
    ) -> None:
        from harness.diff.builtin_rules import DAG_DEPENDS_FORM

        key: Any = ("unreadable", field, repr(written))
        if condition is not None:
            key = (field, D.to_text(_parsed_as_written(field, written)))
        super().__init__(key, written, DAG_DEPENDS_FORM)
        self.field = field
        self.written = written
        self.condition = condition
        self.refs = refs
        self.error = error

    def shown(self) -> str:
        """``depends: "a && b"`` / ``dependencies: [a, b]`` as a person reads it."""
        if self.field == "dependencies" and isinstance(self.written, list):
            return f"dependencies: [{', '.join(map(str, self.written))}]"
        return f"{self.field}: {self.written!r}" if self.field != "depends" else f'depends: "{self.written}"'


def _parsed_as_written(field: str, written: Any) -> D.Expression:
    if field == "dependencies":
        return D.parse_dependencies(written)
    return D.parse_depends(written)


def dag_hook(dag: dict[str, Any]) -> dict[str, Any]:
    """The ``dag`` mapping with each task's ``depends``/``dependencies`` replaced by one
    :class:`DependsLeaf` under ``depends``."""
    tasks = dag.get("tasks")
    if not isinstance(tasks, list):
        return dag
    continue_on = {
        t["name"]: t.get("continueOn")
        for t in tasks
        if isinstance(t, dict) and isinstance(t.get("name"), str) and isinstance(t.get("continueOn"), dict)
    }
    out = []
    for written_task in tasks:
        if not isinstance(written_task, dict) or (
            written_task.get("depends") in (None, "") and written_task.get("dependencies") in (None, [])
        ):
            out.append(written_task)
            continue
        task = dict(written_task)
        both = task.get("depends") not in (None, "") and task.get("dependencies") not in (None, [])
        depends = task.pop("depends", None)
        dependencies = task.pop("dependencies", None)
        field_name = "both" if both else "depends" if depends not in (None, "") else "dependencies"
        written: Any = {"depends": depends, "dependencies": dependencies} if both else depends or dependencies
        refs = D.referenced_tasks({"depends": depends} if depends not in (None, "") else {"dependencies": dependencies})
        try:
            condition = D.task_condition({"depends": depends, "dependencies": dependencies})
            expanded = D.expand(condition, continue_on) if condition is not None else None
            error = None
        except D.DependsError as exc:
            expanded, error = None, str(exc)
        task["depends"] = DependsLeaf(field_name, written, expanded, refs, error)
        out.append(task)
    return {**dag, "tasks": out}


# --- comparing two DAGs ----------------------------------------------------------------------------------


class ChangeKind(StrEnum):
    RELAXED = "relaxed"  # an ordering only the left has
    ADDED = "added"  # an ordering only the right has
    CONDITION = "condition"  # the same ordering, another condition
    FORM = "form"  # the same meaning, written differently


@dataclass(frozen=True, slots=True)
class DagChange:
    """What differs for one task of a DAG (``earlier``: the other task of a relaxed or added
    ordering); ``message`` is the one line a difference shows."""

    kind: ChangeKind
    task: str
    message: str
    earlier: str | None = None


@dataclass
class _Side:
    """One side's DAG: each task's dependency leaf (None: it waits for nothing), in order."""

    leaves: dict[str, DependsLeaf | None]
    ancestors: dict[str, frozenset[str]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # topological; empty when there is a cycle

    @classmethod
    def of(cls, tasks: Mapping[str, Any]) -> _Side:
        leaves: dict[str, DependsLeaf | None] = {}
        for name, task in tasks.items():
            leaf = task.get("depends") if isinstance(task, dict) else None
            leaves[name] = leaf if isinstance(leaf, DependsLeaf) else None
        side = cls(leaves)
        side.order = _topological(leaves)
        for name in leaves:
            side.ancestors[name] = _closure(name, leaves)
        return side

    def refs(self, name: str) -> tuple[str, ...]:
        leaf = self.leaves.get(name)
        return leaf.refs if leaf is not None else ()

    def condition(self, name: str) -> D.Expression | None:
        leaf = self.leaves.get(name)
        return leaf.condition if leaf is not None else None


def _closure(name: str, leaves: Mapping[str, DependsLeaf | None]) -> frozenset[str]:
    seen: set[str] = set()
    stack = [name]
    while stack:
        leaf = leaves.get(stack.pop())
        for ref in leaf.refs if leaf is not None else ():
            if ref not in seen:
                seen.add(ref)
                stack.append(ref)
    seen.discard(name)
    return frozenset(seen)


def _topological(leaves: Mapping[str, DependsLeaf | None]) -> list[str]:
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str) -> bool:
        if state.get(name) == 2:
            return True
        if state.get(name) == 1:
            return False  # a cycle
        state[name] = 1
        leaf = leaves.get(name)
        for ref in leaf.refs if leaf is not None else ():
            if ref in leaves and not visit(ref):
                return False
        state[name] = 2
        order.append(name)
        return True

    for name in leaves:
        if not visit(name):
            return []
    return order


def compare_dags(left: Mapping[str, Any], right: Mapping[str, Any], template: str) -> list[DagChange]:
    """What differs in the ordering and conditions of two DAGs' tasks (canonical ``tasks``,
    by name). Tasks only one side has are not looked at: the walk reports them whole."""
    a, b = _Side.of(left), _Side.of(right)
    common = [n for n in a.leaves if n in b.leaves]
    shared = set(common)
    where = f" (template {template})"
    changes: list[DagChange] = []
    for name in common:
        relaxed = sorted((a.ancestors[name] - b.ancestors[name]) & shared)
        added = sorted((b.ancestors[name] - a.ancestors[name]) & shared)
        for earlier in relaxed:
            message = f"{name} may now start before {earlier} finishes{where}"
            changes.append(DagChange(ChangeKind.RELAXED, name, message, earlier))
        for earlier in added:
            message = f"{name} now waits for {earlier} to finish{where}"
            changes.append(DagChange(ChangeKind.ADDED, name, message, earlier))
        if relaxed or added:
            continue
        change = _condition_change(name, a, b, where)
        if change is not None:
            changes.append(change)
    return changes


def _condition_change(name: str, a: _Side, b: _Side, where: str) -> DagChange | None:
    left, right = a.leaves[name], b.leaves[name]
    if left is None and right is None:
        return None
    if left is not None and right is not None and left == right and left.condition == right.condition:
        return None
    shown_left = left.shown() if left is not None else "no dependencies"
    shown_right = right.shown() if right is not None else "no dependencies"
    for leaf in (left, right):
        if leaf is not None and leaf.condition is None:
            # Argo rejects the workflow: which of the two forms would run cannot be said.
            return DagChange(ChangeKind.CONDITION, name, f"{name}'s condition cannot be read{where}: {leaf.error}")
    lc, rc = a.condition(name), b.condition(name)
    if lc is None and rc is None:
        return _form(name, shown_left, shown_right, where, "no task named on either side")
    if lc is None or rc is None:
        # Ordered alike among the tasks both sides have, yet one side waits for nothing: the
        # other names only tasks of its own side (a removed or added task, reported apart), and
        # its condition may keep the task from running; with none, the task always runs.
        written = lc if lc is not None else rc
        assert written is not None
        named = ", ".join(D.tasks_of(written))
        when = (
            f"now runs whatever {named} ended with"
            if rc is None
            else f"now runs only when its condition on {named} holds"
        )
        return DagChange(ChangeKind.CONDITION, name, f"{name} {when}{where}: {shown_left} -> {shown_right}")
    if D.equivalent(lc, rc).same:
        return _form(name, shown_left, shown_right, where, _form_reason(left, right))
    in_context = _implied_by_conjunctions(name, a, b) or _equivalent_in_context(name, a, b)
    if in_context.same:
        return _form(name, shown_left, shown_right, where, "the tasks before it decide the rest")
    if in_context.same is None:  # (equal canonical text was decided above, by D.equivalent)
        message = (
            f"{name} may run under a different condition{where}: {shown_left} -> {shown_right} "
            f"(not decided: {in_context.combinations} combinations of results exceed the bound of "
            f"{D.MAX_COMBINATIONS})"
        )
        return DagChange(ChangeKind.CONDITION, name, message)
    witness = in_context.witness or {}
    now = "no longer runs" if _runs(name, a, witness) else "now runs"
    when = D.describe_outcomes(witness, sorted(witness))
    return DagChange(ChangeKind.CONDITION, name, f"{name} {now} when {when}{where}: {shown_left} -> {shown_right}")


def _form(name: str, left: str, right: str, where: str, reason: str) -> DagChange | None:
    if left == right:
        return None
    message = (
        f"{name} waits for the same tasks under the same condition{where}, written differently "
        f"({reason}): {left} -> {right}"
    )
    return DagChange(ChangeKind.FORM, name, message)


def _form_reason(left: DependsLeaf | None, right: DependsLeaf | None) -> str:
    if left is not None and right is not None and left.field != right.field:
        return f"{left.field} and {right.field} say the same"
    return "the same condition written another way"


# --- in context: what each task before it ends with ------------------------------------------------------

# What a task that runs can end with: every result but Omitted, which only its condition decides.
_RUN_RESULTS = tuple(r for r in D.PHASE_RESULTS if r != D.OMITTED)
_OMITTED = D.outcome(D.OMITTED)


def _equivalent_in_context(name: str, a: _Side, b: _Side) -> D.Equivalence:
    if not a.order or not b.order:
        return D.Equivalence(None)  # a cycle: Argo rejects the workflow; nothing to evaluate
    before = sorted(a.ancestors[name] | b.ancestors[name])
    exprs = [e for side in (a, b) for t in (*before, name) if (e := side.condition(t)) is not None]
    domains = {t: D.distinct_outcomes(t, D.possible_outcomes(t, *exprs, results=_RUN_RESULTS), *exprs) for t in before}
    count = D.combinations(domains)
    if count > D.MAX_COMBINATIONS:
        return D.Equivalence(None, None, count)
    for intrinsic in D.assignments(domains):
        if _runs(name, a, intrinsic) != _runs(name, b, intrinsic):
            return D.Equivalence(False, intrinsic, count)
    return D.Equivalence(True, None, count)


def _bare_conjunction(condition: D.Expression | None) -> frozenset[str] | None:
    """The tasks of a condition that is only ``a && b && ...`` of bare names, each meaning
    Succeeded || Skipped || Daemoned (no ``continueOn``); an empty set for no condition; None for
    any other condition."""
    if condition is None:
        return frozenset()
    names: set[str] = set()
    for operand in condition.operands if isinstance(condition, D.And) else (condition,):
        refs = operand.operands if isinstance(operand, D.Or) else (operand,)
        tasks = {ref.task for ref in refs if isinstance(ref, D.Ref)}
        results = {ref.result for ref in refs if isinstance(ref, D.Ref)}
        if len(tasks) != 1 or len(refs) != len(results) or results != set(D.BARE_NAME_RESULTS):
            return None
        names |= tasks
    return frozenset(names)


def _implied_by_conjunctions(name: str, a: _Side, b: _Side) -> D.Equivalence | None:
    """The in-context check, decided without a search for the DAGs most builders write: every
    condition up to ``name`` a conjunction of bare names. Then a task that ran to Succeeded,
    Skipped or Daemoned implies every task before it did too (Argo evaluates a ``when`` only after
    the condition held, and a false condition Omits the task), so a term that is an ancestor of
    another term says nothing more: the two conditions are equal exactly when their terms agree
    once such implied terms are dropped. When they differ, a term only one side keeps, Failed
    with everything else Succeeded, tells them apart. None: not such DAGs (search instead)."""
    if not a.order or not b.order:
        return None
    kept: list[frozenset[str]] = []
    for side in (a, b):
        if any(_bare_conjunction(side.condition(t)) is None for t in (name, *side.ancestors[name])):
            return None
        terms = _bare_conjunction(side.condition(name)) or frozenset()
        kept.append(frozenset(t for t in terms if not any(t in side.ancestors[u] for u in terms if u != t)))
    if kept[0] == kept[1]:
        return D.Equivalence(True)
    before = sorted(a.ancestors[name] | b.ancestors[name])
    for odd in sorted(kept[0] ^ kept[1]):
        witness = {t: D.outcome(D.FAILED if t == odd else D.SUCCEEDED) for t in before}
        if _runs(name, a, witness) != _runs(name, b, witness):
            return D.Equivalence(False, witness)
    return None  # not the case the argument covers after all: let the search decide


def _runs(name: str, side: _Side, intrinsic: Mapping[str, D.Outcome]) -> bool:
    """Whether ``name`` runs on this side when every task before it that runs ends as
    ``intrinsic`` says (a task whose condition is false is Omitted instead)."""
    results: dict[str, D.Outcome] = {}
    for task in side.order:
        if task != name and task not in side.ancestors[name]:
            continue
        condition = side.condition(task)
        runs = condition is None or D.evaluate(condition, _known(results, condition))
        if task == name:
            return runs
        results[task] = intrinsic.get(task, D.outcome(D.SUCCEEDED)) if runs else _OMITTED
    return True


def _known(results: Mapping[str, D.Outcome], condition: D.Expression) -> Mapping[str, D.Outcome]:
    # A task named but not in this DAG (Argo rejects that) reads as Omitted: never ran.
    return {t: results.get(t, _OMITTED) for t in D.tasks_of(condition)}


# --- steps against a DAG ---------------------------------------------------------------------------------


def steps_order(groups: Any) -> dict[str, frozenset[str]] | None:
    """The ordering of a canonical ``steps`` template: each step runs after every step of the
    groups before its own (None: steps without names, which no DAG can match)."""
    order: dict[str, frozenset[str]] = {}
    earlier: set[str] = set()
    for group in groups if isinstance(groups, list) else []:
        found = (
            list(group) if isinstance(group, dict) else [s.get("name") if isinstance(s, dict) else None for s in group]
        )
        names = [n for n in found if isinstance(n, str)]
        if len(names) != len(found):
            return None
        for n in names:
            order[n] = frozenset(earlier)
        earlier.update(names)
    return order


def dag_order(tasks: Any) -> dict[str, frozenset[str]] | None:
    if not isinstance(tasks, dict):
        return None
    side = _Side.of(tasks)
    return dict(side.ancestors)


def steps_against_dag(steps: Any, dag: Any, steps_side: str) -> str:
    """The message for a ``steps`` template on one side and a ``dag`` on the other."""
    tasks = dag.get("tasks") if isinstance(dag, dict) else None
    s, d = steps_order(steps), dag_order(tasks)
    head = f"the template runs its tasks as steps on the {steps_side}, as a DAG on the other side"
    if s is None or d is None or not isinstance(tasks, dict):
        return f"{head} (their orders cannot be compared)"
    if set(s) != set(d):
        only_steps = sorted(set(s) - set(d))
        only_dag = sorted(set(d) - set(s))
        parts = [
            f"only as steps: {', '.join(only_steps)}" if only_steps else "",
            f"only in the DAG: {', '.join(only_dag)}" if only_dag else "",
        ]
        return f"{head}, with different tasks ({'; '.join(p for p in parts if p)})"
    pairs = [
        f"{n} after {e}" + (" only as steps" if e in s[n] else " only in the DAG")
        for n in sorted(s)
        for e in sorted(s[n] ^ d[n])
    ]
    if pairs:
        return f"{head}, in a different order ({'; '.join(pairs)})"
    conditional = sorted(n for n, leaf in _Side.of(tasks).leaves.items() if leaf is not None and not _plain(leaf))
    extra = f"; tasks {', '.join(conditional)} have conditions beyond their order" if conditional else ""
    return (
        f"{head}, in the same order (a step group waits for the whole group before; a task for its "
        f"own dependencies: failures, retries and the nodes Argo records differ{extra})"
    )


def _plain(leaf: DependsLeaf) -> bool:
    """A condition that only says "after these tasks" (bare names): what a step group means."""
    if leaf.condition is None:
        return False
    bare = D.parse_dependencies(list(leaf.refs)) if leaf.refs else None
    return bare is not None and D.equivalent(leaf.condition, D.expand(bare)).same is True
