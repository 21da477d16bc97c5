"""kubectl, replayed: a ``CommandExecutor`` that answers each command with what a real kubectl
printed for it, from a recording under tests/fixtures/kubectl/ (see the README there for where
each recording and its format come from).

A recording is a JSON file: ``{"scenario": ..., "source": ..., "kubectl": <version>,
"exchanges": [{"command": [...], "return_code": 0, "stdout": "...", "stderr": "..."}]}``. The
replay answers the exchanges in order and fails the test at once when the service runs a command
of another shape (or one more than was recorded). Commands are compared in a normal form: no
``--kubeconfig`` (a temporary path), the ``-f`` file as ``<file>``, the ``-p`` patch as
``<patch>`` (its text is kept in ``commands`` for the test to read).

``RecordingExecutor`` wraps the real ``SubprocessCommandExecutor`` and keeps what it ran, in the
same normal form: tests/fixtures/kubectl/record.py records the fixtures with it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.argo.commands import CommandExecutor, CommandOutput

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "kubectl"


def normal_form(command: Sequence[str]) -> list[str]:
    """The command without what differs between runs (see the module doc)."""
    words = list(command)
    shown: list[str] = []
    skip = False
    for index, word in enumerate(words):
        if skip:
            skip = False
            continue
        if word == "--kubeconfig":
            skip = True
            continue
        previous = words[index - 1] if index else ""
        if previous == "-f":
            shown.append("<file>")
        elif previous == "-p":
            shown.append("<patch>")
        else:
            shown.append(word)
    return shown


def patch_of(command: Sequence[str]) -> Any:
    """The JSON merge patch a ``kubectl patch`` command sends."""
    words = list(command)
    return json.loads(words[words.index("-p") + 1])


@dataclass
class Exchange:
    command: list[str]
    return_code: int
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False  # the executor killed kubectl at its timeout (it printed nothing)
    duration_s: float = 0.0

    def output(self, command: Sequence[str]) -> CommandOutput:
        return CommandOutput(
            self.return_code == 0,
            self.stdout,
            self.stderr,
            self.return_code,
            tuple(command),
            self.duration_s,
            timed_out=self.timed_out,
        )


def load_recording(scenario: str) -> list[Exchange]:
    path = FIXTURES / f"{scenario}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Exchange(**exchange) for exchange in data["exchanges"]]


class ReplayExecutor(CommandExecutor):
    """Answers from a recording, in order; ``commands`` keeps every command as run."""

    def __init__(self, exchanges: Sequence[Exchange]) -> None:
        self.pending = list(exchanges)
        self.commands: list[list[str]] = []
        self.files: list[Any] = []  # the JSON of each ``-f`` file, read while the command runs

    def execute_command(self, command: list[str]) -> CommandOutput:
        self.commands.append(list(command))
        if "-f" in command:
            self.files.append(json.loads(Path(command[command.index("-f") + 1]).read_text(encoding="utf-8")))
        shape = normal_form(command)
        if not self.pending:
            raise AssertionError(f"kubectl ran once more than recorded: {shape}")
        expected = self.pending.pop(0)
        if shape != expected.command:
            raise AssertionError(f"kubectl ran {shape}, the recording has {expected.command}")
        return expected.output(command)


@dataclass
class RecordingExecutor(CommandExecutor):
    """Runs each command with ``inner`` and keeps the exchange, in normal form."""

    inner: CommandExecutor
    exchanges: list[Exchange] = field(default_factory=list)

    def execute_command(self, command: list[str]) -> CommandOutput:
        output = self.inner.execute_command(command)
        self.exchanges.append(
            Exchange(
                normal_form(command),
                output.return_code,
                output.stdout,
                output.stderr,
                output.timed_out,
                round(output.duration_s) if output.timed_out else 0.0,
            )
        )
        return output
