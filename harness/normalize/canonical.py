"""The node types of a canonical form.

A canonical form is plain JSON-like data (dict, list, str, int, float, bool) plus two node types:

- :class:`Keyed`: a list whose items have an identity (env by name, templates by name...), held
  as a mapping ``identity -> item`` so that order does not count and paths name the item.
- :class:`Leaf`: a value compared by meaning rather than by form (a Python program by its AST, a
  quantity by its value, a set of requirements...). ``key`` is what is compared, ``raw`` the
  original JSON-ready value shown to people, ``rule`` the id of the rule that made it.

Two canonical forms are equivalent exactly when they are ``==``.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any


class Keyed(dict[str, Any]):
    """A keyed list held by identity; ``to_json`` gives the list back (in identity order)."""

    __slots__ = ()


class Leaf:
    """A value compared through ``key``; ``raw`` is what a person sees."""

    __slots__ = ("key", "raw", "rule")

    def __init__(self, key: Hashable, raw: Any, rule: str) -> None:
        self.key = key
        self.raw = raw
        self.rule = rule

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Leaf):
            return NotImplemented
        return self.rule == other.rule and self.key == other.key

    def __hash__(self) -> int:
        return hash((self.rule, self.key))

    def __repr__(self) -> str:
        return f"Leaf({self.rule}: {self.raw!r})"


def to_json(node: Any) -> Any:
    """The JSON-ready value of a canonical node (what a difference shows)."""
    if isinstance(node, Leaf):
        return node.raw
    if isinstance(node, Keyed):
        return [to_json(v) for v in node.values()]
    if isinstance(node, dict):
        return {k: to_json(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [to_json(v) for v in node]
    return node


def json_kind(value: Any) -> str:
    """The JSON type of a JSON-ready value, as messages name it ("string", "number", "null", ...)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


def freeze(node: Any) -> Hashable:
    """A hashable, order-insensitive-for-mappings key of a canonical node (for set-like lists)."""
    if isinstance(node, Leaf):
        return node
    if isinstance(node, Keyed):
        return ("keyed", frozenset((k, freeze(v)) for k, v in node.items()))
    if isinstance(node, dict):
        return frozenset((k, freeze(v)) for k, v in node.items())
    if isinstance(node, list | tuple):
        return tuple(freeze(v) for v in node)
    return (type(node).__name__, node)
