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
from typing import Any

from harness.normalize.canonical import Leaf
from harness.normalize.excerpt import first_changed_item
from harness.spec import tags

RULE_SCRIPT = "python-ast"
RULE_ENV_CODE = "python-code-in-env"


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


@lru_cache(maxsize=2048)
def python_key(source: str) -> tuple[str, str]:
    """('ast', dump) for a program that parses, else ('text', source without trailing blanks)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning on odd escapes must not leak to users
            tree = ast.parse(_argo_placeholders(source))
    except (SyntaxError, ValueError):
        # Does not even compile: both sides fail the same way only if the text is the same.
        return ("text", "\n".join(line.rstrip() for line in source.strip("\n").splitlines()))
    return ("ast", ast.dump(tree))


class PythonLeaf(Leaf):
    """A Python program; ``text`` is the source that runs (``raw`` is how the manifest writes it,
    which differs for an env value Kubernetes expands)."""

    __slots__ = ("text",)

    def __init__(self, key: Hashable, raw: Any, rule: str, text: str) -> None:
        super().__init__(key, raw, rule)
        self.text = text

    @staticmethod
    def change_between(left: Leaf | None, right: Leaf | None) -> str | None:
        """The first statement that differs, both sides written in one canonical style."""
        a = _statements(left.text) if isinstance(left, PythonLeaf) else []
        b = _statements(right.text) if isinstance(right, PythonLeaf) else []
        return first_changed_item(a, b, "statement")


def _statements(source: str) -> list[str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return [line for line in source.splitlines() if line.strip()]
    return [" ".join(ast.unparse(node).split()) for node in tree.body]


def python_leaf(source: str, rule: str = RULE_SCRIPT, raw: str | None = None) -> Leaf:
    """``source`` compared as a Python program; ``raw`` (default ``source``) is what is shown."""
    return PythonLeaf(python_key(source), source if raw is None else raw, rule, source)


def parses(source: str) -> bool:
    return python_key(source)[0] == "ast"
