"""Python requirements compared as PEP 508 requirements, not as text (``packaging``).

``Six>=1.16`` equals ``six >= 1.16``; ``idna>=3,<4`` equals ``idna<4,>=3``; ``requests[socks,http2]``
equals ``requests[http2,socks]``; ``pkg==1.0`` equals ``pkg==1.0.0``. The order of requirements on
a ``pip install`` line or in a requirements file does not count (pip resolves them together);
anything that changes what gets installed (a name, a specifier, an extra, a marker, an URL, an
option like ``--index-url`` or ``--upgrade``) does.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

# pip options that change only what pip prints or caches, never what gets installed.
PIP_OUTPUT_ONLY_OPTIONS = frozenset(
    {
        "--quiet",
        "--verbose",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--no-color",
        "--progress-bar",
        "--root-user-action",
        "--no-input",
        "--no-warn-script-location",
        "--no-python-version-warning",
        "--log",
        "--timeout",
        "--retries",
    }
)
PIP_OPTION_ALIASES = {
    "-q": "--quiet",
    "-v": "--verbose",
    "-U": "--upgrade",
    "-r": "--requirement",
    "-c": "--constraint",
    "-e": "--editable",
    "-i": "--index-url",
    "-f": "--find-links",
    "-t": "--target",
}
# pip install options that take a value (as the next word or after `=`).
PIP_OPTIONS_WITH_VALUE = frozenset(
    {
        "--requirement",
        "--constraint",
        "--editable",
        "--index-url",
        "--extra-index-url",
        "--find-links",
        "--target",
        "--prefix",
        "--root",
        "--progress-bar",
        "--root-user-action",
        "--log",
        "--timeout",
        "--retries",
        "--platform",
        "--python-version",
        "--implementation",
        "--abi",
        "--trusted-host",
        "--upgrade-strategy",
        "--only-binary",
        "--no-binary",
        "--cache-dir",
        "--src",
        "--report",
        "--proxy",
        "--cert",
        "--client-cert",
        "--config-settings",
        "--global-option",
    }
)


@dataclass(frozen=True, slots=True)
class Req:
    """A requirement by meaning; ``text`` is how one side wrote it (not compared)."""

    key: Hashable
    text: str

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Req) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)


@lru_cache(maxsize=4096)
def requirement(text: str) -> Req:
    """One PEP 508 requirement; an invalid one is kept as its whitespace-free text."""
    # Imported here: most manifests have no pip line, and `parity diff` should start fast.
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        req = Requirement(text)
    except InvalidRequirement:
        return Req(("invalid", "".join(text.split())), text)
    key = (
        "req",
        canonicalize_name(req.name),
        frozenset(canonicalize_name(e) for e in req.extras),
        frozenset(req.specifier),  # Specifier equality is PEP 440's: ==1.0 is ==1.0.0
        str(req.marker) if req.marker else None,
        req.url,
    )
    return Req(key, text.strip())


@dataclass(frozen=True, slots=True)
class RequirementsFile:
    """What a requirements file means: its requirements and option lines, as one set."""

    items: frozenset[Hashable]


@lru_cache(maxsize=1024)
def requirements_file(content: str) -> RequirementsFile:
    """A requirements file's meaning: its requirements and option lines, as one set.

    Comments, blank lines, line continuations and order vanish.
    """
    items: set[Hashable] = set()
    logical: list[str] = []
    pending = ""
    for line in content.splitlines():
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        logical.append(pending + line)
        pending = ""
    if pending:
        logical.append(pending)
    for line in logical:
        text = _strip_comment(line).strip()
        if not text:
            continue
        if text.startswith("-"):
            items.add(("option", *_option_words(text.split())))
        else:
            req_text, _, hashes = text.partition(" --")
            items.add(requirement(req_text))
            if hashes:
                items.add(("option-of", requirement(req_text).key, "--" + " ".join(hashes.split())))
    return RequirementsFile(frozenset(items))


def _strip_comment(line: str) -> str:
    # pip: a '#' at the start of a line or after whitespace starts a comment.
    if line.lstrip().startswith("#"):
        return ""
    for i, ch in enumerate(line):
        if ch == "#" and i > 0 and line[i - 1] in " \t":
            return line[:i]
    return line


def _option_words(words: Sequence[str]) -> tuple[str, ...]:
    out: list[str] = []
    for word in words:
        name, eq, value = word.partition("=")
        if name.startswith("-"):
            out.append(PIP_OPTION_ALIASES.get(name, name))
            if eq:
                out.append(value)
        else:
            out.append(word)
    return tuple(out)


@dataclass(frozen=True)
class PipInstall:
    """What a ``pip install`` command line installs: options, requirements, requirement files."""

    options: frozenset[tuple[str, ...]]
    requirements: frozenset[Req]
    files: frozenset[tuple[str, Hashable]]  # (--requirement|--constraint|--editable, path key)
    others: tuple[Hashable, ...]  # words we cannot read (expansions): compared in order

    def key(self) -> Hashable:
        return ("pip-install", self.options, self.requirements, self.files, self.others)

    def items(self) -> frozenset[Hashable]:
        """Requirements, options and requirement files as one set (for messages)."""
        files = frozenset(("option", name, value) for name, value in self.files)
        return frozenset((*self.requirements, *(("option", *o) for o in self.options), *files))


def pip_install(args: Sequence[str | None], keys: Sequence[Hashable]) -> PipInstall:
    """Read the words after ``pip install``. ``args[i]`` is the literal text of word i, or None
    when the word has expansions (then ``keys[i]`` is its canonical key)."""
    options: set[tuple[str, ...]] = set()
    reqs: set[Req] = set()
    files: set[tuple[str, Hashable]] = set()
    others: list[Hashable] = []
    i = 0
    while i < len(args):
        word = args[i]
        if word is None:
            others.append(keys[i])
            i += 1
            continue
        if word.startswith("-") and word != "-":
            name, eq, value = word.partition("=")
            if not name.startswith("--") and len(name) > 2 and not eq:
                # short option with its value attached (-rreq.txt) or bundled flags (-qU)
                head = name[:2]
                canonical_head = PIP_OPTION_ALIASES.get(head, head)
                if canonical_head in PIP_OPTIONS_WITH_VALUE:
                    name, eq, value = head, "=", name[2:]
                else:
                    for flag in name[1:]:
                        option = PIP_OPTION_ALIASES.get(f"-{flag}", f"-{flag}")
                        if option not in PIP_OUTPUT_ONLY_OPTIONS:
                            options.add((option,))
                    i += 1
                    continue
            name = PIP_OPTION_ALIASES.get(name, name)
            takes_value = name in PIP_OPTIONS_WITH_VALUE
            value_key: Hashable = value
            if takes_value and not eq and i + 1 < len(args):
                value_key = args[i + 1] if args[i + 1] is not None else keys[i + 1]
                i += 1
            if name in PIP_OUTPUT_ONLY_OPTIONS:
                i += 1
                continue
            if name in ("--requirement", "--constraint", "--editable"):
                files.add((name, value_key))
            elif takes_value:
                options.add((name, str(value_key)))
            else:
                options.add((name,))
            i += 1
            continue
        reqs.add(requirement(word))
        i += 1
    return PipInstall(frozenset(options), frozenset(reqs), frozenset(files), tuple(others))


def describe_set_change(left: Iterable[Hashable], right: Iterable[Hashable]) -> str | None:
    """'adds X, Y; removes Z' between two sets of requirements and options (by meaning: a
    requirement written another way is the same requirement)."""
    a, b = set(left), set(right)
    parts = []
    if b - a:
        parts.append("adds " + ", ".join(sorted(item_text(r) for r in b - a)))
    if a - b:
        parts.append("removes " + ", ".join(sorted(item_text(r) for r in a - b)))
    return "; ".join(parts) or None


def item_text(item: Hashable) -> str:
    """How to show one item of a requirements set: a requirement as one side wrote it, an option
    with its value (``--index-url https://...``), a per-requirement option with its requirement."""
    if isinstance(item, Req):
        return item.text
    if isinstance(item, tuple) and item and item[0] == "option":
        return " ".join(str(word) for word in item[1:])
    if isinstance(item, tuple) and len(item) == 3 and item[0] == "option-of":
        owner = item[1]
        name = owner[1] if isinstance(owner, tuple) and len(owner) > 1 else owner
        return f"{item[2]} (for {name})"
    return str(item)
