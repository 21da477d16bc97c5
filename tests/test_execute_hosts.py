"""Pods that install packages resolve the package index through the harness, not each on its own.

Concurrent installing pods each sent their own DNS queries for pypi.org and
files.pythonhosted.org; a resolver that drops one query of such a burst costs that install glibc's
5 s retransmission timeout, which made `parity run -n 2` 5 s slower than `-n 1`. These tests check
the mechanism, never a duration: the harness resolves each index host once per process however
many pods ask at once, and the pods read the answer from their /etc/hosts (fake TEST-NET addresses
here, which no DNS server would give, so seeing them proves the pod asked none).
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterator

import pytest

from harness.execute import _hosts
from harness.execute.local import LocalExecutor
from harness.execute.result import Phase
from tests.execution_support import requirement, script, workflow

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


@pytest.fixture(scope="module")
def local() -> LocalExecutor:
    executor = LocalExecutor(default_deadline_s=60, pids_limit=256, max_parallel=4)
    requirement(executor.unavailable_reason(), "the local executor")
    return executor


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeResolver]:
    fake = FakeResolver()
    monkeypatch.setattr(_hosts, "_cache", _hosts.HostsCache(fake))
    yield fake


_RESOLVE = (
    "python - <<'EOF'\n"
    "import socket\n"
    "for name in ('pypi.org', 'files.pythonhosted.org'):\n"
    "    found = sorted({i[4][0] for i in socket.getaddrinfo(name, 443, type=socket.SOCK_STREAM)})\n"
    "    print(name, ' '.join(found))\n"
    "EOF\n"
)
_EXPECTED = "pypi.org 192.0.2.10 2001:db8::10\nfiles.pythonhosted.org 192.0.2.11\n"


def test_concurrent_installing_pods_share_one_lookup_per_index_host(
    local: LocalExecutor, resolver: FakeResolver
) -> None:
    # Six installing pods, four at a time (`true ||`: an install the program never runs, so the
    # test needs no network; the pod is an installing one all the same).
    fan_out = workflow(
        [
            {
                "name": "main",
                "steps": [[{"name": "install", "template": "install", "withItems": [1, 2, 3, 4, 5, 6]}]],
            },
            script("install", "true || pip install six\n" + _RESOLVE),
        ]
    )
    run = local.run(fan_out, label="hosts-fan-out")
    assert run.phase is Phase.SUCCEEDED, run
    pods = [node for node in run.nodes if node.kind == "Pod"]
    assert len(pods) == 6
    for pod in pods:
        # The harness's answer, from /etc/hosts: the pod sent no DNS query of its own.
        assert pod.stdout.text == _EXPECTED, pod
    assert resolver.calls == Counter({"pypi.org": 1, "files.pythonhosted.org": 1})


def test_an_index_named_in_the_program_is_resolved_by_the_harness_too(
    local: LocalExecutor, resolver: FakeResolver
) -> None:
    source = (
        "true || pip install --index-url https://token@mirror.example.test/simple six\n"
        "grep -v '^#' /etc/hosts | grep -E 'mirror.example.test|pypi.org' | sort\n"
    )
    run = local.run(workflow([script("main", source)]), label="hosts-index-url")
    assert run.phase is Phase.SUCCEEDED, run
    assert run.stdout.text.split("\n")[:-1] == sorted(
        ["192.0.2.10\tpypi.org", "2001:db8::10\tpypi.org", "192.0.2.20\tmirror.example.test"]
    )
    assert resolver.calls["mirror.example.test"] == 1


def test_a_pod_without_network_gets_the_machines_hosts_file(local: LocalExecutor, resolver: FakeResolver) -> None:
    run = local.run(workflow([script("main", "grep -c argo-parity /etc/hosts || true")]), label="hosts-offline")
    assert run.phase is Phase.SUCCEEDED, run
    assert run.stdout.text == "0\n"
    assert not resolver.calls


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


def test_url_hosts() -> None:
    program = (
        "pip install -i https://user:pw@Mirror.Example.TEST/simple --extra-index-url http://10.0.0.1:8080/simple "
        "--find-links 'https://files.example.test/wheels' six\nPIP_INDEX_URL=http://localhost/simple\n"
        "see https://docs.example.test."
    )
    assert _hosts.url_hosts(program) == ("mirror.example.test", "files.example.test", "docs.example.test")


def test_hosts_file_keeps_the_machines_entries_first() -> None:
    text = _hosts.hosts_file("127.0.0.1 localhost", {"pypi.org": ("192.0.2.10", "2001:db8::10")})
    assert text.splitlines() == [
        "127.0.0.1 localhost",
        "# argo-parity: resolved once by the harness for the pods that install packages",
        "192.0.2.10\tpypi.org",
        "2001:db8::10\tpypi.org",
    ]
