"""Side-by-side manifest view: both manifests as YAML-like lines, aligned, each line knowing
the readable path it belongs to, so a difference found by the differ lights up exactly the
lines it is about.

Lines whose text differs while the differ found nothing there (a reordered list of named items,
``"1"`` against ``1000m``) are *form only*: equal in meaning. They are marked ``optional`` (the
report shows them only on request) and carry the rule that judged them equal, read from the
canonical form (:func:`explain_form`), so a reader can check that judgement."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.diff.paths import Index, Item, Key, Segment, render

# Equal lines shown around a change; longer equal runs are folded.
CONTEXT = 3
_CATEGORY_RANK = {"semantic": 0, "waived": 1, "metadata": 2, "noise": 3, "cosmetic": 4}
# Row categories that change nothing at run time: shown only on request, marked equal.
FORM_CATEGORIES = frozenset({"form", "cosmetic"})


@dataclass(frozen=True)
class Line:
    indent: int
    text: str
    path: str
    segments: tuple[Segment, ...] = ()


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
    # The most important difference touching this row; "form" for changed text the differ found
    # equal in meaning, "cosmetic" for a difference a rule declared form only.
    category: str | None = None
    notes: list[dict[str, Any]] = field(default_factory=list)
    folded: int = 0
    paths: tuple[str, ...] = ()
    segments: tuple[tuple[Segment, ...], ...] = ()
    # Shown only on request: a form-only row, or equal context kept only around form-only rows.
    optional: bool = False
    # A fold row: in which view it stands ("both", "default": form-only rows hidden, "all").
    view: str = "both"

    @property
    def form_only(self) -> bool:
        return self.kind == "change" and self.category in FORM_CATEGORIES


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
        yield Line(indent, _scalar(node), render(path), path)


def _entry(label: str, value: Any, path: tuple[Segment, ...], indent: int) -> Iterator[Line]:
    rendered = render(path)
    if isinstance(value, str) and "\n" in value:
        yield Line(indent, f"{label} |", rendered, path)
        for text in value.rstrip("\n").split("\n"):
            yield Line(indent + 1, text, rendered, path)
    elif isinstance(value, dict | list) and value:
        yield Line(indent, label, rendered, path)
        yield from _lines(value, path, indent + 1)
    else:
        empty = "{}" if isinstance(value, dict) else "[]" if isinstance(value, list) else _scalar(value)
        yield Line(indent, f"{label} {empty}", rendered, path)


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
                    segments=tuple(line.segments for line in (left_line, right_line) if line),
                )
            )
    # Cosmetic differences (a rule says: form only) go beside their lines too, with the rows shown
    # on request; one no line carries is left out: it changes nothing at run time.
    unplaced = [d for d in differences if not _place(rows, d) and d["category"] != "cosmetic"]
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
    """Equal runs longer than the context folded, in two views at once: the default one keeps
    context around the rows that matter (form-only rows hidden), the other ("all", on request)
    around form-only rows too. Rows kept only for the second view are ``optional``; a fold row
    says in which view it stands (``view``)."""
    keep_default = _near(rows, lambda row: row.kind == "change" and not row.form_only)
    keep_all = _near(rows, lambda row: row.kind == "change")
    folded: list[Row] = []
    hidden = {"default": 0, "all": 0}

    def flush(*views: str) -> None:
        counts = {view: hidden[view] for view in views if hidden[view]}
        if not counts:
            return
        if len(counts) == 2 and counts["default"] == counts["all"]:
            folded.append(Row(kind="fold", folded=counts["all"], view="both"))
        else:
            folded.extend(Row(kind="fold", folded=count, view=view) for view, count in counts.items())
        for view in counts:
            hidden[view] = 0

    for row, default, every in zip(rows, keep_default, keep_all, strict=True):
        if default:
            flush("default", "all")
            folded.append(row)
        elif every:
            flush("all")
            row.optional = True
            folded.append(row)
            hidden["default"] += 1
        else:
            hidden["default"] += 1
            hidden["all"] += 1
    flush("default", "all")
    return folded


def _near(rows: list[Row], matters: Callable[[Row], bool]) -> list[bool]:
    keep = [False] * len(rows)
    for index, row in enumerate(rows):
        if matters(row):
            for near in range(max(0, index - CONTEXT), min(len(rows), index + CONTEXT + 1)):
                keep[near] = True
    return keep


def explain_form(rows: Sequence[Row], left: Any, right: Any) -> None:
    """Give every form-only row that carries no note the reason its lines are equal: the rule
    that made that place equal, as the differ judged it (:func:`harness.diff.comparison.
    form_rule_finder`: a rule a canonical value carries, or the form rule the normaliser recorded
    there). A row of a named item that only moved is equal by its list's rule."""
    form_rows = [row for row in rows if row.form_only and not row.notes]
    if not form_rows or not isinstance(left, dict) or not isinstance(right, dict):
        return
    from harness.diff.comparison import UNRECORDED, UNRECORDED_NOTE, form_rule_finder

    try:
        rule_at = form_rule_finder(left, right)
    except Exception:  # a manifest the differ already read; explaining it is best effort
        return
    targets = {id(row) for row in form_rows}
    previous: tuple[int, str] | None = None  # (index of the last explained row, its rule)
    for index, row in enumerate(rows):
        if id(row) not in targets:
            continue
        rule = None
        for segments in row.segments:
            rule = rule_at(segments, False)
            # A line inside a named item that only moved: equal by the rule of the list it moved in.
            for depth in range(len(segments), 0, -1):
                if rule is not None:
                    break
                rule = rule_at(segments[:depth], True)
            if rule is not None:
                break
        rule_id = rule.id if rule is not None else UNRECORDED
        # A run of adjacent rows judged equal by one rule carries one note, on its first row.
        follows = previous is not None and previous == (index - 1, rule_id)
        previous = (index, rule_id)
        if follows:
            continue
        row.notes.append(
            {
                "category": "form",
                "rule": rule_id,
                "message": f"equal in meaning: {rule.meaning}" if rule is not None else f"equal ({UNRECORDED_NOTE})",
            }
        )
