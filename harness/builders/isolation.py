"""Builders run in processes of their own, so user code never takes the harness down.

A builder is user code: it may raise anything, call ``sys.exit`` or ``os._exit``, hang, catch
``KeyboardInterrupt``, print, start daemons, write to any file descriptor it finds, or try to
submit what it built. None of that may cost more than one side of one scenario. The layout::

    harness process ──control──> host process (imports the builders once; no network)
          │                           │ forks a worker per side, per harness process, and again
          │                           │ after a crash
          └────────builds───────> worker process (runs one build at a time)

- The **host** is forked once. It confines itself (:mod:`network_guard`: a syscall filter and a
  network namespace; :mod:`confinement`: dies with the harness, adopts orphans, keeps its output
  to itself), imports the builder modules and then only forks workers, so a worker costs a fork,
  not the second it takes to import hera and kubernetes. The harness process never imports user
  code: an import that exits, hangs or fails is reported as bad input, and the harness lives on.
- A **worker** runs builds one at a time. A build gets the build timeout as an alarm (the failure
  then says where it was stuck) and a hard deadline a little later, past which the harness kills
  the worker's process group and forks a fresh one. Whatever the build started is killed when it
  returns. A worker that dies mid-build (a signal, a C extension's abort) costs that build,
  reported with its exit status and the last lines it printed.
- Everything crossing a process boundary is checked data (:mod:`channel`: length-prefixed JSON,
  size-capped, read with a deadline), never pickle: the other end runs user code, which can write
  to the same socket. A frame that does not answer the request sent is a crash of that side.
- Harness worker processes (``parity run -n N``) are forked from the harness process after the
  host started; each asks the host for workers of its own, over the shared control socket, under
  a lock.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import itertools
import multiprocessing
import os
import signal
import socket
import sys
import tempfile
import time
import traceback
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.reduction import recv_handle, send_handle
from pathlib import Path
from typing import Any, NoReturn

from harness.builders import confinement
from harness.builders.channel import Channel, ChannelError
from harness.builders.fingerprint import BuilderSource, source_of
from harness.builders.result import BuilderError, BuildFailureKind, BuildResult, ExitCalled, run_build
from harness.errors import ParityInputError

DEFAULT_BUILD_TIMEOUT_S = 60.0
# setitimer and select take this at most; a day is longer than any build worth waiting for.
MAX_BUILD_TIMEOUT_S = 86_400.0
# Importing the builders (hera and kubernetes take a second or two, more on a loaded CI machine)
# gets at least this long, whatever a short build timeout says.
MIN_IMPORT_TIMEOUT_S = 30.0
# After the in-worker alarm should have ended a build: time for it to report before the kill.
_KILL_GRACE_S = 5.0
# How long a control request (a fork) may take: the host does nothing else.
_CONTROL_TIMEOUT_S = 30.0
# What a crash report quotes of the worker's own output (stdout and stderr together).
_OUTPUT_TAIL_CHARS = 2000

__all__ = [
    "DEFAULT_BUILD_TIMEOUT_S",
    "MAX_BUILD_TIMEOUT_S",
    "BuilderCrashed",
    "BuilderHost",
    "BuilderRejected",
    "BuilderSource",
    "check_build_timeout",
    "source_of",
]


def check_build_timeout(seconds: float, *, option: str = "--build-timeout") -> float:
    """``seconds`` if it is a usable build timeout, else a ParityInputError naming ``option``."""
    if not 0 < seconds <= MAX_BUILD_TIMEOUT_S:
        raise ParityInputError(
            f"must be more than 0 and at most {MAX_BUILD_TIMEOUT_S:g} seconds (a day), got {seconds:g}", field=option
        )
    return seconds


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
    ``inputs_model`` (``package.module:Model``, None: the python job) and ``call`` (``dict``,
    ``kwargs``, ``model``: :class:`harness.input_models.CallMode`) say how a builder is called:
    the host imports the model too, and each build constructs the call in the worker, from the
    plain inputs sent (``model``: an instance built there).
    After ``start()``, ``sources`` fingerprints each side's code and ``confinement_problems``
    says what of the build confinement this machine could not provide (empty: all of it).
    """

    def __init__(
        self,
        references: Mapping[str, str],
        *,
        build_timeout_s: float = DEFAULT_BUILD_TIMEOUT_S,
        options: Mapping[str, str] | None = None,
        inputs_model: str | None = None,
        call: str = "dict",
    ) -> None:
        from harness.input_models.model import CALL_OPTION, call_mode

        self.references = dict(references)
        self.build_timeout_s = check_build_timeout(build_timeout_s)
        self.inputs_model = inputs_model or None
        self.call = call_mode(call, option=dict(options or {}).get("call", CALL_OPTION))
        # side -> the option that named it, for error messages ("--legacy", "--parity-new")
        self.options = dict(options or {})
        self.confinement_problems: tuple[str, ...] = ()
        self._sources: dict[str, BuilderSource] | None = None
        self._control: Channel | None = None
        self._handoff: socket.socket | None = None
        self._host_pid: int | None = None
        self._lock: Any = None
        # (harness process id, side) -> its worker: each side has its own, so the two builds of a
        # scenario run at once (two cores: the pair costs the slower build, not the sum).
        self._workers: dict[tuple[int, str], _Worker] = {}
        self._output_dir: str | None = None
        self._requests = itertools.count(1)

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        if self._control is not None:
            return
        self._lock = multiprocessing.get_context("fork").Lock()
        self._output_dir = tempfile.mkdtemp(prefix="argo-parity-builders-")
        self._spawn_host()

    def _spawn_host(self) -> None:
        parent_end, host_end = socket.socketpair()
        # Worker sockets are handed over on a socket of their own: the control channel buffers
        # what it reads, and a buffered read would swallow a passed file descriptor.
        handoff, host_handoff = socket.socketpair()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the host process
            parent_end.close()
            handoff.close()
            _host_main(
                Channel(host_end),
                host_handoff,
                self.references,
                self.options,
                self._output_dir or tempfile.gettempdir(),
                self.build_timeout_s,
                _CallPlan(self.inputs_model, self.call.value),
            )
        host_end.close()
        host_handoff.close()
        self._control, self._handoff, self._host_pid = Channel(parent_end), handoff, pid
        what = " and ".join(f"{self.options.get(s, s)} {r}" for s, r in self.references.items())
        import_timeout_s = max(self.build_timeout_s, MIN_IMPORT_TIMEOUT_S)
        try:
            ready = self._control.receive(import_timeout_s)
        except EOFError:
            status = _reap(pid)
            self._host_pid = None
            self.close()
            raise ParityInputError(f"importing the builders ({what}) {status}") from None
        except ChannelError as exc:
            self.close()
            late = "no complete frame in time" in str(exc)
            raise ParityInputError(
                f"importing the builders ({what}) did not finish within {import_timeout_s:g} s"
                if late
                else f"importing the builders ({what}) wrote to the harness's control channel ({exc})"
            ) from None
        try:
            if ready["op"] == "error":
                self.close()
                raise ParityInputError(str(ready["message"]), field=ready.get("option") or None)
            self.confinement_problems = tuple(str(problem) for problem in ready["problems"])
        except (KeyError, TypeError, AssertionError):
            self.close()
            raise ParityInputError(f"importing the builders ({what}) wrote to the harness's control channel") from None

    @property
    def sources(self) -> dict[str, BuilderSource]:
        """Each side's fingerprint (harness.builders.fingerprint): read from files, importing
        nothing, so this process computes it, once, when a fuzz report needs it."""
        if self._sources is None:
            self._sources = {side: source_of(reference) for side, reference in self.references.items()}
        return self._sources

    def close(self) -> None:
        """Stop every worker and the host. Safe to call twice."""
        for worker in self._workers.values():
            if worker.owner == os.getpid():
                worker.kill()
        self._workers.clear()
        if self._control is not None:
            with contextlib.suppress(OSError):
                self._control.close()
            self._control = None
        if self._handoff is not None:
            self._handoff.close()
            self._handoff = None
        if self._host_pid is not None:
            # The host kills its workers and the orphans it adopted when it sees the control
            # channel close; a host that does not is killed (its workers die with it).
            _reap(self._host_pid, grace_s=2.0)
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
        return self.result(self.submit(side, inputs))

    def build_all(self, requests: Sequence[tuple[str, Mapping[str, Any]]]) -> list[BuildResult]:
        """Several builds, all sent before any answer is awaited (one worker per side: the two
        sides of a scenario build at once); results in request order."""
        tickets = [self.submit(side, inputs) for side, inputs in requests]
        return [self.result(ticket) for ticket in tickets]

    def submit(self, side: str, inputs: Mapping[str, Any]) -> BuildTicket:
        """Send a build now, collect it later with :meth:`result`: a caller that submits the next
        scenario's builds before comparing this one's keeps the workers busy (a worker that waits
        between builds runs the next one from cold caches, about 40 % slower)."""
        if side not in self.references:
            raise KeyError(side)
        ticket = BuildTicket(side, dict(inputs))
        self._dispatch(ticket)
        return ticket

    def result(self, ticket: BuildTicket) -> BuildResult:
        """The result of a submitted build, waiting for it (and for the builds queued before it
        on the same worker) as long as the build timeout allows each."""
        while ticket.outcome is None:
            worker = ticket.worker
            assert worker is not None and worker.queue, "a ticket without a result is queued on a worker"
            self._collect_head(worker)
        return ticket.outcome

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

    def _dispatch(self, ticket: BuildTicket) -> None:
        for attempt in range(2):
            worker = self._worker(ticket.side)
            if worker is None:
                ticket.outcome = _lost("the builder host process is gone and could not be restarted")
                return
            ticket.request = next(self._requests)
            try:
                worker.channel.send({"id": ticket.request, "inputs": ticket.inputs})
            except OSError:
                # The worker died between builds (a thread of the builder's ended it): not this
                # build's doing. One fresh worker, then it is.
                self._end(worker)
                if attempt == 0:
                    continue
                ticket.outcome = _lost("the builder process could not be reached")
                return
            ticket.worker = worker
            worker.queue.append(ticket)
            return

    def _collect_head(self, worker: _Worker) -> None:
        """Read the answer to the oldest build queued on ``worker`` (a worker builds in order)."""
        head = worker.queue[0]
        deadline = self.build_timeout_s + _KILL_GRACE_S
        try:
            head.outcome = _result_from_wire(worker.channel.receive(deadline), head.request)
            worker.queue.popleft()
            return
        except EOFError:
            status = self._end(worker)
            head.outcome = _crash("ProcessExit", f"the build {status}{worker.printed()}", BuildFailureKind.EXIT)
        except ChannelError as exc:
            self._end(worker)
            if "no complete frame in time" in str(exc):
                message = f"did not return within {self.build_timeout_s:g} s and did not stop; killed{worker.printed()}"
                error = BuilderError("Timeout", message, BuildFailureKind.TIMEOUT)
                head.outcome = BuildResult(error=error, duration_s=deadline)
            else:
                head.outcome = _tampering(exc)
        except _NotAnAnswer as exc:
            self._end(worker)
            head.outcome = _tampering(exc)
        # The worker is gone with the builds queued behind the one that ended it: none of them
        # started, so each goes to a fresh worker.
        worker.queue.popleft()
        waiting, worker.queue = list(worker.queue), deque()
        for ticket in waiting:
            self._dispatch(ticket)

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
        ours, theirs = socket.socketpair()
        with self._lock:
            try:
                self._control.send({"op": "spawn", "side": side})
                # The harness hands the worker's end over; the host never needs to send one
                # (its syscall filter refuses sendmsg).
                assert self._handoff is not None
                send_handle(self._handoff, theirs.fileno(), self._host_pid or 0)
                answer = self._control.receive(_CONTROL_TIMEOUT_S)
                pid = int(answer["pid"])
            except (EOFError, OSError, ChannelError, KeyError, TypeError, ValueError):
                ours.close()
                return None
            finally:
                theirs.close()
        return _Worker(pid=pid, channel=Channel(ours), owner=os.getpid(), side=side, output_dir=self._output_dir or "")

    def _end(self, worker: _Worker) -> str:
        """Kill ``worker`` and say how it ended."""
        worker.kill()
        if self._workers.get((worker.owner, worker.side)) is worker:
            del self._workers[(worker.owner, worker.side)]
        with contextlib.suppress(OSError):
            worker.channel.close()
        status: int | None = None
        if self._control is not None:
            with self._lock:
                try:
                    self._control.send({"op": "reap", "pid": worker.pid})
                    answer = self._control.receive(_CONTROL_TIMEOUT_S)
                    status = answer["status"] if isinstance(answer.get("status"), int) else None
                except (EOFError, OSError, ChannelError, AttributeError, KeyError):
                    status = None
        return _describe_status(status)


@dataclass
class BuildTicket:
    """A build sent to a worker; ``outcome`` is set once its answer (or its end) is known."""

    side: str
    inputs: dict[str, Any]
    worker: _Worker | None = None
    request: int = 0
    outcome: BuildResult | None = None


@dataclass
class _Worker:
    pid: int
    channel: Channel
    owner: int  # the harness process that asked for it
    side: str
    output_dir: str
    # Builds sent and not yet answered, oldest first: the worker answers in this order.
    queue: deque[BuildTicket] = field(default_factory=deque)

    def kill(self) -> None:
        # The worker leads its own process group: whatever the builder started goes with it.
        with contextlib.suppress(OSError):
            os.killpg(self.pid, signal.SIGKILL)

    def printed(self) -> str:
        """``; it printed: ...``: the last lines of the worker's output, for a crash report."""
        try:
            data = Path(self.output_dir, f"{self.pid}.out").read_bytes()
        except OSError:
            return ""
        text = data[-_OUTPUT_TAIL_CHARS:].decode("utf-8", errors="replace").strip()
        tail = " | ".join(line for line in text.splitlines()[-10:] if line.strip())
        return f"; it printed: {tail}" if tail else ""


class _NotAnAnswer(Exception):
    """A well-formed frame that is not the answer to the request sent."""


def _result_from_wire(answer: Any, request: int) -> BuildResult:
    if not isinstance(answer, dict) or answer.get("id") != request:
        raise _NotAnAnswer("a frame that does not answer the build request")
    manifest, error, duration = answer.get("manifest"), answer.get("error"), answer.get("duration_s")
    if not isinstance(duration, int | float) or (manifest is None) == (error is None):
        raise _NotAnAnswer("a malformed answer")
    if manifest is not None:
        if not isinstance(manifest, dict):
            raise _NotAnAnswer("a manifest that is not a mapping")
        return BuildResult(manifest=manifest, duration_s=float(duration))
    if not isinstance(error, dict) or not all(isinstance(error.get(k), str) for k in ("type", "message", "kind")):
        raise _NotAnAnswer("a malformed error")
    try:
        kind = BuildFailureKind(error["kind"])
    except ValueError:
        raise _NotAnAnswer(f"an unknown failure kind {error['kind']!r}") from None
    return BuildResult(error=BuilderError(error["type"], error["message"], kind), duration_s=float(duration))


def _result_to_wire(result: BuildResult, request: Any) -> dict[str, Any]:
    return {
        "id": request,
        "manifest": result.manifest,
        "error": result.error.to_dict() if result.error else None,
        "duration_s": result.duration_s,
    }


def _tampering(problem: Exception) -> BuildResult:
    return _crash(
        "ChannelTampering",
        f"the build wrote to the harness's channel ({problem}); its process was killed",
        BuildFailureKind.EXCEPTION,
    )


def _crash(kind_name: str, message: str, kind: BuildFailureKind) -> BuildResult:
    return BuildResult(error=BuilderError(kind_name, message, kind))


def _lost(message: str) -> BuildResult:
    return _crash("ProcessExit", message, BuildFailureKind.EXIT)


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


@dataclass(frozen=True)
class _CallPlan:
    """How the host's workers call a builder: the input model's reference and the call mode."""

    inputs_model: str | None = None
    call: str = "dict"

    def caller(self, builder: Callable[..., Any], options: Mapping[str, str]) -> Callable[[Any], Any]:
        """``builder`` called this plan's way on plain inputs (the model imported here, in the
        host, so a worker only builds the instance)."""
        if self.inputs_model is None and self.call == "dict":
            return builder
        from harness.input_models.model import INPUTS_MODEL_OPTION, InputModel

        option = options.get("inputs_model", INPUTS_MODEL_OPTION)
        return InputModel.from_reference(self.inputs_model, option=option).caller(builder, self.call)


def _planned(
    builders: dict[str, Callable[..., Any]], plan: _CallPlan, options: Mapping[str, str], guard: Any
) -> tuple[dict[str, Callable[..., Any]], tuple[str, str] | None]:
    """Each side's builder called ``plan``'s way, or (message, option) for why it cannot be."""
    option = options.get("inputs_model", "--inputs-model")
    try:
        planned = {side: plan.caller(builder, options) for side, builder in builders.items()}
    except ParityInputError as exc:
        return builders, (exc.message, exc.field or option)
    except BaseException as exc:  # whatever the model's module did at import
        return builders, (f"importing {plan.inputs_model!r} raised {type(exc).__name__}: {exc}", option)
    attempts = guard.take()
    if attempts:
        tried = ", ".join(dict.fromkeys(attempt.describe() for attempt in attempts))
        return builders, (f"importing {plan.inputs_model!r} tried to use the network: {tried}", option)
    return planned, None


def _host_main(
    control: Channel,
    handoff: socket.socket,
    references: Mapping[str, str],
    options: Mapping[str, str],
    output_dir: str,
    timeout_s: float,
    plan: _CallPlan | None = None,
) -> NoReturn:
    """Confine this process, import the builders, then serve worker forks until the harness
    closes the control channel."""
    exit_now = confinement.real_exit()
    try:
        confinement.die_with_parent()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the harness's to handle
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        confinement.adopt_orphans()
        confinement.redirect_output(Path(output_dir, f"{os.getpid()}.out"))
        from harness.builders.network_guard import NetworkGuard, confine_network

        no_filter, no_namespace = confine_network()
        guard = NetworkGuard()
        guard.install()
        confinement.intercept_os_exit()
        builders: dict[str, Callable[..., Any]] = {}
        for side, reference in references.items():
            option = options.get(side, side)
            try:
                builders[side] = _import_builder(reference, option)
            except ParityInputError as exc:
                control.send({"op": "error", "message": exc.message, "option": option})
                exit_now(0)
            attempts = guard.take()
            if attempts:
                tried = ", ".join(dict.fromkeys(attempt.describe() for attempt in attempts))
                message = f"importing {reference!r} tried to use the network: {tried}"
                control.send({"op": "error", "message": message, "option": option})
                exit_now(0)
        if plan is not None:
            builders, problem = _planned(builders, plan, options, guard)
            if problem is not None:
                control.send({"op": "error", "message": problem[0], "option": problem[1]})
                exit_now(0)
        # Whatever the imports started (a daemon thread's subprocess, a forked helper) ends here.
        confinement.kill_children()
        # Workers inherit the imported modules; a garbage collection in a worker would walk (and
        # so copy, page by page) every one of their objects at each build. Frozen, they are left
        # out of collections: builds in a worker run as fast as in the process that imported.
        gc.freeze()
        problems = [problem for problem in (no_filter,) if problem]
        if no_namespace and no_filter:
            problems.append(f"no network namespace: {no_namespace}")
        control.send({"op": "ready", "problems": problems})
        _serve_forks(control, handoff, builders, guard, output_dir, timeout_s)
    except BaseException:  # the host must never unwind into the harness's code
        with contextlib.suppress(BaseException):
            message = "the builder host failed: " + traceback.format_exc(limit=3)
            control.send({"op": "error", "message": message, "option": None})
    exit_now(0)


def _serve_forks(
    control: Channel,
    handoff: socket.socket,
    builders: Mapping[str, Callable[..., Any]],
    guard: Any,
    output_dir: str,
    timeout_s: float,
) -> None:
    workers: set[int] = set()
    while True:
        try:
            request = control.receive(None)
        except (EOFError, OSError, ChannelError):
            break
        op = request.get("op") if isinstance(request, dict) else None
        if op == "spawn" and request.get("side") in builders:
            fd = recv_handle(handoff)
            pid = os.fork()
            if pid == 0:
                control.close()
                handoff.close()
                _worker_main(Channel(socket.socket(fileno=fd)), builders[request["side"]], guard, output_dir, timeout_s)
            os.close(fd)
            workers.add(pid)
            control.send({"pid": pid})
        elif op == "reap" and isinstance(request.get("pid"), int):
            status: int | None
            try:
                _, status = os.waitpid(request["pid"], 0)
            except ChildProcessError:
                status = None
            workers.discard(request["pid"])
            control.send({"status": status})
        else:
            break  # not the harness speaking: stop serving rather than guess
        # Orphans a builder left (adopted, since this process is their subreaper): killed.
        confinement.kill_children(keep=frozenset(workers))
    # The harness is done (or gone): every worker and orphan goes with this process.
    confinement.kill_children()


def _worker_main(
    channel: Channel,
    builder: Callable[..., Any],
    guard: Any,
    output_dir: str,
    timeout_s: float,
) -> NoReturn:
    exit_now = confinement.real_exit()
    try:
        os.setsid()  # its own process group: killed with everything it starts
        confinement.die_with_parent()
        confinement.adopt_orphans()
        confinement.redirect_output(Path(output_dir, f"{os.getpid()}.out"))
        confinement.intercept_os_exit()
        while True:
            try:
                request = channel.receive(None)
            except (EOFError, OSError, ChannelError):
                break
            if not isinstance(request, dict) or not isinstance(request.get("inputs"), dict):
                break
            confinement.truncate_output()  # a crash report quotes only this build's output
            guard.take()
            result = run_build(builder, request["inputs"], timeout_s=timeout_s, network_attempts=guard.take)
            # Nothing the build started outlives it.
            confinement.kill_children()
            try:
                channel.send(_result_to_wire(result, request.get("id")))
            except (ValueError, RecursionError) as exc:  # not JSON after all (NaN slipped through)
                failure = BuildResult(
                    error=BuilderError(
                        type(exc).__name__, f"the manifest cannot be sent: {exc}", BuildFailureKind.NOT_A_MANIFEST
                    ),
                    duration_s=result.duration_s,
                )
                channel.send(_result_to_wire(failure, request.get("id")))
    except BaseException:  # a worker must end here, never in the host's loop
        pass
    exit_now(0)


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
    except BaseException as exc:  # whatever the module raised at import
        raise ParityInputError(f"importing {reference!r} raised {type(exc).__name__}: {exc}{_origin(exc)}") from None


def _origin(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    user = [frame for frame in frames if "importlib" not in frame.filename and "/harness/" not in frame.filename]
    if not user:
        return ""
    return f" (at {user[-1].filename}:{user[-1].lineno})"
