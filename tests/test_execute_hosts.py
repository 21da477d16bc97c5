"""The package index is resolved by the harness, once per name for all its pods, never by a pod.

Concurrent installing pods each sent their own DNS queries for pypi.org and
files.pythonhosted.org; a resolver that drops one query of such a burst costs that install glibc's
5 s retransmission timeout, which made `parity run -n 2` 5 s slower than `-n 1`. Pods now have no
network to send a query on: the index proxy resolves on the host, through one cache per process.
These tests check the mechanism, never a duration: however many pods ask at once, each index host
is resolved once, and a pod resolves nothing itself.
"""

from __future__ import annotations

import os
import socket
import threading
from collections import Counter
from collections.abc import Iterator

import pytest

from harness.execute.local import LocalExecutor
from harness.execute.local import hosts as _hosts
from harness.execute.result import RunPhase as Phase
from tests.execution_support import script, workflow
from tests.requirements import LOCAL_EXECUTOR

FAKE = {
    "pypi.org": ("192.0.2.10", "2001:db8::10"),
    "files.pythonhosted.org": ("192.0.2.11",),
    "mirror.example.test": ("192.0.2.20",),
}


class FakeResolver:
    """Counts lookups per name; answers from FAKE."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, name: str) -> tuple[str, ...]:
        with self._lock:
            self.calls[name] += 1
        return FAKE.get(name, ())


class CountingResolver:
    """The machine's own resolver, counting lookups per name."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, name: str) -> tuple[str, ...]:
        with self._lock:
            self.calls[name] += 1
        return _hosts.getaddrinfo_addresses(name)


@pytest.fixture(scope="module")
def local() -> LocalExecutor:
    executor = LocalExecutor(default_deadline_s=60, pids_limit=256, max_parallel=4)
    LOCAL_EXECUTOR.require(executor.unavailable_reason())
    return executor


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeResolver]:
    fake = FakeResolver()
    monkeypatch.setattr(_hosts, "_cache", _hosts.HostsCache(fake))
    yield fake


# Through the proxy socket as an installer would, to both index hosts; prints each status line.
_TUNNEL = (
    "python3 - <<'EOF'\n"
    "import socket\n"
    "for target in ('pypi.org:443', 'files.pythonhosted.org:443'):\n"
    "    s = socket.socket(socket.AF_UNIX)\n"
    "    s.settimeout(30)\n"
    "    s.connect('/run/argo-parity/proxy.sock')\n"
    "    s.sendall(('CONNECT %s HTTP/1.1\\r\\nHost: %s\\r\\n\\r\\n' % (target, target)).encode())\n"
    "    print(target, s.recv(200).split(b'\\r\\n')[0].decode())\n"
    "EOF\n"
)


def test_concurrent_installing_pods_share_one_lookup_per_index_host(
    local: LocalExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        socket.create_connection(("pypi.org", 443), timeout=10).close()
    except OSError as exc:
        pytest.skip(f"PyPI (pypi.org:443) is unreachable from this machine: {exc}")
    counting = CountingResolver()
    monkeypatch.setattr(_hosts, "_cache", _hosts.HostsCache(counting))
    # Six installing pods, four at a time (`true ||`: an install the program never runs; the pod
    # is an installing one all the same), each tunnelling to both index hosts.
    fan_out = workflow(
        [
            {
                "name": "main",
                "steps": [[{"name": "install", "template": "install", "withItems": [1, 2, 3, 4, 5, 6]}]],
            },
            script("install", "true || pip install six\n" + _TUNNEL),
        ]
    )
    run = local.run(fan_out, label="hosts-fan-out")
    assert run.phase is Phase.SUCCEEDED, run
    pods = [node for node in run.nodes if node.kind == "Pod"]
    assert len(pods) == 6
    for pod in pods:
        assert pod.stdout.text == (
            "pypi.org:443 HTTP/1.1 200 Connection established\n"
            "files.pythonhosted.org:443 HTTP/1.1 200 Connection established\n"
        ), pod
    assert counting.calls == Counter({"pypi.org": 1, "files.pythonhosted.org": 1})


def test_a_pod_resolves_no_name_itself(local: LocalExecutor, resolver: FakeResolver) -> None:
    probe = (
        "python3 -c \"import socket\ntry:\n    socket.getaddrinfo('pypi.org', 443)\n    print('resolved')\n"
        "except OSError:\n    print('no DNS')\"\n"
        "grep -c argo-parity /etc/hosts || true\n"
    )
    for source in (probe, "true || pip install six\n" + probe):
        run = local.run(workflow([script("main", source)]), label="hosts-none")
        assert run.phase is Phase.SUCCEEDED, run
        assert run.stdout.text == "no DNS\n0\n", run  # no DNS, and no pinned /etc/hosts either
    assert not resolver.calls  # nobody asked: the pods sent nothing through the proxy


# --- the cache on its own -------------------------------------------------------------------------


def test_threads_asking_at_once_wait_for_one_lookup() -> None:
    entered, release = threading.Event(), threading.Event()
    calls: Counter[str] = Counter()

    def slow(name: str) -> tuple[str, ...]:
        calls[name] += 1
        entered.set()
        release.wait(10)
        return ("192.0.2.1",)

    cache = _hosts.HostsCache(slow)
    answers: list[tuple[str, ...]] = []
    threads = [threading.Thread(target=lambda: answers.append(cache.addresses("pypi.org"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    assert entered.wait(10)
    release.set()
    for thread in threads:
        thread.join(10)
    assert answers == [("192.0.2.1",)] * 8
    assert calls == Counter({"pypi.org": 1})


def test_answers_expire_and_unresolvable_names_are_left_out() -> None:
    now = [0.0]
    resolver = FakeResolver()
    cache = _hosts.HostsCache(resolver, ttl_s=60, clock=lambda: now[0])
    assert cache.lookup(["pypi.org", "nowhere.invalid", "pypi.org"]) == {"pypi.org": FAKE["pypi.org"]}
    cache.lookup(["nowhere.invalid"])
    assert resolver.calls["nowhere.invalid"] == 2  # a failure is asked again, not kept for the TTL
    now[0] = 59.0
    cache.lookup(["pypi.org"])
    assert resolver.calls["pypi.org"] == 1
    now[0] = 61.0
    cache.lookup(["pypi.org"])
    assert resolver.calls["pypi.org"] == 2


def test_a_forked_worker_starts_with_its_own_cache() -> None:
    parent = _hosts.cache()
    pid = os.fork()
    if pid == 0:  # the child: exit status 0 when its cache is new
        os._exit(0 if _hosts.cache() is not parent else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_pinned_leaves_out_what_does_not_resolve(resolver: FakeResolver) -> None:
    assert _hosts.pinned(["pypi.org", "nowhere.invalid"]) == {"pypi.org": FAKE["pypi.org"]}
