"""A pids limit per sandbox, from the cgroup ``pids`` controller when this machine lets us use it.

A fork bomb in a sandbox would otherwise take every PID of the host (``kernel.pid_max`` is 32768
on many machines) long before its deadline. RLIMIT_NPROC cannot stand in: it never applies to
root, and the sandbox runs as root when the harness does. Where no writable pids controller
exists (an unprivileged user on cgroup v2 without delegation), runs go on without a limit and say
so in their notes; the deadline still kills everything.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import signal
import threading
import time
from pathlib import Path

_V1_ROOT = Path("/sys/fs/cgroup/pids")
_V2_ROOT = Path("/sys/fs/cgroup")
_GROUP = "argo-parity"
_counter = itertools.count()
_setup_lock = threading.Lock()
_bases: dict[str, Path | None] = {}


class PidsCgroup:
    """One sandbox's cgroup: processes join it through ``procs_file`` before they exec."""

    def __init__(self, path: Path, *, v2: bool) -> None:
        self.path = path
        self.v2 = v2

    @property
    def procs_file(self) -> Path:
        return self.path / "cgroup.procs"

    @classmethod
    def create(cls, limit: int) -> PidsCgroup | None:
        base = _base()
        if base is None:
            return None
        _remove_pending(blocking=False)
        path = base / f"{os.getpid()}-{next(_counter)}"
        try:
            path.mkdir()
            (path / "pids.max").write_text(f"{limit}\n")
        except OSError:
            with contextlib.suppress(OSError):
                path.rmdir()
            return None
        return cls(path, v2=base.parent == _V2_ROOT)

    def pids(self) -> list[int]:
        try:
            return [int(line) for line in self.procs_file.read_text().split()]
        except (OSError, ValueError):
            return []

    def kill_all(self, attempts: int = 100, *, settle: bool = False) -> None:
        """SIGKILL every process in the cgroup until it is empty (a fork bomb refills it meanwhile).

        With ``settle``, stop waiting once only bwrap's init is left: the program and everything
        it started are gone, and the init, already SIGKILLed, is finishing the PID namespace's
        teardown (it tells the outer bwrap the exit code before it is done dying). Waiting for
        that would add 10-20 ms to every run for nothing.
        """
        kill_file = self.path / "cgroup.kill"
        if self.v2 and kill_file.exists():
            with contextlib.suppress(OSError):
                kill_file.write_text("1\n")
        pause = 0.0005
        for _ in range(attempts):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            if settle and all(_command_name(pid) in {"bwrap", None} for pid in pids):
                return
            time.sleep(pause)
            pause = min(pause * 2, 0.02)

    def close(self) -> None:
        """Empty and remove the cgroup; a removal that must wait for a dying init is finished later
        (at the next sandbox's start or at exit), never by blocking this run."""
        self.kill_all(settle=True)
        try:
            self.path.rmdir()
        except FileNotFoundError:
            pass
        except OSError:
            with _setup_lock:
                _pending.append(self)

    def remove(self) -> None:
        """Blocking: empty the cgroup and remove it."""
        for _ in range(250):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:  # still busy: processes exiting
                self.kill_all(attempts=1)
                time.sleep(0.004)


_pending: list[PidsCgroup] = []


def _remove_pending(*, blocking: bool) -> None:
    with _setup_lock:
        waiting = [cgroup for cgroup in _pending if cgroup.path.name.startswith(f"{os.getpid()}-")]
        _pending.clear()
    for cgroup in waiting:
        if blocking:
            cgroup.remove()
            continue
        try:
            cgroup.path.rmdir()
        except FileNotFoundError:
            pass
        except OSError:
            with _setup_lock:
                _pending.append(cgroup)


atexit.register(_remove_pending, blocking=True)


def _command_name(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


def available() -> bool:
    return _base() is not None


def _base() -> Path | None:
    key = "base"
    with _setup_lock:
        if key not in _bases:
            _bases[key] = _find_base()
        return _bases[key]


def _find_base() -> Path | None:
    for root, v2 in ((_V2_ROOT, True), (_V1_ROOT, False)):
        if v2 and not _v2_has_pids(root):
            continue
        if not v2 and not (root / "cgroup.procs").exists():
            continue
        base = root / _GROUP
        try:
            base.mkdir(exist_ok=True)
            if v2:
                (base / "cgroup.subtree_control").write_text("+pids\n")
        except OSError:
            continue
        if os.access(base, os.W_OK):
            _remove_stale(base)
            return base
    return None


def _v2_has_pids(root: Path) -> bool:
    try:
        return "pids" in (root / "cgroup.subtree_control").read_text().split()
    except OSError:
        return False


def _remove_stale(base: Path) -> None:
    """Empty cgroups left by harness processes that died; never another live process's."""
    for child in base.iterdir():
        owner = child.name.split("-", 1)[0]
        if not owner.isdigit() or _alive(int(owner)):
            continue
        with contextlib.suppress(OSError):
            child.rmdir()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
