"""Python programs by AST, with Argo template tags kept exact."""

from __future__ import annotations

import pytest

from harness.normalize.python_code import PythonLeaf, python_key, python_leaf

SAME = [
    ("formatting", "x = [1,2]\nprint( x )", "x = [\n    1,\n    2,\n]\nprint(x)\n"),
    ("comments and blank lines", "# hi\n\nimport os\n", "import os  # needed\n\n\n"),
    ("quote style", "print('a')", 'print("a")'),
    ("redundant parentheses", "y = (1 + 2)", "y = 1 + 2"),
    (
        "quote style around a tag",
        'assert "{{inputs.parameters.x}}" == "hi"\n',
        "assert '{{inputs.parameters.x}}' == 'hi'",
    ),
]
DIFFERENT = [
    ("a literal", "print(1)", "print(2)"),
    ("a name", "import os\nos.getcwd()", "import os\nos.getpid()"),
    ("a docstring", '"""One."""\n', '"""Two."""\n'),
    ("statement order", "a()\nb()", "b()\na()"),
    ("a tag", "x = {{inputs.parameters.a}}", "x = {{inputs.parameters.b}}"),
    ("tag spacing (Argo may not trim)", "x = {{inputs.parameters.n}}", "x = {{ inputs.parameters.n }}"),
    ("indentation of a program that does not parse", "  print(1)", "print(1)"),
]


@pytest.mark.parametrize(("why", "a", "b"), SAME, ids=[c[0] for c in SAME])
def test_same_program(why: str, a: str, b: str) -> None:
    assert python_key(a) == python_key(b), why


@pytest.mark.parametrize(("why", "a", "b"), DIFFERENT, ids=[c[0] for c in DIFFERENT])
def test_different_program(why: str, a: str, b: str) -> None:
    assert python_key(a) != python_key(b), why


def test_unparsable_source_is_compared_as_text() -> None:
    assert python_key("def (:\n")[0] == "text"
    assert python_key("def (:\n") == python_key("def (:   \n\n")


def test_message_names_the_first_changed_statement() -> None:
    a, b = python_leaf("import six\nprint(six.__version__)\n"), python_leaf("import six\nprint(six.__file__)\n")
    assert PythonLeaf.change_between(a, b) == "statement 2: `print(six.__version__)` -> `print(six.__file__)`"


def test_shown_as_written_compared_as_run() -> None:
    # An env value Kubernetes expands: `$$` reaches Python as `$`.
    a = python_leaf("print('$')", raw="print('$$')")
    b = python_leaf("print('$')")
    assert a == b and a.raw == "print('$$')"
    c = python_leaf("print('$$')", raw="print('$$$$')")
    assert PythonLeaf.change_between(b, c) == "statement 1: `print('$')` -> `print('$$')`"
