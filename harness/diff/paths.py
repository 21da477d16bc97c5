"""Readable paths (docs/architecture.md) and the globs and JSON pointers that select them.

``spec.templates[main].script.env[TASK_ID].value``: dotted keys; items of keyed lists by name in
brackets; positional items by index (``command[0]``); keys that are not plain identifiers quoted
(``metadata.annotations["workflows.argoproj.io/description"]``); names that are all digits quoted
too, so ``[0]`` is always an index.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class Key:
    """A mapping key: ``.name`` or ``["not an identifier"]``."""

    name: str


@dataclass(frozen=True, slots=True)
class Item:
    """An item of a keyed list, by its name: ``[main]``."""

    name: str


@dataclass(frozen=True, slots=True)
class Index:
    """A positional item: ``[0]``."""

    index: int


Segment = Key | Item | Index

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_BARE_NAME = re.compile(r"[A-Za-z0-9_.:/@+-]+\Z")
_DIGITS = re.compile(r"[0-9]+\Z")


def render(segments: Iterable[Segment]) -> str:
    out: list[str] = []
    for seg in segments:
        if isinstance(seg, Index):
            out.append(f"[{seg.index}]")
        elif isinstance(seg, Item):
            name = seg.name
            if _BARE_NAME.match(name) and not _DIGITS.match(name) and "]" not in name:
                out.append(f"[{name}]")
            else:
                out.append(f"[{json.dumps(name)}]")
        elif _IDENTIFIER.match(seg.name):
            out.append(f".{seg.name}" if out else seg.name)
        else:
            out.append(f"[{json.dumps(seg.name)}]")
    return "".join(out)


class PathSyntaxError(ValueError):
    pass


@lru_cache(maxsize=4096)
def parse(path: str) -> tuple[Segment, ...]:
    """Parse a readable path (or a glob written in the same syntax) into segments.

    A quoted bracket (``["x"]``) is read as a key: a key that is not an identifier and an item
    name that needs quoting render alike, and globs match keys and names the same way.
    """
    segments: list[Segment] = []
    i, n = 0, len(path)
    expect_key = True
    while i < n:
        ch = path[i]
        if ch == ".":
            if expect_key and segments:
                raise PathSyntaxError(f"empty segment at offset {i} in {path!r}")
            i += 1
            expect_key = True
            continue
        if ch == "[":
            end, seg = _parse_bracket(path, i)
            segments.append(seg)
            i = end
            expect_key = False
            continue
        j = i
        while j < n and path[j] not in ".[":
            j += 1
        segments.append(Key(path[i:j]))
        i = j
        expect_key = False
    return tuple(segments)


def _parse_bracket(path: str, start: int) -> tuple[int, Segment]:
    i = start + 1
    if i < len(path) and path[i] == '"':
        decoder = json.JSONDecoder()
        try:
            name, end = decoder.raw_decode(path, i)
        except json.JSONDecodeError as exc:
            raise PathSyntaxError(f"bad quoted name at offset {i} in {path!r}") from exc
        if end >= len(path) or path[end] != "]":
            raise PathSyntaxError(f"missing ']' at offset {end} in {path!r}")
        return end + 1, Key(str(name))  # renders the same as a quoted item name
    end = path.find("]", i)
    if end < 0:
        raise PathSyntaxError(f"missing ']' after offset {start} in {path!r}")
    text = path[i:end]
    if _DIGITS.match(text):
        return end + 1, Index(int(text))
    return end + 1, Item(text)


@dataclass(frozen=True)
class PathPattern:
    """A glob over readable paths: ``*`` within a segment, ``**`` across segments.

    A pattern matches a path and everything below it: ``spec.templates[main].script.env`` covers
    ``spec.templates[main].script.env[TASK_ID].value``. Keys and keyed-list names match alike, so
    ``metadata.labels.*`` covers ``metadata.labels["app.kubernetes.io/name"]``.
    """

    text: str
    segments: tuple[Segment, ...]

    @classmethod
    def compile(cls, text: str) -> PathPattern:
        return cls(text, parse(text))

    @classmethod
    def from_json_pointer(cls, pointer: str) -> PathPattern:
        """``/spec/templates/main/script`` -> ``spec.templates.main.script`` as a pattern.

        Tokens are unescaped per RFC 6901 (``~1`` is ``/``, ``~0`` is ``~``); all-digit tokens
        select positional items; keyed-list items are addressed by name; ``*`` and ``**`` keep
        their glob meaning.
        """
        if pointer == "":
            return cls(pointer, (Key("**"),))
        if not pointer.startswith("/"):
            raise PathSyntaxError(f"a JSON pointer starts with '/': {pointer!r}")
        segments: list[Segment] = []
        for token in pointer[1:].split("/"):
            value = token.replace("~1", "/").replace("~0", "~")
            segments.append(Index(int(value)) if _DIGITS.match(value) else Key(value))
        return cls(pointer, tuple(segments))

    def matches(self, path: str | Sequence[Segment]) -> bool:
        segments = parse(path) if isinstance(path, str) else tuple(path)
        return _match(self.segments, segments, 0, 0)


def _match(pattern: tuple[Segment, ...], path: tuple[Segment, ...], pi: int, si: int) -> bool:
    while pi < len(pattern):
        seg = pattern[pi]
        if isinstance(seg, Key | Item) and seg.name == "**":
            if pi == len(pattern) - 1:
                return True
            return any(_match(pattern, path, pi + 1, k) for k in range(si, len(path) + 1))
        if si >= len(path):
            return False
        target = path[si]
        if isinstance(seg, Index):
            if not (isinstance(target, Index) and target.index == seg.index):
                return False
        elif isinstance(target, Index):
            if not fnmatchcase(str(target.index), seg.name):
                return False
        elif not fnmatchcase(target.name, seg.name):
            return False
        pi += 1
        si += 1
    return True  # the pattern is a prefix of the path: it covers everything below


def is_under(path: str, prefix: str) -> bool:
    """True when ``path`` is ``prefix`` or below it (segment-wise, not string-wise)."""
    a, b = parse(path), parse(prefix)
    return a[: len(b)] == b
