"""A comparison as text (for people), JSON (the shape docs/differ.md documents) or GitHub workflow commands."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from harness.diff.model import Category, Comparison, Difference

if TYPE_CHECKING:
    from harness.redact import Redactor

_ORDER = (Category.SEMANTIC, Category.METADATA, Category.WAIVED, Category.NOISE, Category.COSMETIC)
_COLOURS: dict[Category, dict[str, object]] = {
    Category.SEMANTIC: {"fg": "red", "bold": True},
    Category.METADATA: {"fg": "yellow"},
    Category.WAIVED: {"fg": "cyan"},
    Category.NOISE: {"fg": "bright_black"},
    Category.COSMETIC: {"fg": "bright_black"},
}

Style = Callable[..., str]


def _plain(text: str, **_: object) -> str:
    return text


def redact(comparison: Comparison, redactor: Redactor) -> Comparison:
    """``comparison`` with secrets scrubbed as in the reports: left and right by name and by
    value (an env item's value under DB_PASSWORD, a learned value anywhere in a script), path and
    message by value; both by what the redactor's scanner recognises (a URL's password, a token).
    The category, rule and waiver are the harness's own words and stay."""
    return replace(
        comparison,
        differences=tuple(
            replace(
                difference,
                path=redactor.scrub_text(difference.path),
                left=redactor.scrub(difference.left),
                right=redactor.scrub(difference.right),
                message=redactor.scrub_text(difference.message),
            )
            for difference in comparison.differences
        ),
    )


def to_json(comparison: Comparison) -> str:
    """``{"equivalent": bool, "differences": [{path, category, rule, left, right, message}]}``."""
    return json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False, default=str)


def to_text(
    comparison: Comparison,
    *,
    left_name: str = "left",
    right_name: str = "right",
    style: Style = _plain,
    show_cosmetic: bool = False,
    form_differs: bool = False,
) -> str:
    """The comparison for people: a verdict line, then each difference (semantic first).
    ``form_differs``: the manifests are written differently, so with nothing cosmetic listed a
    line says that ``--show-cosmetic`` shows what was judged equal."""
    counts = Counter(d.category for d in comparison.differences)
    verdict = "equivalent" if comparison.equivalent else "NOT equivalent"
    summary = ", ".join(f"{counts[c]} {c}" for c in _ORDER if counts[c])
    head = f"{left_name} vs {right_name}: {verdict}" + (f" ({summary})" if summary else "")
    lines = [style(head, fg="green" if comparison.equivalent else "red", bold=True)]
    shown = [d for d in comparison.differences if show_cosmetic or d.category is not Category.COSMETIC]
    for category in _ORDER:
        for diff in (d for d in shown if d.category is category):
            lines.append(_text_line(diff, style))
    hidden = counts[Category.COSMETIC] if not show_cosmetic else 0
    if hidden:
        lines.append(style(f"({hidden} cosmetic difference(s) hidden; --show-cosmetic shows them)", dim=True))
    elif form_differs and not show_cosmetic:
        lines.append(
            style("(written differently, judged equal in places; --show-cosmetic lists where and why)", dim=True)
        )
    return "\n".join(lines)


def _text_line(diff: Difference, style: Style) -> str:
    tag = style(f"{diff.category:<8}", **_COLOURS[diff.category])
    rule = f"[{diff.rule}" + (f", waiver {diff.waiver}" if diff.waiver else "") + "]"
    return f"  {tag} {style(shown_path(diff), bold=True)} {style(rule, dim=True)}\n           {diff.message}"


def shown_path(diff: Difference) -> str:
    """The path a person reads: a difference of the whole manifest (different documents) has none."""
    return diff.path or "(the documents)"


def to_github(comparison: Comparison, *, file: str | None = None) -> str:
    """One workflow command per difference: ``::error`` for semantic, ``::warning`` for metadata,
    ``::notice`` for the rest; then a plain summary line."""
    lines = []
    for diff in comparison.differences:
        level = {Category.SEMANTIC: "error", Category.METADATA: "warning"}.get(diff.category, "notice")
        props = [f"title={_escape_property(f'parity {diff.category}: {shown_path(diff)}')}"]
        if file:
            props.insert(0, f"file={_escape_property(file)}")
        message = f"{diff.message} [rule {diff.rule}" + (f", waiver {diff.waiver}" if diff.waiver else "") + "]"
        lines.append(f"::{level} {','.join(props)}::{_escape_data(message)}")
    counts = Counter(d.category for d in comparison.differences)
    summary = ", ".join(f"{counts[c]} {c}" for c in _ORDER if counts[c]) or "no differences"
    lines.append(f"parity diff: {'equivalent' if comparison.equivalent else 'NOT equivalent'} ({summary})")
    return "\n".join(lines)


def _escape_data(text: str) -> str:
    # GitHub's toolkit (command.ts escapeData): % first, then CR and LF.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    # command.ts escapeProperty: the data escapes plus ':' and ',' which delimit properties.
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
