"""What changed between two shell programs, said for people: the command that changed and how.

Reads the canonical form (:mod:`harness.normalize.shell.nodes`) that
:mod:`harness.normalize.shell.parse` makes: statements are compared by meaning, and a message
quotes the first one that differs as written, with what changed inside it (what ``pip install``
adds and removes, the line of a file or heredoc body that changed, an unquoted ``>`` read as a
redirection).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence

from harness.normalize import requirements as reqs
from harness.normalize.excerpt import clip, excerpt_pair, first_changed_item, one_line
from harness.normalize.requirements import RequirementsFile
from harness.normalize.shell.nodes import FileText, FileWrite, Heredoc, PipInstallCommand, Redirect, children

# A statement as the explainer reads it: its key by meaning and its text as written
# (harness.normalize.shell.parse.Statement, or one whose key a caller replaced).
StatementPair = tuple[Hashable, str]


def first_changed(left: Sequence[StatementPair], right: Sequence[StatementPair]) -> tuple[Hashable, Hashable] | None:
    """The keys of the first statement that differs (None for a statement only one side has)."""
    for i in range(max(len(left), len(right))):
        a = left[i][0] if i < len(left) else None
        b = right[i][0] if i < len(right) else None
        if a != b:
            return a, b
    return None


def is_install(item: object) -> bool:
    """A command that installs packages or writes a requirements file."""
    if isinstance(item, PipInstallCommand):
        return True
    return isinstance(item, FileWrite) and isinstance(item.content, RequirementsFile)


def only_installs_changed(a: object, b: object) -> bool:
    """True when two statements differ only inside install commands (same shape otherwise)."""
    if not isinstance(a, tuple) or not isinstance(b, tuple) or len(a) != len(b):
        return False
    changed = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    return bool(changed) and all(is_install(x) and is_install(y) for x, y in changed)


def describe_statement_change(left: Sequence[StatementPair], right: Sequence[StatementPair]) -> str | None:
    """'command 3: `a` -> `b` (what changed)' for the first statement that differs."""
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else None
        b = right[i] if i < len(right) else None
        if a is not None and b is not None and a[0] == b[0]:
            continue
        if a is not None and b is not None:
            notes = [n for n in (_pip_detail(a[0], b[0]), _body_detail(a[0], b[0])) if n]
            detail = "; ".join(notes)
            if one_line(a[1]) == one_line(b[1]) and detail:
                # The command line reads the same (a heredoc body changed): say it once.
                return f"command {i + 1} `{clip(a[1])}`: {detail}"
            ea, eb = excerpt_pair(a[1], b[1])
            head = f"command {i + 1}: `{ea}` -> `{eb}`"
            return f"{head} ({detail})" if detail else head
        if b is not None:
            return f"adds command {i + 1}: `{clip(b[1])}`"
        if a is not None:
            return f"removes command {i + 1}: `{clip(a[1])}`"
    return None


def _pip_detail(a: object, b: object) -> str | None:
    pa, pb = _find_pip(a), _find_pip(b)
    notes = []
    if pa is not None and pb is not None:
        change = reqs.describe_set_change(pa.items(), pb.items())
        if change:
            notes.append(f"pip install {change}")
    if any(_has_redirect_from_requirement(key) for key in (a, b)):
        notes.append("an unquoted '>' or '<' in a requirement is a shell redirection")
    return "; ".join(notes) or None


def _bodies(key: object) -> Iterator[tuple[str, RequirementsFile | FileText]]:
    """The files a statement writes and the heredocs it feeds, in order: (what, content)."""
    if isinstance(key, FileWrite):
        yield f"file {key.path}", key.content
    elif isinstance(key, Heredoc):
        yield "heredoc", FileText(key.quoted, key.body)
    else:
        for child in children(key):
            yield from _bodies(child)


def _body_detail(a: object, b: object) -> str | None:
    """What changed in the first file written or heredoc body that differs: requirements by
    meaning for a requirements file, else the first line that differs."""
    for (label_a, body_a), (label_b, body_b) in zip(_bodies(a), _bodies(b), strict=False):
        if body_a == body_b:
            continue
        if label_a != label_b:
            return None  # another file: the command line says so
        if isinstance(body_a, RequirementsFile) and isinstance(body_b, RequirementsFile):
            change = reqs.describe_set_change(body_a.items, body_b.items)
            return f"requirements {label_a} {change}" if change else None
        if isinstance(body_a, FileText) and isinstance(body_b, FileText):
            if body_a.verbatim != body_b.verbatim:
                side = "right" if body_a.verbatim else "left"
                return f"{label_a}: $, ` and \\ are expanded in it on the {side} only (unquoted heredoc delimiter)"
            return _line_change(label_a, body_a.text, body_b.text)
        only_on = "left" if isinstance(body_a, RequirementsFile) else "right"
        return f"{label_a} is read as requirements (pip install -r) on the {only_on} only"
    return None


def _line_change(label: str, a: str, b: str) -> str | None:
    change = first_changed_item(a.removesuffix("\n").split("\n"), b.removesuffix("\n").split("\n"), "line")
    return f"{label} {change}" if change else None


def _find_pip(key: object) -> reqs.PipInstall | None:
    """What the first ``pip install`` of a statement installs."""
    if isinstance(key, PipInstallCommand):
        return key.pip
    for child in children(key):
        found = _find_pip(child)
        if found is not None:
            return found
    return None


def _has_redirect_from_requirement(key: object) -> bool:
    """A ``pip install`` with a ``>``, ``>>`` or ``<`` redirection: an unquoted ``numpy>=1.26``."""
    if isinstance(key, PipInstallCommand):
        return any(isinstance(r, Redirect) and r.op in (">", ">>", "<") for r in key.redirects)
    return any(_has_redirect_from_requirement(child) for child in children(key))
