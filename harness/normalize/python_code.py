"""Python programs compared by meaning: two sources are the same program when their ASTs are.

Formatting, comments, quoting style, blank lines and redundant parentheses vanish in the AST;
any change in what the interpreter executes (a name, a literal, a statement, an import) stays.
Docstrings are kept: they are string constants a program can read.
"""

from __future__ import annotations

import ast
import hashlib
import warnings
from collections.abc import Hashable
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from harness._python_ast import parse_module
from harness.diff.builtin_rules import PYTHON_AST, BuiltinRule
from harness.normalize.canonical import Leaf
from harness.normalize.excerpt import first_changed_item
from harness.spec import tags


def _argo_placeholders(source: str) -> str:
    """Argo substitutes ``{{...}}`` tags as text before Python runs: each tag becomes a name
    derived from its exact text, so ``x = {{inputs.parameters.n}}`` parses and ``{{a}}`` and
    ``{{ a }}`` stay different. Inside a string literal the tag is compared by its text; the quote
    style around it is not (it would matter only for a value containing that quote)."""
    if tags.OPEN not in source:
        return source

    def name(tag: tags.Tag) -> str:
        if not tag.closed:  # a `{{` without `}}`: Python's own text
            return tag.written
        return "__argo_tag_" + hashlib.sha1(tag.written.encode()).hexdigest()[:16]

    return tags.replace_tags(source, name)


class PythonKey(NamedTuple):
    """A Python program by meaning: ``form`` ``"ast"`` with ``text`` the dump of its AST, or
    ``"text"`` with its text (without trailing blanks) for a program that does not compile."""

    form: Literal["ast", "text"]
    text: str


@lru_cache(maxsize=2048)
def python_key(source: str) -> PythonKey:
    """The AST's dump for a program that parses, else the source without trailing blanks."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning on odd escapes must not leak to users
            tree = parse_module(_argo_placeholders(source))
    except (SyntaxError, ValueError):
        # Does not even compile: both sides fail the same way only if the text is the same.
        return PythonKey("text", "\n".join(line.rstrip() for line in source.strip("\n").splitlines()))
    return PythonKey("ast", ast.dump(tree))


class PythonLeaf(Leaf):
    """A Python program; ``text`` is the source that runs (``raw`` is how the manifest writes it,
    which differs for an env value Kubernetes expands)."""

    __slots__ = ("text",)

    def __init__(self, key: Hashable, raw: Any, rule: BuiltinRule, text: str) -> None:
        super().__init__(key, raw, rule)
        self.text = text

    @staticmethod
    def change_between(left: object, right: object) -> str | None:
        """The first statement that differs, both sides written in one canonical style."""
        a = _statements(left.text) if isinstance(left, PythonLeaf) else []
        b = _statements(right.text) if isinstance(right, PythonLeaf) else []
        return first_changed_item(a, b, "statement")


def _statements(source: str) -> list[str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = parse_module(source)
    except (SyntaxError, ValueError):
        return [line for line in source.splitlines() if line.strip()]
    return [" ".join(ast.unparse(node).split()) for node in tree.body]


def python_leaf(source: str, rule: BuiltinRule = PYTHON_AST, raw: str | None = None) -> PythonLeaf:
    """``source`` compared as a Python program; ``raw`` (default ``source``) is what is shown."""
    return PythonLeaf(python_key(source), source if raw is None else raw, rule, source)
