"""Strategies for the user's program: valid Python that is hostile to every layer it crosses.

The program travels in an env var, through YAML, JSON, a kubernetes or Hera model, bash
(``python -c "$PYTHON_CODE"``) and Argo's template substitution. Each of those has characters it
treats specially: quotes and backslashes (YAML, JSON, Python), ``$`` and backticks (bash), ``{{``
(Argo), line breaks (everything), non-ASCII (encoders). The strategies here put those characters
into programs that still compile, so a difference in the manifests is a builder's doing, never a
program that was already broken.
"""

from __future__ import annotations

import re
import warnings
from functools import cache

from hypothesis import strategies as st

# Characters that one layer or another between the user and the interpreter treats specially,
# plus non-ASCII from several scripts and planes (combining marks, RTL, wide, astral, BOM, NBSP).
TRICKY_ALPHABET = (
    "'\"\\$`{}%!#;&|<>*?~\n\t\r :-=@()[]aZ0 é\u00fc\u00df\u65e5\U0001f40d\u200b\u202e\u0301\ufeff\u00a0\u2028\u03a9"
)
# Multi-character sequences that mean something to bash or Argo.
TRICKY_SEQUENCES = ("{{", "}}", "$(id)", "${HOME}", "`whoami`", "$PYTHON_CODE", "\\n", "'\"'\"'", "- ", ": ", "{{x}}")
# Names that are valid Python identifiers outside ASCII (PEP 3131).
UNICODE_IDENTIFIERS = ("café", "π", "变量", "naïve", "Ωmega", "_ñ")


@cache
def tricky_text(*, max_size: int = 40) -> st.SearchStrategy[str]:
    """Text full of what quoting layers treat specially: runs of :data:`TRICKY_ALPHABET` (quotes,
    backslashes, ``$``, backticks, braces, line breaks, non-ASCII), :data:`TRICKY_SEQUENCES`
    (``{{``, ``$(id)``, backticks around a command...) and arbitrary Unicode (no surrogates, no NUL),
    at most ``max_size`` characters.

    Either one run of tricky characters, or tricky run + sequence + any Unicode + tricky run; each
    run is one Hypothesis choice, so the strategy is cheap. Shrinks towards ``""``, then shorter
    runs of earlier characters.
    """
    run_size = max(1, max_size // 3)
    mixed = st.tuples(
        st.text(TRICKY_ALPHABET, max_size=run_size),
        st.sampled_from(TRICKY_SEQUENCES),
        st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=run_size),
        st.text(TRICKY_ALPHABET, max_size=run_size),
    ).map(lambda pieces: "".join(pieces)[:max_size])
    return st.one_of(st.text(TRICKY_ALPHABET, max_size=max_size), mixed)


@cache
def string_literals() -> st.SearchStrategy[str]:
    """Python source for a string literal: a plain, raw, triple-quoted, bytes or f-string literal.

    Every generated literal is valid Python (``repr`` of tricky text, or hand-assembled forms whose
    content is restricted so that they stay valid). Shrinks towards ``''``.
    """
    return st.one_of(
        tricky_text().map(repr),
        tricky_text().map(lambda text: '"""' + text.replace("\\", "\\\\").replace('"', '\\"') + '"""'),
        st.text(st.characters(codec="utf-8", exclude_characters="\x00\r\n'\\"), max_size=20).map(
            lambda text: "r'" + text + "'"
        ),
        st.text(st.characters(codec="ascii", exclude_characters="\x00\r\n'\\"), max_size=20).map(
            lambda text: "b'" + text + "'"
        ),
        _format_strings(),
    )


@cache
def _format_strings() -> st.SearchStrategy[str]:
    # f-strings whose doubled braces print literal braces: exactly what Argo's `{{...}}` looks like.
    plain = st.text(st.characters(codec="utf-8", exclude_characters="\x00\r\n'\\{}"), max_size=12)
    part = st.one_of(plain, st.just("{{"), st.just("}}"), st.just("{value!r}"), st.just("{value:>8}"))
    return st.lists(part, max_size=6).map(lambda parts: "f'" + "".join(parts) + "'")


# Python ends a line at CR or LF; YAML 1.1 also at NEL, LS and PS: a comment holds none of them.
_LINE_BREAKS = frozenset("\r\n\x85\u2028\u2029")


@cache
def comments() -> st.SearchStrategy[str]:
    """A ``#`` comment line whose text holds anything but a line break. Shrinks towards ``# ``."""
    return tricky_text(max_size=30).map(lambda text: "# " + "".join(c for c in text if c not in _LINE_BREAKS))


@cache
def long_lines() -> st.SearchStrategy[str]:
    """A statement on one line of 200 to 4,000 characters (a long literal or a long expression).

    Shrinks towards the shortest long line of ``x``.
    """
    long_literal = st.tuples(st.integers(200, 4000), st.sampled_from("x$`'\"\\é")).map(
        lambda pair: "data = " + repr(pair[1] * pair[0])
    )
    long_sum = st.integers(60, 200).map(lambda n: "total = " + " + ".join(str(i) for i in range(n)))
    return st.one_of(long_literal, long_sum)


@cache
def _simple_statements() -> st.SearchStrategy[str]:
    names = st.one_of(st.sampled_from(("value", "x", "_")), st.sampled_from(UNICODE_IDENTIFIERS))
    return st.one_of(
        st.sampled_from(
            (
                "pass",
                "import os, sys",
                "import json",
                'print(os.environ.get("TASK_ID", ""))',
                "print(sys.argv)",
                'print("$PYTHON_CODE")',
                "print(__doc__)",
                "value = {'a': {'b': [1, 2]}}",
                "value = [i ** 2 for i in range(3)]",
                "assert True, 'never'",
                "raise SystemExit(0)",
            )
        ),
        string_literals().map(lambda lit: f"print({lit})"),
        st.tuples(names, string_literals()).map(lambda pair: f"{pair[0]} = {pair[1]}"),
        comments(),
        long_lines(),
    )


def _indented(body: list[str], indent: str) -> str:
    return "\n".join(indent + line for statement in body for line in statement.split("\n"))


@st.composite
def _compound_statements(draw: st.DrawFn) -> str:
    header = draw(
        st.sampled_from(("if True:", "for i in range(2):", "def f():", "class C:", "try:", "with open(__file__) as h:"))
    )
    indent = draw(st.sampled_from(("    ", "\t", "  ")))
    body = draw(st.lists(_simple_statements(), min_size=1, max_size=3))
    block = header + "\n" + _indented(body, indent)
    if header == "try:":
        block += "\nexcept Exception:\n" + indent + "pass"
    return block


@cache
def python_code() -> st.SearchStrategy[str]:
    """A valid Python program (``compile()`` accepts it) of one to eight statements.

    Statements print or assign string literals full of quotes, backslashes, ``$``, backticks,
    ``{{``/``}}``, line breaks and non-ASCII; use non-ASCII identifiers; hold comments, long lines
    (up to 4,000 characters) and indented blocks (spaces or tabs). Never an Argo template tag
    (``{{=...}}``, ``{{workflow.name}}``: see :func:`python_code_with_argo_tags`), though ``{{``
    and f-string ``{{x}}`` appear, and never ``$$`` (Kubernetes halves it in env values). There may be a docstring,
    leading blank lines, a missing final newline or ``\\r\\n`` line endings. Shrinks towards
    ``pass``: fewer statements, simpler statements, shorter literals, ``\\n`` endings.
    """
    return _programs().filter(
        lambda source: compiles(source) and not looks_like_argo_tag(source) and "$$" not in source
    )


_STATEMENT_LISTS = st.lists(st.one_of(_simple_statements(), _compound_statements()), min_size=1, max_size=8)


@st.composite
def _programs(draw: st.DrawFn) -> str:
    statements = draw(_STATEMENT_LISTS)
    if draw(st.booleans()):
        docstring = draw(st.text(st.characters(codec="utf-8", exclude_characters='\x00"\\\r'), max_size=30))
        statements.insert(0, f'"""{docstring}"""')
    program = "\n".join(statements)
    if draw(st.booleans()):
        program = program.replace("\n", "\r\n")
    leading = draw(st.sampled_from(("", "\n", "\n\n", "# -*- coding: utf-8 -*-\n")))
    trailing = draw(st.sampled_from(("", "\n", "\n\n", "  \n")))
    return leading + program + trailing


# Anything resembling an Argo template tag (a superset of what Argo substitutes): valid programs
# never hold one, so they stay valid inputs; python_code_with_argo_tags() generates those.
_ARGO_LIKE = re.compile(r"\{\{\s*(=|[A-Za-z]+\.|item|retries)")


def looks_like_argo_tag(text: str) -> bool:
    return _ARGO_LIKE.search(text) is not None


def compiles(source: str) -> bool:
    """Whether ``source`` is a valid Python program (what the code strategies promise)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences are warnings, not errors
            compile(source, "<fuzz>", "exec")
    except (SyntaxError, ValueError):
        return False
    return True


@cache
def argo_template_tags() -> st.SearchStrategy[str]:
    """An Argo template tag Argo would act on: ``{{workflow.name}}``, ``{{ inputs.parameters.x }}``,
    ``{{=1+1}}``... (``harness.builders._validate`` makes both builders refuse these in user text).

    Shrinks towards ``{{workflow.name}}``.
    """
    return st.sampled_from(
        (
            "{{workflow.name}}",
            "{{ workflow.namespace }}",
            "{{inputs.parameters.x}}",
            "{{pod.name}}",
            "{{=1+1}}",
            "{{steps.a.outputs.result}}",
            "{{tasks.t.outputs.result}}",
            "{{item}}",
        )
    )


@cache
def python_code_with_dollar_escapes() -> st.SearchStrategy[str]:
    """A valid Python program holding ``$$``, which Kubernetes turns into ``$`` in an env value (the
    program's carrier) before Python runs: both builders must refuse it. Shrinks towards
    ``print('$$')``."""
    return st.sampled_from(("print('$$')", "import re\nEND = re.compile(r'\\$$')", "os.system('echo $$')"))


@cache
def python_code_with_argo_tags() -> st.SearchStrategy[str]:
    """A valid Python program that prints an Argo template tag (see :func:`argo_template_tags`).

    Argo would substitute the tag before Python runs, so both builders must refuse the program.
    Shrinks towards ``print('{{workflow.name}}')``.
    """
    return st.tuples(argo_template_tags(), st.sampled_from(("print({!r})", "label = {!r}", "# {}"))).map(
        lambda pair: pair[1].format(pair[0])
    )
