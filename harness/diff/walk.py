"""Walk two canonical forms side by side and yield where they differ.

Equal subtrees are skipped with one ``==`` (C speed), so the cost is proportional to what
differs, not to the size of the manifests.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from harness.diff.paths import Index, Item, Key, Segment
from harness.normalize.canonical import ABSENT, Keyed, Leaf
from harness.normalize.dag import compare_dags, steps_against_dag
from harness.spec import fields

# Mappings (and their parents) whose entries are classified one by one: labels and annotations.
_METADATA_FIELDS = fields.METADATA_FIELDS | fields.METADATA_MAPS


@dataclass(frozen=True, slots=True)
class RawDifference:
    segments: tuple[Segment, ...]
    left: Any  # canonical node, or ABSENT
    right: Any
    # What a whole-structure comparison found here (a harness.normalize.dag.DagChange, or the
    # message of a steps template against a DAG); None for a difference of one value.
    detail: Any = None


def walk(left: Any, right: Any, prefix: tuple[Segment, ...] = ()) -> Iterator[RawDifference]:
    if left is right or (left is not ABSENT and right is not ABSENT and left == right):
        return
    if isinstance(left, Keyed) and isinstance(right, Keyed):
        if prefix[-2:] == (Key("dag"), Key("tasks")):
            yield from _dag_tasks(left, right, prefix)
        else:
            yield from _mapping(left, right, prefix, Item)
    elif _plain_dict(left) and _plain_dict(right):
        steps_side = _steps_against_dag(left, right)
        if steps_side is None:
            yield from _mapping(left, right, prefix, Key)
        else:
            yield from _steps_and_dag(left, right, prefix, steps_side)
    elif _descend_one_side(left, right, prefix):
        # Descend into metadata and keyed lists only one side has, so that each label, annotation
        # and item is reported at its own path (`metadata.labels.team`, `volumes[data]`) and
        # classified by it; any other new or removed mapping is one difference where it starts.
        node = left if right is ABSENT else right
        empty: dict[str, Any] = Keyed() if isinstance(node, Keyed) else {}
        seg = Item if isinstance(node, Keyed) else Key
        if right is ABSENT:
            yield from _mapping(node, empty, prefix, seg)
        else:
            yield from _mapping(empty, node, prefix, seg)
    elif isinstance(left, list) and isinstance(right, list) and _walk_items(left, right):
        for i in range(max(len(left), len(right))):
            a = left[i] if i < len(left) else ABSENT
            b = right[i] if i < len(right) else ABSENT
            yield from walk(a, b, (*prefix, Index(i)))
    else:
        yield RawDifference(prefix, left, right)


def _dag_tasks(left: Keyed, right: Keyed, prefix: tuple[Segment, ...]) -> Iterator[RawDifference]:
    """A DAG's tasks: every field but the dependencies item by item; the dependencies of all
    tasks at once, by meaning (:func:`harness.normalize.dag.compare_dags`), each change reported
    at ``tasks[<later task>].depends`` whichever field each side wrote."""
    stripped = [Keyed(), Keyed()]
    for side, tasks in zip(stripped, (left, right), strict=True):
        for name, task in tasks.items():
            side[name] = {k: v for k, v in task.items() if k != "depends"} if isinstance(task, dict) else task
    for raw in _mapping(stripped[0], stripped[1], prefix, Item):
        if len(raw.segments) == len(prefix) + 1:  # a task only one side has: whole, with its depends
            name = raw.segments[-1].name  # type: ignore[union-attr]
            yield RawDifference(raw.segments, left.get(name, ABSENT), right.get(name, ABSENT))
        else:
            yield raw
    template = _template_name(prefix)
    for change in compare_dags(left, right, template):
        segments = (*prefix, Item(change.task), Key("depends"))
        yield RawDifference(
            segments, lookup(left, segments[len(prefix) :]), lookup(right, segments[len(prefix) :]), change
        )


def _template_name(prefix: tuple[Segment, ...]) -> str:
    for seg in reversed(prefix):
        if isinstance(seg, Item):
            return seg.name
    return "?"


def _steps_against_dag(left: dict[str, Any], right: dict[str, Any]) -> str | None:
    """The side (``left``/``right``) whose template runs ``steps`` while the other runs a ``dag``."""
    if "steps" in left and "dag" in right and "dag" not in left and "steps" not in right:
        return "left"
    if "dag" in left and "steps" in right and "steps" not in left and "dag" not in right:
        return "right"
    return None


def _steps_and_dag(
    left: dict[str, Any], right: dict[str, Any], prefix: tuple[Segment, ...], steps_side: str
) -> Iterator[RawDifference]:
    """A template running steps on one side and a DAG on the other: one difference, at the
    template, saying whether the order is the same (not one per step and task)."""
    kinds = ("steps", "dag")
    yield from _mapping(
        {k: v for k, v in left.items() if k not in kinds},
        {k: v for k, v in right.items() if k not in kinds},
        prefix,
        Key,
    )
    steps, dag = (left["steps"], right["dag"]) if steps_side == "left" else (right["steps"], left["dag"])
    left_node = {k: left[k] for k in kinds if k in left}
    right_node = {k: right[k] for k in kinds if k in right}
    yield RawDifference(prefix, left_node, right_node, steps_against_dag(steps, dag, steps_side))


def _descend_one_side(left: Any, right: Any, prefix: tuple[Segment, ...]) -> bool:
    node = left if right is ABSENT else right if left is ABSENT else None
    if not isinstance(node, dict) or not node:
        return False  # an empty mapping is a difference itself: `retryStrategy: {}` against nothing
    if isinstance(node, Keyed) or not prefix:
        return True
    last = prefix[-1]
    return isinstance(last, Key) and last.name in _METADATA_FIELDS


def _plain_dict(node: Any) -> bool:
    return isinstance(node, dict) and not isinstance(node, Keyed)


def _walk_items(left: list[Any], right: list[Any]) -> bool:
    """Item by item for lists of the same length, or of structures (steps groups); a list of
    scalars that grew or shrank (command, args) is one difference: positions would all shift."""
    if len(left) == len(right):
        return True
    return any(isinstance(x, dict | list) and not isinstance(x, Leaf) for x in (*left, *right))


def _mapping(
    left: dict[str, Any], right: dict[str, Any], prefix: tuple[Segment, ...], seg: type[Key] | type[Item]
) -> Iterator[RawDifference]:
    for key, a in left.items():
        b = right.get(key, ABSENT)
        if seg is Item and b is ABSENT:
            yield RawDifference((*prefix, seg(key)), a, b)  # an item only one side has: whole
        else:
            yield from walk(a, b, (*prefix, seg(key)))
    for key, b in right.items():
        if key not in left:
            if seg is Item:
                yield RawDifference((*prefix, seg(key)), ABSENT, b)
            else:
                yield from walk(ABSENT, b, (*prefix, seg(key)))


def lookup(node: Any, segments: Iterable[Segment]) -> Any:
    """The node at ``segments`` below ``node`` (a canonical document), or ``ABSENT``."""
    for seg in segments:
        if isinstance(seg, Index):
            if not isinstance(node, list) or seg.index >= len(node):
                return ABSENT
            node = node[seg.index]
        else:
            if not isinstance(node, dict) or seg.name not in node:
                return ABSENT
            node = node[seg.name]
    return node
