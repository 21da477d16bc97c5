"""One walk over JSON-like data, for the modules that look for things anywhere in a manifest."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

# Checked before Mapping: an isinstance test against an ABC costs several times one against a
# concrete type, and most of what a walk meets is a plain dict, a list or a scalar.
_SCALARS = (str, int, float, bool, type(None))


def iter_mappings(data: Any, *, skip: frozenset[str] = frozenset()) -> Iterator[Mapping[str, Any]]:
    """Every mapping inside ``data`` (lists and mappings, any depth), ``data`` itself included;
    values under a key in ``skip`` are not entered."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict) or (not isinstance(item, _SCALARS) and isinstance(item, Mapping)):
            yield item
            stack.extend(value for key, value in reversed(list(item.items())) if key not in skip)


def iter_strings(data: Any) -> Iterator[str]:
    """Every string inside ``data`` (``data`` itself, list items and mapping values, any depth), in
    document order."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict) or (not isinstance(item, _SCALARS) and isinstance(item, Mapping)):
            stack.extend(reversed(list(item.values())))
