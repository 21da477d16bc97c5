"""No network while user code builds a manifest.

A builder that submits what it builds (``create_namespaced_custom_object``, ``Workflow.create()``)
or fetches anything would reach a real cluster or service from a test run. Three layers stop it,
because each alone leaks:

- **a syscall filter** (seccomp, through libseccomp's ``pyseccomp`` binding): ``connect``,
  ``sendmsg``/``sendmmsg`` and ``sendto`` with an address fail with EPERM in the process that
  imports and runs builders and in everything it starts, ``curl`` and ``kubectl`` included. It
  also covers unix sockets (``/var/run/docker.sock`` is as good as root on the host), which a
  network namespace does not. This is the layer a verdict relies on: without it the run says so
  (:func:`confine_network` returns why) and the gate is INCONCLUSIVE.
- **a network namespace** (``unshare(CLONE_NEWNET)``; inside a user namespace for a non-root
  user): no interface is up, so even a syscall the filter does not know has no route out. Docker's
  default seccomp profile refuses it; the filter above still holds there.
- **the socket module**: every Python entry point that resolves a name or opens a connection is
  replaced by one that records the attempt (host and port) and refuses it, so the report can say
  *what* the builder tried to reach, and a builder that catches the refusal still fails its side.
"""

from __future__ import annotations

import ctypes
import errno
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000
# Names that resolve from /etc/hosts without a query leaving the machine; connecting to them is
# still refused by the connect guard.
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", ""})


@dataclass(frozen=True)
class NetworkAttempt:
    """One refused attempt: what was called and where it was going."""

    call: str
    host: str
    port: int | None = None

    @property
    def target(self) -> str:
        return f"{self.host}:{self.port}" if self.port is not None else self.host

    def describe(self) -> str:
        return f"{self.call} to {self.target}"


class NetworkBlockedError(ConnectionRefusedError):
    """Raised in place of a connection or a name lookup during a build. A ConnectionRefusedError,
    so HTTP clients fail the way they would on a refused connection instead of in odd ways."""

    def __init__(self, attempt: NetworkAttempt) -> None:
        super().__init__(errno.ECONNREFUSED, f"argo-parity: no network during a build ({attempt.describe()} refused)")
        self.attempt = attempt


class NetworkGuard:
    """Records and refuses network use through the ``socket`` module once installed.

    ``attempts`` grows until :meth:`take` empties it: the build runner takes them after each build.
    """

    def __init__(self) -> None:
        self.attempts: list[NetworkAttempt] = []
        self._own_names = _own_host_names()

    def take(self) -> tuple[NetworkAttempt, ...]:
        taken, self.attempts = tuple(self.attempts), []
        return taken

    def install(self) -> None:
        """Patch the socket module of this process (a builder worker: never the harness's own)."""
        sock = socket.socket
        sock.connect = self._guard_address("connect", sock.connect)  # type: ignore[method-assign]
        sock.connect_ex = self._guard_address("connect", sock.connect_ex)  # type: ignore[method-assign]
        sock.sendto = self._guard_sendto(sock.sendto)  # type: ignore[method-assign]
        socket.getaddrinfo = self._guard_lookup("resolve", socket.getaddrinfo)
        socket.gethostbyname = self._guard_lookup("resolve", socket.gethostbyname)
        socket.gethostbyname_ex = self._guard_lookup("resolve", socket.gethostbyname_ex)

    def _refuse(self, attempt: NetworkAttempt) -> NetworkBlockedError:
        self.attempts.append(attempt)
        return NetworkBlockedError(attempt)

    def _guard_address(self, call: str, original: Callable[..., Any]) -> Callable[..., Any]:
        guard = self

        def guarded(self: socket.socket, address: Any, *args: Any) -> Any:
            host, port = _split_address(address)
            raise guard._refuse(NetworkAttempt(call, host, port))

        return guarded

    def _guard_sendto(self, original: Callable[..., Any]) -> Callable[..., Any]:
        guard = self

        def guarded(self: socket.socket, data: Any, *args: Any) -> Any:
            address = args[-1] if args else None
            host, port = _split_address(address)
            raise guard._refuse(NetworkAttempt("send", host, port))

        return guarded

    def _guard_lookup(self, call: str, original: Callable[..., Any]) -> Callable[..., Any]:
        guard = self

        def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
            name = host.decode() if isinstance(host, bytes) else str(host) if host is not None else ""
            if name.lower() in _LOCAL_NAMES or name in guard._own_names or _is_numeric_address(name):
                # Answered from /etc/hosts or by parsing: no query leaves the machine.
                return original(host, *args, **kwargs)
            port = args[0] if args and isinstance(args[0], int) else kwargs.get("port")
            raise guard._refuse(NetworkAttempt(call, name, port if isinstance(port, int) else None))

        return guarded


def confine_network() -> tuple[str | None, str | None]:
    """Apply the kernel layers to this process (and so to everything it forks or runs):
    ``(why the syscall filter is missing, why the namespace is missing)``, None where it holds.

    Call it in a single-threaded process (a freshly forked child) before user code runs.
    """
    namespace = isolate_network()
    return deny_network_syscalls(), namespace


def deny_network_syscalls() -> str | None:
    """Load a seccomp filter that refuses outgoing connections and addressed sends; None on
    success, else why not. A process's filters are inherited by its children and kept across
    exec, and cannot be removed."""
    try:
        import pyseccomp as seccomp
    except ImportError as exc:
        return f"no syscall filter: pyseccomp is not importable ({exc})"
    except OSError as exc:  # libseccomp.so missing
        return f"no syscall filter: libseccomp is not installed ({exc})"
    refuse = seccomp.ERRNO(errno.EPERM)
    try:
        rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        rules.add_rule(refuse, "connect")
        rules.add_rule(refuse, "sendmsg")
        rules.add_rule(refuse, "sendmmsg")
        # sendto with no address is send() on a connected socket (the harness's own channel);
        # with one, it is a datagram to anywhere.
        rules.add_rule(refuse, "sendto", seccomp.Arg(4, seccomp.NE, 0))
        rules.load()
    except (OSError, RuntimeError, ValueError) as exc:
        return f"no syscall filter: the kernel refused it ({exc})"
    return None


def isolate_network() -> str | None:
    """Move this process into a new, empty network namespace; None on success, else why not.

    Call it in a single-threaded process (a freshly forked child): a user namespace can only be
    entered by one.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError as exc:  # pragma: no cover - every Linux libc loads
        return f"libc not loadable: {exc}"
    if not hasattr(libc, "unshare"):
        return "unshare(2) is not available on this platform"
    if libc.unshare(_CLONE_NEWNET) == 0:
        return None
    first = ctypes.get_errno()
    # Without CAP_SYS_ADMIN a network namespace needs a user namespace of its own, in which this
    # user keeps its own uid and gid (mapped one to one), so files read and write as before.
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) != 0:
        return f"unshare refused ({os.strerror(first)}; with a user namespace: {os.strerror(ctypes.get_errno())})"
    try:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    except OSError as exc:
        return f"user namespace entered but not mapped: {exc}"
    return None


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="ascii") as handle:
        handle.write(text)


def _split_address(address: Any) -> tuple[str, int | None]:
    if isinstance(address, tuple) and address:
        host = address[0]
        port = address[1] if len(address) > 1 and isinstance(address[1], int) else None
        return (host.decode() if isinstance(host, bytes) else str(host)), port
    if isinstance(address, str | bytes):  # a unix socket path: the Docker daemon, a local agent
        return (address.decode(errors="replace") if isinstance(address, bytes) else address), None
    return repr(address), None


def _is_numeric_address(name: str) -> bool:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, name)
        except (OSError, ValueError):
            continue
        return True
    return False


def _own_host_names() -> frozenset[str]:
    # socket.getfqdn() and friends look up the machine's own name (email.utils.make_msgid does):
    # answered locally, and refusing it would fail innocent builders.
    try:
        return frozenset({socket.gethostname()})
    except OSError:  # pragma: no cover
        return frozenset()
