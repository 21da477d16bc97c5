"""A progress bar for terminals; imported only when one is shown."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from harness.outcomes import ScenarioOutcome


class ScenarioProgress:
    def __init__(self, total: int) -> None:
        self._progress = Progress(
            TextColumn("[bold]parity[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[last]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._task = self._progress.add_task("scenarios", total=total, last="")

    def __enter__(self) -> ScenarioProgress:
        self._progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def advance(self, outcome: ScenarioOutcome) -> None:
        self._progress.update(self._task, advance=1, last=f"{outcome.name}: {outcome.status.value}")
