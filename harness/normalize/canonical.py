"""The node types of a canonical form.

A canonical form is plain JSON-like data (dict, list, str, int, float, bool) plus two node types:

- :class:`Keyed`: a list whose items have an identity (env by name, templates by name...), held
  as a mapping ``identity -> item`` so that order does not count and paths name the item.
- :class:`Leaf`: a value compared by meaning rather than by form (a Python program by its AST, a
  quantity by its value, a set of requirements...). ``key`` is what is compared, ``raw`` the
  original JSON-ready value shown to people, ``rule`` the built-in rule that made it
  (:mod:`harness.diff.builtin_rules`).

Two canonical forms are equivalent exactly when they are ``==``. What the form rules dropped,
filled in, reordered or moved has no node left to carry a rule: a :class:`FormRecord`, when one
is asked for, keeps where each acted.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.diff.builtin_rules import BuiltinRule
    from harness.diff.paths import Segment

# A node that is not there: a field the canonical form drops (empty equals absent), or the side of
# a difference that lacks the node.
ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "ABSENT"})()


class Keyed(dict[str, Any]):
    """A keyed list held by identity; ``json_value`` gives the list back (in identity order)."""

    __slots__ = ()


class Leaf:
    """A value compared through ``key``; ``raw`` is what a person sees.

    A leaf class that knows its content (the statements of a program, the references of a string
    Kubernetes expands) says what changed between two of its leaves: :meth:`rule_between` and
    :meth:`change_between`, which the differ calls on the class of the leaf it compares.
    """

    __slots__ = ("key", "raw", "rule")

    def __init__(self, key: Hashable, raw: Any, rule: BuiltinRule) -> None:
        self.key = key
        self.raw = raw
        self.rule = rule

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Leaf):
            return NotImplemented
        return self.rule is other.rule and self.key == other.key

    def __hash__(self) -> int:
        return hash((self.rule.id, self.key))

    def __repr__(self) -> str:
        return f"Leaf({self.rule.id}: {self.raw!r})"

    @staticmethod
    def rule_between(left: object, right: object) -> BuiltinRule | None:
        """A rule narrower than the leaf's own for what changed between ``left`` and ``right``
        (canonical nodes, either may be a plain value or ``ABSENT``); None: the leaf's rule."""
        return None

    @staticmethod
    def change_between(left: object, right: object) -> str | None:
        """One clause saying what changed between ``left`` and ``right`` (canonical nodes, either
        may be a plain value or ``ABSENT``); None: the two values, shown, say it."""
        return None


class FormRecord:
    """What the canonical form of one document did to it besides comparing values by meaning:
    each place where it dropped, filled in, reordered or moved something, as ``(path, rule)``
    (the path as readable segments from the document's root, the declared form rule).

    Kept only when asked for (``canonicalize(..., form_records=...)``, for ``parity diff
    --show-cosmetic``): a comparison that does not ask pays nothing for it. A path is where the
    document *as written* holds what the rule acted on: the rule covers that node and everything
    below it, but for ``keyed-list``, which covers the order of that list only.
    """

    __slots__ = ("notes",)

    def __init__(self) -> None:
        self.notes: list[tuple[tuple[Segment, ...], BuiltinRule]] = []

    def note(self, path: Sequence[Segment], rule: BuiltinRule) -> None:
        self.notes.append((tuple(path), rule))

    def __repr__(self) -> str:
        return f"FormRecord({[(p, r.id) for p, r in self.notes]!r})"


def json_value(node: Any) -> Any:
    """The JSON-ready value of a canonical node (what a difference shows)."""
    if isinstance(node, Leaf):
        return node.raw
    if isinstance(node, Keyed):
        return [json_value(v) for v in node.values()]
    if isinstance(node, dict):
        return {k: json_value(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [json_value(v) for v in node]
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
