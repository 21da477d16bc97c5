"""Writing to a stdout the reader may close early (``parity run | head -1``)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def tolerate_closed_stdout() -> Iterator[None]:
    """A reader that stops reading is not a failure of the run: the rest of the output goes
    nowhere and the exit code stays the verdict's (a pipe's BrokenPipeError would otherwise end
    the process with exit 1, the NOT READY code, and a traceback)."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        # Python flushes stdout again at exit; pointing it at /dev/null keeps that flush quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
