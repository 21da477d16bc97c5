"""Noise calibration: what differs between two builds of the *same* side is not the migration's doing.

``parity run`` builds the legacy side twice. What differs between those two builds (random names,
timestamps, generated ids) is learnt as a :class:`NoiseModel`: for each path where they differ,
*what* varies there ("Noise hides only the varying part of a value, never a change
elsewhere in it"):

- text (strings, and programs compared by meaning, on the text a report shows): a
  :class:`Template`, literal where the two builds agree and a wildcard where they differ, whose
  character class is the narrowest the evidence allows (digits, hex, alphanumerics, a name, no
  whitespace, no newline): a wildcard that only ever saw a number vary never absorbs an added
  line or an added command;
- numbers, booleans: any value of the same JSON type;
- a key or item one build has and the other lacks: its presence varies, so at that path it may be
  absent or hold what that build held, never content no legacy build produced;
- items of a keyed list whose *name* varies (``env[RUN_3]`` in one build, ``env[RUN_7]`` in the
  other): any item whose name and content fit the pair's templates, as long as both sides have as
  many of them;
- any other value (a list of scalars that grew, a type that changed): a template of its JSON text.

``compare(noise=model)`` classes a difference as noise only where both sides' values fit what
varies at its path or above it; a difference at a varying path that does not fit keeps its
category, and its message says it differs beyond the part that varies.

Matching a template is linear in the text (:meth:`Template.fits`): the template is a sequence of
literal chunks, optional chunks and character-class wildcards, and ``fits`` tracks the set of
positions the text can have reached after each part (intervals, advanced with ``str.find`` and
one compiled regex per class) instead of backtracking, which a regex of several wildcards whose
classes overlap the next literal can make exponential.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Any

from harness.diff.classify import raw_differences
from harness.diff.paths import Index, Item, Segment, parse, render
from harness.normalize import ABSENT, CanonicalManifest, Leaf, canonicalize, json_value
from harness.normalize.canonical import json_kind
from harness.normalize.shell import ShellLeaf, Statement, describe_statement_change

if TYPE_CHECKING:
    from harness.diff.model import ManifestInput

# --- templates -------------------------------------------------------------------------------------

# Character classes of a wildcard, narrowest first; a wildcard gets the first one that holds every
# character the two builds had in the varying part.
_TIERS: tuple[tuple[str, str], ...] = (
    ("digits", "[0-9]"),
    ("hex", "[0-9a-fA-F]"),
    ("alnum", "[0-9A-Za-z]"),
    ("name", "[0-9A-Za-z_.:-]"),
    ("no-space", r"\S"),
    ("line", r"[^\n]"),
    ("any", r"[\s\S]"),
)
_DIGITS_TIER = 0
_ALNUM_TIER = 2
# Text one build has and the other lacks, inside a line: a wildcard up to this tier (a number's
# fraction `.5`, a suffix), an optional literal beyond it (a word with spaces could be a command).
_NO_SPACE_TIER = 4
_CLASS = tuple(re.compile(pattern) for _, pattern in _TIERS)
_RUN = tuple(re.compile(f"{pattern}*") for _, pattern in _TIERS)
_ALL_OF = tuple(re.compile(f"{pattern}+") for _, pattern in _TIERS)

_TOKEN = re.compile(r"[0-9A-Za-z]+|.", re.DOTALL)
_HEX_CHARS = frozenset("0123456789abcdefABCDEF")
_ALNUM = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_SUBTOKEN = re.compile(r"[0-9]+|[A-Za-z]+")
# Above this many line (or token) pairs, difflib's alignment could cost seconds: the whole
# differing middle becomes one wildcard (the evidence then says it all varies).
_MAX_PAIRS = 4_000_000


@dataclass(frozen=True, slots=True)
class _Literal:
    text: str


@dataclass(frozen=True, slots=True)
class _Optional:
    """Text one build has and the other lacks (whole lines, or words with spaces)."""

    text: str


@dataclass(frozen=True, slots=True)
class _Wildcard:
    tier: int  # index into _TIERS
    minimum: int  # at least this many characters (0 when a build had none there)


_Part = _Literal | _Optional | _Wildcard
_States = list[tuple[int, int]]  # sorted disjoint intervals of positions reached in the text


@dataclass(frozen=True, slots=True)
class Template:
    """A text where some parts vary: ``fits(text)`` says whether ``text`` is one of its values."""

    parts: tuple[_Part, ...]

    def fits(self, text: str) -> bool:
        states: _States = [(0, 0)]
        for part in self.parts:
            if isinstance(part, _Literal):
                states = _after_literal(text, states, part.text)
            elif isinstance(part, _Optional):
                states = _merge(sorted([*states, *_after_literal(text, states, part.text)]))
            else:
                states = _after_wildcard(text, states, part.tier, part.minimum)
            if not states:
                return False
        end = len(text)
        return any(lo <= end <= hi for lo, hi in states)

    @property
    def varies(self) -> bool:
        return any(not isinstance(part, _Literal) for part in self.parts)

    def __str__(self) -> str:
        """``echo run-{digits}``: literal text, ``{class}`` wildcards, ``{?text}`` optional text."""
        out = []
        for part in self.parts:
            if isinstance(part, _Literal):
                out.append(part.text)
            elif isinstance(part, _Optional):
                out.append("{?" + part.text + "}")
            else:
                out.append("{" + _TIERS[part.tier][0] + ("" if part.minimum else "?") + "}")
        return "".join(out)


def template_between(a: str, b: str) -> Template:
    """The template of two values of one text: literal where they agree, varying where not."""
    if a == b:
        return Template((_Literal(a),) if a else ())
    template = Template(_normalized(_line_parts(a, b)))
    if template.fits(a) and template.fits(b):
        return template
    # Not expected; if an alignment ever misses, the two values must still fit their own template.
    pre, mid_a, mid_b, post = _split_common(a, b)  # pragma: no cover
    return Template(_normalized([_Literal(pre), _wildcard(mid_a, mid_b), _Literal(post)]))  # pragma: no cover


def _lines(text: str) -> list[str]:
    """Lines with their ``\\n`` (only ``\\n``: ``str.splitlines`` also splits on form feeds...)."""
    pieces = text.split("\n")
    return [p + "\n" for p in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])


def _line_parts(a: str, b: str) -> list[_Part]:
    la, lb = _lines(a), _lines(b)
    head = 0
    while head < len(la) and head < len(lb) and la[head] == lb[head]:
        head += 1
    tail = 0
    while tail < len(la) - head and tail < len(lb) - head and la[-1 - tail] == lb[-1 - tail]:
        tail += 1
    ma, mb = la[head : len(la) - tail], lb[head : len(lb) - tail]
    parts: list[_Part] = [_Literal("".join(la[:head]))]
    if len(ma) * len(mb) > _MAX_PAIRS:
        if len(ma) == len(mb):  # too many to align, but as many lines: line by line
            for x, y in zip(ma, mb, strict=True):
                parts += _inline(x, y)
        else:
            parts += _inline("".join(ma), "".join(mb))
    else:
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, ma, mb, autojunk=False).get_opcodes():
            if tag == "equal":
                parts.append(_Literal("".join(ma[i1:i2])))
            elif tag == "delete":
                parts.append(_Optional("".join(ma[i1:i2])))  # whole lines only the first build has
            elif tag == "insert":
                parts.append(_Optional("".join(mb[j1:j2])))
            elif i2 - i1 == j2 - j1:
                # As many lines on each side: line by line, so a long run of varying lines keeps
                # what agrees within each line (and each alignment stays small).
                for x, y in zip(ma[i1:i2], mb[j1:j2], strict=True):
                    parts += _inline(x, y)
            else:
                parts += _inline("".join(ma[i1:i2]), "".join(mb[j1:j2]))
    parts.append(_Literal("".join(la[len(la) - tail :])))
    return parts


def _split_common(a: str, b: str) -> tuple[str, str, str, str]:
    """Common prefix, the two middles, common suffix; cut only between tokens, so that a number
    or an id that changes is one varying part (`run-12` / `run-17`: `run-`, `12` / `17`)."""
    limit = min(len(a), len(b))
    p = 0
    while p < limit and a[p] == b[p]:
        p += 1
    while p > 0 and a[p - 1] in _ALNUM and ((p < len(a) and a[p] in _ALNUM) or (p < len(b) and b[p] in _ALNUM)):
        p -= 1
    s = 0
    while s < limit - p and a[-1 - s] == b[-1 - s]:
        s += 1
    while s > 0 and a[-s] in _ALNUM and ((s < len(a) and a[-1 - s] in _ALNUM) or (s < len(b) and b[-1 - s] in _ALNUM)):
        s -= 1
    return a[:p], a[p : len(a) - s], b[p : len(b) - s], a[len(a) - s :]


def _inline(a: str, b: str) -> list[_Part]:
    """Two blocks of whole lines that differ: aligned token by token (words of letters and digits,
    single other characters), so that what agrees within a line stays literal."""
    pre, mid_a, mid_b, post = _split_common(a, b)
    parts: list[_Part] = [_Literal(pre)]
    ta, tb = _TOKEN.findall(mid_a), _TOKEN.findall(mid_b)
    if len(ta) * len(tb) > _MAX_PAIRS:
        parts.append(_wildcard(mid_a, mid_b))
    else:
        offsets = [len(pre)]
        for token in ta:
            offsets.append(offsets[-1] + len(token))
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes():
            if tag == "equal":
                parts.append(_Literal("".join(ta[i1:i2])))
            elif tag == "replace":
                parts += _replace("".join(ta[i1:i2]), "".join(tb[j1:j2]))
            else:
                text = "".join(ta[i1:i2]) if tag == "delete" else "".join(tb[j1:j2])
                at = offsets[i1]
                parts.append(_one_sided(text, line_start=at == 0 or a[at - 1] == "\n"))
    parts.append(_Literal(post))
    return parts


def _replace(a: str, b: str) -> list[_Part]:
    """A varying part both builds have. For one word each, letters and digits they share around a
    number stay literal (`run12` / `run7`, `12Z` / `15Z`); a random id (`a3f9` / `a1c2`) varies
    whole: a shared first letter there is chance, not evidence."""
    if a and b and set(a) <= _ALNUM and set(b) <= _ALNUM:
        ra, rb = _SUBTOKEN.findall(a), _SUBTOKEN.findall(b)
        k = 0
        while k < len(ra) and k < len(rb) and ra[k] == rb[k]:
            k += 1
        m = 0
        while m < len(ra) - k and m < len(rb) - k and ra[-1 - m] == rb[-1 - m]:
            m += 1
        rest_a, rest_b = "".join(ra[k : len(ra) - m]), "".join(rb[k : len(rb) - m])
        kept = "".join(ra[:k]) + "".join(ra[len(ra) - m :])
        if (
            (rest_a or rest_b)
            and (rest_a + rest_b).isascii()
            and (rest_a + rest_b).isdigit()
            and not set(kept) <= _HEX_CHARS  # `11d2` / `11d1` is a hex id, not `11d` and a number
        ):
            minimum = 1 if rest_a and rest_b else 0
            return [
                _Literal("".join(ra[:k])),
                _Wildcard(_DIGITS_TIER, minimum),
                _Literal("".join(ra[len(ra) - m :])),
            ]
    return [_wildcard(a, b)]


def _one_sided(text: str, *, line_start: bool) -> _Part:
    if line_start and text.endswith("\n"):
        return _Optional(text)  # whole lines one build has: optional, as they are
    tier = _tier(text)
    return _Wildcard(tier, 0) if tier <= _NO_SPACE_TIER else _Optional(text)


def _wildcard(a: str, b: str) -> _Wildcard:
    return _Wildcard(_tier(a + b), 1 if a and b else 0)


def _tier(text: str) -> int:
    chars = "".join(sorted(set(text)))
    if not chars:
        return _DIGITS_TIER
    return next(i for i, whole in enumerate(_ALL_OF) if whole.fullmatch(chars))


def _normalized(parts: Iterable[_Part]) -> tuple[_Part, ...]:
    return _one_class_per_word(_merged(parts))


def _one_class_per_word(parts: list[_Part]) -> tuple[_Part, ...]:
    """Wildcards of letters and digits in one word (no whitespace between them) take the widest
    class among them: the groups of one uuid vary together, and a group that happened to be all
    digits in both builds must still take the letters the next build puts there."""
    out = list(parts)
    word: list[tuple[int, _Wildcard]] = []

    def close() -> None:
        tier = max((wildcard.tier for _, wildcard in word), default=_DIGITS_TIER)
        for index, wildcard in word:
            out[index] = _Wildcard(tier, wildcard.minimum)
        word.clear()

    for index, part in enumerate(out):
        if isinstance(part, _Wildcard):
            if part.tier > _ALNUM_TIER:
                close()
            else:
                word.append((index, part))
        elif any(c.isspace() for c in part.text):
            close()
    close()
    return tuple(out)


def _merged(parts: Iterable[_Part]) -> list[_Part]:
    """Empty parts dropped; adjacent literals and adjacent wildcards merged."""
    out: list[_Part] = []
    for part in parts:
        if isinstance(part, _Literal | _Optional) and not part.text:
            continue
        last = out[-1] if out else None
        if isinstance(part, _Literal) and isinstance(last, _Literal):
            out[-1] = _Literal(last.text + part.text)
        elif isinstance(part, _Wildcard) and isinstance(last, _Wildcard):
            out[-1] = _Wildcard(max(last.tier, part.tier), last.minimum + part.minimum)
        else:
            out.append(part)
    return out


def _after_literal(text: str, states: _States, literal: str) -> _States:
    if not literal:
        return states
    out: _States = []
    n = len(literal)
    for lo, hi in states:
        p = text.find(literal, lo, hi + n)  # occurrences starting in [lo, hi]
        while p >= 0:
            out.append((p + n, p + n))
            p = text.find(literal, p + 1, hi + n)
    return out


def _after_wildcard(text: str, states: _States, tier: int, minimum: int) -> _States:
    char, run = _CLASS[tier], _RUN[tier]
    out: _States = []
    # The last run of class characters scanned: from any position in it, the wildcard can reach
    # exactly its end, so a later state inside it is not scanned again (keeps this linear).
    run_start, run_end = -1, -1
    for lo, hi in states:
        if minimum == 0:
            end = run_end if run_start <= hi <= run_end else _run_end(run, text, hi)
            run_start, run_end = hi, end
            out.append((lo, end))  # every state stays; the last one extends to its run's end
            continue
        p = lo
        while p <= hi:
            if run_start <= p < run_end:
                q, end = p, run_end
            else:
                found = char.search(text, p, hi + 1)
                if found is None:
                    break
                q = found.start()
                end = _run_end(run, text, q)
                run_start, run_end = q, end
            if q + minimum <= end:
                out.append((q + minimum, end))
            p = end + 1
    return _merge(out)


def _run_end(run: re.Pattern[str], text: str, start: int) -> int:
    match = run.match(text, start)
    return match.end() if match is not None else start  # `class*` always matches


def _merge(states: _States) -> _States:
    out: _States = []
    for lo, hi in states:
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


# --- what varies at one path -----------------------------------------------------------------------


class Variation:
    """What varies at one path, learnt from two values; ``covers(left, right)`` says whether two
    values (JSON-ready, canonical nodes, or ``ABSENT``) differ only in that."""

    __slots__ = ()

    def fits(self, value: Any) -> bool:
        raise NotImplementedError

    def covers(self, left: Any, right: Any) -> bool:
        return self.fits(left) and self.fits(right)

    def beyond(self, left: Any, right: Any) -> str | None:
        """What differs outside the varying part, when this can say it (one clause)."""
        return None


@dataclass(frozen=True, slots=True)
class AnyValue(Variation):
    """Presence varies (or a path named by hand): anything at or below the path."""

    def fits(self, value: Any) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class Presence(Variation):
    """Present in one legacy build, absent in the other: absent, or exactly what that build held.
    (A build that sometimes adds ``securityContext: {runAsNonRoot: true}`` does not make
    ``{privileged: true}`` noise.)"""

    present: Any  # JSON-ready

    def fits(self, value: Any) -> bool:
        if value is ABSENT:
            return True
        shown = json_value(value)
        return json_kind(shown) == json_kind(self.present) and shown == self.present


@dataclass(frozen=True, slots=True)
class SameValue(Variation):
    value: Any

    def fits(self, value: Any) -> bool:
        return value is not ABSENT and json_kind(value) == json_kind(self.value) and value == self.value


@dataclass(frozen=True, slots=True)
class TextVariation(Variation):
    template: Template

    def fits(self, value: Any) -> bool:
        return isinstance(value, str) and self.template.fits(value)


@dataclass(frozen=True, slots=True)
class KindVariation(Variation):
    """Numbers or booleans that vary: any value of the same JSON type."""

    kinds: frozenset[str]

    def fits(self, value: Any) -> bool:
        return value is not ABSENT and json_kind(value) in self.kinds


@dataclass(frozen=True, slots=True)
class ItemsVariation(Variation):
    """Lists (or tuples) of one length: item by item."""

    items: tuple[Variation, ...]

    def fits(self, value: Any) -> bool:
        return (
            isinstance(value, list | tuple)
            and len(value) == len(self.items)
            and all(v.fits(x) for v, x in zip(self.items, value, strict=True))
        )


@dataclass(frozen=True, slots=True)
class JsonVariation(Variation):
    """Any other value: its JSON text fits a template."""

    template: Template

    def fits(self, value: Any) -> bool:
        return value is not ABSENT and self.template.fits(_json_text(value))


def vary(first: Any, second: Any) -> Variation:
    """What varies between two plain (JSON-ready) values; ``ABSENT`` when a build has none."""
    if first is ABSENT or second is ABSENT:
        return Presence(second if first is ABSENT else first)
    kind_a, kind_b = json_kind(first), json_kind(second)
    if kind_a == kind_b and first == second:
        return SameValue(first)
    if kind_a == kind_b == "string":
        return TextVariation(template_between(first, second))
    if kind_a == kind_b and kind_a in ("number", "boolean"):
        return KindVariation(frozenset({kind_a}))
    if kind_a == kind_b == "list" and len(first) == len(second):
        return ItemsVariation(tuple(vary(a, b) for a, b in zip(first, second, strict=True)))
    return JsonVariation(template_between(_json_text(first), _json_text(second)))


def _json_text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


# --- canonical nodes ---------------------------------------------------------------------------------

# A statement of a program that varies: the template of its text; one that does not: its key.
_StatementFit = Template | Hashable
_VARYING_STATEMENT = ("varies between two builds",)


@dataclass(frozen=True, slots=True)
class NodeVariation(Variation):
    """What varies in a canonical node, matched on what a report shows (``json_value``: a script's
    text as written), with what the two builds' nodes tell beyond it:

    - ``kinds``: how they are compared (a leaf's rule): a program the other side reads in another
      language, or a value that became a program, is not the varying part;
    - ``key_varies``: the builds show the same text but mean different things (``$(RUN_ID)``
      expands to a value that is itself noise), so the same text meaning something else is noise;
    - ``statements``: for a program, the statements that vary (by text) and those that do not (by
      meaning): a side that writes the same program in another form, with only the varying
      statement's value changed, still fits.
    """

    value: Variation
    kinds: frozenset[str]
    key_varies: bool
    statements: tuple[_StatementFit, ...] | None = None

    def fits(self, value: Any) -> bool:
        if value is ABSENT:
            return self.value.fits(ABSENT)
        if _node_kind(value) not in self.kinds:
            return False
        return self.value.fits(json_value(value)) or self._statements_fit(value)

    def covers(self, left: Any, right: Any) -> bool:
        if not (self.fits(left) and self.fits(right)):
            return False
        if left is not ABSENT and right is not ABSENT and json_value(left) == json_value(right):
            # Same text, different meaning: noise only where the builds' meaning varied too.
            return self.key_varies
        return True

    def beyond(self, left: Any, right: Any) -> str | None:
        """For a program: the first change once the statements that vary (and fit) are set aside
        (the built-in message names the first statement that changed: often the varying one)."""
        mine, theirs = _shell_statements(left), _shell_statements(right)
        if self.statements is None or mine is None or theirs is None:
            return None
        varying = {
            i
            for i, want in enumerate(self.statements)
            if isinstance(want, Template)
            and i < min(len(mine), len(theirs))
            and want.fits(str(mine[i][1]))
            and want.fits(str(theirs[i][1]))
        }

        def masked(statements: tuple[Statement, ...]) -> tuple[tuple[Hashable, str], ...]:
            return tuple(
                (_VARYING_STATEMENT if i in varying else key, text) for i, (key, text) in enumerate(statements)
            )

        return describe_statement_change(masked(mine), masked(theirs))

    def _statements_fit(self, node: Any) -> bool:
        theirs = _shell_statements(node)
        if self.statements is None or theirs is None or len(theirs) != len(self.statements):
            return False
        return all(
            want.fits(text) if isinstance(want, Template) else key == want
            for want, (key, text) in zip(self.statements, theirs, strict=True)
        )


def node_variation(first: Any, second: Any) -> Variation:
    """What varies between two canonical nodes at one path (``ABSENT`` when a build has none)."""
    if first is ABSENT or second is ABSENT:
        return Presence(json_value(second if first is ABSENT else first))
    shown_a, shown_b = json_value(first), json_value(second)
    return NodeVariation(
        value=vary(shown_a, shown_b),
        kinds=frozenset({_node_kind(first), _node_kind(second)}),
        key_varies=json_kind(shown_a) == json_kind(shown_b) and shown_a == shown_b,
        statements=_statement_fits(first, second),
    )


def _statement_fits(first: Any, second: Any) -> tuple[_StatementFit, ...] | None:
    mine, theirs = _shell_statements(first), _shell_statements(second)
    if mine is None or theirs is None or len(mine) != len(theirs):
        return None
    fits: list[_StatementFit] = []
    for (key_a, text_a), (key_b, text_b) in zip(mine, theirs, strict=True):
        fits.append(key_a if key_a == key_b else template_between(str(text_a), str(text_b)))
    return tuple(fits)


def _shell_statements(node: Any) -> tuple[Statement, ...] | None:
    """The statements of a program that knows them (a shell program), else None."""
    return node.statements if isinstance(node, ShellLeaf) else None


def _node_kind(node: Any) -> str:
    return node.rule.id if isinstance(node, Leaf) else "value"


@dataclass(frozen=True, slots=True)
class KeyedItemsVariation(Variation):
    """Items of a keyed list whose name varies (``env[RUN_3]`` / ``env[RUN_7]``): per pair, a
    template of the name and what varies in the item. An item whose name fits is noise when both
    sides have as many items fitting that name, and its content fits on each side that has it."""

    patterns: tuple[tuple[Template, Variation], ...]

    def fits(self, value: Any) -> bool:
        return False  # judged item by item: covers_item

    def covers_item(self, name: str, left: Any, right: Any) -> bool | None:
        """None when ``name`` is none of the varying items'."""
        known = False
        for name_template, content in self.patterns:
            if not name_template.fits(name):
                continue
            known = True
            if _count_fitting(left, name_template) != _count_fitting(right, name_template):
                continue
            items = [side.get(name, ABSENT) if isinstance(side, dict) else ABSENT for side in (left, right)]
            if all(item is ABSENT or content.fits(json_value(item)) for item in items):
                return True
        return False if known else None


def _count_fitting(node: Any, template: Template) -> int:
    return sum(1 for name in node if template.fits(name)) if isinstance(node, dict) else 0


# --- the model ---------------------------------------------------------------------------------------

_Path = tuple[Segment, ...]
Lookup = Callable[[int], tuple[Any, Any]]


class NoiseModel(Collection[str]):
    """What varies between two builds (or runs) of one side, by path.

    As a collection it holds the readable paths where something varies (what ``calibrate_noise``
    returned before it learnt *what* varies there), so ``bool(model)``, ``sorted(model)`` and
    ``path in model`` read as they did.
    """

    __slots__ = ("_entries",)

    def __init__(self, entries: Mapping[_Path, Variation] | None = None) -> None:
        self._entries: dict[_Path, Variation] = dict(entries or {})

    @classmethod
    def from_paths(cls, paths: Iterable[str]) -> NoiseModel:
        """Anything at or below each path varies (paths named by hand, as ``noise_paths`` were)."""
        return cls({parse(path): AnyValue() for path in paths})

    @classmethod
    def between(cls, first: Mapping[str, Any], second: Mapping[str, Any]) -> NoiseModel:
        """From two sets of plain facts by readable path (an execution's stdout, files...)."""
        entries: dict[_Path, Variation] = {}
        for path in [*first, *(p for p in second if p not in first)]:
            a, b = first.get(path, ABSENT), second.get(path, ABSENT)
            if a is ABSENT or b is ABSENT or json_kind(a) != json_kind(b) or a != b:
                entries[parse(path)] = vary(a, b)
        return cls(entries)

    @property
    def entries(self) -> Mapping[_Path, Variation]:
        return self._entries

    @property
    def paths(self) -> frozenset[str]:
        return frozenset(render(path) for path in self._entries)

    def variation(self, path: str) -> Variation | None:
        return self._entries.get(parse(path))

    def verdict(self, path: str, left: Any, right: Any, at: Lookup | None = None) -> bool | None:
        """True: ``left`` and ``right`` differ only in what varies at ``path`` or above it (noise).
        False: something varies there, but these values differ beyond it. None: nothing varies.

        ``left``/``right`` are the values at ``path``; ``at(depth)`` gives both sides' values at
        the first ``depth`` segments of it (an ancestor), when there is a way to look them up.
        """
        segments = parse(path)
        known = False
        for depth in range(len(segments), 0, -1):
            variation = self._entries.get(segments[:depth])
            if variation is None:
                continue
            if isinstance(variation, AnyValue):
                return True
            if isinstance(variation, KeyedItemsVariation):
                item = segments[depth] if depth < len(segments) else None
                if item is None or isinstance(item, Index) or at is None:
                    continue
                covered = variation.covers_item(item.name, *at(depth))
                if covered is None:
                    continue
                known = True
                if covered:
                    return True
                continue
            if depth == len(segments):
                sides = left, right
            elif at is None:
                continue
            else:
                sides = at(depth)
            known = True
            if variation.covers(*sides):
                return True
        return False if known else None

    def beyond(self, path: str, left: Any, right: Any) -> str | None:
        """What differs at ``path`` outside what varies there (when the variation can say it)."""
        variation = self._entries.get(parse(path))
        return variation.beyond(left, right) if variation is not None else None

    def __or__(self, other: NoiseModel) -> NoiseModel:
        return NoiseModel({**self._entries, **other._entries})

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.paths))

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and parse(path) in self._entries

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NoiseModel):
            return NotImplemented
        return self._entries == other._entries

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"NoiseModel({', '.join(f'{render(p)}: {v}' for p, v in self._entries.items())})"


def calibrate_noise(
    first_build: ManifestInput | CanonicalManifest, second_build: ManifestInput | CanonicalManifest
) -> NoiseModel:
    """What varies between two builds of the same side (pass the first as a canonical form when
    you have it: it is not computed again)."""

    first = first_build if isinstance(first_build, CanonicalManifest) else canonicalize(first_build)
    second = second_build if isinstance(second_build, CanonicalManifest) else canonicalize(second_build)
    if first == second:
        return NoiseModel()
    entries: dict[_Path, Variation] = {}
    # Keyed-list items only one build has, by list: (path, name, item) for each build.
    one_sided: dict[_Path, tuple[list[tuple[_Path, str, Any]], list[tuple[_Path, str, Any]]]] = {}
    for raw, _ in raw_differences(first, second):
        path = parse(render(raw.segments))
        last = raw.segments[-1] if raw.segments else None
        # Items sit in keyed lists, except a document of several (`[Workflow/x]`, the first segment).
        if isinstance(last, Item) and len(raw.segments) > 1 and (raw.left is ABSENT) != (raw.right is ABSENT):
            mine, theirs = one_sided.setdefault(path[:-1], ([], []))
            if raw.right is ABSENT:
                mine.append((path, last.name, raw.left))
            else:
                theirs.append((path, last.name, raw.right))
            continue
        entries[path] = node_variation(raw.left, raw.right)
    for parent, (mine, theirs) in one_sided.items():
        if len(mine) == len(theirs):
            # As many items only in each build: what varies is their names, not their presence.
            entries[parent] = KeyedItemsVariation(
                tuple(
                    (template_between(name_a, name_b), vary(json_value(a), json_value(b)))
                    for (_, name_a, a), (_, name_b, b) in zip(mine, theirs, strict=True)
                )
            )
        else:
            entries.update((path, Presence(json_value(item))) for path, _, item in (*mine, *theirs))
    return NoiseModel(entries)
