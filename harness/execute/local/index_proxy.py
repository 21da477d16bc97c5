"""The package index proxy: a pod's only way out of its sandbox, to the package index and nowhere else.

A sandbox has its own network namespace with nothing in it but a loopback, so a pod reaches no
network, the host's least of all. A pod that installs packages (``harness.execute.installs``) gets one thing more:
a unix socket bound in at ``/run/argo-parity/proxy.sock`` (``python_image.PROXY_IN_SANDBOX``), on
which this module's proxy, run by the harness outside the sandbox, listens. It speaks HTTP proxy:
``CONNECT host:port`` (what an installer sends for https) and absolute-URI requests
(``GET http://host/...``, for an http index).
The pip shim in the sandbox forwards a loopback port to the socket and points uv (or the real pip)
at it; nothing else in the pod is told about it.

Every request is checked twice:

* **the name**: only the package index's hosts and ports: ``pypi.org:443`` and
  ``files.pythonhosted.org:443``, and the indexes the harness's own environment configures
  (``PIP_INDEX_URL``, ``PIP_EXTRA_INDEX_URL``, ``PIP_FIND_LINKS``, ``UV_INDEX_URL``,
  ``UV_EXTRA_INDEX_URL``, ``UV_DEFAULT_INDEX``, ``UV_INDEX``, ``UV_FIND_LINKS``, plus
  ``PARITY_INDEX_HOSTS``: ``host`` or ``host:port``, comma or space separated, for a mirror whose
  files live on another host). An index named only by the pod's own program (``pip install -i
  URL``) is *not* allowed: the program is what the sandbox contains, and letting its text widen
  the list would let any job reach any host, internal services included, by naming it as an index;
* **the addresses** the name resolves to (resolved here, once per name for all pods: ``hosts``):
  never loopback, link-local (169.254.169.254, the cloud metadata service), unspecified,
  multicast, reserved or broadcast, nor any address of this machine (read from the kernel's local
  routes). The proxy connects to an address it checked, never resolving the name again, so a
  DNS answer that changes in between (rebinding) cannot send it elsewhere; and a connection whose
  two ends have the same address (the kernel's sign of a local peer) is dropped as a last check.

A refusal answers ``403`` and is recorded (``notes()``: "network: refused HOST:PORT: why"), which
the runner adds to the pod's notes.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import selectors
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from harness.execute.local.hosts import PACKAGE_INDEX_HOSTS, Resolver
from harness.execute.local.hosts import cache as hosts_cache

INDEX_URL_VARIABLES = (
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "UV_INDEX_URL",
    "UV_EXTRA_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_INDEX",
    "UV_FIND_LINKS",
)
HOSTS_VARIABLE = "PARITY_INDEX_HOSTS"
_DEFAULT_PORTS = {"https": 443, "http": 80}
_HEAD_LIMIT = 64 * 1024
_HEAD_TIMEOUT_S = 30.0
_CONNECT_TIMEOUT_S = 15.0
_IDLE_TIMEOUT_S = 300.0  # a relay nobody sends anything on for this long is closed
_CHUNK = 65536
_OWN_TTL_S = 2.0
_MAX_CONNECTIONS = 256  # per pod; an installer opens a few dozen at most (uv: 50 downloads at once)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


# --- which hosts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexPolicy:
    """The (host, port) pairs pods may reach: names in lower case, without a trailing dot."""

    allowed: frozenset[tuple[str, int]]

    @classmethod
    def default(cls) -> IndexPolicy:
        return cls(frozenset((host, 443) for host in PACKAGE_INDEX_HOSTS))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str], extra: Iterable[str] = ()) -> IndexPolicy:
        """PyPI, the indexes ``environ`` (the harness's environment) configures, and ``extra``
        (``host``, ``host:port`` or a URL each)."""
        allowed = set(cls.default().allowed)
        for name in INDEX_URL_VARIABLES:
            for entry in environ.get(name, "").split():
                allowed.update(_url_host(entry.partition("=")[2] if "://" not in entry.partition("=")[0] else entry))
        words = [*environ.get(HOSTS_VARIABLE, "").replace(",", " ").split(), *extra]
        for word in words:
            allowed.update(_url_host(word) if "://" in word else _host_port(word))
        return cls(frozenset(allowed))

    def allows(self, host: str, port: int) -> bool:
        return (_normal(host), port) in self.allowed

    def hosts(self) -> tuple[str, ...]:
        return tuple(sorted({host for host, _ in self.allowed}))

    def describe(self) -> str:
        return ", ".join(f"{_display(host, port)}" for host, port in sorted(self.allowed))


def _normal(host: str) -> str:
    return host.strip().rstrip(".").lower().strip("[]")


def _url_host(url: str) -> set[tuple[str, int]]:
    """{(host, port)} of an http(s) URL; empty for anything else (a path given as find-links)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return set()
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return set()
    return {(_normal(parts.hostname), port or _DEFAULT_PORTS[parts.scheme])}


def _host_port(word: str) -> set[tuple[str, int]]:
    """``host`` (https and http) or ``host:port`` / ``[v6]:port``."""
    host, sep, port = word.rpartition(":")
    if sep and port.isdigit() and (not host.count(":") or host.endswith("]")):
        return {(_normal(host), int(port))}
    return {(_normal(word), 443), (_normal(word), 80)}


def _display(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# --- which addresses -----------------------------------------------------------------------------

_UNSPECIFIED_V4 = ipaddress.ip_network("0.0.0.0/8")  # "this network": Linux connects it locally
_own_lock = threading.Lock()
_own: tuple[float, tuple[Network, ...]] = (0.0, ())


def own_networks() -> tuple[Network, ...]:
    """This machine's own addresses, from the kernel: local and broadcast routes (IPv4,
    /proc/net/fib_trie; 127.0.0.0/8 is one such route) and interface addresses (IPv6,
    /proc/net/if_inet6). Kept a moment: read once per burst of connections, not once each."""
    global _own  # noqa: PLW0603 - a short-lived process-wide cache
    now = time.monotonic()
    with _own_lock:
        if now - _own[0] < _OWN_TTL_S:
            return _own[1]
    networks: dict[Network, None] = {}
    with contextlib.suppress(OSError):
        address: str | None = None
        for line in Path("/proc/net/fib_trie").read_text().splitlines():
            words = line.split()
            if len(words) >= 2 and words[0] in ("|--", "+--"):
                address = words[1].partition("/")[0]
            elif address and len(words) >= 3 and words[0].startswith("/") and words[2] in ("LOCAL", "BROADCAST"):
                with contextlib.suppress(ValueError):
                    networks[ipaddress.ip_network(f"{address}{words[0]}", strict=False)] = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/net/if_inet6").read_text().splitlines():
            words = line.split()
            if words and len(words[0]) == 32:
                with contextlib.suppress(ValueError):
                    networks[ipaddress.ip_network(int(words[0], 16).to_bytes(16, "big"))] = None
    found = tuple(networks)
    with _own_lock:
        _own = (now, found)
    return found


def address_problem(text: str) -> str | None:
    """Why a pod may not reach ``text``; None when it may."""
    try:
        address: Address = ipaddress.ip_address(text.partition("%")[0])
    except ValueError:
        return "not an IP address"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_unspecified or (isinstance(address, ipaddress.IPv4Address) and address in _UNSPECIFIED_V4):
        return "an unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local):
        return "a reserved address"
    if any(address.version == network.version and address in network for network in own_networks()):
        return "an address of this machine"
    return None


def _reset_after_fork() -> None:
    # A worker forked while a thread of its parent held the lock would never see it released.
    global _own_lock, _own  # noqa: PLW0603 - renewed in a forked child
    _own_lock = threading.Lock()
    _own = (0.0, ())


os.register_at_fork(after_in_child=_reset_after_fork)


# --- the proxy -----------------------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, status: str, note: str) -> None:
        super().__init__(note)
        self.status = status
        self.note = note


class IndexProxy:
    """One pod's proxy: listens on the unix socket ``path`` from ``start()`` to ``close()``."""

    def __init__(self, path: Path, policy: IndexPolicy, *, resolve: Resolver | None = None) -> None:
        self.path = path
        self.policy = policy
        self._resolve = resolve
        self._lock = threading.Lock()
        self._notes: dict[str, None] = {}
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._listener: socket.socket | None = None
        self._wake_read, self._wake_write = socket.socketpair()
        self._closed = False

    def __enter__(self) -> IndexProxy:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            _bind_unix(listener, self.path)
            listener.listen(128)
        except OSError:
            for sock in (listener, self._wake_read, self._wake_write):
                sock.close()
            raise
        self._listener = listener
        thread = threading.Thread(target=self._accept_loop, name=f"index-proxy:{self.path}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def close(self) -> None:
        """Stop accepting, end every relay, and wait (briefly) for the threads."""
        with self._lock:
            self._closed = True
            open_sockets = list(self._sockets)
        with contextlib.suppress(OSError):
            self._wake_write.send(b"x")
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the relay waiting on it
        deadline = time.monotonic() + 5.0
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        for sock in (self._wake_read, self._wake_write, *([self._listener] if self._listener else [])):
            sock.close()
        with contextlib.suppress(OSError):
            self.path.unlink()

    def notes(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._notes)

    # --- serving ---

    def _note(self, text: str) -> None:
        with self._lock:
            self._notes.setdefault(text, None)

    def _track(self, sock: socket.socket) -> bool:
        with self._lock:
            if self._closed:
                return False
            self._sockets.add(sock)
            return True

    def _forget(self, *socks: socket.socket) -> None:
        with self._lock:
            for sock in socks:
                self._sockets.discard(sock)
        for sock in socks:
            sock.close()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wake_read, selectors.EVENT_READ)
            while True:
                ready = [key.fileobj for key, _ in selector.select()]
                if self._wake_read in ready:
                    return
                try:
                    client, _ = self._listener.accept()
                except OSError:
                    continue
                if not self._track(client):
                    client.close()
                    return
                thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
                with self._lock:
                    self._threads = [t for t in self._threads if t.is_alive()]
                    crowded = len(self._threads) > _MAX_CONNECTIONS
                    if not crowded:
                        self._threads.append(thread)
                if crowded:  # a thread each: a pod must not be able to exhaust the harness's
                    self._note(f"network: refused a connection: {_MAX_CONNECTIONS} already open")
                    self._forget(client)
                    continue
                thread.start()

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            client.settimeout(_HEAD_TIMEOUT_S)
            head, rest = _read_head(client)
            if head is None:
                return
            try:
                upstream, first = self._open(head)
            except _Refused as refusal:
                self._note(refusal.note)
                body = f"argo-parity: {refusal.note}\n".encode()
                client.sendall(
                    f"HTTP/1.1 {refusal.status}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
                    "Connection: close\r\n\r\n".encode()
                    + body
                )
                return
            if not self._track(upstream):
                return
            if first is None:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                upstream.sendall(first)
            if rest:
                upstream.sendall(rest)
            client.settimeout(_IDLE_TIMEOUT_S)
            _relay(client, upstream)
        except OSError:
            pass  # a peer went away: nothing to report
        except Exception as exc:  # never a traceback from a daemon thread: the pod's notes say it
            self._note(f"network: the index proxy failed: {type(exc).__name__}: {exc}")
        finally:
            self._forget(client, *([upstream] if upstream is not None else []))

    def _open(self, head: bytes) -> tuple[socket.socket, bytes | None]:
        """The checked upstream connection, and the request head to send on it (None: CONNECT)."""
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            raise _Refused("400 Bad Request", f"refused a malformed request: {lines[0][:80]!r}")
        method, target, version = parts
        if method.upper() == "CONNECT":
            host, port = _authority(target)
            first = None
        else:
            try:
                url = urlsplit(target)
                host, explicit_port = url.hostname or "", url.port
            except ValueError:
                url, host, explicit_port = None, "", None
            if url is None or url.scheme != "http" or not host:
                raise _Refused("400 Bad Request", f"refused {method} {target[:80]}: only CONNECT and http:// URLs")
            port = explicit_port or 80
            first = _origin_request(method, url.path or "/", url.query, version, lines[1:], host, explicit_port)
        where = _display(_normal(host), port)
        if not host or not self.policy.allows(host, port):
            raise _Refused(
                "403 Forbidden",
                f"network: refused {where}: not a package index host (pods reach only {self.policy.describe()}; "
                f"add an index with PIP_INDEX_URL or {HOSTS_VARIABLE} in the harness's environment)",
            )
        addresses = self._addresses(_normal(host))
        if not addresses:
            raise _Refused("502 Bad Gateway", f"network: {where}: the name does not resolve")
        problems = {address: address_problem(address) for address in addresses}
        allowed = [address for address, problem in problems.items() if problem is None]
        if not allowed:
            why = ", ".join(f"{address} ({problem})" for address, problem in problems.items())
            raise _Refused("403 Forbidden", f"network: refused {where}: it resolves only to {why}")
        return _connect(allowed, port, where), first

    def _addresses(self, host: str) -> tuple[str, ...]:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            resolve = self._resolve or hosts_cache().addresses  # at call time: a forked worker's own cache
            return resolve(host)
        return (host,)


def _bind_unix(sock: socket.socket, path: Path) -> None:
    """Bind at ``path``, also when it is longer than a socket address may be (108 bytes): then
    through /proc/self/fd/N/NAME, N the directory opened (no chdir: other threads share the cwd)."""
    if len(os.fsencode(str(path))) < 100:
        sock.bind(str(path))
        return
    directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        sock.bind(f"/proc/self/fd/{directory}/{path.name}")
    finally:
        os.close(directory)


def _read_head(client: socket.socket) -> tuple[bytes | None, bytes]:
    """The request head (up to the blank line) and what came after it."""
    data = b""
    while b"\r\n\r\n" not in data:
        if len(data) > _HEAD_LIMIT:
            return None, b""
        chunk = client.recv(_CHUNK)
        if not chunk:
            return None, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _authority(target: str) -> tuple[str, int]:
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise _Refused("400 Bad Request", f"refused CONNECT {target[:80]}: not host:port")
    return host.strip("[]"), int(port)


def _origin_request(
    method: str, path: str, query: str, version: str, headers: list[str], host: str, port: int | None
) -> bytes:
    """An absolute-URI request as the origin server expects it, closing after one response (a
    second request on the same connection could name another host)."""
    hop = {"proxy-connection", "proxy-authorization", "connection", "keep-alive"}
    kept = [line for line in headers if line and line.partition(":")[0].strip().lower() not in hop]
    if not any(line.partition(":")[0].strip().lower() == "host" for line in kept):
        kept.append(f"Host: {host}" + (f":{port}" if port else ""))
    target = path + (f"?{query}" if query else "")
    return "\r\n".join([f"{method} {target} {version}", *kept, "Connection: close", "", ""]).encode("latin-1")


def _connect(addresses: list[str], port: int, where: str) -> socket.socket:
    errors: list[str] = []
    for address in addresses:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        # A relay must not hold back small writes (a TLS handshake's, a request's) for Nagle's
        # algorithm: that waits for the peer's delayed ACK, up to 40 ms each time.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(_CONNECT_TIMEOUT_S)
        try:
            sock.connect((address, port))
            local, peer = sock.getsockname()[0], sock.getpeername()[0]
        except OSError as exc:
            sock.close()
            errors.append(f"{address}: {exc.strerror or type(exc).__name__}")
            continue
        if local == peer:  # routed to this machine after all (an address only the kernel knew as local)
            sock.close()
            raise _Refused("403 Forbidden", f"network: refused {where}: {address} is an address of this machine")
        sock.settimeout(_IDLE_TIMEOUT_S)
        return sock
    raise _Refused("502 Bad Gateway", f"network: could not connect to {where} ({'; '.join(errors)})")


def _relay(a: socket.socket, b: socket.socket) -> None:
    """Copy both ways until both ends have finished sending (half-closes passed on)."""
    peer = {a: b, b: a}
    with selectors.DefaultSelector() as selector:
        for sock in (a, b):
            selector.register(sock, selectors.EVENT_READ)
        while selector.get_map():
            ready = selector.select(_IDLE_TIMEOUT_S)
            if not ready:
                return
            for key, _ in ready:
                source = key.fileobj
                assert isinstance(source, socket.socket)
                try:
                    data = source.recv(_CHUNK)
                except OSError:
                    return
                if not data:
                    selector.unregister(source)
                    with contextlib.suppress(OSError):
                        peer[source].shutdown(socket.SHUT_WR)
                    continue
                peer[source].sendall(data)
