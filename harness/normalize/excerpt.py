"""Text for one-line messages: whitespace folded, long text cut around what changed.

A message about a change in a long program must show the change: cutting both sides after their
first 70 characters shows two equal prefixes when the change is further on. :func:`excerpt_pair`
cuts both sides around the first character where they differ instead.
"""

from __future__ import annotations

import re

from harness.spec import kubernetes_vars as k8s

ELLIPSIS = "…"
_BLANKS = re.compile(r"\s+")


def one_line(text: str) -> str:
    """Whitespace runs as one space, Kubernetes placeholders shown as ``$(NAME)``."""
    return _BLANKS.sub(" ", k8s.readable(text)).strip()


def clip(text: str, limit: int = 70) -> str:
    """One line, cut at ``limit`` characters (for a text shown alone)."""
    text = one_line(text)
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def first_difference(a: str, b: str) -> int:
    """Index of the first character where ``a`` and ``b`` differ (the shorter length if one is a prefix)."""
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def excerpt_pair(a: str, b: str, limit: int = 70) -> tuple[str, str]:
    """Both texts on one line; a side longer than ``limit`` is cut to a window centred on the
    first character where the two differ, with ``…`` where text was left out."""
    a, b = one_line(a), one_line(b)
    at = first_difference(a, b)
    return _window(a, at, limit), _window(b, at, limit)


def first_changed_item(a: list[str], b: list[str], unit: str) -> str | None:
    """Where two sequences of statements or lines first part: "line 3: `x` -> `y`", "adds line 4:
    `z`", "removes line 2: `w`" (``unit`` names the items); None when they are equal."""
    for i in range(max(len(a), len(b))):
        x = a[i] if i < len(a) else None
        y = b[i] if i < len(b) else None
        if x == y:
            continue
        if x is not None and y is not None:
            ex, ey = excerpt_pair(x, y)
            return f"{unit} {i + 1}: `{ex}` -> `{ey}`"
        if y is not None:
            return f"adds {unit} {i + 1}: `{clip(y)}`"
        return f"removes {unit} {i + 1}: `{clip(x or '')}`"
    return None


def _window(text: str, at: int, limit: int) -> str:
    if len(text) <= limit:
        return text
    start = max(0, min(at - limit // 2, len(text) - limit))
    end = start + limit
    head = ELLIPSIS if start > 0 else ""
    tail = ELLIPSIS if end < len(text) else ""
    # The ellipses take the place of characters so the excerpt stays within `limit`.
    body = text[start + len(head) : end - len(tail)]
    return f"{head}{body}{tail}"
