"""Argo's DAG dependency conditions (``depends`` and ``dependencies``): the one grammar, evaluation
and equivalence every stage uses (the differ's DAG comparison, the executors' scheduler).

Where each fact comes from:

- Argo docs, "Enhanced Depends Logic" (docs/enhanced-depends-logic.md,
  https://argo-workflows.readthedocs.io/en/latest/enhanced-depends-logic/): operands
  ``task.Result`` with the results ``Succeeded``, ``Failed``, ``Errored``, ``Skipped``, ``Omitted``,
  ``Daemoned`` (and ``AnySucceeded`` / ``AllFailed`` for a task with ``withItems``); the operators
  ``&&``, ``||``, ``!`` and parentheses; "an unspecified result is equivalent to
  ``(task.Succeeded || task.Skipped || task.Daemoned)``", and ``dependencies: [A, B]`` is the same
  as ``depends: "A && B"``.
- Argo ``workflow/common/ancestry.go`` (``taskNameRegex``, ``getTaskDependsLogic``,
  ``expandDependency``): a task name is ``[a-zA-Z0-9][-a-zA-Z0-9]*``; a bare name expands to the
  three results above, plus ``Errored`` when the named task has ``continueOn.error`` and
  ``Failed`` when it has ``continueOn.failed``.
- Argo ``workflow/controller/dag.go`` (``evaluateDependsLogic``): a task's condition is evaluated
  only once every task it names is fulfilled (so every named task runs before it, whatever the
  condition says); a false condition makes the task ``Omitted``. ``AnySucceeded`` is true when a
  task group has a child that succeeded, ``AllFailed`` when it has children and all failed.
- Argo ``workflow/validate/validate.go``: a DAG task may not use both ``depends`` and
  ``dependencies``.

The grammar has three operators and one kind of operand, so it is parsed here by a small
recursive-descent parser (Argo itself rewrites the text for the general-purpose ``govaluate``;
no Python expression library reads this grammar as is, and a general one would accept far more
than Argo does).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

# --- results -----------------------------------------------------------------------------------------

SUCCEEDED: Final = "Succeeded"
FAILED: Final = "Failed"
ERRORED: Final = "Errored"
SKIPPED: Final = "Skipped"
OMITTED: Final = "Omitted"
DAEMONED: Final = "Daemoned"
ANY_SUCCEEDED: Final = "AnySucceeded"
ALL_FAILED: Final = "AllFailed"

# The results a task ends with: exactly one holds for a finished task.
PHASE_RESULTS: Final = (SUCCEEDED, FAILED, ERRORED, SKIPPED, OMITTED, DAEMONED)
# Facts about a task group's children (withItems/withParam), true beside the group's result.
GROUP_RESULTS: Final = (ANY_SUCCEEDED, ALL_FAILED)
RESULTS: Final = (*PHASE_RESULTS, *GROUP_RESULTS)
# What a bare task name means (Argo's docs: "an unspecified result is equivalent to ...").
BARE_NAME_RESULTS: Final = (SUCCEEDED, SKIPPED, DAEMONED)

# Argo's task-name syntax in an expression (ancestry.go ``taskNameRegex``).
_NAME: Final = r"[A-Za-z0-9][-A-Za-z0-9]*"
_TOKEN: Final = re.compile(rf"\s*(?:(?P<op>&&|\|\||!|\(|\))|(?P<operand>{_NAME}(?:\.[A-Za-z]+)?)|(?P<bad>\S))")
_OPERAND_NAMES: Final = re.compile(rf"({_NAME})(?:\.[A-Za-z]+)?")


class DependsError(ValueError):
    """A ``depends`` expression (or ``dependencies`` list) Argo would reject; the message names
    the expression, where and what is wrong."""


# --- the expression type -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ref:
    """``task.Result``; ``result`` None is a bare name (see :func:`expand`)."""

    task: str
    result: str | None = None


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expression


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Expression, ...]


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Expression, ...]


Expression: TypeAlias = Ref | Not | And | Or


def to_text(expr: Expression) -> str:
    """The expression written the way ``depends`` takes it (parentheses only where needed)."""
    if isinstance(expr, Ref):
        return expr.task if expr.result is None else f"{expr.task}.{expr.result}"
    if isinstance(expr, Not):
        inner = to_text(expr.operand)
        return f"!{inner}" if isinstance(expr.operand, Ref | Not) else f"!({inner})"
    if isinstance(expr, And):
        return " && ".join(f"({to_text(o)})" if isinstance(o, Or) else to_text(o) for o in expr.operands)
    return " || ".join(to_text(o) for o in expr.operands)


# --- parsing -------------------------------------------------------------------------------------------


def parse_depends(text: str) -> Expression:
    """Parse a ``depends`` expression; :class:`DependsError` names what is wrong and where."""
    return _Parser(text).parse()


def parse_dependencies(names: Sequence[Any]) -> Expression:
    """``dependencies: [A, B]``: the same as ``depends: "A && B"`` (bare names)."""
    refs: list[Expression] = []
    for name in names:
        if not isinstance(name, str) or not re.fullmatch(_NAME, name):
            raise DependsError(f"dependencies: {name!r} is not a task name ([a-zA-Z0-9][-a-zA-Z0-9]*)")
        refs.append(Ref(name))
    if not refs:
        raise DependsError("dependencies: an empty list names no task")
    return refs[0] if len(refs) == 1 else And(tuple(refs))


def task_condition(task: Mapping[str, Any]) -> Expression | None:
    """A DAG task's condition as written (bare names not expanded), or None for a task that waits
    for nothing. :class:`DependsError` for a malformed one, or both fields at once (Argo's
    validation rejects that)."""
    depends = task.get("depends")
    dependencies = task.get("dependencies")
    if depends not in (None, "") and dependencies not in (None, []):
        raise DependsError("a task cannot use both 'depends' and 'dependencies'")
    if depends not in (None, ""):
        if not isinstance(depends, str):
            raise DependsError(f"depends: {depends!r} is not a string")
        return parse_depends(depends)
    if dependencies not in (None, []):
        if not isinstance(dependencies, list):
            raise DependsError(f"dependencies: {dependencies!r} is not a list")
        return parse_dependencies(dependencies)
    return None


class _Parser:
    """Recursive descent: ``||`` binds loosest, then ``&&``, then ``!`` (govaluate's precedence)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []  # (kind, text, column)
        for match in _TOKEN.finditer(text):
            kind = match.lastgroup or "bad"
            column = match.start(kind) + 1
            if kind == "bad":
                self.fail(f"unexpected character {match.group(kind)!r}", column)
            self.tokens.append((kind, match.group(kind), column))
        self.pos = 0

    def fail(self, problem: str, column: int) -> None:
        raise DependsError(f"depends {self.text!r}: {problem} at column {column}")

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def parse(self) -> Expression:
        if not self.tokens:
            self.fail("the expression is empty", 1)
        expr = self.disjunction()
        token = self.peek()
        if token is not None:
            self.fail(f"unexpected {token[1]!r}", token[2])
        return expr

    def disjunction(self) -> Expression:
        operands = [self.conjunction()]
        while (token := self.peek()) is not None and token[1] == "||":
            self.pos += 1
            operands.append(self.conjunction())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def conjunction(self) -> Expression:
        operands = [self.negation()]
        while (token := self.peek()) is not None and token[1] == "&&":
            self.pos += 1
            operands.append(self.negation())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def negation(self) -> Expression:
        token = self.peek()
        if token is not None and token[1] == "!":
            self.pos += 1
            return Not(self.negation())
        return self.atom()

    def atom(self) -> Expression:
        token = self.peek()
        if token is None:
            self.fail("expected a task name or '(' at the end", len(self.text) + 1)
            raise AssertionError  # pragma: no cover
        kind, text, column = token
        self.pos += 1
        if text == "(":
            inner = self.disjunction()
            closing = self.peek()
            if closing is None or closing[1] != ")":
                self.fail("missing ')'", closing[2] if closing else len(self.text) + 1)
            self.pos += 1
            return inner
        if kind != "operand":
            self.fail(f"expected a task name, found {text!r}", column)
        name, _, result = text.partition(".")
        if result and result not in RESULTS:
            self.fail(f"unknown task result {result!r} (one of {', '.join(RESULTS)})", column + len(name) + 1)
        return Ref(name, result or None)


# --- what an expression names ----------------------------------------------------------------------------


def tasks_of(expr: Expression) -> tuple[str, ...]:
    """The task names an expression refers to, in first-seen order, each once."""
    return tuple(dict.fromkeys(ref.task for ref in _refs(expr)))


def _refs(expr: Expression) -> Iterator[Ref]:
    if isinstance(expr, Ref):
        yield expr
    elif isinstance(expr, Not):
        yield from _refs(expr.operand)
    else:
        for operand in expr.operands:
            yield from _refs(operand)


def referenced_tasks(task: Mapping[str, Any]) -> tuple[str, ...]:
    """The task names a DAG task's ``depends`` (or, without it, ``dependencies``) refers to, in
    first-seen order, each once. Never raises: from a malformed expression it gives the names it
    can read (the way Argo's own ``taskNameRegex`` scan does)."""
    depends = task.get("depends")
    if isinstance(depends, str) and depends.strip():
        names = [m.group(1) for m in _OPERAND_NAMES.finditer(depends)]
    else:
        dependencies = task.get("dependencies")
        names = [d for d in dependencies if isinstance(d, str)] if isinstance(dependencies, list) else []
    return tuple(dict.fromkeys(names))


# --- bare names ------------------------------------------------------------------------------------------


def bare_name_results(continue_on: Mapping[str, Any] | None = None) -> tuple[str, ...]:
    """The results a bare name accepts for a task with this ``continueOn`` (ancestry.go
    ``expandDependency``: a task that may continue on error or failure lets its dependants run)."""
    results = list(BARE_NAME_RESULTS)
    if isinstance(continue_on, Mapping):
        if continue_on.get("error") is True:
            results.append(ERRORED)
        if continue_on.get("failed") is True:
            results.append(FAILED)
    return tuple(results)


def expand(expr: Expression, continue_on: Mapping[str, Mapping[str, Any] | None] | None = None) -> Expression:
    """The expression with every bare name written out as the results it stands for
    (``continue_on``: each named task's ``continueOn``, when known)."""
    if isinstance(expr, Ref):
        if expr.result is not None:
            return expr
        results = bare_name_results((continue_on or {}).get(expr.task))
        return Or(tuple(Ref(expr.task, r) for r in results))
    if isinstance(expr, Not):
        return Not(expand(expr.operand, continue_on))
    operands = tuple(expand(o, continue_on) for o in expr.operands)
    return And(operands) if isinstance(expr, And) else Or(operands)


# --- evaluation --------------------------------------------------------------------------------------------

# What is true of one finished task: its result, and for a task group the group facts that hold
# (``frozenset({"Failed", "AnySucceeded"})``).
Outcome: TypeAlias = frozenset[str]


def outcome(result: str, *group_facts: str) -> Outcome:
    return frozenset((result, *group_facts))


def evaluate(expr: Expression, outcomes: Mapping[str, Outcome]) -> bool:
    """Whether the condition holds once every task it names has finished with ``outcomes``
    (a bare name as :data:`BARE_NAME_RESULTS`; expand first to honour ``continueOn``). A task
    missing from ``outcomes`` is :class:`KeyError`: Argo never evaluates before all are done."""
    if isinstance(expr, Ref):
        facts = outcomes[expr.task]
        if expr.result is None:
            return any(r in facts for r in BARE_NAME_RESULTS)
        return expr.result in facts
    if isinstance(expr, Not):
        return not evaluate(expr.operand, outcomes)
    if isinstance(expr, And):
        return all(evaluate(o, outcomes) for o in expr.operands)
    return any(evaluate(o, outcomes) for o in expr.operands)


def possible_outcomes(task: str, *exprs: Expression, results: Sequence[str] = PHASE_RESULTS) -> tuple[Outcome, ...]:
    """What ``task`` can end with, one result each, as far as ``exprs`` can tell: each of
    ``results``, and when an expression asks about the task's group, the group facts that can
    hold beside a result (a child succeeded: any result but Skipped/Omitted; all children failed:
    the group Failed)."""
    plain = [outcome(r) for r in results]
    asked = {ref.result for e in exprs for ref in _refs(e) if ref.task == task}
    extra: list[Outcome] = []
    if ANY_SUCCEEDED in asked:
        extra += [outcome(r, ANY_SUCCEEDED) for r in (SUCCEEDED, FAILED, ERRORED) if r in results]
    if ALL_FAILED in asked and FAILED in results:
        extra.append(outcome(FAILED, ALL_FAILED))
    return (*plain, *extra)


# --- equivalence -----------------------------------------------------------------------------------------

# How many combinations of task results an equivalence check looks at, at most. Six results per
# task: up to 7 tasks exhaustively (6**7 = 279,936 evaluations of each side, about a second).
# Conditions with the same canonical text (:func:`canonical_text`) are equal without a search;
# beyond the bound any others are None ("not decided"), which callers report as a change.
MAX_COMBINATIONS: Final = 300_000


@dataclass(frozen=True, slots=True)
class Equivalence:
    """``same``: True (equal on every combination), False (``witness`` is one where they differ),
    None (more than ``limit`` combinations: not decided)."""

    same: bool | None
    witness: Mapping[str, Outcome] | None = None
    combinations: int = 0


def combinations(domains: Mapping[str, Sequence[Outcome]]) -> int:
    total = 1
    for values in domains.values():
        total *= max(1, len(values))
    return total


def assignments(domains: Mapping[str, Sequence[Outcome]]) -> Iterator[dict[str, Outcome]]:
    names = list(domains)
    for values in itertools.product(*(domains[n] for n in names)):
        yield dict(zip(names, values, strict=True))


def distinct_outcomes(task: str, outcomes: Sequence[Outcome], *exprs: Expression) -> tuple[Outcome, ...]:
    """One outcome of ``task`` per class the expressions can tell apart: two outcomes for which
    every operand naming the task (``task.Result``, or the bare name) is equally true make every
    expression equally true, so only the first of them needs evaluating. A bare name alone splits
    six results into two classes, so a fan-in of n tasks costs 2**n evaluations, not 6**n."""
    operands = {ref for e in exprs for ref in _refs(e) if ref.task == task}
    seen: dict[tuple[bool, ...], Outcome] = {}
    for candidate in outcomes:
        signature = tuple(evaluate(ref, {task: candidate}) for ref in sorted(operands, key=str))
        seen.setdefault(signature, candidate)
    return tuple(seen.values())


def equivalent(left: Expression, right: Expression, *, limit: int = MAX_COMBINATIONS) -> Equivalence:
    """Whether two conditions hold for exactly the same results of the tasks they name, each task
    with exactly one result (a task only one side names still has one). Bare names are taken as
    written (:data:`BARE_NAME_RESULTS`); expand both first to honour ``continueOn``."""
    if canonical_text(left) == canonical_text(right):
        return Equivalence(True, None, 0)  # the same condition in another order: nothing to try
    names = tuple(dict.fromkeys((*tasks_of(left), *tasks_of(right))))
    domains = {n: distinct_outcomes(n, possible_outcomes(n, left, right), left, right) for n in names}
    count = combinations(domains)
    if count > limit:
        return Equivalence(None, None, count)
    for values in assignments(domains):
        if evaluate(left, values) != evaluate(right, values):
            return Equivalence(False, values, count)
    return Equivalence(True, None, count)


def canonical_text(expr: Expression) -> str:
    """A text equal for expressions that differ only in operand order, nesting of the same
    operator, repeats and double negation: :func:`equivalent`'s first test, needing no search."""
    return to_text(_canonical(expr))


def _canonical(expr: Expression) -> Expression:
    if isinstance(expr, Ref):
        return expr
    if isinstance(expr, Not):
        inner = _canonical(expr.operand)
        return inner.operand if isinstance(inner, Not) else Not(inner)
    kind = type(expr)
    flat: dict[str, Expression] = {}
    for operand in expr.operands:
        node = _canonical(operand)
        for part in node.operands if isinstance(node, kind) else (node,):
            flat.setdefault(to_text(part), part)
    parts = tuple(flat[k] for k in sorted(flat))
    return parts[0] if len(parts) == 1 else kind(parts)


def describe_outcomes(values: Mapping[str, Outcome], names: Iterable[str] | None = None) -> str:
    """``a Failed, b Succeeded`` (group facts in parentheses) for a message."""
    shown = []
    for name in names if names is not None else values:
        facts = values[name]
        phase = next((r for r in PHASE_RESULTS if r in facts), "?")
        group = [r for r in GROUP_RESULTS if r in facts]
        shown.append(f"{name} {phase}" + (f" ({', '.join(group)})" if group else ""))
    return ", ".join(shown)
