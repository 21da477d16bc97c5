"""Side-by-side manifest view: both manifests as YAML-like lines, aligned, each line knowing
the readable path it belongs to, so a difference found by the differ lights up exactly the
lines it is about."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.diff.paths import Index, Item, Key, Segment, render

# Equal lines shown around a change; longer equal runs are folded.
CONTEXT = 3
_CATEGORY_RANK = {"semantic": 0, "waived": 1, "metadata": 2, "noise": 3, "cosmetic": 4}


@dataclass(frozen=True)
class Line:
    indent: int
    text: str
    path: str


@dataclass
class Cell:
    number: int | None
    text: str
    indent: int


@dataclass
class Row:
    kind: str  # equal | change | fold
    left: Cell | None = None
    right: Cell | None = None
    category: str | None = None  # the most important difference touching this row
    notes: list[dict[str, Any]] = field(default_factory=list)
    folded: int = 0
    paths: tuple[str, ...] = ()


def manifest_lines(manifest: Any) -> list[Line]:
    return list(_lines(manifest, (), 0))


def _lines(node: Any, path: tuple[Segment, ...], indent: int) -> Iterator[Line]:
    if isinstance(node, dict):
        for key in _ordered_keys(node):
            child_path = (*path, Key(str(key)))
            yield from _entry(f"{key}:", node[key], child_path, indent)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            name = item.get("name") if isinstance(item, dict) else None
            segment: Segment = Item(name) if isinstance(name, str) else Index(index)
            yield from _entry("-", item, (*path, segment), indent)
    else:
        yield Line(indent, _scalar(node), render(path))


def _entry(label: str, value: Any, path: tuple[Segment, ...], indent: int) -> Iterator[Line]:
    rendered = render(path)
    if isinstance(value, str) and "\n" in value:
        yield Line(indent, f"{label} |", rendered)
        for text in value.rstrip("\n").split("\n"):
            yield Line(indent + 1, text, rendered)
    elif isinstance(value, dict | list) and value:
        yield Line(indent, label, rendered)
        yield from _lines(value, path, indent + 1)
    else:
        empty = "{}" if isinstance(value, dict) else "[]" if isinstance(value, list) else _scalar(value)
        yield Line(indent, f"{label} {empty}", rendered)


def _ordered_keys(mapping: dict[str, Any]) -> list[str]:
    # name first (how people find an item), then alphabetical so both sides line up.
    return sorted(mapping, key=lambda key: (key != "name", str(key)))


def _scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) or _needs_quotes(value) else value


def _needs_quotes(text: str) -> bool:
    return (
        text == "" or text.strip() != text or text.lower() in {"yes", "no", "true", "false", "null", "~", "on", "off"}
    )


def side_by_side(
    left: Any, right: Any, differences: Sequence[dict[str, Any]]
) -> tuple[list[Row], list[dict[str, Any]]]:
    """Aligned rows for two manifests (``None`` for a side that has none), folded to context,
    and the differences that no line could carry (shown above the table)."""
    left_lines = manifest_lines(left) if left is not None else []
    right_lines = manifest_lines(right) if right is not None else []
    matcher = difflib.SequenceMatcher(
        a=[(line.indent, line.text) for line in left_lines],
        b=[(line.indent, line.text) for line in right_lines],
        autojunk=False,
    )
    rows: list[Row] = []
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        for offset in range(max(a1 - a0, b1 - b0)):
            left_line = left_lines[a0 + offset] if a0 + offset < a1 else None
            right_line = right_lines[b0 + offset] if b0 + offset < b1 else None
            rows.append(
                Row(
                    kind="equal" if tag == "equal" else "change",
                    left=_cell(left_line, a0 + offset),
                    right=_cell(right_line, b0 + offset),
                    category=None if tag == "equal" else "form",
                    paths=tuple(line.path for line in (left_line, right_line) if line),
                )
            )
    unplaced = [d for d in differences if d["category"] != "cosmetic" and not _place(rows, d)]
    return _fold(rows), unplaced


def _cell(line: Line | None, index: int) -> Cell | None:
    return Cell(number=index + 1, text=line.text, indent=line.indent) if line else None


def _place(rows: list[Row], difference: dict[str, Any]) -> bool:
    """Light up the rows a difference is about and put its note beside the first of them.

    Changed rows under the difference's path come first; failing those (a difference in meaning
    on lines that read the same, or a value absent on one side), the rows of the closest
    enclosing path that exists."""
    path = difference["path"]
    touched = [row for row in rows if row.kind == "change" and _under(row.paths, path)]
    if not touched:
        touched = [row for row in rows if _under(row.paths, path)][:1] or _closest(rows, path)
    if not touched:
        return False
    for row in touched:
        row.kind = "change"
        if row.category in (None, "form") or _rank(difference) < _rank_of(row.category):
            row.category = difference["category"]
    touched[0].notes.append(difference)
    return True


def _under(row_paths: Sequence[str], path: str) -> bool:
    return any(p == path or p.startswith((path + ".", path + "[")) for p in row_paths)


def _closest(rows: list[Row], path: str) -> list[Row]:
    best: Row | None = None
    best_length = -1
    for row in rows:
        for row_path in row.paths:
            if row_path and path.startswith((row_path + ".", row_path + "[")) and len(row_path) > best_length:
                best, best_length = row, len(row_path)
    return [best] if best else []


def _rank(difference: dict[str, Any]) -> int:
    return _rank_of(difference["category"])


def _rank_of(category: str | None) -> int:
    return _CATEGORY_RANK.get(category or "", 9)


def _fold(rows: list[Row]) -> list[Row]:
    keep = [False] * len(rows)
    for index, row in enumerate(rows):
        if row.kind == "change":
            for near in range(max(0, index - CONTEXT), min(len(rows), index + CONTEXT + 1)):
                keep[near] = True
    folded: list[Row] = []
    hidden = 0
    for row, shown in zip(rows, keep, strict=True):
        if shown:
            if hidden:
                folded.append(Row(kind="fold", folded=hidden))
                hidden = 0
            folded.append(row)
        else:
            hidden += 1
    if hidden:
        folded.append(Row(kind="fold", folded=hidden))
    return folded
