"""Pictures of the DAG templates of both manifests, as inline SVG (no script, no external request),
with the edges that differ between the sides marked.

Each task's dependencies come from :func:`harness.spec.depends.referenced_tasks` (the one reader of
``depends`` and ``dependencies``); this module only lays the graph out and compares the two edge
sets. An edge one side has and the other lacks is marked by what the other side still orders:

- ``dropped``: only the legacy DAG has it and the new DAG no longer orders the two tasks at all;
- ``added``: only the new DAG has it and the legacy DAG did not order the two tasks;
- ``implied``: only one side has the edge, but the other still orders the two tasks through
  other tasks: form only, the run order is the same.

The layout is layered: a task sits one layer below the deepest task it waits for; within a layer,
tasks keep their order in the manifest, then move toward the middle of the tasks they wait for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from harness.spec.depends import referenced_tasks

Edge = tuple[str, str]  # (the task waited for, the task that waits)

EDGE_STYLES: dict[str, dict[str, str]] = {
    "same": {"stroke": "#8c959f", "dash": "", "width": "1.5"},
    "dropped": {"stroke": "#cf222e", "dash": "6 3", "width": "2.5"},
    "added": {"stroke": "#0969da", "dash": "", "width": "2.5"},
    "implied": {"stroke": "#8c959f", "dash": "2 3", "width": "1.5"},
}
EDGE_MEANINGS: dict[str, str] = {
    "same": "in both DAGs",
    "dropped": "only in legacy: the new DAG no longer orders these tasks",
    "added": "only in new: the new DAG adds this ordering",
    "implied": "in one DAG only, but the other still orders these tasks through others (form only)",
}
_NODE_HEIGHT = 28
_LAYER_GAP = 40
_NODE_GAP = 16
_MARGIN = 10
_CHAR_WIDTH = 7.2
_MAX_LABEL = 26


@dataclass(frozen=True)
class Dag:
    """One DAG template: its tasks in manifest order and its edges."""

    tasks: tuple[str, ...]
    edges: frozenset[Edge]

    def reaches(self, start: str, end: str) -> bool:
        """``end`` waits for ``start``, directly or through other tasks."""
        children: dict[str, list[str]] = {}
        for before, after in self.edges:
            children.setdefault(before, []).append(after)
        seen, stack = {start}, [start]
        while stack:
            for child in children.get(stack.pop(), ()):
                if child == end:
                    return True
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return False


@dataclass(frozen=True)
class DagPicture:
    """Both sides' pictures of one DAG template (None: that side has no DAG template by this
    name) and the differing edges, in words."""

    template: str
    legacy: Markup | None
    new: Markup | None
    changes: tuple[tuple[str, str, str], ...] = ()  # (kind, edge text, meaning)
    marks: frozenset[str] = field(default_factory=frozenset)  # the edge kinds drawn: for the legend
    one_sided_tasks: bool = False  # a task only one side has (drawn dashed): for the legend


def dag_templates(manifest: Any) -> dict[str, Dag]:
    """The DAG templates of a Workflow-like manifest (spec.templates[*].dag.tasks), by name."""
    if not isinstance(manifest, Mapping):
        return {}
    spec = manifest.get("spec")
    templates = spec.get("templates") if isinstance(spec, Mapping) else None
    dags: dict[str, Dag] = {}
    for template in templates if isinstance(templates, list) else []:
        if not isinstance(template, Mapping) or not isinstance(template.get("dag"), Mapping):
            continue
        tasks = [
            t for t in template["dag"].get("tasks") or [] if isinstance(t, Mapping) and isinstance(t.get("name"), str)
        ]
        names = tuple(dict.fromkeys(t["name"] for t in tasks))
        edges = frozenset((before, t["name"]) for t in tasks for before in referenced_tasks(t) if before in names)
        dags[str(template.get("name", "?"))] = Dag(names, edges)
    return dags


def dag_pictures(legacy: Any, new: Any) -> list[DagPicture]:
    """A picture per DAG template either manifest has, the differing edges marked."""
    left, right = dag_templates(legacy), dag_templates(new)
    pictures = []
    for name in dict.fromkeys([*left, *right]):
        lhs, rhs = left.get(name), right.get(name)
        left_marks = _marks(lhs, rhs, only_here="dropped")
        right_marks = _marks(rhs, lhs, only_here="added")
        changes = tuple(
            (kind, f"{before} → {after}", _change_meaning(kind, before, after, side))
            for side, marks in (("legacy", left_marks), ("new", right_marks))
            for (before, after), kind in sorted(marks.items())
            if kind != "same"
        )
        pictures.append(
            DagPicture(
                template=name,
                legacy=draw(lhs, left_marks, other=rhs, side="legacy") if lhs is not None else None,
                new=draw(rhs, right_marks, other=lhs, side="new") if rhs is not None else None,
                changes=changes,
                marks=frozenset(left_marks.values()) | frozenset(right_marks.values()),
                one_sided_tasks=lhs is not None and rhs is not None and set(lhs.tasks) != set(rhs.tasks),
            )
        )
    return pictures


def _marks(dag: Dag | None, other: Dag | None, *, only_here: str) -> dict[Edge, str]:
    if dag is None:
        return {}
    marks = {}
    for edge in dag.edges:
        if other is not None and edge in other.edges:
            marks[edge] = "same"
        elif other is not None and other.reaches(*edge):
            marks[edge] = "implied"
        else:
            marks[edge] = only_here
    return marks


def _change_meaning(kind: str, before: str, after: str, side: str) -> str:
    if kind == "dropped":
        return f"{after} may now start before {before} finishes"
    if kind == "added":
        return f"{after} now waits for {before}"
    return f"only the {side} DAG has this edge; the other still runs {after} after {before} through other tasks"


def layers(dag: Dag) -> list[list[str]]:
    """Tasks by layer: a task one layer below the deepest task it waits for; tasks in a cycle (an
    invalid DAG, drawn anyway) go to a last layer."""
    parents: dict[str, list[str]] = {task: [] for task in dag.tasks}
    for before, after in dag.edges:
        parents[after].append(before)
    depth: dict[str, int] = {}
    remaining = list(dag.tasks)
    while remaining:
        ready = [t for t in remaining if all(p in depth for p in parents[t])]
        if not ready:
            bottom = max(depth.values(), default=-1) + 1
            depth.update(dict.fromkeys(remaining, bottom))
            break
        for task in ready:
            depth[task] = 1 + max((depth[p] for p in parents[task]), default=-1)
        remaining = [t for t in remaining if t not in depth]
    rows: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for task in dag.tasks:
        rows[depth[task]].append(task)
    # One barycentre pass: a task moves toward the middle of the tasks it waits for, which keeps
    # the edges of a fan-out/fan-in short; ties keep manifest order.
    position = {task: float(i) for i, task in enumerate(rows[0])} if rows else {}
    for row in rows[1:]:
        keyed = []
        for index, task in enumerate(row):
            placed = [position[p] for p in parents[task] if p in position]
            keyed.append((sum(placed) / len(placed) if placed else float(index), index, task))
        row[:] = [task for _, _, task in sorted(keyed)]
        position.update({task: float(i) for i, task in enumerate(row)})
    return rows


def draw(dag: Dag, marks: Mapping[Edge, str], *, other: Dag | None, side: str) -> Markup:
    """The SVG of one DAG; a task the other side lacks is drawn with a dashed outline."""
    rows = layers(dag)
    width_of = {task: _node_width(task) for task in dag.tasks}
    row_widths = [sum(width_of[t] for t in row) + _NODE_GAP * (len(row) - 1) for row in rows]
    total_width = max(row_widths, default=0) + 2 * _MARGIN
    boxes: dict[str, tuple[float, float, float]] = {}  # task -> (x, y, width)
    for index, (row, row_width) in enumerate(zip(rows, row_widths, strict=True)):
        x = _MARGIN + (total_width - 2 * _MARGIN - row_width) / 2
        y = _MARGIN + index * (_NODE_HEIGHT + _LAYER_GAP)
        for task in row:
            boxes[task] = (x, y, width_of[task])
            x += width_of[task] + _NODE_GAP
    height = _MARGIN * 2 + len(rows) * _NODE_HEIGHT + max(len(rows) - 1, 0) * _LAYER_GAP
    parts = [
        f'<svg class="dag" role="img" width="{total_width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {total_width:.0f} {height:.0f}" data-side="{side}">',
        f"<title>{escape(side)} DAG: {len(dag.tasks)} tasks, {len(dag.edges)} edges</title>",
    ]
    # Common edges first, so the marked ones are drawn over them.
    for edge in sorted(dag.edges, key=lambda e: (marks.get(e, "same") != "same", e)):
        parts.append(_edge(edge, boxes, marks.get(edge, "same")))
    for task in dag.tasks:
        parts.append(_node(task, boxes[task], only_here=other is not None and task not in other.tasks))
    parts.append("</svg>")
    return Markup("".join(parts))


def _node_width(task: str) -> float:
    return min(len(task), _MAX_LABEL) * _CHAR_WIDTH + 20


def _node(task: str, box: tuple[float, float, float], *, only_here: bool) -> str:
    x, y, width = box
    label = task if len(task) <= _MAX_LABEL else task[: _MAX_LABEL - 1] + "…"
    dash = ' stroke-dasharray="4 3"' if only_here else ""
    stroke = "#9a6700" if only_here else "#57606a"
    return (
        f'<g class="task{" only-here" if only_here else ""}" data-task="{escape(task)}">'
        f"<title>{escape(task)}{' (only on this side)' if only_here else ''}</title>"
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{_NODE_HEIGHT}" rx="6" fill="#ffffff" '
        f'stroke="{stroke}" stroke-width="1.5"{dash}></rect>'
        f'<text x="{x + width / 2:.1f}" y="{y + _NODE_HEIGHT / 2 + 4:.1f}" text-anchor="middle">'
        f"{escape(label)}</text></g>"
    )


def _edge(edge: Edge, boxes: Mapping[str, tuple[float, float, float]], kind: str) -> str:
    (bx, by, bw), (ax, ay, aw) = boxes[edge[0]], boxes[edge[1]]
    x1, y1 = bx + bw / 2, by + _NODE_HEIGHT
    x2, y2 = ax + aw / 2, ay - 4
    if y2 <= y1:  # an edge within a layer or upward (a cycle): bend around the right side
        y1, y2 = by + _NODE_HEIGHT / 2, ay + _NODE_HEIGHT / 2
    middle = (y1 + y2) / 2
    style = EDGE_STYLES[kind]
    dash = f' stroke-dasharray="{style["dash"]}"' if style["dash"] else ""
    path = f"M{x1:.1f},{y1:.1f} C{x1:.1f},{middle:.1f} {x2:.1f},{middle:.1f} {x2:.1f},{y2:.1f}"
    head = f"{x2 - 4:.1f},{y2 - 6:.1f} {x2 + 4:.1f},{y2 - 6:.1f} {x2:.1f},{y2:.1f}"
    return (
        f'<g class="edge {kind}" data-edge="{escape(edge[0])}->{escape(edge[1])}">'
        f"<title>{escape(edge[0])} → {escape(edge[1])}: {escape(EDGE_MEANINGS[kind])}</title>"
        f'<path d="{path}" fill="none" stroke="{style["stroke"]}" stroke-width="{style["width"]}"{dash}></path>'
        f'<polygon points="{head}" fill="{style["stroke"]}"></polygon></g>'
    )


def legend_items(kinds: Iterable[str]) -> list[tuple[str, dict[str, str], str]]:
    """(kind, style, meaning) for each edge kind drawn, in a fixed order, for the legend."""
    present = set(kinds)
    return [(kind, EDGE_STYLES[kind], EDGE_MEANINGS[kind]) for kind in EDGE_STYLES if kind in present]
