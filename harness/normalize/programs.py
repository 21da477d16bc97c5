"""Programs embedded in a manifest, compared by meaning, chosen by the interpreter that runs them.

- ``script.source`` runs under ``script.command``: Python sources compare by AST, shell sources
  by their parsed commands (:mod:`harness.normalize.shell`), anything else by text.
- A container whose command runs a shell with ``-c`` (``["bash", "-c", "..."]``) runs that string
  as a shell program; ``["python", "-c", "..."]`` as a Python program.
- An env var whose value a program runs as code (``python -c "$PYTHON_CODE"``, or Kubernetes'
  ``$(PYTHON_CODE)`` in args) is compared as that code.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any, Literal

from harness.normalize import _argo_fields as F
from harness.normalize import python_code, shell
from harness.normalize.canonical import Leaf

Language = Literal["python", "shell"]

RULE_SCRIPT_TEXT = "script-text"
RULE_ARGV_CODE = "argv-code"

_VERSIONED = re.compile(r"^(?P<base>[a-z]+?)(?:[0-9]+(?:\.[0-9]+)*)?$")
_K8S_VAR_REF = re.compile(r"^\$\((?P<name>[A-Za-z_][A-Za-z0-9_]*)\)$")


def interpreter(command: Any) -> Language | None:
    """The language of a program run by ``command`` (its first word, or ``env X`` / ``/usr/bin/env X``)."""
    if not isinstance(command, list) or not command or not all(isinstance(c, str) for c in command):
        return None
    words = list(command)
    if posixpath.basename(words[0]) == "env" and len(words) > 1:
        words = words[1:]
    base = posixpath.basename(words[0])
    match = _VERSIONED.match(base)
    name = match["base"] if match else base
    if base in F.PYTHON_INTERPRETERS or name in {"python"}:
        return "python"
    if base in F.SHELL_INTERPRETERS or name in F.SHELL_INTERPRETERS:
        return "shell"
    return None


def script_source(source: str, command: Any) -> Any:
    """Rule ``python-ast`` / ``shell-syntax`` / ``script-text``: a script's source by its interpreter."""
    language = interpreter(command)
    if language == "python":
        return python_code.python_leaf(source)
    if language == "shell":
        return shell.shell_leaf(source)
    # Unknown interpreter: the text is the program. A final newline changes no interpreter.
    return Leaf(("text", source.rstrip("\n")), source, RULE_SCRIPT_TEXT)


def code_leaf(source: str, language: Language) -> Leaf:
    if language == "python":
        return python_code.python_leaf(source, python_code.RULE_ENV_CODE)
    return shell.shell_leaf(source, shell.RULE_ENV_CODE)


def env_vars_run_as_code(container: dict[str, Any]) -> dict[str, Language]:
    """Env var name -> language, for the vars this container (or script) runs as a program."""
    found: dict[str, Language] = {}
    argv = _argv(container)
    if argv is not None:
        # Kubernetes expands $(VAR) in command and args: ["python", "-c", "$(PYTHON_CODE)"].
        language = interpreter(argv)
        code = argv_code(argv)
        if language is not None and code is not None:
            match = _K8S_VAR_REF.match(code[1]) if isinstance(code[1], str) else None
            if match:
                found[match["name"]] = language
            elif isinstance(code[1], str) and language == "shell":
                found.update(shell.code_variables(code[1]))
    source = container.get("source")
    if isinstance(source, str) and interpreter(container.get("command")) == "shell":
        found.update(shell.code_variables(source))
    return found


def argv_programs(container: dict[str, Any]) -> dict[str, Any]:
    """Rule ``argv-code``: in ``command``/``args`` like ``["bash", "-c", PROGRAM]`` or
    ``["python", "-c", PROGRAM]``, PROGRAM becomes a program leaf (where it sits is kept: moving
    it between command and args is a real change of argv)."""
    argv = _argv(container)
    if argv is None:
        return container
    code = argv_code(argv)
    if code is None or _K8S_VAR_REF.match(code[1]):
        return container
    language, program = code
    index = argv.index(program, 1)
    command = container.get("command")
    n_command = len(command) if isinstance(command, list) else 0
    leaf = Leaf(
        python_code.python_key(program) if language == "python" else shell.shell_key(program),
        program,
        RULE_ARGV_CODE,
    )
    if index < n_command:
        assert isinstance(command, list)
        return {**container, "command": [*command[:index], leaf, *command[index + 1 :]]}
    args = container["args"]
    j = index - n_command
    return {**container, "args": [*args[:j], leaf, *args[j + 1 :]]}


def _argv(container: dict[str, Any]) -> list[str] | None:
    command = container.get("command")
    args = container.get("args")
    argv = [*(command if isinstance(command, list) else []), *(args if isinstance(args, list) else [])]
    if argv and all(isinstance(a, str) for a in argv):
        return argv
    return None


def argv_code(argv: list[str]) -> tuple[Language, str] | None:
    """(language, program) when argv is ``<interpreter> [options] -c PROGRAM ...``."""
    language = interpreter(argv)
    if language is None:
        return None
    for i, word in enumerate(argv[1:], start=1):
        if word == "-c" or (language == "shell" and re.fullmatch(r"-[a-z]*c", word)):
            return (language, argv[i + 1]) if i + 1 < len(argv) else None
        if not word.startswith("-"):
            return None
    return None
