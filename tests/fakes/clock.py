"""A clock for code that waits: tests see every pause it takes and never wait for one."""

from __future__ import annotations


class FakeClock:
    """Stands in for the ``time`` module of a module under test (``monkeypatch.setattr(module,
    "time", clock)``): ``monotonic()`` moves only when ``sleep`` is called, by exactly the time
    asked for, and ``sleeps`` lists every pause in order. What the code under test does between
    pauses (a request to a fake server) takes no time on this clock."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.start = start
        self.now = start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)

    @property
    def elapsed(self) -> float:
        """Seconds this clock has moved since it was made."""
        return self.now - self.start
