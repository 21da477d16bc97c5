"""Running external commands (kubectl, kind, k3d): the plan's ``CommandExecutor`` contract.

``CommandExecutor.execute_command(command) -> CommandOutput(success, stdout, stderr, return_code)``
is what the kubectl backend of ``ArgoService`` runs its commands through (the ArgoService
improvement plan, Phase 1); ``SubprocessCommandExecutor`` is the real one, and tests pass one that
replays recorded kubectl output. Cluster set-up (``harness.argo.provision``) needs a little more
(``which`` to find a program, ``run`` with a timeout and stdin): that is ``ProgramRunner``, which
``SubprocessCommandExecutor`` also is. Nothing here raises for the command's own failure: a
non-zero exit, a timeout or a program that cannot start is a ``CommandOutput`` saying so.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

# Exit statuses for a command that never finished on its own, as the shell and coreutils'
# `timeout` report them, so ``return_code`` stays an int as the plan has it.
EXIT_TIMED_OUT = 124
EXIT_CANNOT_START = 127
DEFAULT_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class CommandOutput:
    """What one command did (the plan's four fields first; the rest are extras).

    ``return_code`` is the exit status; ``EXIT_TIMED_OUT`` (124) when it was killed at its
    timeout (``timed_out``), ``EXIT_CANNOT_START`` (127) when it could not start (``error`` says
    why: not found, not executable).
    """

    success: bool
    stdout: str
    stderr: str
    return_code: int
    argv: tuple[str, ...] = ()
    duration_s: float = 0.0
    timed_out: bool = False
    error: str | None = None

    @property
    def command(self) -> str:
        return shlex.join(self.argv)

    def summary(self) -> str:
        """One line: the command and how it ended, with the last line it wrote to stderr."""
        if self.error:
            return f"{self.command}: {self.error}"
        if self.timed_out:
            return f"{self.command}: timed out after {self.duration_s:.0f} s"
        last = next((line.strip() for line in reversed(self.stderr.splitlines()) if line.strip()), "")
        if not last:
            last = next((line.strip() for line in reversed(self.stdout.splitlines()) if line.strip()), "")
        ending = f"exited {self.return_code}"
        return f"{self.command}: {ending}: {last}" if last and not self.success else f"{self.command}: {ending}"


def finished(argv: Sequence[str], return_code: int, stdout: str = "", stderr: str = "") -> CommandOutput:
    """The output of a command that ran to its end (``success`` is exit status 0)."""
    return CommandOutput(return_code == 0, stdout, stderr, return_code, tuple(argv))


class CommandExecutor(ABC):
    """Runs a command and returns what it did; never raises for the command's own failure."""

    @abstractmethod
    def execute_command(self, command: list[str]) -> CommandOutput:
        """Execute a command and return structured output."""


@runtime_checkable
class ProgramRunner(Protocol):
    """Finds and runs programs with a timeout (cluster set-up). Never raises for a failed command."""

    def which(self, program: str) -> str | None:
        """The path of ``program`` on this runner's PATH, or None."""

    def run(self, argv: Sequence[str], *, timeout_s: float, input_text: str | None = None) -> CommandOutput:
        """Run ``argv`` to completion, or kill it (and its children) at ``timeout_s``."""


class SubprocessCommandExecutor(CommandExecutor):
    """Runs commands as child processes of this one. ``env`` replaces the environment when set;
    ``timeout_s`` bounds ``execute_command`` (``run`` takes its own)."""

    def __init__(self, env: Mapping[str, str] | None = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.env = env
        self.timeout_s = timeout_s

    def execute_command(self, command: list[str]) -> CommandOutput:
        return self.run(command, timeout_s=self.timeout_s)

    def which(self, program: str) -> str | None:
        path = self.env.get("PATH", "") if self.env is not None else None
        return shutil.which(program, path=path)

    def run(self, argv: Sequence[str], *, timeout_s: float, input_text: str | None = None) -> CommandOutput:
        words = tuple(str(word) for word in argv)
        started = time.monotonic()
        try:
            # A session of its own, so a timeout kills what the command started too (kind runs docker).
            process = subprocess.Popen(
                words,
                stdin=subprocess.PIPE if input_text is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",  # a tool's output is not always UTF-8: never a UnicodeDecodeError
                env=dict(self.env) if self.env is not None else None,
                start_new_session=True,
            )
        except OSError as exc:
            return CommandOutput(
                False,
                "",
                "",
                EXIT_CANNOT_START,
                words,
                time.monotonic() - started,
                error=exc.strerror or str(exc),
            )
        try:
            stdout, stderr = process.communicate(input_text, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
            return CommandOutput(
                False, stdout, stderr, EXIT_TIMED_OUT, words, time.monotonic() - started, timed_out=True
            )
        code = process.returncode
        return CommandOutput(code == 0, stdout, stderr, code, words, time.monotonic() - started)
