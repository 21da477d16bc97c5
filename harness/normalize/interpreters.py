"""Which language a command word runs a program in: the interpreters the differ and the executors know.

One place for what both the canonical form (:mod:`harness.normalize.programs`,
:mod:`harness.normalize.shell`) and the network decision (:mod:`harness.execute.installs`) read
from a command name: a shell, a Python interpreter, pip.
"""

from __future__ import annotations

import posixpath
import re
from typing import Final, Literal

Language = Literal["python", "shell"]

# Interpreter basenames (after stripping a version suffix like bash5) that run a shell program.
SHELL_INTERPRETERS: Final = frozenset({"bash", "sh", "dash", "ash", "ksh", "zsh"})
# Interpreter basenames (after stripping a version suffix like python3.11) that run Python.
PYTHON_INTERPRETERS: Final = frozenset({"python", "python3", "python2"})

# `python`, `python3`, `python3.11`: the names a Python interpreter is installed under.
PYTHON_COMMAND: Final = re.compile(r"python(?:[0-9]+(?:\.[0-9]+)*)?\Z")
# `pip`, `pip3`, `pip3.11`: the names pip is installed under.
PIP_COMMAND: Final = re.compile(r"pip(?:[0-9]+(?:\.[0-9]+)*)?\Z")


def language_of(command: str | None) -> Language | None:
    """The language a command word inside a program runs code in (``python3 -c``, ``/bin/sh -c``):
    a Python interpreter by its installed name, a shell by its exact name; None for anything else."""
    if command is None:
        return None
    base = posixpath.basename(command)
    if PYTHON_COMMAND.match(base):
        return "python"
    if base in SHELL_INTERPRETERS:
        return "shell"
    return None
