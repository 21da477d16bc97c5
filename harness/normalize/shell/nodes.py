"""The canonical form of a shell program: typed nodes with named fields.

Two programs are the same exactly when their nodes are ``==``: every node is a frozen dataclass,
and a dataclass equals only an instance of its own class, so two kinds of node never compare
equal by the shape of their fields. Between commands and inside pipelines and compound commands,
control operators (``;``, ``&&``, ``||``, ``&``, ``|``) and reserved words (``if``, ``then``,
``!``...) are plain strings.

:func:`children` gives the nodes directly inside a node, in the order they are written, for the
readers that walk a program: the explainer (:mod:`harness.normalize.shell.explain`) and the
network decision (:mod:`harness.execute.installs`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from dataclasses import dataclass

from harness.normalize.interpreters import Language
from harness.normalize.requirements import PipInstall, RequirementsFile

# --- words --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lit:
    """Literal text, quoting removed: ``'six'``, ``"six"`` and ``six`` are one ``Lit("six")``."""

    text: str


@dataclass(frozen=True, slots=True)
class Glob:
    """An unquoted globbing or brace character (``*?[{}``, a leading ``~``): the shell expands it."""

    char: str


@dataclass(frozen=True, slots=True)
class Param:
    """``$NAME`` / ``${NAME}``; ``quoted``: inside double quotes (no word splitting)."""

    name: str
    quoted: bool


@dataclass(frozen=True, slots=True)
class ParamExpr:
    """``${NAME:-default}`` and other parameter expansions, by their text."""

    expression: str
    quoted: bool


@dataclass(frozen=True, slots=True)
class Arith:
    """``$((...))``, by its expression without whitespace."""

    expression: str
    quoted: bool


@dataclass(frozen=True, slots=True)
class Subst:
    """``$(command)`` (or a process substitution), by the command it runs (its text when bashlex
    gives no command)."""

    command: Node | str
    quoted: bool


@dataclass(frozen=True, slots=True)
class SubstText:
    """A command substitution bashlex did not parse (backquotes, ``$(`` without its node), by its text."""

    text: str
    quoted: bool


WordPart = Lit | Glob | Param | ParamExpr | Arith | Subst | SubstText


@dataclass(frozen=True, slots=True)
class Word:
    """A word by meaning: adjacent literal text is one :class:`Lit`."""

    segments: tuple[WordPart, ...]

    @property
    def literal(self) -> str | None:
        """The word's text when it has no expansion at all, else None."""
        if all(isinstance(seg, Lit) for seg in self.segments):
            return "".join(seg.text for seg in self.segments if isinstance(seg, Lit))
        return None

    def parameter(self, *, quoted: bool | None = None) -> str | None:
        """The name when the word is one parameter expansion and nothing else (``"$CODE"``,
        ``$CODE``), quoted or not as asked (None: either)."""
        if len(self.segments) == 1:
            seg = self.segments[0]
            if isinstance(seg, Param) and (quoted is None or seg.quoted is quoted):
                return seg.name
        return None


# --- redirections and assignments -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FdTarget:
    """The target of ``>&2``: a file descriptor."""

    fd: int


@dataclass(frozen=True, slots=True)
class Redirect:
    """``>f``, ``2>&1``, ``<in``; ``fd`` is the descriptor redirected (the default one when not written)."""

    op: str
    fd: int | None
    target: Word | FdTarget


@dataclass(frozen=True, slots=True)
class Heredoc:
    """``<<EOF`` ... ``EOF``: the body (tabs stripped for ``<<-``); ``quoted``: the delimiter was
    quoted, so ``$``, backquotes and ``\\`` in the body are not expanded."""

    fd: int | None
    quoted: bool
    body: str


Redirection = Redirect | Heredoc


@dataclass(frozen=True, slots=True)
class Assign:
    """``NAME=value`` (``NAME+=value`` with ``append``)."""

    name: str
    append: bool
    value: Word


# --- commands -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InlineCode:
    """The literal CODE of ``python -c CODE`` / ``bash -c CODE``, by its meaning in ``language``
    (``key``: :func:`harness.normalize.python_code.python_key`, or a shell program's key)."""

    language: Language
    key: Hashable


@dataclass(frozen=True, slots=True)
class Command:
    """A simple command: assignments before it, its words (argv), its redirections."""

    assigns: tuple[Assign, ...]
    words: tuple[Argument, ...]
    redirects: tuple[Redirection, ...]


@dataclass(frozen=True, slots=True)
class PipInstallCommand:
    """``pip install ...`` (``pip3``, ``python -m pip``, ``uv pip``): what it installs, as a set
    (:class:`harness.normalize.requirements.PipInstall`), and the words that launch pip."""

    pip: PipInstall
    assigns: tuple[Assign, ...]
    launcher: tuple[Argument, ...]
    redirects: tuple[Redirection, ...]


@dataclass(frozen=True, slots=True)
class FileText:
    """A file's or a heredoc's text; ``verbatim``: the shell does not expand anything in it."""

    verbatim: bool
    text: str


@dataclass(frozen=True, slots=True)
class FileWrite:
    """``cat > F <<EOF``, ``printf '%s\\n' ... > F``, ``echo ... > F``: a file the program writes,
    by its content (requirements when the program installs it with ``pip install -r F``)."""

    assigns: tuple[Assign, ...]
    path: str
    append: bool
    content: RequirementsFile | FileText


@dataclass(frozen=True, slots=True)
class Pipeline:
    """Commands joined by ``|`` (``!`` and ``|&`` kept as strings)."""

    parts: tuple[Node | str, ...]


@dataclass(frozen=True, slots=True)
class CommandList:
    """A list of commands and control operators as one node (inside a pipeline, a substitution)."""

    items: tuple[Node | str, ...]


@dataclass(frozen=True, slots=True)
class Body:
    """The body of a compound command: a sequence, however it is laid out."""

    items: tuple[Node | str, ...]


@dataclass(frozen=True, slots=True)
class Compound:
    """``{ ...; }``, ``( ... )`` (kind ``compound``), ``if``, ``for``, ``while``, ``until``, a
    function: reserved words as strings, words (a ``for`` list) and bodies, in order."""

    kind: str
    parts: tuple[Node | str, ...]


@dataclass(frozen=True, slots=True)
class OtherNode:
    """Any other node bashlex knows: its kind, children and text, never dropped."""

    kind: str
    children: tuple[Node, ...]
    text: str


Node = (
    Command
    | PipInstallCommand
    | FileWrite
    | Pipeline
    | CommandList
    | Body
    | Compound
    | OtherNode
    | Word
    | Redirect
    | Heredoc
    | Assign
    | InlineCode
)
# A command's word: a word, the code of `-c` compared as a program, or a node bashlex put there.
Argument = Word | InlineCode | Node


# --- programs -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Script:
    """A parsed program: its commands and the control operators between them (newline is ``;``)."""

    items: tuple[Node | str, ...]


@dataclass(frozen=True, slots=True)
class UnparsedText:
    """A program bashlex cannot parse: its lines without trailing blanks."""

    text: str


@dataclass(frozen=True, slots=True)
class TextLine:
    """One line of a program bashlex cannot parse (a statement of it)."""

    text: str


ProgramKey = Script | UnparsedText


def children(node: object) -> Iterator[object]:
    """The nodes (and control operators) directly inside ``node``, in the order they are written;
    nothing for a string, a value or a node with no nodes inside (a heredoc, a file's content)."""
    if isinstance(node, Script | CommandList | Body):
        yield from node.items
    elif isinstance(node, Command):
        yield from node.assigns
        yield from node.words
        yield from node.redirects
    elif isinstance(node, PipInstallCommand):
        yield from node.assigns
        yield from node.launcher
        yield from node.redirects
    elif isinstance(node, FileWrite):
        yield from node.assigns
    elif isinstance(node, Pipeline | Compound):
        yield from node.parts
    elif isinstance(node, OtherNode):
        yield from node.children
    elif isinstance(node, Word):
        yield from node.segments
    elif isinstance(node, Subst):
        yield node.command
    elif isinstance(node, Assign):
        yield node.value
    elif isinstance(node, Redirect):
        yield node.target
    elif isinstance(node, InlineCode) and isinstance(node.key, Script | UnparsedText):
        yield node.key
    elif isinstance(node, tuple):  # a statement's commands
        yield from node
