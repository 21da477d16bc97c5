"""Running external commands (kubectl, kind, k3d) behind a small protocol.

Cluster set-up (``harness.argo.provision``) talks to the world only through a
``CommandExecutor``: ``which`` to find a program and ``run`` to run one with a timeout. The real
implementation is ``SubprocessExecutor``; tests pass a recording one and check the exact commands
without kind or a cluster. ``run`` never raises for the command's own failure: a non-zero exit, a
timeout or a program that cannot start is a ``CommandResult`` saying so.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class CommandResult:
    """What one command did. ``returncode`` is None when it timed out or could not start."""

    argv: tuple[str, ...]
    returncode: int | None
    stdout: str = ""
    stderr: str = ""
    duration_s: float = 0.0
    timed_out: bool = False
    error: str | None = None  # it could not start: not found, not executable

    @property
    def ok(self) -> bool:
        return self.returncode == 0

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
        ending = f"exited {self.returncode}"
        return f"{self.command}: {ending}: {last}" if last and not self.ok else f"{self.command}: {ending}"


@runtime_checkable
class CommandExecutor(Protocol):
    """Finds and runs programs. Implementations never raise for a command that fails."""

    def which(self, program: str) -> str | None:
        """The path of ``program`` on this executor's PATH, or None."""

    def run(self, argv: Sequence[str], *, timeout_s: float, input_text: str | None = None) -> CommandResult:
        """Run ``argv`` to completion, or kill it (and its children) at ``timeout_s``."""


@dataclass(frozen=True)
class SubprocessExecutor:
    """Runs commands as child processes of this one. ``env`` replaces the environment when set."""

    env: Mapping[str, str] | None = None

    def which(self, program: str) -> str | None:
        path = self.env.get("PATH", "") if self.env is not None else None
        return shutil.which(program, path=path)

    def run(self, argv: Sequence[str], *, timeout_s: float, input_text: str | None = None) -> CommandResult:
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
            return CommandResult(words, None, duration_s=time.monotonic() - started, error=exc.strerror or str(exc))
        try:
            stdout, stderr = process.communicate(input_text, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
            return CommandResult(words, None, stdout, stderr, time.monotonic() - started, timed_out=True)
        return CommandResult(words, process.returncode, stdout, stderr, time.monotonic() - started)
