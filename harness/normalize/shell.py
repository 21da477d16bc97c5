"""Shell programs compared by meaning, through ``bashlex``.

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
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from harness.normalize import python_code
from harness.normalize import requirements as reqs
from harness.normalize.canonical import Leaf
from harness.normalize.excerpt import clip, excerpt_pair, first_changed_item, one_line

RULE_SCRIPT = "shell-syntax"
# Interpreter basenames (after stripping a version suffix) that run a shell program.
SHELL_INTERPRETERS = frozenset({"bash", "sh", "dash", "ash", "ksh", "zsh"})
RULE_ENV_CODE = "shell-code-in-env"

Language = Literal["python", "shell"]

_PYTHON = re.compile(r"python(?:[0-9]+(?:\.[0-9]+)*)?\Z")
_PIP = re.compile(r"pip(?:[0-9]+(?:\.[0-9]+)*)?\Z")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_HEREDOC_OP = re.compile(
    r"(?<!<)<<(?!<)(?P<dash>-?)[ \t]*"
    r"(?:'(?P<sq>[A-Za-z_][\w-]*)'|\"(?P<dq>[A-Za-z_][\w-]*)\"|\\(?P<bs>[A-Za-z_][\w-]*)|(?P<plain>[A-Za-z_][\w-]*))"
)
_ARITH_PREFIX = "__PARITY_ARITH_"
_DEFAULT_FD = {">": 1, ">>": 1, ">|": 1, ">&": 1, "<": 0, "<<": 0, "<<-": 0, "<<<": 0, "<&": 0, "<>": 0}


# --- the leaf ---------------------------------------------------------------------------------------


class ShellLeaf(Leaf):
    """A shell program; ``statements`` (key, text) let a message point at the command that changed."""

    __slots__ = ("statements",)

    def __init__(self, key: Hashable, raw: Any, rule: str, statements: tuple[tuple[Hashable, str], ...]) -> None:
        super().__init__(key, raw, rule)
        self.statements = statements

    @staticmethod
    def rule_between(left: Leaf | None, right: Leaf | None) -> str | None:
        """``pip-requirements`` when what changed first is what pip installs."""
        changed = first_changed(
            left.statements if isinstance(left, ShellLeaf) else (),
            right.statements if isinstance(right, ShellLeaf) else (),
        )
        if changed is not None and only_installs_changed(*changed):
            return reqs.RULE
        return None

    @staticmethod
    def change_between(left: Leaf | None, right: Leaf | None) -> str | None:
        """Which command changed (for the one-line message)."""
        mine = left.statements if isinstance(left, ShellLeaf) else ()
        theirs = right.statements if isinstance(right, ShellLeaf) else ()
        return describe_statement_change(mine, theirs)


def first_changed(
    left: tuple[tuple[Hashable, str], ...], right: tuple[tuple[Hashable, str], ...]
) -> tuple[Hashable, Hashable] | None:
    """The keys of the first statement that differs (None for a statement only one side has)."""
    for i in range(max(len(left), len(right))):
        a = left[i][0] if i < len(left) else None
        b = right[i][0] if i < len(right) else None
        if a != b:
            return a, b
    return None


def _is_install(item: Hashable) -> bool:
    """A command that installs packages or writes a requirements file."""
    if not isinstance(item, tuple) or not item:
        return False
    if item[0] == "pip-install-cmd":
        return True
    if item[0] == "write-file":
        content = item[-1]
        return isinstance(content, tuple) and bool(content) and content[0] == "requirements-file"
    return False


def only_installs_changed(a: Hashable, b: Hashable) -> bool:
    """True when two statements differ only inside install commands (same shape otherwise)."""
    if not isinstance(a, tuple) or not isinstance(b, tuple) or len(a) != len(b):
        return False
    changed = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    return bool(changed) and all(_is_install(x) and _is_install(y) for x, y in changed)


def describe_statement_change(
    left: tuple[tuple[Hashable, str], ...], right: tuple[tuple[Hashable, str], ...]
) -> str | None:
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


def _pip_detail(a: Hashable, b: Hashable) -> str | None:
    pa, pb = _find_pip(a), _find_pip(b)
    notes = []
    if pa is not None and pb is not None:
        change = reqs.describe_set_change(pa.items(), pb.items())
        if change:
            notes.append(f"pip install {change}")
    for key in (a, b):
        if _has_redirect_from_requirement(key):
            notes.append("an unquoted '>' or '<' in a requirement is a shell redirection")
            break
    return "; ".join(notes) or None


def _bodies(key: Hashable) -> list[tuple[str, Hashable]]:
    """The files a statement writes and the heredocs it feeds, in order: (what, content key)."""
    out: list[tuple[str, Hashable]] = []

    def visit(item: Hashable) -> None:
        if not isinstance(item, tuple) or not item:
            return
        if item[0] == "write-file" and len(item) == 5:
            out.append((f"file {item[2]}", item[4]))
            return
        if item[0] == "heredoc" and len(item) == 4:
            out.append(("heredoc", ("text", item[2], item[3])))
            return
        for child in item:
            visit(child)

    visit(key)
    return out


def _body_detail(a: Hashable, b: Hashable) -> str | None:
    """What changed in the first file written or heredoc body that differs: requirements by
    meaning for a requirements file, else the first line that differs."""
    for (label_a, body_a), (label_b, body_b) in zip(_bodies(a), _bodies(b), strict=False):
        if body_a == body_b:
            continue
        if label_a != label_b or not isinstance(body_a, tuple) or not isinstance(body_b, tuple):
            return None  # another file: the command line says so
        if body_a[0] == body_b[0] == "requirements-file":
            change = reqs.describe_set_change(body_a[1], body_b[1])
            return f"requirements {label_a} {change}" if change else None
        if body_a[0] == body_b[0] == "text":
            if body_a[1] != body_b[1]:
                side = "right" if body_a[1] else "left"
                return f"{label_a}: $, ` and \\ are expanded in it on the {side} only (unquoted heredoc delimiter)"
            return _line_change(label_a, str(body_a[2]), str(body_b[2]))
        only_on = {body_a[0]: "left", body_b[0]: "right"}.get("requirements-file")
        if only_on is not None:
            return f"{label_a} is read as requirements (pip install -r) on the {only_on} only"
        return None
    return None


def _line_change(label: str, a: str, b: str) -> str | None:
    change = first_changed_item(a.removesuffix("\n").split("\n"), b.removesuffix("\n").split("\n"), "line")
    return f"{label} {change}" if change else None


def _find_pip(key: Hashable) -> reqs.PipInstall | None:
    if isinstance(key, tuple):
        if key and key[0] == "pip-install-cmd":
            pip = key[1]
            return pip if isinstance(pip, reqs.PipInstall) else None
        for item in key:
            found = _find_pip(item)
            if found is not None:
                return found
    return None


def _has_redirect_from_requirement(key: Hashable) -> bool:
    if isinstance(key, tuple):
        if key and key[0] == "pip-install-cmd":
            redirects = key[3]
            return isinstance(redirects, tuple) and any(
                isinstance(r, tuple) and r and r[0] in (">", ">>", "<") for r in redirects
            )
        return any(_has_redirect_from_requirement(item) for item in key)
    return False


def shell_leaf(source: str, rule: str = RULE_SCRIPT, raw: str | None = None) -> Leaf:
    """``source`` compared as a shell program; ``raw`` (default ``source``) is what is shown."""
    program = parse_program(source)
    return ShellLeaf(program.key, source if raw is None else raw, rule, program.statements)


def shell_key(source: str) -> Hashable:
    return parse_program(source).key


def code_variables(source: str) -> dict[str, Language]:
    """Env vars this program runs as code: ``python -c "$V"``, ``bash -c "$V"``, ``eval "$V"``."""
    return dict(parse_program(source).code_vars)


# --- parsing ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Program:
    key: Hashable
    statements: tuple[tuple[Hashable, str], ...]
    code_vars: tuple[tuple[str, Language], ...] = ()
    parsed: bool = True


@lru_cache(maxsize=2048)
def parse_program(source: str) -> Program:
    try:
        return _Parser(source).program()
    except Exception:
        lines = [line.rstrip() for line in source.strip("\n").splitlines()]
        text = "\n".join(lines).strip("\n")
        return Program(("text", text), tuple((("text", line), line) for line in lines if line), (), False)


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
        items: list[Hashable] = []
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
        key = ("sh", tuple(items))
        return Program(key, statements, tuple(sorted(self.code_vars.items())))

    def statements(self, items: list[Hashable], spans: list[tuple[int, int]]) -> tuple[tuple[Hashable, str], ...]:
        out: list[tuple[Hashable, str]] = []
        current: list[Hashable] = []
        start = end = -1
        for item, span in [*zip(items, spans, strict=True), (";", (-1, -1))]:
            if item == ";":
                if current:
                    out.append((tuple(current), self._display(start, end)))
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

    def sequence(self, node: Any) -> Iterator[tuple[Hashable, tuple[int, int]]]:
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

    def block(self, node: Any) -> tuple[Hashable, ...]:
        items = [item for item, _ in self.sequence(node)]
        while items and items[-1] == ";":
            items.pop()
        return tuple(items)

    def node(self, node: Any) -> Hashable:
        kind = node.kind
        if kind == "command":
            return self.command(node)
        if kind == "pipeline":
            return (
                "pipeline",
                tuple(
                    p.pipe if p.kind == "pipe" else p.word if p.kind == "reservedword" else self.node(p)
                    for p in node.parts
                ),
            )
        if kind == "list":
            return ("list", self.block(node))
        if kind == "compound":
            # `{ a; }`, `( a )`, and the body of if/for/while: a body is always a sequence, so
            # `then echo a; fi` and `then\n  echo a\nfi` give the same key.
            return ("compound", tuple(self.part(p) for p in node.list if not _separator(p)))
        if kind in ("if", "for", "while", "until", "function"):
            return (kind, tuple(self.part(p) for p in node.parts if not _separator(p)))
        if kind == "word":
            return self.word(node)
        if kind == "redirect":
            return self.redirect(node)
        # Anything else bashlex knows: keep its kind and children, never drop it.
        children = getattr(node, "parts", None) or getattr(node, "list", None) or []
        return (kind, tuple(self.node(c) for c in children), self.text[node.pos[0] : node.pos[1]])

    def part(self, node: Any) -> Hashable:
        """A part of a compound command: a reserved word, a word (for's list), or a body."""
        if node.kind == "reservedword":
            return str(node.word)
        if node.kind == "word":
            return self.word(node)
        if node.kind == "list":
            return ("body", self.block(node))
        if node.kind in ("command", "pipeline", "compound", "if", "for", "while", "until", "function"):
            return ("body", (self.node(node),))
        return self.node(node)

    def command(self, node: Any) -> Hashable:
        assigns: list[Hashable] = []
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
        keys = [self.word(w) if w.kind == "word" else self.node(w) for w in words]
        redirect_keys = tuple(self.redirect(r) for r in redirects)
        self._note_code_vars(literal, keys)
        written = self._file_write(literal, keys, redirects)
        if written is not None:
            return ("write-file", tuple(assigns), *written)
        pip_args = _pip_args(literal)
        if pip_args is not None:
            launcher = tuple(keys[: len(keys) - len(pip_args)])
            pip = reqs.pip_install(pip_args, keys[len(keys) - len(pip_args) :])
            return ("pip-install-cmd", pip, (tuple(assigns), launcher), redirect_keys)
        keys = self._code_arguments(literal, keys)
        return ("cmd", tuple(assigns), tuple(keys), redirect_keys)

    def assignment(self, node: Any) -> Hashable:
        raw = self.text[node.pos[0] : node.pos[1]]
        name, _, _ = raw.partition("=")
        append = name.endswith("+")
        value_start = node.pos[0] + len(name) + 1
        return ("assign", name, append, self._scan(value_start, node.pos[1], node))

    def redirect(self, node: Any) -> Hashable:
        rtype = node.type
        fd = node.input if isinstance(node.input, int) else _DEFAULT_FD.get(rtype)
        heredoc = getattr(node, "heredoc", None)
        if heredoc is not None:
            quoted = self.heredoc_quoted.get(node.pos[0], False)
            body = heredoc.value.rsplit("\n", 1)[0] + "\n" if "\n" in heredoc.value else ""
            if rtype == "<<-":
                body = "\n".join(line.lstrip("\t") for line in body.split("\n"))
            return ("heredoc", fd, quoted, body)
        target = node.output
        target_key = ("fd", target) if isinstance(target, int) else self.word(target)
        return (rtype, fd, target_key)

    # --- words ---

    def literal(self, node: Any) -> str | None:
        """The word's text when it has no expansion at all, else None."""
        key = self.word(node)
        if all(seg[0] == "lit" for seg in key):
            return "".join(seg[1] for seg in key)
        return None

    def word(self, node: Any) -> tuple[tuple[Any, ...], ...]:
        return self._scan(node.pos[0], node.pos[1], node)

    def _scan(self, start: int, end: int, node: Any) -> tuple[tuple[Any, ...], ...]:
        """A word by meaning: literal text, quoted/unquoted expansions, globbing characters."""
        subs = {p.pos[0]: p for p in _descendants(node) if p.kind in ("commandsubstitution", "processsubstitution")}
        text = self.text
        out = _Word()
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
                out.special(("glob", ch))
                i += 1
            else:
                out.lit.append(ch)
                i += 1
        return out.result()

    def _scan_double(self, i: int, end: int, subs: dict[int, Any], out: _Word) -> int:
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

    def _expansion(self, i: int, end: int, subs: dict[int, Any], quoted: bool, out: _Word) -> int:
        text = self.text
        special, lit = out.special, out.lit
        sub = subs.get(i)
        if sub is not None:
            inner = getattr(sub, "command", None)
            key = self.node(inner) if inner is not None else text[sub.pos[0] : sub.pos[1]]
            special(("subst", key, quoted))
            return int(sub.pos[1])
        if text[i] == "`":
            close = text.find("`", i + 1)
            close = end - 1 if close < 0 else close
            special(("subst-text", text[i + 1 : close], quoted))
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
            inner = text[i + 2 : j]
            if inner in self.arith:
                special(("arith", self.arith[inner], quoted))
            elif _NAME.match(inner):
                special(("param", inner, quoted))
            else:
                special(("param-expr", inner, quoted))
            return j + 1
        if nxt == "(":
            found = _matching_close(text, i + 1)
            close = end - 1 if found is None else found
            special(("subst-text", text[i + 2 : close], quoted))
            return close + 1
        match = re.match(r"[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-]", text[i + 1 : end])
        if match is None:
            lit.append("$")
            return i + 1
        special(("param", match.group(0), quoted))
        return i + 1 + match.end()

    # --- command interpretations ---

    def _note_code_vars(self, literal: list[str | None], keys: list[Hashable]) -> None:
        argv = _strip_exec(literal)
        offset = len(literal) - len(argv)
        if not argv or argv[0] is None:
            return
        base = posixpath.basename(argv[0])
        language: Language | None = None
        if _PYTHON.match(base):
            language = "python"
        elif base in SHELL_INTERPRETERS:
            language = "shell"
        elif base == "eval" and len(keys) > offset + 1:
            var = _only_quoted_param(keys[offset + 1])
            if var:
                self.code_vars[var] = "shell"
            return
        if language is None:
            return
        for j in range(1, len(argv) - 1):
            if argv[j] == "-c":
                var = _only_quoted_param(keys[offset + j + 1])
                if var:
                    self.code_vars[var] = language
                return

    def _code_arguments(self, literal: list[str | None], keys: list[Hashable]) -> list[Hashable]:
        """``python -c 'CODE'`` / ``bash -c 'CODE'``: the literal CODE compared as a program."""
        argv = _strip_exec(literal)
        offset = len(literal) - len(argv)
        if not argv or argv[0] is None:
            return keys
        base = posixpath.basename(argv[0])
        for j in range(1, len(argv) - 1):
            if argv[j] == "-c" and argv[j + 1] is not None:
                code = argv[j + 1]
                assert code is not None
                keys = list(keys)
                if _PYTHON.match(base):
                    keys[offset + j + 1] = ("python", python_code.python_key(code))
                elif base in SHELL_INTERPRETERS:
                    keys[offset + j + 1] = ("shell", shell_key(code))
                return keys
            if argv[j] is None or not argv[j].startswith("-"):  # type: ignore[union-attr]
                return keys
        return keys

    def _file_write(
        self, literal: list[str | None], keys: list[Hashable], redirects: list[Any]
    ) -> tuple[Hashable, ...] | None:
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
            redirect_key = self.redirect(heredocs[0])
            assert isinstance(redirect_key, tuple)
            _, _, quoted, content = redirect_key
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
            content_key: Hashable = reqs.requirements_file(content)
        else:
            content_key = ("text", verbatim, content)
        return (path, append, content_key)


class _Word:
    """Segments of a word being scanned; adjacent literal text merges into one segment."""

    def __init__(self) -> None:
        self.segs: list[tuple[Any, ...]] = []
        self.lit: list[str] = []

    def flush(self) -> None:
        if self.lit:
            self.segs.append(("lit", "".join(self.lit)))
            self.lit.clear()

    def special(self, seg: tuple[Any, ...]) -> None:
        self.flush()
        self.segs.append(seg)

    def result(self) -> tuple[tuple[Any, ...], ...]:
        self.flush()
        return tuple(self.segs)


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
    if _PIP.match(base):
        rest = argv[1:]
    elif _PYTHON.match(base) and len(argv) >= 3 and argv[1] == "-m" and argv[2] == "pip":
        rest = argv[3:]
    elif base == "uv" and len(argv) >= 2 and argv[1] == "pip":
        rest = argv[2:]
    else:
        return None
    if rest and rest[0] == "install":
        return rest[1:]
    return None


def _only_quoted_param(key: Hashable) -> str | None:
    if isinstance(key, tuple) and len(key) == 1:
        seg = key[0]
        if isinstance(seg, tuple) and len(seg) == 3 and seg[0] == "param" and seg[2] is True:
            return str(seg[1])
    return None


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
