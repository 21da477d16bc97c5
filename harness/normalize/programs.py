"""Programs embedded in a manifest, compared by meaning, chosen by the interpreter that runs them.

- ``script.source`` runs under ``script.command``: Python sources compare by AST, shell sources
  by their parsed commands (:mod:`harness.normalize.shell`), anything else by text.
- A container whose command runs a shell with ``-c`` (``["bash", "-c", "..."]``) runs that string
  as a shell program; ``["python", "-c", "..."]`` as a Python program.
- An env var whose value a program runs as code (``python -c "$PYTHON_CODE"``, or Kubernetes'
  ``$(PYTHON_CODE)`` in args) is compared as that code.
- All of these, and the rest of a container's env values, command and args, are compared after
  Kubernetes' ``$(VAR)`` / ``$$`` expansion (:mod:`harness.spec.kubernetes_vars`): what the
  process receives, not how the manifest spells it (:class:`ExpandedText`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from typing import Any

from harness.diff.builtin_rules import (
    ARGV_CODE,
    KUBERNETES_VAR_EXPANSION,
    PYTHON_CODE_IN_ENV,
    SCRIPT_TEXT,
    SHELL_CODE_IN_ENV,
)
from harness.normalize import python_code, shell
from harness.normalize.canonical import Leaf
from harness.normalize.excerpt import excerpt_pair
from harness.normalize.interpreters import PYTHON_INTERPRETERS, SHELL_INTERPRETERS, Language
from harness.spec import kubernetes_vars as k8s

_VERSIONED = re.compile(r"^(?P<base>[a-z]+?)(?:[0-9]+(?:\.[0-9]+)*)?$")


class ExpandedText(Leaf):
    """A string Kubernetes expands: compared by its expanded text (``key``), shown as written
    (``raw``). It equals a plain string holding that text, so ``$(TASK_ID)`` with ``TASK_ID=42``
    equals ``42`` written out."""

    __slots__ = ("later", "unresolved")

    def __init__(self, expanded: k8s.Expanded) -> None:
        super().__init__(expanded.text, expanded.raw, KUBERNETES_VAR_EXPANSION)
        self.unresolved = expanded.unresolved
        self.later = expanded.later

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return bool(self.key == other)
        return super().__eq__(other)

    def __hash__(self) -> int:
        return hash(self.key)

    @staticmethod
    def change_between(left: object, right: object) -> str | None:
        """'`$(A)-x` -> `2-x` (after Kubernetes expands them: `1-x` -> `2-x`)', and why a reference
        stayed as written when the env defines it later. Either side may be a plain string."""

        def side(node: object) -> tuple[str, str] | None:
            if isinstance(node, ExpandedText) and isinstance(node.raw, str) and isinstance(node.key, str):
                return node.raw, node.key
            return (node, node) if isinstance(node, str) else None

        a, b = side(left), side(right)
        if a is None or b is None:
            return None
        raw_a, raw_b = excerpt_pair(a[0], b[0])
        notes = []
        if a[0] != a[1] or b[0] != b[1]:
            text_a, text_b = excerpt_pair(a[1], b[1])
            notes.append(f"after Kubernetes expands $(VAR) and $$: `{text_a}` -> `{text_b}`")
        for label, node in (("left", left), ("right", right)):
            if isinstance(node, ExpandedText) and node.later:
                refs = ", ".join(f"$({name})" for name in node.later)
                notes.append(
                    f"on the {label} {refs} stays as written: Kubernetes only expands vars defined earlier in env"
                )
        return f"`{raw_a}` -> `{raw_b}`" + (f" ({'; '.join(notes)})" if notes else "")


def interpreter(command: Any) -> Language | None:
    """The language of a program run by ``command`` (its first word, or ``env X`` / ``/usr/bin/env X``)."""
    if isinstance(command, list):  # a word Kubernetes expands runs as its expanded text
        command = [c.key if isinstance(c, ExpandedText) else c for c in command]
    if not isinstance(command, list) or not command or not all(isinstance(c, str) for c in command):
        return None
    words = list(command)
    if posixpath.basename(words[0]) == "env" and len(words) > 1:
        words = words[1:]
    base = posixpath.basename(words[0])
    match = _VERSIONED.match(base)
    name = match["base"] if match else base
    if base in PYTHON_INTERPRETERS or name in {"python"}:
        return "python"
    if base in SHELL_INTERPRETERS or name in SHELL_INTERPRETERS:
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
    return Leaf(("text", source.rstrip("\n")), source, SCRIPT_TEXT)


def code_leaf(source: str, language: Language, raw: str | None = None) -> Leaf:
    """``source`` as a program of ``language`` (rule ``*-code-in-env``); ``raw`` is what is shown
    when it differs from the text that runs (an env value before Kubernetes' expansion)."""
    if language == "python":
        return python_code.python_leaf(source, PYTHON_CODE_IN_ENV, raw=raw)
    return shell.shell_leaf(source, SHELL_CODE_IN_ENV, raw=raw)


def env_vars_run_as_code(container: dict[str, Any], expanded: list[str | None] | None = None) -> dict[str, Language]:
    """Env var name -> language, for the vars this container (or script) runs as a program.

    ``expanded`` is the container's argv after Kubernetes' expansion (the argv itself when None).
    """
    found: dict[str, Language] = {}
    argv = _argv(container)
    if argv is not None:
        code = argv_code(argv)
        if code is not None:
            language, index = code
            # Kubernetes expands $(VAR) in command and args: ["python", "-c", "$(PYTHON_CODE)"].
            name = k8s.whole_reference(argv[index])
            if name is not None:
                found[name] = language
            elif language == "shell":
                program = expanded[index] if expanded is not None and index < len(expanded) else argv[index]
                if program is not None:
                    found.update(shell.code_variables(program))
    source = container.get("source")
    if isinstance(source, str) and interpreter(container.get("command")) == "shell":
        found.update(shell.code_variables(source))
    return found


def container_programs(container: dict[str, Any]) -> dict[str, Any]:
    """A container (or script) with the strings Kubernetes expands compared after expansion, and
    the programs it runs compared as programs.

    - Rule ``kubernetes-var-expansion`` (:mod:`harness.spec.kubernetes_vars`): env values,
      ``command`` and ``args`` compare by what the kubelet makes of them (``$(VAR)``, ``$$``).
    - Rule ``argv-code``: in ``["bash", "-c", PROGRAM]`` or ``["python", "-c", PROGRAM]`` (command
      and args together), PROGRAM is compared exactly like a script's source of that language
      (same parse, same refinements such as ``pip-requirements``, same messages). Where it sits is
      kept: moving it between command and args is a real change of argv.
    - Rules ``python-code-in-env`` / ``shell-code-in-env``: an env value the container runs as a
      program (``python -c "$PYTHON_CODE"``, ``["python", "-c", "$(PYTHON_CODE)"]``).
    """
    expansion = k8s.container_expansion(container)
    expanded_argv = [e.text if e is not None else None for e in expansion.argv]
    code_vars = env_vars_run_as_code(container, expanded_argv)
    out = dict(container)
    env = container.get("env")
    if isinstance(env, list) and (code_vars or any(e is not None and "$" in e.raw for e in expansion.env)):
        out["env"] = [_env_item(item, expanded, code_vars) for item, expanded in zip(env, expansion.env, strict=True)]
    if not expansion.argv:
        return out
    program = argv_code(expanded_argv) if all(w is not None for w in expanded_argv) else None
    words: list[Any] = []
    for index, expanded in enumerate(expansion.argv):
        if expanded is None:
            words.append(_word_at(container, index, expansion.n_command))
        elif program is not None and index == program[1]:
            words.append(_program_leaf(program[0], expanded))
        elif "$" in expanded.raw:
            words.append(ExpandedText(expanded))
        else:
            words.append(expanded.raw)
    if isinstance(container.get("command"), list):
        out["command"] = words[: expansion.n_command]
    if isinstance(container.get("args"), list):
        out["args"] = words[expansion.n_command :]
    return out


def _env_item(item: Any, expanded: k8s.Expanded | None, code_vars: dict[str, Language]) -> Any:
    if expanded is None or not isinstance(item, dict):
        return item
    language = code_vars.get(item["name"])
    if language is not None:
        return {**item, "value": code_leaf(expanded.text, language, raw=expanded.raw)}
    if "$" in expanded.raw:
        return {**item, "value": ExpandedText(expanded)}
    return item


def _word_at(container: dict[str, Any], index: int, n_command: int) -> Any:
    if index < n_command:
        return container["command"][index]
    return container["args"][index - n_command]


def _program_leaf(language: Language, expanded: k8s.Expanded) -> Leaf:
    if language == "python":
        return python_code.python_leaf(expanded.text, ARGV_CODE, raw=expanded.raw)
    return shell.shell_leaf(expanded.text, ARGV_CODE, raw=expanded.raw)


def _argv(container: dict[str, Any]) -> list[str] | None:
    command = container.get("command")
    args = container.get("args")
    argv = [*(command if isinstance(command, list) else []), *(args if isinstance(args, list) else [])]
    if argv and all(isinstance(a, str) for a in argv):
        return argv
    return None


def argv_code(argv: Sequence[str | None]) -> tuple[Language, int] | None:
    """(language, index of PROGRAM) when argv is ``<interpreter> [options] -c PROGRAM ...``."""
    if not all(isinstance(word, str) for word in argv):
        return None
    language = interpreter(list(argv))
    if language is None:
        return None
    for i, word in enumerate(argv[1:], start=1):
        assert word is not None
        if word == "-c" or (language == "shell" and re.fullmatch(r"-[a-z]*c", word)):
            return (language, i + 1) if i + 1 < len(argv) else None
        if not word.startswith("-"):
            return None
    return None
