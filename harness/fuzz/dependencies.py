"""Strategies for dependencies: PEP 508 requirements, the strings users join them into, and
requirements files.

A requirement is assembled from the PEP 508 grammar (name, extras, a version specifier set or a
direct URL, an environment marker) with the optional whitespace the grammar allows, so commas,
spaces, quotes, brackets and ``@`` turn up exactly where a naive splitter breaks them. Every
generated requirement parses with ``packaging`` (the filter is a safety net, not a generator).
"""

from __future__ import annotations

import string
from functools import cache
from typing import TypeVar

from hypothesis import strategies as st
from packaging.requirements import InvalidRequirement, Requirement

from harness.fuzz.code import looks_like_argo_tag, tricky_text
from harness.fuzz.names import shaped_names

_T = TypeVar("_T")

# Real names with the spellings PEP 503 normalises (case, '-', '_', '.').
# fmt: off
PACKAGE_NAMES = (
    "six", "idna", "numpy", "requests", "attrs", "typing-extensions", "typing_extensions", "Django",
    "zope.interface", "ruamel.yaml", "backports.zoneinfo", "PyYAML", "scikit-learn", "a", "x1",
)
# fmt: on
EXTRAS = ("socks", "security", "dev", "test", "http2", "all", "s3", "postgres_binary", "extra-1")
OPERATORS = ("==", ">=", "<=", "!=", "~=", "<", ">", "===")
MARKER_VERSION_VARIABLES = ("python_version", "python_full_version", "platform_release", "implementation_version")
# fmt: off
MARKER_STRING_VARIABLES = (
    "sys_platform", "os_name", "platform_system", "platform_machine", "implementation_name",
    "platform_python_implementation", "extra",
)
MARKER_STRING_VALUES = (
    "linux", "win32", "darwin", "posix", "nt", "Linux", "x86_64", "aarch64", "cpython", "CPython", "test", "dev",
)
# fmt: on
URLS = (
    "https://example.com/pkg-1.0-py3-none-any.whl",
    "https://files.example.org/p/pkg-2.0.tar.gz#sha256=" + "0" * 64,
    "git+https://github.com/org/repo.git@v1.2#egg=pkg",
    "git+ssh://git@github.com/org/repo.git",
    "file:///tmp/wheels/pkg-1.0-py3-none-any.whl",
    "https://example.com/a%20b/pkg.zip?x=1&y=2",
)
# Fragments no PEP 508 parser accepts, whatever comes before or after them ("numpy>=" would not do:
# followed by "0" it is a requirement): both builders must refuse a string holding one.
# fmt: off
INVALID_DEPENDENCIES = (
    "numpy>=>=1", "requests[socks]]", "pkg;;", "--extra-index-url https://evil.example", "-e .", "$(curl evil)",
    "`id`", "{{workflow.name}}",
)
# fmt: on
# What people type between requirements. A comma is only a separator outside a specifier set.
SEPARATORS = (" ", ",", ", ", " ,", " , ", ",,", "  ", "\t", "\n", ", , ", " ,\t")


def _table(items: tuple[_T, ...]) -> st.SearchStrategy[_T]:
    """``sampled_from`` for a long table, with a short repr (Hypothesis prints strategies in reports)."""
    return st.integers(0, len(items) - 1).map(items.__getitem__)


@cache
def _spaces() -> st.SearchStrategy[str]:
    return st.sampled_from(("", " ", "  ", "\t"))


@cache
def package_names() -> st.SearchStrategy[str]:
    """A PEP 508 distribution name: a real name in any PEP 503 spelling, or a generated one.

    Shrinks towards ``six``.
    """
    alnum = string.ascii_letters + string.digits
    generated = shaped_names(alnum, alnum + "._-", max_size=17)
    return st.one_of(st.sampled_from(PACKAGE_NAMES), generated)


@cache
def extras() -> st.SearchStrategy[str]:
    """An extras clause such as ``[socks]`` or ``[ dev , test ]`` (one to three names, optional
    whitespace). Shrinks towards ``[socks]``."""
    return st.tuples(st.lists(st.sampled_from(EXTRAS), min_size=1, max_size=3), st.sampled_from(_EXTRAS_SPACING)).map(
        lambda parts: "[" + parts[1][0] + f"{parts[1][1]},{parts[1][1]}".join(parts[0]) + parts[1][0] + "]"
    )


_EXTRAS_SPACING = (("", ""), (" ", " "), ("", " "), ("\t", ""))


# Release numbers and suffixes to build versions from: epochs, one to four segments, calendar
# versions, pre/post/dev releases. Tables rather than free integers keep each version to two
# Hypothesis choices; which digits a version has never matters to a builder.
RELEASES = ("0", "1", "1.0", "1.26", "3.11", "2.0.0", "0.0.1", "10.2.3.4", "2024.1", "1!2.0", "2!0.1.0")
VERSION_SUFFIXES = ("", "a1", "b2", "rc1", ".post1", ".dev0", "rc1.post2.dev3", ".post0.dev1")
# Only ==/!= take these: a local version label or a trailing wildcard.
EQUALITY_TAILS = ("", ".*", "+local.1", "+abc")


def _release_segments(release: str) -> int:
    return release.rpartition("!")[2].count(".") + 1


@cache
def versions(*, min_release: int = 1, wildcard: bool = False) -> st.SearchStrategy[str]:
    """A PEP 440 version from :data:`RELEASES` and :data:`VERSION_SUFFIXES`: epochs, one to four
    release segments, pre, post and dev releases (``1.26``, ``1!2.0rc1``, ``2.0.0.post1``).

    ``min_release`` sets the least number of release segments (``~=`` needs two); ``wildcard``
    ends it with ``.*`` (then there is no suffix). Shrinks towards ``0`` (or the first release
    long enough).
    """
    releases = tuple(r for r in RELEASES if _release_segments(r) >= min_release)
    if wildcard:
        return st.sampled_from(tuple(release + ".*" for release in releases))
    return st.sampled_from(tuple(release + suffix for suffix in VERSION_SUFFIXES for release in releases))


_VERSION_TABLE = tuple((release, suffix) for suffix in VERSION_SUFFIXES for release in RELEASES)


def _specifier_text(parts: tuple[str, str, tuple[str, str], str]) -> str:
    operator, gap, (release, suffix), tail = parts
    if operator == "===":  # arbitrary equality compares strings: any version text will do
        return operator + gap + release + suffix
    if operator == "~=" and _release_segments(release) < 2:
        release += ".0"
    if operator not in ("==", "!="):
        tail = ""
    if tail == ".*":
        suffix = ""
    return operator + gap + release + suffix + tail


@cache
def version_specifiers() -> st.SearchStrategy[str]:
    """One PEP 440 specifier: an operator, optional whitespace, a version (``>=1.26``, ``~= 2.0``,
    ``==1.*``, ``!=3.11rc1``, ``==1.0+local.1``, ``===2.0.0``). Shrinks towards ``==0``."""
    return st.tuples(
        st.sampled_from(OPERATORS), _spaces(), _table(_VERSION_TABLE), st.sampled_from(EQUALITY_TAILS)
    ).map(_specifier_text)


@cache
def specifier_sets() -> st.SearchStrategy[str]:
    """A specifier set: one to three specifiers joined by commas with optional whitespace around each
    comma (``>=1.26,<2``, ``>=1 , !=1.5``), sometimes in parentheses. Shrinks towards ``==0``."""
    return st.tuples(st.lists(version_specifiers(), min_size=1, max_size=3), _spaces(), _spaces(), st.booleans()).map(
        lambda parts: ("({})" if parts[3] else "{}").format(f"{parts[1]},{parts[2]}".join(parts[0]))
    )


def _marker_atoms() -> tuple[tuple[str, str, str], ...]:
    atoms: list[tuple[str, str, str]] = []
    for variable in MARKER_VERSION_VARIABLES:
        for operator in ("==", "<", ">=", "!=", "<=", ">", "~="):
            atoms.extend((variable, operator, value) for value in ("3.8", "3.11", "2.7.18", "5.10.0-1-amd64"))
    for variable in MARKER_STRING_VARIABLES:
        for operator in ("==", "!=", "in", "not in"):
            atoms.extend((variable, operator, value) for value in MARKER_STRING_VALUES)
    return tuple(atoms)


MARKER_ATOMS = _marker_atoms()


def _marker_text(parts: tuple[tuple[str, str, str], tuple[str, str, bool]]) -> str:
    (variable, operator, value), (quote, gap, value_first) = parts
    if operator in ("in", "not in"):
        gap = " "
    literal = f"{quote}{value}{quote}"
    return f"{literal}{gap}{operator}{gap}{variable}" if value_first else f"{variable}{gap}{operator}{gap}{literal}"


# How a comparison is spelled: quote, blanks around the operator, value first or variable first.
_MARKER_SPELLINGS = (('"', " ", False), ("'", "", False), ('"', "", False), ("'", " ", True), ('"', " ", True))


def _combined_marker(parts: tuple[list[str], str, bool]) -> str:
    atoms, joiner, parenthesised = parts
    text = f" {joiner} ".join(atoms)
    return f"({text})" if parenthesised and len(atoms) > 1 else text


@cache
def markers() -> st.SearchStrategy[str]:
    """An environment marker: one to three comparisons (``python_version < "3.11"``,
    ``sys_platform == 'linux'``, ``'linux' in sys_platform``) joined by ``and`` or ``or``, sometimes
    parenthesised, in single or double quotes, with or without blanks around the operator.

    Shrinks towards ``python_version == "3.8"``.
    """
    atom = st.tuples(_table(MARKER_ATOMS), st.sampled_from(_MARKER_SPELLINGS)).map(_marker_text)
    return st.tuples(st.lists(atom, min_size=1, max_size=3), st.sampled_from(("and", "or")), st.booleans()).map(
        _combined_marker
    )


@cache
def direct_urls() -> st.SearchStrategy[str]:
    """A direct reference ``@ URL`` with optional whitespace before the ``@`` (``pkg @ https://...``,
    ``pkg@git+https://...``). Shrinks towards `` @ https://example.com/pkg-1.0-py3-none-any.whl``."""
    return st.sampled_from(tuple(f"{gap}@ {url}" for url in URLS for gap in (" ", "", "  ")))


def _requirement_text(parts: tuple[str, str, str, tuple[str, str], str]) -> str:
    name, extras_clause, version_kind, (gap, marker_gap), marker = parts
    text = name + (gap + extras_clause if extras_clause else "")
    if version_kind.lstrip().startswith("@"):
        text += version_kind
        # After a URL the marker's ';' must follow whitespace, or it is part of the URL.
        marker_gap = marker_gap or " "
    elif version_kind:
        text += gap + version_kind
    return text + (marker_gap + ";" + gap + marker if marker else "")


@cache
def _requirement() -> st.SearchStrategy[str]:
    return st.tuples(
        package_names(),
        st.one_of(st.just(""), extras()),
        st.one_of(st.just(""), specifier_sets(), direct_urls()),
        st.sampled_from((("", ""), (" ", " "), ("", " "), (" ", ""), ("  ", "\t"))),
        st.one_of(st.just(""), markers()),
    ).map(_requirement_text)


@cache
def requirements() -> st.SearchStrategy[str]:
    """One PEP 508 requirement string as a user would write it: name, optional extras, optional
    specifier set or direct URL, optional environment marker, with the whitespace PEP 508 allows.

    Always parses with ``packaging.requirements.Requirement``. Shrinks towards ``six``.
    """
    return _requirement().filter(is_requirement)


def is_requirement(text: str) -> bool:
    try:
        Requirement(text)
    except InvalidRequirement:
        return False
    return True


def _joined(parts: tuple[str, list[tuple[str, str]], bool]) -> str:
    leading, items, keep_trailer = parts
    text = leading
    for index, (part, separator) in enumerate(items):
        after = " " + separator if _ends_with_url(part) and separator[0] not in " \t" else separator
        last = index == len(items) - 1
        text += part + (after if keep_trailer or not last else "")
    return text


# PEP 508 (and `packaging`) end a URL only at a space or a tab, so "pkg @ https://x/p.whl,six" is
# one requirement whose URL ends in ",six", and a newline joins the next line to the URL too:
# after a direct URL, the separator is made to start with a space.
def _ends_with_url(requirement: str) -> bool:
    return "@" in requirement and ";" not in requirement.rpartition("@")[2]


def _join_items(items: st.SearchStrategy[list[tuple[str, str]]]) -> st.SearchStrategy[str]:
    # Each requirement carries the separator after it, so shrinking deletes both together; the
    # last separator is kept as a stray trailer or dropped.
    leading = st.sampled_from(("", " ", ",", "  ", ", ", "\t"))  # stray leading separators
    return st.tuples(leading, items, st.booleans()).map(_joined)


_SEPARATORS = st.sampled_from(SEPARATORS)


@cache
def dependency_strings(*, valid: bool | None = True) -> st.SearchStrategy[str | None]:
    """The ``dependencies`` input: ``None``, or zero to five requirements joined by spaces, commas,
    both, tabs or newlines, with stray separators before and after (``" six,idna  attrs , , "``).
    After a direct URL the separator starts with a space or tab (a comma or newline would extend the URL).

    ``valid=False`` puts one fragment no parser accepts among the requirements (both builders must
    refuse it); ``None`` mixes both. Shrinks towards ``None``, then ``""``, then fewer and simpler
    requirements joined by single spaces.
    """
    items = st.lists(st.tuples(requirements(), _SEPARATORS), max_size=5)
    if valid is False:
        broken = st.tuples(items, st.tuples(st.sampled_from(INVALID_DEPENDENCIES), _SEPARATORS), st.integers(0, 5))
        return _join_items(broken.map(lambda p: [*p[0][: p[2]], p[1], *p[0][p[2] :]]))
    strings: st.SearchStrategy[str | None] = _join_items(items)
    if valid is None:
        strings = st.one_of(strings, dependency_strings(valid=False))
    return st.one_of(st.none(), strings)


# --- requirements files ----------------------------------------------------------------------------


@cache
def _hash_options() -> st.SearchStrategy[str]:
    digest = st.text("0123456789abcdef", min_size=64, max_size=64)
    return st.lists(digest, min_size=1, max_size=2).map(lambda ds: " ".join(f"--hash=sha256:{d}" for d in ds))


@cache
def requirements_file_lines() -> st.SearchStrategy[str]:
    """One line (or continued line) of a pip requirements file: a requirement, a comment, a blank
    line, ``-r``/``-c`` includes, index options (``--index-url``, ``--extra-index-url``, ``-i``,
    ``--trusted-host``, ``--pre``, ``--find-links``), a requirement with ``--hash`` options (sometimes
    continued with a backslash), an inline comment, a line equal to the builders' heredoc delimiter,
    or ``$``/backticks that must not be expanded. Shrinks towards a bare requirement ``six``.
    """
    comment_text = tricky_text(max_size=20).map(lambda t: "".join(c for c in t if c not in "\r\n\x85\u2028\u2029"))
    return st.one_of(
        requirements(),
        st.just(""),
        comment_text.map(lambda t: "# " + t),
        st.tuples(requirements(), comment_text).map(lambda p: f"{p[0]}  # {p[1]}"),
        st.sampled_from(
            (
                "-r other-requirements.txt",
                "--requirement base.txt",
                "-c constraints.txt",
                "--constraint=constraints.txt",
                "--index-url https://pypi.example.org/simple",
                "-i https://pypi.example.org/simple",
                "--extra-index-url https://user:pass@pypi.example.org/simple",
                "--trusted-host pypi.example.org",
                "--pre",
                "--find-links ./wheels",
                "--only-binary :all:",
                "REQUIREMENTS_EOF",
                "REQUIREMENTS_EOF_",
                "EOF",
                "# $HOME `whoami` $(id) ${PATH}",
                "   ",
            )
        ),
        st.tuples(requirements(), _hash_options(), st.booleans()).map(
            lambda p: f"{p[0]} \\\n    {p[1]}" if p[2] else f"{p[0]} {p[1]}"
        ),
    )


@cache
def requirements_files() -> st.SearchStrategy[str | None]:
    """The ``requirements_file`` input (the file's content): ``None``, or lines from
    :func:`requirements_file_lines` joined by ``\\n`` with or without a final newline, sometimes
    indented or with ``\\r\\n`` endings, never with an Argo template tag. Shrinks towards ``None``,
    then ``""``, then one line.
    """
    content = st.tuples(
        st.lists(requirements_file_lines(), max_size=8),
        st.sampled_from(("", "  ", "\t")),
        st.sampled_from(("\n", "\r\n")),
        st.booleans(),
    ).map(lambda p: p[2].join(p[1] + line for line in p[0]) + (p[2] if p[3] else ""))
    return st.one_of(st.none(), content.filter(lambda text: not looks_like_argo_tag(text)))
