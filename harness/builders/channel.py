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
import select
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
    """One end of a connected stream socket carrying JSON frames.

    Reads go through a buffer (one ``recv`` usually brings a whole frame, header and body), and
    the socket is non-blocking, waited on with ``select`` only when the buffer runs short: a
    build's round trip is a few syscalls, not a dozen.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        sock.setblocking(False)
        self._buffer = bytearray()

    def fileno(self) -> int:
        return self.sock.fileno()

    def close(self) -> None:
        self.sock.close()

    def send(self, message: Any) -> None:
        """Send one JSON-ready message; ``OSError`` when the other end is gone."""
        body = json.dumps(message, separators=(",", ":"), allow_nan=False).encode()
        data = memoryview(_HEADER.pack(len(body)) + body)
        while data:
            try:
                sent = self.sock.send(data)
            except BlockingIOError:
                select.select([], [self.sock], [])
                continue
            data = data[sent:]

    def receive(self, timeout_s: float | None, *, max_bytes: int = MAX_FRAME_BYTES) -> Any:
        """The next message; ``ChannelError`` for a malformed, oversized or late frame, ``EOFError``
        when the other end closed between frames."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        self._fill(_HEADER.size, deadline, at_start=True)
        (length,) = _HEADER.unpack_from(self._buffer)
        if length > max_bytes:
            raise ChannelError(f"a frame of {length} bytes announced (at most {max_bytes}): not this protocol")
        self._fill(_HEADER.size + length, deadline, at_start=False)
        body = bytes(self._buffer[_HEADER.size : _HEADER.size + length])
        del self._buffer[: _HEADER.size + length]
        try:
            return json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ChannelError(f"a frame that is not JSON ({exc})") from None

    def _fill(self, count: int, deadline: float | None, *, at_start: bool) -> None:
        """Read until the buffer holds ``count`` bytes, or fail."""
        while len(self._buffer) < count:
            try:
                chunk = self.sock.recv(max(count - len(self._buffer), 1 << 16))
            except BlockingIOError:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise ChannelError("no complete frame in time") from None
                readable, _, _ = select.select([self.sock], [], [], left)
                if not readable:
                    raise ChannelError("no complete frame in time") from None
                continue
            if not chunk:
                if at_start and not self._buffer:
                    raise EOFError
                raise ChannelError("the other end closed in the middle of a frame")
            self._buffer += chunk
