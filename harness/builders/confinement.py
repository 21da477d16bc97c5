"""What a builder process does to itself before user code runs, so that the code cannot outlive,
outshout or out-exit its build. Linux facilities, each a no-op where the platform lacks it.

- :func:`die_with_parent`: killed when the process that forked it dies (a harness killed with
  SIGKILL leaves no builder behind).
- :func:`adopt_orphans` and :func:`kill_children`: a daemon a builder double-forks (``setsid``
  and all) is re-parented to the builder process instead of init, and killed after the build,
  so nothing a builder started lives on to rewrite a report or talk to a daemon later.
- :func:`intercept_os_exit`: ``os._exit`` raises instead, so the build that called it is
  reported by the process that ran it.
- :func:`redirect_output`: a builder's prints go to a file the harness quotes from when the
  build crashes, never to the harness's console, where they could carry a secret.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from harness.builders.result import ExitCalled, record_exit

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(option, value, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def die_with_parent() -> None:
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def adopt_orphans() -> bool:
    """Become the reaper of every descendant that loses its parent (PR_SET_CHILD_SUBREAPER)."""
    return _prctl(_PR_SET_CHILD_SUBREAPER, 1)


def child_pids() -> list[int]:
    """The direct children of this process: ``/proc/self/task/*/children`` (one small read per
    thread), else a scan of /proc (kernels built without CONFIG_PROC_CHILDREN)."""
    found: set[int] = set()
    try:
        for task in os.scandir("/proc/self/task"):
            with open(os.path.join(task.path, "children"), encoding="ascii") as handle:
                found.update(int(pid) for pid in handle.read().split())
        return sorted(found)
    except OSError:
        pass
    me = os.getpid()
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after it
            fields = stat[stat.rfind(")") + 2 :].split()
            if len(fields) > 1 and int(fields[1]) == me:
                found.add(int(entry.name))
    return sorted(found)


def kill_children(keep: frozenset[int] = frozenset()) -> int:
    """Kill every child of this process but ``keep`` (and, as their orphans are adopted, their
    descendants), reaping each; the number killed."""
    killed = 0
    for _ in range(100):  # each round reaps one generation of adopted orphans
        victims = [pid for pid in child_pids() if pid not in keep]
        if not victims:
            break
        for pid in victims:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        for pid in victims:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, 0)
        killed += len(victims)
    return killed


def intercept_os_exit() -> None:
    """``os._exit`` in this process raises ExitCalled instead, so the build that called it is
    reported and the process lives; in processes a builder forks, it exits as usual."""
    real_exit = os._exit
    me = os.getpid()

    def intercepted(code: int) -> NoReturn:
        if os.getpid() != me:
            real_exit(code)
        record_exit(code)
        raise ExitCalled(code)

    os._exit = intercepted  # type: ignore[assignment]


def real_exit() -> Callable[[int], NoReturn]:
    """``os._exit`` as the kernel provides it, whatever :func:`intercept_os_exit` did."""
    import posix

    return posix._exit


def redirect_output(path: Path) -> None:
    """Send this process's stdout and stderr (file descriptors 1 and 2) to ``path``."""
    import sys

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def truncate_output() -> None:
    """Forget what was printed so far: a crash report quotes only the last build's output."""
    with contextlib.suppress(OSError):
        os.ftruncate(1, 0)
        os.lseek(1, 0, os.SEEK_SET)
