"""Shell programs compared by meaning: parsed with bashlex (:mod:`.parse`) into typed nodes
(:mod:`.nodes`), and explained for people (:mod:`.explain`).

:func:`shell_leaf` is what the canonical form holds for a shell program: a :class:`ShellLeaf`,
equal to another exactly when the two programs parse to the same nodes, which says what changed
between two of them (the statement, and what ``pip install`` adds or removes).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from harness.diff.builtin_rules import PIP_REQUIREMENTS, SHELL_SYNTAX, BuiltinRule
from harness.normalize.canonical import Leaf
from harness.normalize.shell.explain import describe_statement_change, first_changed, only_installs_changed
from harness.normalize.shell.parse import Program, Statement, code_variables, parse_program, shell_key


class ShellLeaf(Leaf):
    """A shell program; ``statements`` let a message point at the command that changed."""

    __slots__ = ("statements",)

    def __init__(self, key: Hashable, raw: Any, rule: BuiltinRule, statements: tuple[Statement, ...]) -> None:
        super().__init__(key, raw, rule)
        self.statements = statements

    @staticmethod
    def rule_between(left: object, right: object) -> BuiltinRule | None:
        """``pip-requirements`` when what changed first is what pip installs."""
        changed = first_changed(
            left.statements if isinstance(left, ShellLeaf) else (),
            right.statements if isinstance(right, ShellLeaf) else (),
        )
        if changed is not None and only_installs_changed(*changed):
            return PIP_REQUIREMENTS
        return None

    @staticmethod
    def change_between(left: object, right: object) -> str | None:
        """Which command changed (for the one-line message)."""
        mine = left.statements if isinstance(left, ShellLeaf) else ()
        theirs = right.statements if isinstance(right, ShellLeaf) else ()
        return describe_statement_change(mine, theirs)


def shell_leaf(source: str, rule: BuiltinRule = SHELL_SYNTAX, raw: str | None = None) -> ShellLeaf:
    """``source`` compared as a shell program; ``raw`` (default ``source``) is what is shown."""
    program = parse_program(source)
    return ShellLeaf(program.key, source if raw is None else raw, rule, program.statements)


__all__ = [
    "Program",
    "ShellLeaf",
    "Statement",
    "code_variables",
    "describe_statement_change",
    "parse_program",
    "shell_key",
    "shell_leaf",
]
