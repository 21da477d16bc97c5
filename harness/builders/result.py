"""What one call of a builder gave: a manifest, or a failure of a known kind.

The kinds matter to the verdict (``harness.outcomes.decide_sides``): only a *rejection* (the
builder refusing an input with ``ValueError``, ``BuilderInputError`` being one) is an answer two
builders can agree on. Every other failure is a crash of that side: it says nothing about what
the builder would have built.
"""

from __future__ import annotations

import signal
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from types import FrameType, TracebackType
from typing import Any

from harness.builders import NotAManifestError, coerce_manifest


class BuildFailureKind(StrEnum):
    REJECTED = "rejected"  # ValueError: the builder refused the input, as its contract allows
    EXCEPTION = "exception"  # any other exception, KeyboardInterrupt raised by the builder included
    EXIT = "exit"  # sys.exit(), os._exit(), or the process ended some other way
    TIMEOUT = "timeout"  # did not return within the build timeout
    NETWORK = "network"  # tried to reach the network (refused)
    NOT_A_MANIFEST = "not-a-manifest"  # returned None, a number, text that is not a manifest...


@dataclass(frozen=True)
class BuilderError:
    type: str
    message: str
    kind: BuildFailureKind = BuildFailureKind.EXCEPTION

    @property
    def rejected(self) -> bool:
        return self.kind is BuildFailureKind.REJECTED

    @classmethod
    def from_exception(cls, exc: BaseException) -> BuilderError:
        if isinstance(exc, NotAManifestError):
            kind = BuildFailureKind.NOT_A_MANIFEST
        elif isinstance(exc, ValueError):
            kind = BuildFailureKind.REJECTED
        else:
            kind = BuildFailureKind.EXCEPTION
        return cls(type=type(exc).__name__, message=str(exc) or repr(exc), kind=kind)

    def to_dict(self) -> dict[str, str]:
        return {"type": self.type, "message": self.message, "kind": self.kind.value}


@dataclass(frozen=True)
class BuildResult:
    """A manifest or an error, never both; ``duration_s`` is the builder's own time."""

    manifest: dict[str, Any] | None = None
    error: BuilderError | None = None
    duration_s: float = 0.0


class BuildTimeout(BaseException):
    """Raised inside a build that ran past its timeout (a BaseException, so that a builder's
    ``except Exception`` cannot swallow it)."""


class ExitCalled(BaseException):
    """Raised in place of ``os._exit`` inside a build, so the worker survives to report it."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class _BuildEvents:
    """What happened during the current build, whatever the builder did with the exceptions:
    an alarm that fired or an ``os._exit`` that was called stays a timeout or an exit even if the
    builder caught it and raised a ValueError (a refusal) or returned a manifest instead."""

    timed_out = False
    exit_code: int | None = None


def record_exit(code: int) -> None:
    """Called by the ``os._exit`` interceptor (harness.builders.confinement) before it raises."""
    _BuildEvents.exit_code = code


def run_build(
    builder: Callable[[Any], Any],
    argument: Any,
    *,
    timeout_s: float | None = None,
    network_attempts: Callable[[], tuple[Any, ...]] | None = None,
) -> BuildResult:
    """Call ``builder(argument)`` and classify what happens; never raises for the builder's doing.

    ``timeout_s`` arms SIGALRM (main thread only) and ends the build with a TIMEOUT failure that
    says where it was; ``network_attempts`` returns the attempts a network guard refused during
    the call, which fail the side even when the builder caught the refusal.
    """
    clock = time.perf_counter()
    _BuildEvents.timed_out, _BuildEvents.exit_code = False, None
    previous = _arm_alarm(timeout_s)
    manifest: dict[str, Any] | None = None
    error: BuilderError | None = None
    where = ""
    try:
        manifest = coerce_manifest(builder(argument))
    except BaseException as exc:  # every failure of user code is a result here
        where = _where(exc.__traceback__)
        if isinstance(exc, SystemExit):
            error = BuilderError("SystemExit", f"called sys.exit({exc.code!r}){where}", BuildFailureKind.EXIT)
        else:
            error = BuilderError.from_exception(exc)
    finally:
        _disarm_alarm(previous)
    if _BuildEvents.timed_out:
        error = BuilderError("Timeout", f"did not return within {timeout_s:g} s{where}", BuildFailureKind.TIMEOUT)
    elif _BuildEvents.exit_code is not None:
        error = BuilderError("Exit", f"called os._exit({_BuildEvents.exit_code}){where}", BuildFailureKind.EXIT)
    attempts = network_attempts() if network_attempts is not None else ()
    if attempts:
        tried = ", ".join(dict.fromkeys(attempt.describe() for attempt in attempts))
        error = BuilderError(
            "NetworkAccess", f"tried to use the network during the build: {tried}", BuildFailureKind.NETWORK
        )
    return BuildResult(
        manifest=manifest if error is None else None, error=error, duration_s=time.perf_counter() - clock
    )


def _raise_timeout(signum: int, frame: FrameType | None) -> None:
    _BuildEvents.timed_out = True
    raise BuildTimeout


def _arm_alarm(timeout_s: float | None) -> Any:
    if not timeout_s:
        return None
    try:
        previous = signal.signal(signal.SIGALRM, _raise_timeout)
    except ValueError:  # not the main thread: the caller's hard deadline is the only one
        return None
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    return previous


def _disarm_alarm(previous: Any) -> None:
    if previous is None:
        return
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def _where(tb: TracebackType | None) -> str:
    """`` at file:line in function``: the innermost frame of the builder's own code (the harness's
    alarm handler and exit interceptor are where the exception was raised, not where it was)."""
    frames = [frame for frame in traceback.extract_tb(tb) if not _is_harness_frame(frame.filename)]
    if not frames:
        return ""
    last = frames[-1]
    return f" at {last.filename}:{last.lineno} in {last.name}"


def _is_harness_frame(filename: str) -> bool:
    return filename in _HARNESS_FRAMES


# The alarm handler (here) and the exit interceptor (confinement.py) raise on the builder's behalf.
_HARNESS_FRAMES = frozenset({__file__, __file__.replace("result.py", "confinement.py")})
