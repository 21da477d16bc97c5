"""Name resolution for pods that install packages: done once by the harness, shared by its pods.

Each installing pod runs a fresh uv, and nothing on the machine caches DNS, so every pod sent
its own queries for the package index's hosts (``pypi.org``, ``files.pythonhosted.org``: an A
and an AAAA query each): a run with 6 such pods at once sent about 24 queries in a few
milliseconds. A resolver that drops a query of such a burst (this project's machine's does: 2
of 60 lookups made back to back, 18 to 48 of 120 made 12 at a time) leaves glibc waiting for its
retransmission timeout, ``timeout:5`` in resolv.conf's defaults, so that pod's install took 5 s
longer. It showed as ``parity run -n 2`` taking 5 s longer than ``-n 1``: more pods at once,
bigger bursts.

So the harness resolves each such name once per process (one lookup at a time per name, however
many pods ask; answers kept ``TTL_S``) with the same ``getaddrinfo`` the pod would use (same
nsswitch.conf and resolv.conf; installing pods share the host's network), and the pod's
``/etc/hosts`` lists the answers after the machine's own entries: the pod connects to the same
addresses without a query of its own. A name the machine cannot resolve is not listed, and the
pod resolves it itself as before.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

# uv's (and pip's) hosts for PyPI: the simple index and the files it links to.
PACKAGE_INDEX_HOSTS = ("pypi.org", "files.pythonhosted.org")
TTL_S = 60.0
MAX_PROGRAM_HOSTS = 8

_URL_HOST = re.compile(r"\bhttps?://(?:[^\s/@'\"]*@)?([A-Za-z0-9.-]+)")
_NAME = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")

Resolver = Callable[[str], tuple[str, ...]]


def url_hosts(text: str) -> tuple[str, ...]:
    """Host names of the http(s) URLs in a program (an index given with ``-i``, ``--find-links``,
    ``PIP_INDEX_URL``), in order, without IP literals and localhost; at most MAX_PROGRAM_HOSTS."""
    found: dict[str, None] = {}
    for match in _URL_HOST.finditer(text):
        name = match.group(1).lower().strip(".-")  # a URL at the end of a sentence
        if not _NAME.fullmatch(name) or _is_address(name) or name in found:
            continue
        found[name] = None
        if len(found) == MAX_PROGRAM_HOSTS:
            break
    return tuple(found)


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def getaddrinfo_addresses(name: str) -> tuple[str, ...]:
    """The addresses ``name`` resolves to here, in getaddrinfo's order; () when it does not."""
    try:
        infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return ()
    # A scoped IPv6 address (fe80::1%eth0) cannot be written in a hosts file.
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
            with self._lock:
                self._answers[name] = (self._clock() + self._ttl_s, answer)
            return answer

    def lookup(self, names: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Addresses of each name that resolves (names that do not are left out)."""
        answers = {name: self.addresses(name) for name in dict.fromkeys(names)}
        return {name: addresses for name, addresses in answers.items() if addresses}


def hosts_file(base: str, pinned: Mapping[str, Sequence[str]]) -> str:
    """The machine's hosts file (``base``) followed by one line per pinned address."""
    lines = [base if not base or base.endswith("\n") else base + "\n"]
    if pinned:
        lines.append("# argo-parity: resolved once by the harness for the pods that install packages\n")
    for name, addresses in pinned.items():
        lines.extend(f"{address}\t{name}\n" for address in addresses)
    return "".join(lines)


_cache = HostsCache()


def cache() -> HostsCache:
    """This process's cache, shared by every run and thread in it."""
    return _cache


def installing_pod_hosts(program_hosts: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """What an installing pod gets pinned: the package index's hosts and the hosts named in its
    program's URLs, as this process resolved them (names that do not resolve are left out)."""
    return cache().lookup((*PACKAGE_INDEX_HOSTS, *program_hosts))


def _reset_after_fork() -> None:
    # A worker forked while a thread of its parent held a lock here would never see it released.
    global _cache  # noqa: PLW0603 - the process-wide cache, renewed in a forked child
    _cache = HostsCache()


os.register_at_fork(after_in_child=_reset_after_fork)
