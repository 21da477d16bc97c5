"""Strategies for the ``env`` input: variable names, values YAML would retype, and Secret references."""

from __future__ import annotations

import string
from functools import cache

from hypothesis import strategies as st

from harness.fuzz.code import tricky_text
from harness.fuzz.names import LOWER_ALNUM, shaped_names

# Strings YAML 1.1 (PyYAML, the kubernetes client, many templating paths) reads as something else
# when they are written unquoted: booleans, nulls, ints in several bases, floats, sexagesimals,
# dates, merge keys, anchors and tags; plus the empty string and leading/trailing blanks.
# fmt: off
YAML_SPECIAL_STRINGS = (
    "yes", "no", "Yes", "NO", "on", "Off", "y", "n", "true", "False", "TRUE",
    "null", "Null", "NULL", "~", "",
    "0x10", "0o10", "010", "08", "0b101", "1e3", "1.0e3", "1_000", "+1", "-0", ".5", "1.", ".inf", "-.Inf", ".nan",
    "12:30:00", "190:20:30", "2024-01-01", "2001-12-14t21:59:43.10-05:00",
    "<<", "=", "&anchor", "*alias", "!!str", "!tag", "%YAML", "@", "`", "|", ">", "- item", "? key", ": value",
    "#", "# comment", "key: value", "[a, b]", "{a: b}", "'quoted'", '"double"',
    " leading", "trailing ", "\ttab", "two\nlines", "crlf\r\n", "\u00a0nbsp", "\ufeffbom",
)
# fmt: on
# Names that look like Argo's or Kubernetes' own, and the shapes real jobs use.
ENV_NAMES = ("TASK_ID", "LOG_LEVEL", "DEBUG", "HOME", "PATH", "PYTHONPATH", "_", "_X", "a", "x1", "Yes", "NULL")
# Not valid variable names (the builders must refuse these).
INVALID_ENV_NAMES = ("BAD-NAME", "1X", "", "A B", "A.B", "é", "A=B", "PYTHON_CODE", "$X", "A\n")


@cache
def env_names(*, valid: bool = True) -> st.SearchStrategy[str]:
    """An env var name. ``valid=True``: ``[A-Za-z_][A-Za-z0-9_]*`` (real names, YAML-special names such
    as ``Yes``/``NULL``, or generated ones) other than the reserved ``PYTHON_CODE``. ``valid=False``: a
    name the builders must refuse (``BAD-NAME``, ``1X``, ``""``, ``PYTHON_CODE``...).

    Shrinks towards ``TASK_ID`` (valid) or ``BAD-NAME`` (invalid).
    """
    if not valid:
        return st.sampled_from(INVALID_ENV_NAMES)
    first, rest = string.ascii_letters + "_", string.ascii_letters + string.digits + "_"
    generated = shaped_names(first, rest, max_size=21, last=rest).filter(lambda n: n != "PYTHON_CODE")
    return st.one_of(st.sampled_from(ENV_NAMES), generated)


@cache
def yaml_special_strings() -> st.SearchStrategy[str]:
    """A string YAML 1.1 would read as a boolean, null, number, date, alias... if it were unquoted
    (``yes``, ``null``, ``~``, ``0x10``, ``1e3``, ``010``, ``""``...). Shrinks towards ``yes``."""
    return st.sampled_from(YAML_SPECIAL_STRINGS)


@cache
def env_values() -> st.SearchStrategy[str]:
    """A plain env var value: a YAML-special string, a number-like string, tricky text (quotes,
    ``$``, backticks, ``{{``, line breaks, non-ASCII), or a long value.

    Shrinks towards ``yes``.
    """
    return st.one_of(
        yaml_special_strings(),
        st.integers(-(10**20), 10**20).map(str),
        st.floats(allow_nan=False).map(repr),
        tricky_text(max_size=20),
        st.integers(100, 5000).map(lambda n: "v" * n),
    )


@cache
def secret_refs() -> st.SearchStrategy[dict[str, dict[str, str]]]:
    """A value taken from a Secret: ``{"secretKeyRef": {"name": <DNS subdomain>, "key": <Secret key>}}``.

    Names and keys are always valid (a key may hold dots, dashes, underscores). Shrinks towards
    ``{"secretKeyRef": {"name": "api-credentials", "key": "token"}}``.
    """
    names = st.one_of(
        st.sampled_from(("api-credentials", "db", "s3.keys")),
        st.lists(shaped_names(LOWER_ALNUM, LOWER_ALNUM + "-", max_size=22), min_size=1, max_size=2).map(".".join),
    )
    keys = st.one_of(
        st.sampled_from(("token", "password", "tls.crt", ".dockerconfigjson", "KEY_1")),
        st.text(string.ascii_letters + string.digits + "-._", min_size=1, max_size=20),
    )
    return st.builds(lambda name, key: {"secretKeyRef": {"name": name, "key": key}}, names, keys)


@cache
def env_maps(
    *, valid: bool | None = True, max_size: int = 6
) -> st.SearchStrategy[dict[str, str | dict[str, dict[str, str]]]]:
    """The ``env`` input: up to ``max_size`` variables, each a plain value (:func:`env_values`) or a
    Secret (:func:`secret_refs`). ``valid=False`` adds one variable with an invalid name; ``None``
    mixes both.

    Shrinks towards ``{}``, then fewer variables with simpler values.
    """
    entries = st.dictionaries(env_names(), st.one_of(env_values(), secret_refs()), max_size=max_size)
    if valid is True:
        return entries
    broken = st.tuples(entries, env_names(valid=False), env_values()).map(lambda p: {**p[0], p[1]: p[2]})
    return broken if valid is False else st.one_of(entries, broken)
