"""Shell programs parsed with ``bashlex`` into their canonical form (:mod:`harness.normalize.shell.nodes`).

Two programs are the same when they run the same commands with the same argv, redirections and
control operators. What vanishes: comments, blank lines, indentation, newline versus ``;``, the
quoting style of a word that expands to the same text (``'six'``, ``"six"``, ``six``), ``${X}``
versus ``$X``, the name of a heredoc delimiter, where a redirection sits among the words.
What stays: ``&&`` versus ``;`` versus ``||``, a quoted versus an unquoted expansion (word
splitting), an unquoted ``>`` (a redirection: ``pip install numpy>=1.26`` installs ``numpy`` and
writes to a file named ``=1.26``), globbing characters, heredoc bodies, argv order.

Inside commands:

- ``pip install ...`` (also ``pip3``, ``python -m pip``): options and PEP 508 requirements as sets
  (:mod:`harness.normalize.requirements`); options that only change pip's output are dropped.
- a requirements file the program writes (``cat > F <<EOF``, ``printf '%s\\n' ... > F``,
  ``echo ... > F``) and installs with ``pip install -r F``: compared as requirements.
- ``python -c 'CODE'`` / ``bash -c 'CODE'``: CODE compared as a program.
- ``python -c "$VAR"``: the env var VAR holds Python code (:func:`code_variables`).

A program bashlex cannot parse (``case``, some rare syntax) is compared as text, line by line
without trailing blanks: a form-only change there is reported, never hidden.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from harness.normalize import python_code
from harness.normalize import requirements as reqs
from harness.normalize.interpreters import PIP_COMMAND, PYTHON_COMMAND, Language, language_of
from harness.normalize.shell.nodes import (
    Argument,
    Arith,
    Assign,
    Body,
    Command,
    CommandList,
    Compound,
    FdTarget,
    FileText,
    FileWrite,
    Glob,
    Heredoc,
    InlineCode,
    Lit,
    Node,
    OtherNode,
    Param,
    ParamExpr,
    Pipeline,
    PipInstallCommand,
    ProgramKey,
    Redirect,
    Redirection,
    Script,
    Subst,
    SubstText,
    TextLine,
    UnparsedText,
    Word,
    WordPart,
)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_HEREDOC_OP = re.compile(
    r"(?<!<)<<(?!<)(?P<dash>-?)[ \t]*"
    r"(?:'(?P<sq>[A-Za-z_][\w-]*)'|\"(?P<dq>[A-Za-z_][\w-]*)\"|\\(?P<bs>[A-Za-z_][\w-]*)|(?P<plain>[A-Za-z_][\w-]*))"
)
_ARITH_PREFIX = "__PARITY_ARITH_"
_DEFAULT_FD = {">": 1, ">>": 1, ">|": 1, ">&": 1, "<": 0, "<<": 0, "<<-": 0, "<<<": 0, "<&": 0, "<>": 0}


class Statement(NamedTuple):
    """One statement of a program (what ``;`` or a newline separates): its commands and control
    operators by meaning (``key``), and its text as written (for messages)."""

    key: tuple[Node | str, ...] | TextLine
    text: str


@dataclass(frozen=True)
class Program:
    key: ProgramKey
    statements: tuple[Statement, ...]
    code_vars: tuple[tuple[str, Language], ...] = ()
    parsed: bool = True


@lru_cache(maxsize=2048)
def parse_program(source: str) -> Program:
    try:
        return _Parser(source).program()
    except Exception:
        lines = [line.rstrip() for line in source.strip("\n").splitlines()]
        text = "\n".join(lines).strip("\n")
        return Program(UnparsedText(text), tuple(Statement(TextLine(line), line) for line in lines if line), (), False)


def shell_key(source: str) -> ProgramKey:
    return parse_program(source).key


def code_variables(source: str) -> dict[str, Language]:
    """Env vars this program runs as code: ``python -c "$V"``, ``bash -c "$V"``, ``eval "$V"``."""
    return dict(parse_program(source).code_vars)


def _preprocess(source: str) -> tuple[str, list[bool], dict[str, str], list[int]]:
    """Work around bashlex gaps, keeping meaning: quoted heredoc delimiters (``<<'EOF'``, whose
    quoting turns expansion off: remembered per heredoc, in order) and arithmetic ``$((...))``
    (replaced by a parameter named after its whitespace-free expression).

    Also returns where each position of the new text comes from in ``source`` (one more entry
    for the end), so messages quote the program as written."""
    quoted: list[bool] = []
    pieces: list[str] = []
    origin1: list[int] = []
    pos = 0
    for match in _HEREDOC_OP.finditer(source):
        name = match["sq"] or match["dq"] or match["bs"] or match["plain"]
        quoted.append(match["plain"] is None)
        replacement = f"<<{match['dash']}{name}"
        pieces += [source[pos : match.start()], replacement]
        origin1 += [*range(pos, match.start()), *[match.start()] * len(replacement)]
        pos = match.end()
    pieces.append(source[pos:])
    origin1 += [*range(pos, len(source) + 1)]
    text = "".join(pieces)
    arith: dict[str, str] = {}
    out: list[str] = []
    origin: list[int] = []
    i, n = 0, len(text)
    in_single = in_double = False
    while i < n:
        ch = text[i]
        if ch == "\\" and not in_single:
            out.append(text[i : i + 2])
            origin += [origin1[i], origin1[min(i + 1, n)]][: len(text[i : i + 2])]
            i += 2
            continue
        if ch == "'" and not in_double:
            in_single = not in_single
        elif ch == '"' and not in_single:
            in_double = not in_double
        elif not in_single and text.startswith("$((", i):
            end = _matching_close(text, i + 1)
            if end is not None and text.startswith("))", end - 1):
                expr = "".join(text[i + 3 : end - 1].split())
                name = _ARITH_PREFIX + hashlib.sha1(expr.encode()).hexdigest()[:12]
                arith[name] = expr
                replacement = "${" + name + "}"
                out.append(replacement)
                origin += [origin1[i]] * len(replacement)
                i = end + 1
                continue
        out.append(ch)
        origin.append(origin1[i])
        i += 1
    origin.append(origin1[n])
    return "".join(out), quoted, arith, origin


def _matching_close(text: str, open_at: int) -> int | None:
    depth = 0
    for j in range(open_at, len(text)):
        if text[j] == "(":
            depth += 1
        elif text[j] == ")":
            depth -= 1
            if depth == 0:
                return j
    return None


@dataclass
class _Parser:
    source: str
    text: str = ""
    quoted_heredocs: list[bool] = field(default_factory=list)
    arith: dict[str, str] = field(default_factory=dict)
    origin: list[int] = field(default_factory=list)
    heredoc_quoted: dict[int, bool] = field(default_factory=dict)
    requirement_files: set[str] = field(default_factory=set)
    code_vars: dict[str, Language] = field(default_factory=dict)

    def program(self) -> Program:
        import bashlex

        self.text, self.quoted_heredocs, self.arith, self.origin = _preprocess(self.source)
        trees = bashlex.parse(self.text) if self.text.strip() else []
        # pass 1: heredoc quoting (by position: the n-th `<<` in the text is the n-th heredoc), and
        # which files are installed with `pip install -r` (their content is requirements)
        heredocs = sorted(
            (n for n in _walk_nodes(trees) if n.kind == "redirect" and getattr(n, "heredoc", None) is not None),
            key=lambda n: n.pos[0],
        )
        for index, node in enumerate(heredocs):
            self.heredoc_quoted[node.pos[0]] = index < len(self.quoted_heredocs) and self.quoted_heredocs[index]
        for node in _walk_nodes(trees):
            if node.kind == "command":
                words = [p for p in node.parts if p.kind == "word"]
                literal = [self.literal(w) for w in words]
                pip_args = _pip_args(literal)
                if pip_args is not None:
                    for i, arg in enumerate(pip_args):
                        if arg in ("-r", "--requirement", "-c", "--constraint") and i + 1 < len(pip_args):
                            nxt = pip_args[i + 1]
                            if nxt is not None:
                                self.requirement_files.add(nxt)
                        elif arg is not None and arg.startswith(("--requirement=", "--constraint=")):
                            self.requirement_files.add(arg.split("=", 1)[1])
                        elif arg is not None and arg.startswith("-r") and len(arg) > 2:
                            self.requirement_files.add(arg[2:])
        # pass 2: canonical form
        items: list[Node | str] = []
        spans: list[tuple[int, int]] = []
        for tree in trees:
            if items and items[-1] not in (";", "&"):  # `a &\nb` is `a & b`
                items.append(";")
                spans.append((-1, -1))
            for item, span in self.sequence(tree):
                items.append(item)
                spans.append(span)
        while items and items[-1] == ";":
            items.pop()
            spans.pop()
        statements = self.statements(items, spans)
        return Program(Script(tuple(items)), statements, tuple(sorted(self.code_vars.items())))

    def statements(self, items: list[Node | str], spans: list[tuple[int, int]]) -> tuple[Statement, ...]:
        out: list[Statement] = []
        current: list[Node | str] = []
        start = end = -1
        for item, span in [*zip(items, spans, strict=True), (";", (-1, -1))]:
            if item == ";":
                if current:
                    out.append(Statement(tuple(current), self._display(start, end)))
                current, start = [], -1
                continue
            current.append(item)
            if span[0] >= 0:
                start = span[0] if start < 0 else start
                end = span[1]
        return tuple(out)

    def _display(self, start: int, end: int) -> str:
        """The program as written between two positions of the preprocessed text."""
        return self.source[self.origin[start] : self.origin[end]]

    # --- nodes ---

    def sequence(self, node: Any) -> Iterator[tuple[Node | str, tuple[int, int]]]:
        """A list flattened to items and control operators; newline and ';' are the same."""
        if node.kind == "list":
            for part in node.parts:
                if part.kind == "operator":
                    op = ";" if part.op in (";", "\n") else part.op
                    yield op, (-1, -1)
                else:
                    yield from self.sequence(part)
            return
        yield self.node(node), tuple(node.pos)

    def block(self, node: Any) -> tuple[Node | str, ...]:
        items = [item for item, _ in self.sequence(node)]
        while items and items[-1] == ";":
            items.pop()
        return tuple(items)

    def node(self, node: Any) -> Node:
        kind = node.kind
        if kind == "command":
            return self.command(node)
        if kind == "pipeline":
            return Pipeline(
                tuple(
                    p.pipe if p.kind == "pipe" else p.word if p.kind == "reservedword" else self.node(p)
                    for p in node.parts
                )
            )
        if kind == "list":
            return CommandList(self.block(node))
        if kind == "compound":
            # `{ a; }`, `( a )`, and the body of if/for/while: a body is always a sequence, so
            # `then echo a; fi` and `then\n  echo a\nfi` give the same key.
            return Compound("compound", tuple(self.part(p) for p in node.list if not _separator(p)))
        if kind in ("if", "for", "while", "until", "function"):
            return Compound(kind, tuple(self.part(p) for p in node.parts if not _separator(p)))
        if kind == "word":
            return self.word(node)
        if kind == "redirect":
            return self.redirect(node)
        # Anything else bashlex knows: keep its kind and children, never drop it.
        children = getattr(node, "parts", None) or getattr(node, "list", None) or []
        return OtherNode(kind, tuple(self.node(c) for c in children), self.text[node.pos[0] : node.pos[1]])

    def part(self, node: Any) -> Node | str:
        """A part of a compound command: a reserved word, a word (for's list), or a body."""
        if node.kind == "reservedword":
            return str(node.word)
        if node.kind == "word":
            return self.word(node)
        if node.kind == "list":
            return Body(self.block(node))
        if node.kind in ("command", "pipeline", "compound", "if", "for", "while", "until", "function"):
            return Body((self.node(node),))
        return self.node(node)

    def command(self, node: Any) -> Command | PipInstallCommand | FileWrite:
        assigns: list[Assign] = []
        words: list[Any] = []
        redirects: list[Any] = []
        for part in node.parts:
            if part.kind == "assignment":
                assigns.append(self.assignment(part))
            elif part.kind == "word":
                words.append(part)
            elif part.kind == "redirect":
                redirects.append(part)
            else:
                words.append(part)
        literal = [self.literal(w) if w.kind == "word" else None for w in words]
        keys: list[Argument] = [self.word(w) if w.kind == "word" else self.node(w) for w in words]
        redirect_keys = tuple(self.redirect(r) for r in redirects)
        self._note_code_vars(literal, keys)
        written = self._file_write(literal, redirects)
        if written is not None:
            path, append, content = written
            return FileWrite(tuple(assigns), path, append, content)
        pip_args = _pip_args(literal)
        if pip_args is not None:
            launcher = tuple(keys[: len(keys) - len(pip_args)])
            pip = reqs.pip_install(pip_args, keys[len(keys) - len(pip_args) :])
            return PipInstallCommand(pip, tuple(assigns), launcher, redirect_keys)
        keys = self._code_arguments(literal, keys)
        return Command(tuple(assigns), tuple(keys), redirect_keys)

    def assignment(self, node: Any) -> Assign:
        raw = self.text[node.pos[0] : node.pos[1]]
        name, _, _ = raw.partition("=")
        append = name.endswith("+")
        value_start = node.pos[0] + len(name) + 1
        return Assign(name, append, self._scan(value_start, node.pos[1], node))

    def redirect(self, node: Any) -> Redirection:
        rtype = node.type
        fd = node.input if isinstance(node.input, int) else _DEFAULT_FD.get(rtype)
        heredoc = getattr(node, "heredoc", None)
        if heredoc is not None:
            quoted = self.heredoc_quoted.get(node.pos[0], False)
            body = heredoc.value.rsplit("\n", 1)[0] + "\n" if "\n" in heredoc.value else ""
            if rtype == "<<-":
                body = "\n".join(line.lstrip("\t") for line in body.split("\n"))
            return Heredoc(fd, quoted, body)
        target = node.output
        return Redirect(rtype, fd, FdTarget(target) if isinstance(target, int) else self.word(target))

    # --- words ---

    def literal(self, node: Any) -> str | None:
        """The word's text when it has no expansion at all, else None."""
        return self.word(node).literal

    def word(self, node: Any) -> Word:
        return self._scan(node.pos[0], node.pos[1], node)

    def _scan(self, start: int, end: int, node: Any) -> Word:
        """A word by meaning: literal text, quoted/unquoted expansions, globbing characters."""
        subs = {p.pos[0]: p for p in _descendants(node) if p.kind in ("commandsubstitution", "processsubstitution")}
        text = self.text
        out = _WordBuilder()
        i = start
        while i < end:
            ch = text[i]
            if ch == "'":
                close = text.find("'", i + 1)
                close = end if close < 0 or close > end else close
                out.lit.append(text[i + 1 : close])
                i = close + 1
            elif ch == '"' or (ch == "$" and text.startswith('$"', i)):
                i = self._scan_double(i + (2 if ch == "$" else 1), end, subs, out)
            elif ch == "\\":
                if i + 1 < end and text[i + 1] != "\n":
                    out.lit.append(text[i + 1])
                i += 2
            elif ch == "$" and text.startswith("$'", i):
                close = i + 2
                while close < end and text[close] != "'":
                    close += 2 if text[close] == "\\" else 1
                out.lit.append(_ansi_c(text[i + 2 : close]))
                i = close + 1
            elif ch in "$`":
                i = self._expansion(i, end, subs, False, out)
            elif ch in "*?[{}" or (ch == "~" and i == start):
                out.special(Glob(ch))
                i += 1
            else:
                out.lit.append(ch)
                i += 1
        return out.result()

    def _scan_double(self, i: int, end: int, subs: dict[int, Any], out: _WordBuilder) -> int:
        """Inside double quotes: only $, ` and \\ are special; returns the index after the quote."""
        text = self.text
        while i < end:
            ch = text[i]
            if ch == '"':
                return i + 1
            if ch == "\\" and i + 1 < end and text[i + 1] in '$`"\\\n':
                if text[i + 1] != "\n":
                    out.lit.append(text[i + 1])
                i += 2
            elif ch in "$`":
                i = self._expansion(i, end, subs, True, out)
            else:
                out.lit.append(ch)
                i += 1
        return i

    def _expansion(self, i: int, end: int, subs: dict[int, Any], quoted: bool, out: _WordBuilder) -> int:
        text = self.text
        special, lit = out.special, out.lit
        sub = subs.get(i)
        if sub is not None:
            inner = getattr(sub, "command", None)
            command: Node | str = self.node(inner) if inner is not None else text[sub.pos[0] : sub.pos[1]]
            special(Subst(command, quoted))
            return int(sub.pos[1])
        if text[i] == "`":
            close = text.find("`", i + 1)
            close = end - 1 if close < 0 else close
            special(SubstText(text[i + 1 : close], quoted))
            return close + 1
        if i + 1 >= end:
            lit.append("$")
            return i + 1
        nxt = text[i + 1]
        if nxt == "{":
            depth, j = 0, i + 1
            while j < end:
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            inner_text = text[i + 2 : j]
            if inner_text in self.arith:
                special(Arith(self.arith[inner_text], quoted))
            elif _NAME.match(inner_text):
                special(Param(inner_text, quoted))
            else:
                special(ParamExpr(inner_text, quoted))
            return j + 1
        if nxt == "(":
            found = _matching_close(text, i + 1)
            close = end - 1 if found is None else found
            special(SubstText(text[i + 2 : close], quoted))
            return close + 1
        match = re.match(r"[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-]", text[i + 1 : end])
        if match is None:
            lit.append("$")
            return i + 1
        special(Param(match.group(0), quoted))
        return i + 1 + match.end()

    # --- command interpretations ---

    def _note_code_vars(self, literal: list[str | None], keys: list[Argument]) -> None:
        argv = _strip_exec(literal)
        offset = len(literal) - len(argv)
        if not argv or argv[0] is None:
            return
        if posixpath.basename(argv[0]) == "eval":
            if len(keys) > offset + 1:
                var = _quoted_parameter(keys[offset + 1])
                if var:
                    self.code_vars[var] = "shell"
            return
        language = language_of(argv[0])
        if language is None:
            return
        for j in range(1, len(argv) - 1):
            if argv[j] == "-c":
                var = _quoted_parameter(keys[offset + j + 1])
                if var:
                    self.code_vars[var] = language
                return

    def _code_arguments(self, literal: list[str | None], keys: list[Argument]) -> list[Argument]:
        """``python -c 'CODE'`` / ``bash -c 'CODE'``: the literal CODE compared as a program."""
        argv = _strip_exec(literal)
        offset = len(literal) - len(argv)
        if not argv or argv[0] is None:
            return keys
        language = language_of(argv[0])
        for j in range(1, len(argv) - 1):
            code = argv[j + 1]
            if argv[j] == "-c" and code is not None:
                keys = list(keys)
                if language == "python":
                    keys[offset + j + 1] = InlineCode("python", python_code.python_key(code))
                elif language == "shell":
                    keys[offset + j + 1] = InlineCode("shell", shell_key(code))
                return keys
            word = argv[j]
            if word is None or not word.startswith("-"):
                return keys
        return keys

    def _file_write(
        self, literal: list[str | None], redirects: list[Any]
    ) -> tuple[str, bool, reqs.RequirementsFile | FileText] | None:
        """``cat > F <<EOF``, ``printf '%s\\n' a b > F``, ``echo a > F``: (path, append, content)."""
        if not literal or literal[0] is None:
            return None
        outputs = [r for r in redirects if r.type in (">", ">>", ">|") and _fd(r) == 1]
        if len(outputs) != 1 or len(redirects) > 2:
            return None
        target = outputs[0].output
        path = self.literal(target) if not isinstance(target, int) else None
        if path is None:
            return None
        append = outputs[0].type == ">>"
        name = literal[0]
        content: str | None = None
        quoted = True
        heredocs = [r for r in redirects if getattr(r, "heredoc", None) is not None]
        if name == "cat" and len(literal) == 1 and len(heredocs) == 1:
            heredoc = self.redirect(heredocs[0])
            assert isinstance(heredoc, Heredoc)
            quoted, content = heredoc.quoted, heredoc.body
        elif (
            name == "printf"
            and len(redirects) == 1
            and len(literal) >= 2
            and all(w is not None for w in literal)
            and literal[1] in ("%s\\n", "%s\n")
        ):
            content = "".join(f"{w}\n" for w in literal[2:])
        elif name == "echo" and len(redirects) == 1 and all(w is not None for w in literal):
            words = [w for w in literal[1:] if w is not None]
            if words and words[0] in ("-e", "-n", "-E"):
                return None
            if any("\\" in w for w in words):
                return None  # dash's echo interprets escapes, bash's does not: not the same file
            content = " ".join(words) + "\n"
        if content is None:
            return None
        # An unquoted heredoc expands $, ` and \ in its body: the file holds what the shell makes of it.
        verbatim = quoted or not any(ch in content for ch in "$`\\")
        if path in self.requirement_files and verbatim:
            return path, append, reqs.requirements_file(content)
        return path, append, FileText(verbatim, content)


class _WordBuilder:
    """Segments of a word being scanned; adjacent literal text merges into one segment."""

    def __init__(self) -> None:
        self.segs: list[WordPart] = []
        self.lit: list[str] = []

    def flush(self) -> None:
        if self.lit:
            self.segs.append(Lit("".join(self.lit)))
            self.lit.clear()

    def special(self, seg: WordPart) -> None:
        self.flush()
        self.segs.append(seg)

    def result(self) -> Word:
        self.flush()
        return Word(tuple(self.segs))


def _separator(node: Any) -> bool:
    return node.kind == "reservedword" and node.word in (";", "\n")


def _fd(redirect: Any) -> int | None:
    return redirect.input if isinstance(redirect.input, int) else _DEFAULT_FD.get(redirect.type)


def _strip_exec(literal: list[str | None]) -> list[str | None]:
    argv = list(literal)
    while argv and argv[0] in ("exec", "command", "env"):
        argv = argv[1:]
    return argv


def _pip_args(literal: list[str | None]) -> list[str | None] | None:
    """The words after ``install`` when this command is a pip install, else None."""
    argv = _strip_exec(literal)
    if not argv or argv[0] is None:
        return None
    base = posixpath.basename(argv[0])
    rest: list[str | None]
    if PIP_COMMAND.match(base):
        rest = argv[1:]
    elif PYTHON_COMMAND.match(base) and len(argv) >= 3 and argv[1] == "-m" and argv[2] == "pip":
        rest = argv[3:]
    elif base == "uv" and len(argv) >= 2 and argv[1] == "pip":
        rest = argv[2:]
    else:
        return None
    if rest and rest[0] == "install":
        return rest[1:]
    return None


def _quoted_parameter(key: Argument) -> str | None:
    """``"$NAME"``: the name of a word that is one quoted parameter expansion."""
    return key.parameter(quoted=True) if isinstance(key, Word) else None


def _ansi_c(body: str) -> str:
    table = {
        "n": "\n",
        "t": "\t",
        "\\": "\\",
        "'": "'",
        '"': '"',
        "r": "\r",
        "a": "\a",
        "b": "\b",
        "e": "\x1b",
        "f": "\f",
        "v": "\v",
    }
    out: list[str] = []
    i = 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body) and body[i + 1] in table:
            out.append(table[body[i + 1]])
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def _walk_nodes(nodes: list[Any]) -> Iterator[Any]:
    for node in nodes:
        yield node
        yield from _walk_nodes(_children(node))


def _children(node: Any) -> list[Any]:
    out: list[Any] = []
    for attr in ("parts", "list"):
        value = getattr(node, attr, None)
        if isinstance(value, list):
            out.extend(value)
    command = getattr(node, "command", None)
    if command is not None and hasattr(command, "kind"):
        out.append(command)
    return out


def _descendants(node: Any) -> Iterator[Any]:
    for child in _children(node):
        yield child
        if child.kind not in ("commandsubstitution", "processsubstitution"):
            yield from _descendants(child)
