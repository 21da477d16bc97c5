"""Builders run in processes of their own, so user code never takes the harness down.

A builder is user code: it may raise anything, call ``sys.exit`` or ``os._exit``, hang, catch
``KeyboardInterrupt``, print, or try to submit what it built. None of that may cost more than
one side of one scenario. The layout::

    harness process ──control──> host process (imports the builders once, no network)
          │                           │ fork, per harness process, and again after a crash
          └────────builds───────> worker process (runs builds one at a time)

- The **host** is forked once. It leaves the network (``network_guard``), imports the builder
  modules, fingerprints their source, and then only forks workers, so a worker costs a fork,
  not the second it takes to import hera and kubernetes. The harness process never imports user
  code: an import that exits, hangs or fails is reported as bad input, and the harness lives on.
- A **worker** runs builds sent over its own socket. A build gets the build timeout as an alarm
  (the failure then says where it was stuck) and a hard deadline a little later, past which the
  harness kills the worker's whole process group and forks a fresh one. A worker that dies
  mid-build (``os._exit``, a signal, a C extension's abort) costs that build, reported with its
  exit status and the last lines it printed.
- Harness worker processes (``parity run -n N``) are forked from the harness process after the
  host started; each asks the host for a worker of its own, over the shared control socket
  under a lock.

Everything sent is plain data: inputs in, a ``BuildResult`` (a JSON-ready manifest or an error)
back.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import multiprocessing
import os
import signal
import socket
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.reduction import recv_handle, send_handle
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

from harness.builders.result import BuilderError, BuildResult, ExitCalled, FailureKind, run_build
from harness.errors import ParityInputError

DEFAULT_BUILD_TIMEOUT_S = 60.0
# Importing the builders (hera and kubernetes take a second or two, more on a loaded CI machine)
# gets at least this long, whatever a short build timeout says.
MIN_IMPORT_TIMEOUT_S = 30.0
# After the in-worker alarm should have ended a build: time for it to report before the kill.
_KILL_GRACE_S = 5.0
# What a crash report quotes of the worker's own output (stdout and stderr together).
_OUTPUT_TAIL_CHARS = 2000
# A package folder this large is not a builder's own code (a monorepo root): hash the module alone.
_MAX_FINGERPRINT_FILES = 5000
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class BuilderSource:
    """Which code a builder reference ran: the evidence a saved fuzz report is bound to."""

    reference: str
    files: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"reference": self.reference, "files": self.files, "sha256": self.sha256}


class BuilderCrashed(RuntimeError):
    """Raised by :meth:`BuilderHost.callable` for a build that failed other than by refusing the
    input; its ``error`` says how. The class raised is a subclass named after the builder's own
    exception type (``RuntimeError``, ``Timeout``, ``SystemExit``...), so whatever reports the
    failure by type name (the feature-flag router's fallback reasons) reads as it would in-process."""

    def __init__(self, error: BuilderError) -> None:
        super().__init__(error.message)
        self.error = error


class BuilderRejected(ValueError):
    """Raised by :meth:`BuilderHost.callable` for a build the builder refused (a ValueError, as
    in-process), also subclassed under the builder's own exception type name."""

    def __init__(self, error: BuilderError) -> None:
        super().__init__(error.message)
        self.error = error


@functools.cache
def _remote_exception(type_name: str, rejected: bool) -> type[BuilderCrashed | BuilderRejected]:
    base: type[BuilderCrashed | BuilderRejected] = BuilderRejected if rejected else BuilderCrashed
    name = type_name if type_name.isidentifier() else base.__name__
    return type(name, (base,), {"__module__": "harness.builders.isolation.remote"})


class BuilderHost:
    """Runs ``build(side, inputs)`` for named builder references in isolated processes.

    ``references`` maps a side name ("legacy", "new") to ``package.module:attr``. ``start()``
    imports them in the host process and raises ``ParityInputError`` (naming the reference and
    what went wrong) if any cannot be imported; nothing of the user's runs in this process.
    """

    def __init__(
        self,
        references: Mapping[str, str],
        *,
        build_timeout_s: float = DEFAULT_BUILD_TIMEOUT_S,
        options: Mapping[str, str] | None = None,
    ) -> None:
        self.references = dict(references)
        self.build_timeout_s = build_timeout_s
        # side -> the option that named it, for error messages ("--legacy", "--parity-new")
        self.options = dict(options or {})
        self.sources: dict[str, BuilderSource] = {}
        # Why builds are not in a network namespace of their own (None: they are).
        self.network_isolation_problem: str | None = None
        self._control: Connection | None = None
        self._host_pid: int | None = None
        self._lock: Any = None
        # (harness process id, side) -> its worker: each side has its own, so the two builds of a
        # scenario run at once (two cores: the pair costs the slower build, not the sum).
        self._workers: dict[tuple[int, str], _Worker] = {}
        self._output_dir: str | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        if self._control is not None:
            return
        context = multiprocessing.get_context("fork")
        self._lock = context.Lock()
        self._output_dir = tempfile.mkdtemp(prefix="argo-parity-builders-")
        self._spawn_host()

    def _spawn_host(self) -> None:
        parent_end, host_end = socket.socketpair()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the host process
            parent_end.close()
            _host_main(
                Connection(host_end.detach()),
                self.references,
                self.options,
                self._output_dir or tempfile.gettempdir(),
                self.build_timeout_s,
            )
        host_end.close()
        control = Connection(parent_end.detach())
        self._control, self._host_pid = control, pid
        what = " and ".join(f"{self.options.get(s, s)} {r}" for s, r in self.references.items())
        import_timeout_s = max(self.build_timeout_s, MIN_IMPORT_TIMEOUT_S)
        try:
            if not control.poll(import_timeout_s):
                self.close()
                raise ParityInputError(f"importing the builders ({what}) did not finish within {import_timeout_s:g} s")
            ready = control.recv()
        except (EOFError, OSError):
            ready = None
        if ready is None:
            status = _reap(pid)
            self._host_pid = None
            self.close()
            raise ParityInputError(f"importing the builders ({what}) {status}")
        if ready[0] != "ready":
            self.close()
            raise ParityInputError(str(ready[1]), field=str(ready[2]) if ready[2] else None)
        self.sources = ready[1]
        self.network_isolation_problem = ready[2]

    def close(self) -> None:
        """Stop every worker and the host. Safe to call twice, and from atexit."""
        for worker in self._workers.values():
            if worker.owner == os.getpid():
                worker.kill()
        self._workers.clear()
        if self._control is not None:
            with contextlib.suppress(OSError):
                self._control.close()
            self._control = None
        if self._host_pid is not None:
            _reap(self._host_pid, grace_s=0.0)
            self._host_pid = None
        if self._output_dir is not None:
            import shutil

            shutil.rmtree(self._output_dir, ignore_errors=True)
            self._output_dir = None

    def __enter__(self) -> BuilderHost:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- builds --------------------------------------------------------------------------------

    def build(self, side: str, inputs: Mapping[str, Any]) -> BuildResult:
        """Build ``inputs`` with the ``side`` builder; never raises for anything the builder does."""
        return self.build_all([(side, inputs)])[0]

    def build_all(self, requests: Sequence[tuple[str, Mapping[str, Any]]]) -> list[BuildResult]:
        """Several builds at once, one per side (each side's worker takes its request before any
        answer is awaited); results in request order."""
        sides = [side for side, _ in requests]
        if len(set(sides)) != len(sides):
            return [result for request in requests for result in self.build_all([request])]
        sent: list[_Worker | BuildResult] = [self._send(side, inputs) for side, inputs in requests]
        return [item if isinstance(item, BuildResult) else self._await(item) for item in sent]

    def _send(self, side: str, inputs: Mapping[str, Any]) -> _Worker | BuildResult:
        if side not in self.references:
            raise KeyError(side)
        for attempt in range(2):
            worker = self._worker(side)
            if worker is None:
                return _lost("the builder host process is gone and could not be restarted")
            try:
                worker.connection.send((side, dict(inputs)))
            except OSError:
                # The worker died between builds (a thread of the builder's ended it): not this
                # build's doing. One fresh worker, then it is.
                self._discard(worker)
                if attempt == 0:
                    continue
                return _lost("the builder process could not be reached")
            return worker
        raise AssertionError("unreachable")  # pragma: no cover

    def callable(self, side: str) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
        """``side`` as a plain builder callable (for the feature-flag router), each call an
        isolated build: a refusal comes back as a ``BuilderRejected`` (a ValueError), any other
        failure as a ``BuilderCrashed``, each named after the builder's own exception type."""

        def build(inputs: Mapping[str, Any]) -> dict[str, Any]:
            result = self.build(side, inputs)
            if result.error is not None:
                raise _remote_exception(result.error.type, result.error.rejected)(result.error)
            assert result.manifest is not None
            return result.manifest

        return build

    def _await(self, worker: _Worker) -> BuildResult:
        deadline = self.build_timeout_s + _KILL_GRACE_S
        try:
            ready = worker.connection.poll(deadline)
            if ready:
                result = worker.connection.recv()
                if isinstance(result, BuildResult):
                    return result
        except (EOFError, OSError):
            ready = True
        # Dead (EOF), hung past the alarm, or answering garbage: kill it, say what happened.
        status = self._end(worker)
        output = worker.output_tail()
        said = f"; it printed: {output}" if output else ""
        if not ready:
            return BuildResult(
                error=BuilderError(
                    "Timeout",
                    f"did not return within {self.build_timeout_s:g} s and did not stop; killed{said}",
                    FailureKind.TIMEOUT,
                ),
                duration_s=deadline,
            )
        return BuildResult(error=BuilderError("ProcessExit", f"the build {status}{said}", FailureKind.EXIT))

    def _worker(self, side: str) -> _Worker | None:
        key = (os.getpid(), side)
        worker = self._workers.get(key)
        if worker is not None:
            return worker
        worker = self._spawn_worker(side)
        if worker is None:
            return None
        self._workers[key] = worker
        return worker

    def _spawn_worker(self, side: str) -> _Worker | None:
        if self._control is None:
            raise RuntimeError("BuilderHost.start() was not called")
        with self._lock:
            try:
                self._control.send(("spawn",))
                pid = self._control.recv()
                fd = recv_handle(self._control)
            except (EOFError, OSError):
                return None
        return _Worker(
            pid=pid, connection=Connection(fd), owner=os.getpid(), side=side, output_dir=self._output_dir or ""
        )

    def _end(self, worker: _Worker) -> str:
        worker.kill()
        self._discard(worker)
        status = None
        if self._control is not None:
            with self._lock:
                try:
                    self._control.send(("reap", worker.pid))
                    status = self._control.recv()
                except (EOFError, OSError):
                    status = None
        return _describe_status(status)

    def _discard(self, worker: _Worker) -> None:
        if self._workers.get((worker.owner, worker.side)) is worker:
            del self._workers[(worker.owner, worker.side)]
        with contextlib.suppress(OSError):
            worker.connection.close()


@dataclass
class _Worker:
    pid: int
    connection: Connection
    owner: int  # the harness process that asked for it
    side: str
    output_dir: str

    def kill(self) -> None:
        # The worker leads its own process group: whatever the builder started goes with it.
        with contextlib.suppress(OSError):
            os.killpg(self.pid, signal.SIGKILL)

    def output_tail(self) -> str:
        try:
            data = Path(self.output_dir, f"{self.pid}.out").read_bytes()
        except OSError:
            return ""
        text = data[-_OUTPUT_TAIL_CHARS:].decode("utf-8", errors="replace").strip()
        return " | ".join(line for line in text.splitlines()[-10:] if line.strip())


def _lost(message: str) -> BuildResult:
    return BuildResult(error=BuilderError("ProcessExit", message, FailureKind.EXIT))


def _reap(pid: int, *, grace_s: float = 1.0) -> str:
    """How process ``pid`` (a child of this one) ended: given ``grace_s`` to end on its own, then
    killed."""
    deadline = time.monotonic() + grace_s
    while True:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return _describe_status(None)
        if done:
            return _describe_status(status)
        if time.monotonic() >= deadline:
            break
        time.sleep(0.01)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return _describe_status(None)
    return _describe_status(status)


def _describe_status(status: int | None) -> str:
    if status is None:
        return "ended its process"
    if os.WIFEXITED(status):
        return f"ended its process with exit code {os.WEXITSTATUS(status)}"
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = str(number)
        return f"ended its process by signal {name}"
    return "ended its process"


# --- the host process ----------------------------------------------------------------------------


def _host_main(
    control: Connection,
    references: Mapping[str, str],
    options: Mapping[str, str],
    output_dir: str,
    timeout_s: float,
) -> NoReturn:
    """Import the builders and serve worker forks until the harness closes the control socket."""
    real_exit = os._exit
    try:
        _die_with_parent()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the harness's to handle
        _redirect_output(Path(output_dir, f"{os.getpid()}.out"))
        from harness.builders.network_guard import NetworkGuard, isolate_network

        network_problem = isolate_network()
        guard = NetworkGuard()
        guard.install()
        _intercept_os_exit()
        builders: dict[str, Callable[..., Any]] = {}
        for side, reference in references.items():
            option = options.get(side, side)
            try:
                builders[side] = _import_builder(reference, option)
            except ParityInputError as exc:
                control.send(("error", exc.message, option))
                real_exit(0)
            attempts = guard.take()
            if attempts:
                tried = ", ".join(dict.fromkeys(attempt.describe() for attempt in attempts))
                control.send(("error", f"importing {reference!r} tried to use the network: {tried}", option))
                real_exit(0)
        sources = {side: _fingerprint(reference) for side, reference in references.items()}
        control.send(("ready", sources, network_problem))
        _serve_forks(control, builders, guard, output_dir, timeout_s, real_exit)
    except BaseException:
        with contextlib.suppress(BaseException):
            control.send(("error", "the builder host failed: " + traceback.format_exc(limit=3), None))
    real_exit(0)


def _serve_forks(
    control: Connection,
    builders: Mapping[str, Callable[..., Any]],
    guard: Any,
    output_dir: str,
    timeout_s: float,
    real_exit: Callable[[int], NoReturn],
) -> None:
    while True:
        try:
            request = control.recv()
        except (EOFError, OSError):
            real_exit(0)
        if request[0] == "spawn":
            parent_end, worker_end = socket.socketpair()
            pid = os.fork()
            if pid == 0:
                control.close()
                parent_end.close()
                _worker_main(Connection(worker_end.detach()), builders, guard, output_dir, timeout_s, real_exit)
            worker_end.close()
            control.send(pid)
            send_handle(control, parent_end.fileno(), os.getppid())
            parent_end.close()
        elif request[0] == "reap":
            try:
                _, status = os.waitpid(request[1], 0)
            except ChildProcessError:
                status = None
            control.send(status)
        # Workers that ended on their own since: reaped, so no zombies pile up.
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass


def _worker_main(
    connection: Connection,
    builders: Mapping[str, Callable[..., Any]],
    guard: Any,
    output_dir: str,
    timeout_s: float,
    real_exit: Callable[[int], NoReturn],
) -> NoReturn:
    try:
        os.setsid()  # its own process group: killed with everything it starts
        _die_with_parent()
        output = _redirect_output(Path(output_dir, f"{os.getpid()}.out"))
        _intercept_os_exit()
        while True:
            try:
                side, inputs = connection.recv()
            except (EOFError, OSError):
                real_exit(0)
            # Only the last build's output is kept: a crash report quotes it.
            os.ftruncate(output, 0)
            os.lseek(output, 0, os.SEEK_SET)
            guard.take()
            result = run_build(builders[side], inputs, timeout_s=timeout_s, network_attempts=guard.take)
            connection.send(result)
    except BaseException:
        pass
    real_exit(0)


def _import_builder(reference: str, option: str) -> Callable[..., Any]:
    from harness.builders import resolve_builder

    try:
        return resolve_builder(reference, option=option)
    except ParityInputError:
        raise
    except ExitCalled as exc:
        raise ParityInputError(f"importing {reference!r} called os._exit({exc.code}){_origin(exc)}") from None
    except SystemExit as exc:
        raise ParityInputError(f"importing {reference!r} called sys.exit({exc.code!r}){_origin(exc)}") from None
    except SyntaxError as exc:
        where = f" ({exc.filename}, line {exc.lineno})" if exc.filename else ""
        raise ParityInputError(f"cannot import {reference!r}: syntax error: {exc.msg}{where}") from None
    except BaseException as exc:
        raise ParityInputError(f"importing {reference!r} raised {type(exc).__name__}: {exc}{_origin(exc)}") from None


def _origin(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    user = [frame for frame in frames if "importlib" not in frame.filename and "/harness/" not in frame.filename]
    if not user:
        return ""
    return f" (at {user[-1].filename}:{user[-1].lineno})"


def source_of(reference: str) -> BuilderSource:
    """The fingerprint of ``reference`` as this process would import it (its module imported
    here if it is not yet): what ``BuilderHost.sources`` reports from the host process."""
    import importlib

    importlib.import_module(reference.removeprefix("capture:").partition(":")[0])
    return _fingerprint(reference)


def _fingerprint(reference: str) -> BuilderSource:
    """sha256 over the builder's own code: its module's package folder (every file, recursively),
    or the module file alone for a top-level module, so a saved fuzz report stops counting as
    evidence as soon as the code it fuzzed changes."""
    target = reference.removeprefix("capture:")
    module_name = target.partition(":")[0]
    module: ModuleType | None = sys.modules.get(module_name)
    file = getattr(module, "__file__", None)
    digest = hashlib.sha256(reference.encode())
    if not file:
        return BuilderSource(reference, 0, digest.hexdigest())
    path = Path(file)
    in_package = "." in module_name or getattr(module, "__path__", None) is not None
    files = sorted(_source_files(path.parent)) if in_package else [path]
    if len(files) > _MAX_FINGERPRINT_FILES:
        files = [path]
    for item in files:
        digest.update(str(item.relative_to(path.parent)).encode() + b"\0")
        with contextlib.suppress(OSError):
            digest.update(item.read_bytes())
    return BuilderSource(reference, len(files), digest.hexdigest())


def _source_files(folder: Path) -> list[Path]:
    found: list[Path] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"]
        found.extend(Path(root, name) for name in names if not name.endswith((".pyc", ".pyo")))
        if len(found) > _MAX_FINGERPRINT_FILES:
            break
    return found


def _intercept_os_exit() -> None:
    """``os._exit`` in this process raises ExitCalled instead, so the build that called it is
    reported and the worker lives; in processes a builder forks, it exits as usual."""
    real_exit = os._exit
    me = os.getpid()

    def intercepted(code: int) -> NoReturn:
        if os.getpid() != me:
            real_exit(code)
        raise ExitCalled(code)

    os._exit = intercepted  # type: ignore[assignment]


def _redirect_output(path: Path) -> int:
    """Send this process's stdout and stderr (file descriptors 1 and 2) to ``path``: a builder's
    prints must not reach the harness's console, where they could carry a secret."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    return 1


def _die_with_parent() -> None:
    """Linux: be killed when the process that forked this one dies, so nothing is left behind
    by a harness that was itself killed."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
