"""The wire between the harness and its builder processes: framed JSON, read with a deadline.

The other end runs user code, which can write to this socket (it is a file descriptor of its own
process): whatever arrives is data to check, never code. So messages are JSON (never pickle,
whose loading runs code), each frame says its length up front and is refused past a size cap
(a stray ``b"hello"`` reads as a length of 1.7 GB), and every read has a deadline (a frame that
never completes cannot hang the harness). A frame that breaks any of this is a
:class:`ChannelError`: the harness kills the process at the other end and reports that side.
"""

from __future__ import annotations

import json
import socket
import struct
import time
from typing import Any

# A manifest of a few MB is already unusual; 64 MB bounds the memory one answer can cost.
MAX_FRAME_BYTES = 64 * 1024 * 1024
_HEADER = struct.Struct("!Q")


class ChannelError(Exception):
    """The other end sent something that is not a frame of this protocol, or nothing in time."""


class Channel:
    """One end of a connected stream socket carrying JSON frames."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def fileno(self) -> int:
        return self.sock.fileno()

    def close(self) -> None:
        self.sock.close()

    def send(self, message: Any) -> None:
        """Send one JSON-ready message; ``OSError`` when the other end is gone."""
        body = json.dumps(message, separators=(",", ":"), allow_nan=False).encode()
        self.sock.settimeout(None)
        self.sock.sendall(_HEADER.pack(len(body)) + body)

    def receive(self, timeout_s: float | None, *, max_bytes: int = MAX_FRAME_BYTES) -> Any:
        """The next message; ``ChannelError`` for a malformed, oversized or late frame, ``EOFError``
        when the other end closed between frames."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        header = self._read(_HEADER.size, deadline, at_start=True)
        (length,) = _HEADER.unpack(header)
        if length > max_bytes:
            raise ChannelError(f"a frame of {length} bytes announced (at most {max_bytes}): not this protocol")
        body = self._read(length, deadline, at_start=False)
        try:
            return json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ChannelError(f"a frame that is not JSON ({exc})") from None

    def wait_readable(self, timeout_s: float | None) -> bool:
        """Whether a frame starts arriving within ``timeout_s`` (a closed end counts: reading
        then says EOF)."""
        import select

        readable, _, _ = select.select([self.sock], [], [], timeout_s)
        return bool(readable)

    def _read(self, count: int, deadline: float | None, *, at_start: bool) -> bytes:
        chunks: list[bytes] = []
        remaining = count
        while remaining:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise ChannelError("no complete frame in time")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(min(remaining, 1 << 20))
            except TimeoutError:
                raise ChannelError("no complete frame in time") from None
            if not chunk:
                if at_start and remaining == count:
                    raise EOFError
                raise ChannelError("the other end closed in the middle of a frame")
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
