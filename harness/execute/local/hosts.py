"""Name resolution of the package index: done by the harness, once per name for all its pods.

Pods never resolve names themselves any more: a sandbox has no network to send a query on, and the
index proxy (``index_proxy``) resolves on the host the names it lets pods reach. It does so
through this cache, because every installing pod used to send its own queries for the package
index's hosts (``pypi.org``, ``files.pythonhosted.org``: an A and an AAAA query each): a run with
6 such pods at once sent about 24 queries in a few milliseconds. A resolver that drops a query of
such a burst (this project's machine's does: 2 of 60 lookups made back to back, 18 to 48 of 120
made 12 at a time) leaves glibc waiting for its retransmission timeout, ``timeout:5`` in
resolv.conf's defaults, so that pod's install took 5 s longer. It showed as ``parity run -n 2``
taking 5 s longer than ``-n 1``: more pods at once, bigger bursts.

So each name is resolved once per process (one lookup at a time per name, however many pods ask;
answers kept ``TTL_S``) with ``getaddrinfo``. The docker executor, whose installing containers do
resolve names themselves, gets the same answers as ``extra_hosts`` (``pinned``).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterable

# uv's (and pip's) hosts for PyPI: the simple index and the files it links to.
PACKAGE_INDEX_HOSTS = ("pypi.org", "files.pythonhosted.org")
TTL_S = 60.0

Resolver = Callable[[str], tuple[str, ...]]


def getaddrinfo_addresses(name: str) -> tuple[str, ...]:
    """The addresses ``name`` resolves to here, in getaddrinfo's order; () when it does not."""
    try:
        infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return ()
    # A scoped IPv6 address (fe80::1%eth0) is link-local, which no pod may reach, and cannot be
    # written in a hosts file.
    return tuple(dict.fromkeys(str(info[4][0]) for info in infos if "%" not in str(info[4][0])))


class HostsCache:
    """Addresses per name, each name resolved by one caller at a time and kept ``ttl_s``."""

    def __init__(
        self,
        resolve: Resolver = getaddrinfo_addresses,
        *,
        ttl_s: float = TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._resolve = resolve
        self._ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._name_locks: dict[str, threading.Lock] = {}
        self._answers: dict[str, tuple[float, tuple[str, ...]]] = {}

    def addresses(self, name: str) -> tuple[str, ...]:
        with self._lock:
            name_lock = self._name_locks.setdefault(name, threading.Lock())
        with name_lock:  # the pods that ask meanwhile wait for this one answer instead of asking too
            with self._lock:
                cached = self._answers.get(name)
            if cached is not None and self._clock() < cached[0]:
                return cached[1]
            answer = self._resolve(name)
            if answer:  # a failure is not kept: the next pod asks again rather than fail for TTL_S
                with self._lock:
                    self._answers[name] = (self._clock() + self._ttl_s, answer)
            return answer

    def lookup(self, names: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Addresses of each name that resolves (names that do not are left out)."""
        answers = {name: self.addresses(name) for name in dict.fromkeys(names)}
        return {name: addresses for name, addresses in answers.items() if addresses}


_cache = HostsCache()


def cache() -> HostsCache:
    """This process's cache, shared by every run and thread in it."""
    return _cache


def pinned(names: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Addresses of ``names`` as this process resolved them (names that do not resolve left out)."""
    return cache().lookup(names)


def _reset_after_fork() -> None:
    # A worker forked while a thread of its parent held a lock here would never see it released.
    global _cache  # noqa: PLW0603 - the process-wide cache, renewed in a forked child
    _cache = HostsCache()


os.register_at_fork(after_in_child=_reset_after_fork)
