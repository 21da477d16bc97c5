"""Does a pod install packages? Decided from its parsed program, never from a search of its text.

A pod that installs gets the package index (local: through the harness's filtering proxy; docker:
the bridge network); every other pod gets no network at all. The decision used to be a regex over
the program's text, so ``# pip install six`` in a comment, or ``echo "pip install"``, was enough.
Now it comes from the commands the program runs:

* shell programs (a script run by ``bash``/``sh``, ``sh -c CODE``, ``eval``, a heredoc fed to a
  shell) are parsed with bashlex through :func:`harness.normalize.shell.parse_program`, the
  differ's own parser (heredoc quoting and arithmetic handled there), and its canonical form (the
  typed nodes of :mod:`harness.normalize.shell.nodes`) is walked: comments are gone, and a quoted
  ``"pip install x"`` is one argument of ``echo``, not a command. A command is an install when it
  is ``pip``/``pip3``/``pipX.Y``, ``python -m pip`` or ``uv pip`` with ``install``, ``download``
  or ``wheel``, also behind ``env``, ``sudo``, ``timeout``, ``xargs``, ``exec``... and behind
  ``$VAR`` when the pod's env gives VAR;
* Python programs (a script run by ``python``, ``python -c CODE``, a heredoc fed to python) are
  parsed with :mod:`ast`: a list or tuple that is such a command line (``["pip", "install", x]``,
  ``[sys.executable, "-m", "pip", "install", ...]``) anywhere, or a string run as a command
  (``os.system("pip install x")``, ``subprocess.run("pip install " + x, shell=True)``,
  ``"pip install x".split()``);
* env vars the program runs as code (``python -c "$PYTHON_CODE"``, ``bash -c "$CMD"``,
  ``eval "$CMD"``) are read in that language; other env values are data, never a program.

What it cannot see gets no network: an install in a script the pod writes or downloads and then
runs, a command name computed at run time (``$(which pip) install``), code read from a file. The
pip shim then records "unsupported" when such an install fails, so the run is inconclusive rather
than different (see ``harness.execute.local.python_image``). A shell program bashlex cannot parse
(``case``) is tokenized with :mod:`shlex` instead (comments and quoting still respected).

Shared by the executors that run pods: the scheduler gives each ``PodSpec`` its ``network`` from
it, which the local executor's sandbox and the docker executor's containers both obey.
"""

from __future__ import annotations

import ast
import posixpath
import re
import shlex
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence

from harness._python_ast import parse_expression, parse_module
from harness.normalize.interpreters import PIP_COMMAND, PYTHON_COMMAND, Language, language_of
from harness.normalize.python_code import PythonKey
from harness.normalize.shell import parse_program
from harness.normalize.shell.nodes import Command, Heredoc, InlineCode, Pipeline, PipInstallCommand, Word, children
from harness.spec.fields import SCRIPT_PATH

# pip subcommands that fetch from the package index (the uv shim runs only `install` of them;
# the real pip, pip_mode="pip", runs all three).
NETWORK_COMMANDS = frozenset({"install", "download", "wheel"})
_MAX_DEPTH = 4  # code in an env var run by code in an env var ...: deep enough, never a loop

# Commands that run the command after their own options, with the options that take a value.
_WRAPPERS: dict[str, frozenset[str]] = {
    "exec": frozenset({"-a"}),
    "command": frozenset(),
    "builtin": frozenset(),
    "env": frozenset({"-u", "--unset", "-C", "--chdir", "-S", "--split-string"}),
    "sudo": frozenset({"-u", "-g", "-h", "-p", "-C", "-D", "-R", "-T", "-U"}),
    "nohup": frozenset(),
    "time": frozenset({"-f", "-o"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "ionice": frozenset({"-c", "-n", "-p"}),
    "timeout": frozenset({"-s", "--signal", "-k", "--kill-after"}),
    "xargs": frozenset({"-a", "-d", "-E", "-I", "-L", "-n", "-P", "-s"}),
    "stdbuf": frozenset({"-i", "-o", "-e"}),
    "setsid": frozenset(),
    "chronic": frozenset(),
}
_POSITIONAL = {"timeout": 1}  # `timeout 60 pip install x`: the duration comes first
# pip's (and uv's) global options that take a value, before the subcommand.
_PIP_VALUE_OPTIONS = frozenset(
    {
        "--proxy",
        "--log",
        "--log-file",
        "--local-log",
        "--cache-dir",
        "--timeout",
        "--retries",
        "--exists-action",
        "--trusted-host",
        "--cert",
        "--client-cert",
        "--python",
        "--keyring-provider",
        "--use-feature",
        "--use-deprecated",
        "--directory",
        "--project",
        "--color",
        "--config-file",
    }
)
# Python callables that run a string as a command line.
_COMMAND_CALLS = frozenset(
    {
        "system",
        "popen",
        "run",
        "call",
        "check_call",
        "check_output",
        "Popen",
        "getoutput",
        "getstatusoutput",
        "create_subprocess_shell",
        "split",  # shlex.split("pip install x"), "pip install x".split()
    }
)

Argv = Sequence[str | None]  # None: a word whose value is known only at run time


def installs_packages(argv: Argv, script: str | None, env: Iterable[tuple[str, str]]) -> bool:
    """Whether a pod running ``argv`` (its script's ``source`` being ``script``; env ``env``) runs
    a package install anywhere in its program."""
    try:
        return _Analysis(dict(env)).pod(argv, script)
    except (RecursionError, MemoryError, ValueError, TypeError):
        # A program too deep or odd to read: it gets the index rather than a failure of the run
        # (the proxy still allows nothing else).
        return True


def runs_installer(argv: Argv) -> bool:
    """Whether one command line is a pip install/download/wheel."""
    argv = unwrap(argv)
    if not argv:
        return False
    head = argv[0]
    base = posixpath.basename(head) if head is not None else None
    rest: Argv
    if base is not None and PIP_COMMAND.match(base):
        rest = argv[1:]
    elif (base is None or PYTHON_COMMAND.match(base)) and (module := _python_module(argv)) is not None:
        name, rest = module
        if name != "pip":
            return False
    elif base == "uv":
        position = _first_word(argv[1:])
        if position is None or argv[1 + position] != "pip":
            return False
        rest = argv[2 + position :]
    else:
        return False
    position = _first_word(rest)
    return position is not None and rest[position] in NETWORK_COMMANDS


def unwrap(argv: Argv) -> Argv:
    """The command a wrapper (``env A=1``, ``sudo -u x``, ``timeout 60``, ``xargs -n1``) runs."""
    argv = list(argv)
    while argv and argv[0] is not None and posixpath.basename(argv[0]) in _WRAPPERS:
        name = posixpath.basename(argv[0])
        takes_value = _WRAPPERS[name]
        positional = _POSITIONAL.get(name, 0)
        i = 1
        while i < len(argv):
            word = argv[i]
            if word == "--":
                i += 1
                break
            if word is not None and word.startswith("-") and len(word) > 1:
                i += 2 if word in takes_value else 1
            elif name == "env" and word is not None and "=" in word:
                i += 1  # env's NAME=VALUE
            elif positional:
                positional -= 1
                i += 1
            else:
                break
        argv = argv[i:]
    while argv and argv[0] is not None and re.match(r"[A-Za-z_][A-Za-z0-9_]*=", argv[0]):
        argv = argv[1:]  # NAME=VALUE before a command (from an argv or a split env value)
    return argv


def _first_word(args: Argv) -> int | None:
    """Index of the first word that is not an option (nor an option's value); None if none."""
    i = 0
    while i < len(args):
        word = args[i]
        if word is None:
            return i
        if not word.startswith("-") or word == "-":
            return i
        i += 2 if word in _PIP_VALUE_OPTIONS else 1
    return None


def _python_module(argv: Argv) -> tuple[str, Argv] | None:
    """``python [options] -m MODULE args``: (MODULE, args); None for a script, ``-c`` or no ``-m``."""
    i = 1
    while i < len(argv):
        word = argv[i]
        if word is None or not word.startswith("-") or word in ("-", "--"):
            return None
        if word == "-m":
            module = argv[i + 1] if i + 1 < len(argv) else None
            return (module, argv[i + 2 :]) if module is not None else None
        if word.startswith("-m"):
            return word[2:], argv[i + 1 :]
        if "c" in word[1:] and not word.startswith("--"):
            return None  # -c CODE
        i += 2 if word in ("-W", "-X", "-Q") else 1
    return None


_VALUE_OPTIONS: dict[Language, tuple[str, ...]] = {"python": ("-W", "-X"), "shell": ("-o", "+o", "-O", "+O")}


def _code_argument(argv: Argv, language: Language) -> tuple[int, str | None] | None:
    """Where ``-c CODE`` puts the code: (index in argv, the code when literal); None without -c."""
    i = 1
    while i < len(argv):
        word = argv[i]
        if word is None or not word.startswith(("-", "+")) or word in ("-", "--"):
            return None
        if word in _VALUE_OPTIONS[language]:
            i += 2
            continue
        if word.startswith("--") or word.startswith(_VALUE_OPTIONS[language]):
            i += 1  # --norc, or a value attached: -Wignore
            continue
        if "c" in word[1:]:
            if language == "python" and not word.endswith("c"):
                return i, word[word.index("c") + 1 :]  # python -c'print(1)' (attached)
            return (i + 1, argv[i + 1]) if i + 1 < len(argv) else None
        i += 1
    return None


def _reads_stdin(argv: Argv) -> bool:
    """An interpreter with no script and no -c: it runs what it reads on stdin."""
    operands = [word for word in argv[1:] if word is None or not word.startswith("-") or word == "-"]
    return not operands or operands[0] == "-"


class _Analysis:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.seen_vars: set[str] = set()

    def pod(self, argv: Argv, script: str | None) -> bool:
        if self.command(argv, 0):
            return True
        inner = unwrap(argv)
        if script is None or not inner or SCRIPT_PATH not in inner[1:]:
            return False
        language = language_of(inner[0])
        if language is not None:
            return self.code(script, language, 0)
        # An interpreter this module does not know (a wrapper script, node...): the script is read
        # as shell and as Python rather than not at all. A wrong yes costs a proxy that allows only
        # the index; a wrong no, the install.
        return self.code(script, "shell", 0) or self.code(script, "python", 0)

    def command(self, argv: Argv, depth: int, heredocs: Sequence[str] = ()) -> bool:
        """One command line: an install itself, or an interpreter running code that installs."""
        if runs_installer(argv):
            return True
        inner = unwrap(argv)
        if not inner or depth >= _MAX_DEPTH:
            return False
        if inner[0] == "eval":
            words = inner[1:]
            return None not in words and self.code(" ".join(w for w in words if w is not None), "shell", depth + 1)
        language = language_of(inner[0])
        if language is None:
            return False
        code = _code_argument(inner, language)
        if code is not None:
            return code[1] is not None and self.code(code[1], language, depth + 1)
        if heredocs and _reads_stdin(inner):
            return any(self.code(body, language, depth + 1) for body in heredocs)
        return False

    def variable(self, name: str, language: Language, depth: int) -> bool:
        """An env var run as code in ``language``."""
        if name in self.seen_vars or name not in self.env:
            return False
        self.seen_vars.add(name)
        return self.code(self.env[name], language, depth + 1)

    def code(self, source: str, language: Language, depth: int) -> bool:
        if depth > _MAX_DEPTH:
            return False
        if language == "python":
            return self.python(source, depth)
        return self.shell(source, depth)

    # --- shell -------------------------------------------------------------------------------------

    def shell(self, source: str, depth: int) -> bool:
        program = parse_program(source)
        if not program.parsed:
            return any(self.command(argv, depth, bodies) for argv, bodies in _shlex_commands(source))
        return self.shell_node(program.key, depth)

    def shell_node(self, node: object, depth: int) -> bool:
        """Walk the canonical form of a parsed shell program (:mod:`harness.normalize.shell.nodes`)."""
        if isinstance(node, PipInstallCommand):
            return True
        if isinstance(node, InlineCode) and node.language == "python":
            tree = _tree_from_key(node.key)
            return tree is not None and self.python_tree(tree, depth + 1)
        if isinstance(node, Command) and self.shell_command(node, depth):
            return True
        if isinstance(node, Pipeline) and self.pipeline(node, depth):
            return True
        return any(self.shell_node(child, depth) for child in children(node))

    def shell_command(self, node: Command, depth: int) -> bool:
        words = node.words
        argv = [_literal(word) for word in words]
        head = _param(words[0], quoted=False) if words else None
        if head is not None and head in self.env:
            argv = [*self.env[head].split(), *argv[1:]]  # $PIP_CMD: its value, split on blanks
        if self.command(argv, depth, _heredocs(node)):
            return True
        # python -c "$CODE", bash -c "$CMD", eval "$CMD": the env var's value is the code.
        inner = unwrap(argv)
        offset = len(argv) - len(inner)
        if not inner:
            return False
        if inner[0] == "eval" and len(inner) == 2 and (name := _param(words[offset + 1])) is not None:
            return self.variable(name, "shell", depth)
        language = language_of(inner[0])
        code = _code_argument(inner, language) if language is not None else None
        if language is not None and code is not None and code[1] is None and offset + code[0] < len(words):
            name = _param(words[offset + code[0]])
            if name is not None:
                return self.variable(name, language, depth)
        return False

    def pipeline(self, node: Pipeline, depth: int) -> bool:
        """``cat <<EOF | sh``: a heredoc piped into an interpreter is that interpreter's code."""
        bodies: list[str] = []
        for command in (part for part in node.parts if isinstance(part, Command)):
            argv = [_literal(word) for word in command.words]
            inner = unwrap(argv)
            language = language_of(inner[0]) if inner else None
            if (
                bodies
                and language is not None
                and _reads_stdin(inner)
                and any(self.code(body, language, depth + 1) for body in bodies)
            ):
                return True
            bodies.extend(_heredocs(command))
        return False

    # --- python ------------------------------------------------------------------------------------

    def python(self, source: str, depth: int) -> bool:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SyntaxWarning on odd escapes
                tree = parse_module(source)
        except (SyntaxError, ValueError):
            return False  # it does not compile, so it runs nothing
        return self.python_tree(tree, depth)

    def python_tree(self, tree: ast.AST, depth: int) -> bool:
        for node in ast.walk(tree):
            if isinstance(node, ast.List | ast.Tuple):
                argv = _python_argv(node)
                if argv is not None and self.command(argv, depth):
                    return True
            elif isinstance(node, ast.Call) and _call_name(node) in _COMMAND_CALLS:
                for value in _call_values(node):
                    text = _python_text(value)
                    if text is not None and self.shell(text, depth + 1):
                        return True
        return False


# --- the canonical shell form (harness.normalize.shell.nodes) ----------------------------------------


def _literal(word: object) -> str | None:
    """A word's text when it is all literal (``pip``, ``'pip'``), else None."""
    if not isinstance(word, Word) or not word.segments:
        return None
    return word.literal


def _param(word: object, *, quoted: bool | None = None) -> str | None:
    """The name of a word that is one parameter expansion (``"$CODE"``, ``$CODE``)."""
    return word.parameter(quoted=quoted) if isinstance(word, Word) else None


def _heredocs(command: Command) -> list[str]:
    """Bodies of the heredocs a command reads on its standard input."""
    return [r.body for r in command.redirects if isinstance(r, Heredoc) and r.fd in (0, None)]


def _tree_from_key(key: object) -> ast.AST | None:
    """The tree of ``python -c 'CODE'``, which the shell's canonical form holds as the dump of its
    AST (:class:`harness.normalize.python_code.PythonKey`): rebuilt from the dump without
    evaluating it (only ast node classes and literals are accepted). None when the code did not
    compile."""
    if not (isinstance(key, PythonKey) and key.form == "ast"):
        return None
    try:
        expression = parse_expression(key.text).body
        built = _rebuild(expression)
    except (SyntaxError, ValueError, TypeError, RecursionError):
        return None
    return built if isinstance(built, ast.AST) else None


def _rebuild(node: ast.expr) -> object:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.args:
        cls = getattr(ast, node.func.id, None)
        if not (isinstance(cls, type) and issubclass(cls, ast.AST)):
            raise ValueError(node.func.id)
        return cls(**{str(keyword.arg): _rebuild(keyword.value) for keyword in node.keywords})
    if isinstance(node, ast.List):
        return [_rebuild(element) for element in node.elts]
    if isinstance(node, ast.Name) and node.id == "Ellipsis":
        return ...
    return ast.literal_eval(node)


# --- python ---------------------------------------------------------------------------------------


def _python_argv(node: ast.List | ast.Tuple) -> list[str | None] | None:
    """A list or tuple as a command line (non-strings as None); None when it cannot be one (fewer
    than two elements, or no string among the first three)."""
    argv = [e.value if isinstance(e, ast.Constant) and isinstance(e.value, str) else None for e in node.elts]
    return argv if len(argv) >= 2 and any(w is not None for w in argv[:3]) else None


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _call_values(node: ast.Call) -> Iterator[ast.expr]:
    """The arguments of a call, and the string itself for ``"pip install x".split()``."""
    yield from node.args
    yield from (keyword.value for keyword in node.keywords if keyword.arg in ("args", "cmd", "command"))
    if isinstance(node.func, ast.Attribute):
        yield node.func.value


def _python_text(node: ast.expr) -> str | None:
    """A string expression's text, run-time parts as a placeholder word: ``f"pip install {x}"``
    reads ``pip install x``."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "x" for v in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _python_text(node.left), _python_text(node.right)
        if left is None and right is None:
            return None
        return (left if left is not None else "x") + (right if right is not None else "x")
    return None


# --- shell programs bashlex cannot parse ----------------------------------------------------------

_RESERVED = frozenset({"if", "then", "else", "elif", "while", "until", "do", "{", "!"})
_SEPARATORS = frozenset({";", ";;", "&", "&&", "|", "||", "(", ")", "|&", ";&", ";;&"})


def _shlex_commands(source: str) -> Iterator[tuple[list[str | None], list[str]]]:
    """Command lines of a shell program, by shlex, each with the heredoc bodies of its line:
    comments dropped, quotes respected, split at newlines and control operators, redirections
    left out. Lines are joined while a quote is open."""
    lines = source.splitlines()
    pending = ""
    i = 0
    while i < len(lines):
        pending += lines[i] + "\n"
        i += 1
        try:
            lexer = shlex.shlex(pending, posix=True, punctuation_chars=";&|()<>")
            lexer.whitespace = " \t\r\n"
            tokens = list(lexer)
        except ValueError:
            continue  # an open quote: the command goes on on the next line
        pending = ""
        bodies: list[str] = []
        commands: list[list[str | None]] = [[]]
        j = 0
        while j < len(tokens):
            token = tokens[j]
            j += 1
            if token in _SEPARATORS or not token.strip(";&|()"):
                commands.append([])
            elif set(token) <= set("<>&"):
                target = tokens[j] if j < len(tokens) else ""
                j += 1  # the redirection's target is no argument
                if token == "<<":
                    strip = target.startswith("-")  # <<-EOF: tabs before the delimiter are stripped
                    if target == "-":
                        target = tokens[j] if j < len(tokens) else ""
                        j += 1
                    end = target.removeprefix("-") if strip else target
                    body: list[str] = []
                    while i < len(lines) and (lines[i].lstrip("\t") if strip else lines[i]) != end:
                        body.append(lines[i].lstrip("\t") if strip else lines[i])
                        i += 1
                    i += 1
                    bodies.append("\n".join(body) + "\n")
            elif token.isdigit() and j < len(tokens) and set(tokens[j]) <= set("<>&"):
                continue  # 2>/dev/null: the descriptor of a redirection
            else:
                commands[-1].append(token)
        for command in commands:
            start = 0
            while start < len(command) and command[start] in _RESERVED:
                start += 1  # `do pip install x`, `then { pip install x; }`
            if command[start:]:
                yield command[start:], bodies
