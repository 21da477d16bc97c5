"""One walk over JSON-like data, for the modules that look for things anywhere in a manifest."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


def iter_mappings(data: Any, *, skip: frozenset[str] = frozenset()) -> Iterator[Mapping[str, Any]]:
    """Every mapping inside ``data`` (lists and mappings, any depth), ``data`` itself included;
    values under a key in ``skip`` are not entered."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, Mapping):
            yield item
            stack.extend(value for key, value in reversed(list(item.items())) if key not in skip)
