"""``ast.parse`` safe to call from several threads at once.

CPython 3.11 keeps the AST constructor's recursion counter in per-interpreter state that two
threads parsing at the same time both move, so one of them can fail with ``SystemError: AST
constructor recursion depth mismatch`` (python/cpython gh-106905, fixed in 3.12.1 and 3.11.8; the
local scheduler runs a DAG's parallel tasks in threads, and each pod's program is parsed). One
lock around every parse in the harness removes the race; a parse takes microseconds.
"""

from __future__ import annotations

import ast
import threading

_PARSING = threading.Lock()


def parse_module(source: str | bytes, *, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse(source, filename)``, one thread at a time."""
    with _PARSING:
        return ast.parse(source, filename=filename)


def parse_expression(source: str) -> ast.Expression:
    """``ast.parse(source, mode="eval")``, one thread at a time."""
    with _PARSING:
        return ast.parse(source, mode="eval")
