"""Capture a stream with a fixed memory budget, however much the program writes.

The head and the tail are kept (a traceback is at the end, the first error near the start); the
middle is counted and dropped as it arrives, so 100 MB of output costs ``cap`` bytes of memory.
"""

from __future__ import annotations

from harness.execute.result import Output

DEFAULT_CAP = 256 * 1024
# Of the cap, the share kept from the end of the stream when it overflows.
TAIL_SHARE = 4


class CappedOutput:
    """A write-only byte sink keeping at most ``cap`` bytes: the head and the tail."""

    def __init__(self, cap: int = DEFAULT_CAP) -> None:
        if cap < 2:
            raise ValueError("cap must be at least 2 bytes")
        self.cap = cap
        self._tail_cap = max(1, cap // TAIL_SHARE)
        self._head_cap = cap - self._tail_cap
        self._head = bytearray()
        self._tail = bytearray()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.size += len(data)
        room = self._head_cap - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if data:
            self._tail += data[-self._tail_cap :]
            if len(self._tail) > self._tail_cap:
                del self._tail[: len(self._tail) - self._tail_cap]

    @property
    def truncated(self) -> bool:
        return self.size > len(self._head) + len(self._tail)

    def result(self) -> Output:
        if not self.truncated:
            data = bytes(self._head + self._tail)
            return Output(text=_decode(data), size=self.size, truncated=False)
        omitted = self.size - len(self._head) - len(self._tail)
        marker = f"\n[... {omitted} bytes omitted by argo-parity ...]\n"
        return Output(
            text=_decode(bytes(self._head)) + marker + _decode(bytes(self._tail)), size=self.size, truncated=True
        )


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")
