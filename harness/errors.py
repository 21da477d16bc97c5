"""Errors that carry where bad input came from, so the CLI can say it in one line and exit 2."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple


class Problem(NamedTuple):
    """One thing wrong with an input: what, and the field it is in (None: the input as a whole)."""

    message: str
    field: str | None = None


class ParityInputError(Exception):
    """Input the harness cannot use: a fixture, a manifest, a waiver file, a builder reference.

    The message always names the file, and where known the scenario and the field, because the
    person reading it has to find the line to fix without a traceback. An input with several
    problems carries them all (``also``): the first on the first line, each other on a line of its
    own, so one run shows everything to fix.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        scenario: str | None = None,
        field: str | None = None,
        also: Iterable[Problem] = (),
    ) -> None:
        self.message = message
        self.file = file
        self.scenario = scenario
        self.field = field
        self.also = tuple(also)
        super().__init__(str(self))

    @classmethod
    def of(
        cls, problems: Iterable[Problem], *, file: str | None = None, scenario: str | None = None
    ) -> ParityInputError:
        """The error for every one of ``problems`` (at least one), the first named first."""
        first, *rest = problems
        return cls(first.message, file=file, scenario=scenario, field=first.field, also=rest)

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Every problem, the one the first line names first."""
        return (Problem(self.message, self.field), *self.also)

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.scenario:
            where.append(f"scenario '{self.scenario}'")
        if self.field:
            where.append(f"field '{self.field}'")
        prefix = ": ".join(where)
        first = f"{prefix}: {self.message}" if prefix else self.message
        more = [f"  and field '{p.field}': {p.message}" if p.field else f"  and {p.message}" for p in self.also]
        return "\n".join([first, *more])


def read_input_file(path: str | Path, what: str) -> str:
    """The text of a user-supplied file (``what``: "rules file", "waivers file"), or a
    ParityInputError naming it: missing, unreadable or not UTF-8."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParityInputError(f"{what} not found", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ParityInputError(f"cannot read {what}: {exc}", file=str(path)) from None


class BuilderInputError(ValueError):
    """Raised by a builder that refuses an input it cannot turn into a valid workflow.

    Builders raise this (or any ``ValueError``) instead of emitting a broken manifest; when both
    builders refuse the same input the harness counts it as agreement.
    """
