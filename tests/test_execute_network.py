"""What a pod can reach: nothing unless its program installs packages, then the package index and
nothing else, never this machine.

Two defects are pinned here. A pod got the host's whole network (``bwrap --share-net``) when its
program text merely mentioned ``pip install`` (a comment was enough); and such a pod, sharing the
host's network namespace, reached a TCP listener on the host's 127.0.0.1. Now the decision comes
from the parsed program (``_installs``) and an installing pod gets only a unix socket to the
harness's index proxy (``_index_proxy``), which allows the package index's hosts and refuses
loopback, link-local and this machine's own addresses whatever a name resolves to.

Tests that need PyPI skip, saying so, where it cannot be reached.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.execute.docker import DockerExecutor
from harness.execute.installs import installs_packages
from harness.execute.local import LocalExecutor
from harness.execute.local import index_proxy as _index_proxy
from harness.execute.local.index_proxy import IndexPolicy, IndexProxy, address_problem
from harness.execute.result import RunPhase as Phase
from tests.execution_support import bash_workflow, script, workflow
from tests.requirements import DOCKER, LOCAL_EXECUTOR, PYTHON_IMAGE

SCRIPT = "/argo/staging/script"


@pytest.fixture(scope="module")
def local() -> LocalExecutor:
    executor = LocalExecutor(default_deadline_s=120, pids_limit=256)
    LOCAL_EXECUTOR.require(executor.unavailable_reason())
    return executor


@pytest.fixture(scope="module")
def pypi() -> None:
    """Skips the test where PyPI cannot be reached from this machine."""
    try:
        socket.create_connection(("pypi.org", 443), timeout=10).close()
    except OSError as exc:
        pytest.skip(f"PyPI (pypi.org:443) is unreachable from this machine: {exc}")


class Listener:
    """A TCP server on the host that greets whoever connects, and counts them."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.server = socket.create_server((host, 0))
        self.port = int(self.server.getsockname()[1])
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self.server.settimeout(0.1)
        while not self._stop.is_set():
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            with connection:
                connection.sendall(b"hello-from-host\n")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.server.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def through(proxy: Path, request: str) -> str:
    """The status line the proxy at ``proxy`` answers ``request`` (a request head) with."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(30)
        sock.connect(str(proxy))
        sock.sendall(request.encode())
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n", 1)[0].decode()


def connect(proxy: Path, target: str) -> str:
    return through(proxy, f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n")


# --- which pods install: the parsed program, not its text ----------------------------------------------


@pytest.mark.parametrize(
    ("source", "installs"),
    [
        ("# pip install six\necho hello", False),
        ('echo "pip install six"', False),
        ("printf 'pip install %s\\n' six; echo pip install six", False),
        ("cat <<'EOF'\npip install six\nEOF", False),
        ("pip install six", True),
        ("set -e\ntrue || pip3 install --no-cache-dir six", True),
        ("python3 -m pip install -q six", True),
        ("pip -q download six -d /tmp", True),
        ("env A=1 timeout 60 pip3.11 install six", True),
        ("bash -c 'pip install six'", True),
        ("bash -c 'echo pip install six'", False),
        ("x=$(pip install six)", True),
        ("cat <<EOF | sh\npip install six\nEOF", True),
        ("python - <<'EOF'\nimport os\nos.system('pip install six')\nEOF", True),
        ("time python - <<'EOF'\nprint('pip install six')\nEOF", False),  # bashlex cannot parse `time`: shlex
        ("case x in x) pip install six;; esac", True),
        ("case x in x) echo 'pip install six';; esac  # pip install six", False),
        ("pip list; pip freeze", False),
    ],
)
def test_a_shell_program_installs_only_when_it_runs_an_install(source: str, installs: bool) -> None:
    assert installs_packages(["bash", SCRIPT], source, []) is installs


@pytest.mark.parametrize(
    ("source", "installs"),
    [
        ("import subprocess, sys\nsubprocess.check_call([sys.executable, '-m', 'pip', 'install', 'six'])", True),
        ("import subprocess\nsubprocess.run(['pip', 'install', *packages])", True),
        ("import os\nos.system(f'pip install {name}')", True),
        ("import subprocess\nsubprocess.run('pip install ' + name, shell=True)", True),
        ("# pip install six\nprint('pip install six')", False),
        ("import six", False),
    ],
)
def test_a_python_script_installs_only_when_it_runs_an_install(source: str, installs: bool) -> None:
    assert installs_packages(["python", SCRIPT], source, []) is installs


def test_env_vars_count_only_when_the_program_runs_them_as_code() -> None:
    code = "import subprocess\nsubprocess.run(['pip', 'install', 'six'])"
    assert installs_packages(["bash", SCRIPT], 'python -c "$CODE"', [("CODE", code)])
    assert not installs_packages(["bash", SCRIPT], 'echo "$CODE"', [("CODE", code)])
    assert installs_packages(["bash", SCRIPT], 'bash -c "$CMD"', [("CMD", "pip install six")])
    assert not installs_packages(["bash", SCRIPT], "echo hello", [("HINT", "pip install six")])
    assert installs_packages(["sh", "-c", "pip install six && python -c 'import six'"], None, [])
    assert installs_packages(["pip", "install", "six"], None, [])
    assert not installs_packages(["python", "-c", "print('pip install six')"], None, [])


def _proxy_socket_probe(prefix: str) -> str:
    return prefix + "test -S /run/argo-parity/proxy.sock && echo proxy || echo no-proxy\n"


@pytest.mark.fault(
    group="side effects",
    case="--execute local: a job's script only mentions `pip install` (a comment, an echo)",
    expected="no network at all: a listener on the host's 127.0.0.1 receives nothing",
)
def test_a_comment_or_an_echo_gives_no_network(local: LocalExecutor, listener: Listener) -> None:
    probe = (
        "python3 - <<'EOF'\n"
        "import os, socket\n"
        "print('interfaces:', sorted(name for _, name in socket.if_nameindex()))\n"
        "try:\n"
        f"    socket.create_connection(('127.0.0.1', {listener.port}), timeout=5)\n"
        "    print('reached')\n"
        "except OSError as exc:\n"
        "    print('unreachable:', type(exc).__name__)\n"
        "try:\n"
        "    socket.getaddrinfo('pypi.org', 443)\n"
        "    print('resolved')\n"
        "except OSError:\n"
        "    print('no DNS')\n"
        "EOF\n"
    )
    source = _proxy_socket_probe('# pip install six\necho "pip install six" > /dev/null\n') + probe
    run = local.run(bash_workflow(source), label="comment")
    assert run.phase is Phase.SUCCEEDED, run
    assert run.stdout.text.splitlines() == [
        "no-proxy",
        "interfaces: ['lo']",
        "unreachable: ConnectionRefusedError",
        "no DNS",
    ]
    assert listener.accepted == 0


def test_an_install_that_never_runs_still_gets_the_proxy(local: LocalExecutor) -> None:
    run = local.run(bash_workflow(_proxy_socket_probe("true || pip install six\n")), label="installing")
    assert run.phase is Phase.SUCCEEDED, run
    assert run.stdout.text == "proxy\n"


# --- the proxy on its own (no PyPI needed) -----------------------------------------------------------


@pytest.fixture
def proxy_dir(tmp_path: Path) -> Path:
    return tmp_path


def test_the_proxy_refuses_anything_but_the_index(proxy_dir: Path, listener: Listener) -> None:
    with IndexProxy(proxy_dir / "proxy.sock", IndexPolicy.default()) as proxy:
        assert connect(proxy.path, f"127.0.0.1:{listener.port}") == "HTTP/1.1 403 Forbidden"
        assert connect(proxy.path, "169.254.169.254:80") == "HTTP/1.1 403 Forbidden"
        assert connect(proxy.path, "example.com:443") == "HTTP/1.1 403 Forbidden"
        assert connect(proxy.path, "pypi.org:22") == "HTTP/1.1 403 Forbidden"  # the index's host, another port
        get = f"GET http://127.0.0.1:{listener.port}/simple/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        assert through(proxy.path, get) == "HTTP/1.1 403 Forbidden"
        notes = proxy.notes()
    assert listener.accepted == 0
    for where in (f"127.0.0.1:{listener.port}", "169.254.169.254:80", "example.com:443", "pypi.org:22"):
        assert any(note.startswith(f"network: refused {where}: not a package index host") for note in notes), notes


def test_an_allowed_name_that_resolves_to_loopback_is_refused(proxy_dir: Path, listener: Listener) -> None:
    # The harness's own index setting names localhost: allowed by name, refused by address.
    policy = IndexPolicy.from_environment({"PIP_INDEX_URL": f"http://localhost:{listener.port}/simple"})
    assert policy.allows("localhost", listener.port)
    with IndexProxy(proxy_dir / "proxy.sock", policy) as proxy:
        assert connect(proxy.path, f"localhost:{listener.port}") == "HTTP/1.1 403 Forbidden"
        get = f"GET http://localhost:{listener.port}/simple/six/ HTTP/1.1\r\nHost: localhost\r\n\r\n"
        assert through(proxy.path, get) == "HTTP/1.1 403 Forbidden"
        notes = proxy.notes()
    assert listener.accepted == 0
    assert any(f"refused localhost:{listener.port}: it resolves only to" in n and "loopback" in n for n in notes), notes


def test_a_name_resolving_to_loopback_is_refused_however_it_resolves(proxy_dir: Path, listener: Listener) -> None:
    # DNS that answers loopback for the index (a poisoned resolver, a rebinding attack).
    policy = IndexPolicy.default()
    answers = {"pypi.org": ("127.0.0.1", "::ffff:127.0.0.1", "::1"), "files.pythonhosted.org": ("169.254.169.254",)}
    with IndexProxy(proxy_dir / "proxy.sock", policy, resolve=lambda name: answers.get(name, ())) as proxy:
        assert connect(proxy.path, "pypi.org:443") == "HTTP/1.1 403 Forbidden"
        assert connect(proxy.path, "files.pythonhosted.org:443") == "HTTP/1.1 403 Forbidden"
        notes = proxy.notes()
    assert any("refused pypi.org:443" in n and "127.0.0.1 (a loopback address)" in n for n in notes), notes
    assert any("refused files.pythonhosted.org:443" in n and "link-local" in n for n in notes), notes


@pytest.mark.fault(
    group="side effects",
    case="the index proxy is asked for 169.254.169.254 or one of the machine's own addresses",
    expected="refused, even for a host on the allow list",
)
def test_link_local_and_this_machines_addresses_are_refused_even_when_allowed(proxy_dir: Path) -> None:
    own = next(
        str(network.network_address)
        for network in _index_proxy.own_networks()
        if network.version == 4 and network.prefixlen == 32 and not network.network_address.is_loopback
    )
    server = Listener("0.0.0.0")  # every address of this machine, to prove none is reached
    try:
        policy = IndexPolicy.from_environment({_index_proxy.HOSTS_VARIABLE: f"169.254.169.254:80, {own}:{server.port}"})
        with IndexProxy(proxy_dir / "proxy.sock", policy) as proxy:
            assert connect(proxy.path, "169.254.169.254:80") == "HTTP/1.1 403 Forbidden"
            assert connect(proxy.path, f"{own}:{server.port}") == "HTTP/1.1 403 Forbidden"
            notes = proxy.notes()
        assert server.accepted == 0
    finally:
        server.close()
    assert any("169.254.169.254:80" in n and "a link-local address" in n for n in notes), notes
    assert any(f"{own}:{server.port}" in n and "an address of this machine" in n for n in notes), notes


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "a loopback address"),
        ("127.5.6.7", "a loopback address"),
        ("::1", "a loopback address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("169.254.169.254", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("0.0.0.0", "an unspecified address"),
        ("0.1.2.3", "an unspecified address"),
        ("::", "an unspecified address"),
        ("224.0.0.1", "a multicast address"),
        ("255.255.255.255", "a reserved address"),
        ("151.101.0.223", None),  # a public address (one of PyPI's)
        ("10.1.2.3", None),  # a private index on the LAN stays possible when the harness allows it
    ],
)
def test_address_problems(address: str, problem: str | None) -> None:
    assert address_problem(address) == problem


def test_the_machines_own_addresses_are_known() -> None:
    networks = _index_proxy.own_networks()
    assert any(ipaddress.ip_address("127.0.0.1") in network for network in networks if network.version == 4)
    assert any(n.version == 4 and n.prefixlen == 32 and not n.network_address.is_loopback for n in networks)


def test_index_policy_from_the_harness_environment() -> None:
    policy = IndexPolicy.from_environment(
        {
            "PIP_INDEX_URL": "https://user:token@Mirror.Example.TEST/simple",
            "PIP_EXTRA_INDEX_URL": "http://10.0.0.5:8080/simple https://extra.example.test:8443/simple",
            "PIP_FIND_LINKS": "/opt/wheels",
            "UV_INDEX": "internal=https://uv.example.test/simple",
            _index_proxy.HOSTS_VARIABLE: "files.example.test, cdn.example.test:9443",
        },
        extra=("https://given.example.test/simple",),
    )
    assert policy.allowed == {
        ("pypi.org", 443),
        ("files.pythonhosted.org", 443),
        ("mirror.example.test", 443),
        ("10.0.0.5", 8080),
        ("extra.example.test", 8443),
        ("uv.example.test", 443),
        ("files.example.test", 443),
        ("files.example.test", 80),
        ("cdn.example.test", 9443),
        ("given.example.test", 443),
    }
    assert policy.allows("PyPI.org.", 443)
    assert not policy.allows("pypi.org", 80)


def test_a_socket_path_longer_than_a_socket_address_works(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 120)
    deep.mkdir()
    with IndexProxy(deep / "proxy.sock", IndexPolicy.default()) as proxy:
        assert (deep / "proxy.sock").is_socket()
        directory = os.open(deep, os.O_RDONLY | os.O_DIRECTORY)  # a client cannot use the long path either
        try:
            assert connect(Path(f"/proc/self/fd/{directory}/proxy.sock"), "example.com:443") == "HTTP/1.1 403 Forbidden"
        finally:
            os.close(directory)
        assert len(proxy.notes()) == 1
    assert not (deep / "proxy.sock").exists()


def test_a_pod_cannot_open_connections_without_end(proxy_dir: Path) -> None:
    # Each connection is a thread of the harness: past the cap, the proxy closes new ones at once.
    with IndexProxy(proxy_dir / "proxy.sock", IndexPolicy.default()) as proxy:
        idle = []
        try:
            for _ in range(_index_proxy._MAX_CONNECTIONS + 1):
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.connect(str(proxy.path))
                idle.append(sock)  # says nothing: its thread waits for a request head
            extra = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            extra.connect(str(proxy.path))  # blocking: waits while the proxy catches up with the others
            extra.settimeout(10)
            assert extra.recv(100) == b""  # closed without an answer
            extra.close()
        finally:
            for sock in idle:
                sock.close()
        assert any("already open" in note for note in proxy.notes()), proxy.notes()


def test_the_proxy_tunnels_to_the_index(proxy_dir: Path, pypi: None) -> None:
    import ssl

    with IndexProxy(proxy_dir / "proxy.sock", IndexPolicy.default()) as proxy:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(30)
            sock.connect(str(proxy.path))
            sock.sendall(b"CONNECT pypi.org:443 HTTP/1.1\r\nHost: pypi.org:443\r\n\r\n")
            head = b""
            while b"\r\n\r\n" not in head:
                head += sock.recv(1)
            assert head.startswith(b"HTTP/1.1 200")
            context = ssl.create_default_context(cafile="/etc/ssl/certs/ca-certificates.crt")
            with context.wrap_socket(sock, server_hostname="pypi.org") as tls:
                tls.sendall(b"HEAD /simple/six/ HTTP/1.1\r\nHost: pypi.org\r\nConnection: close\r\n\r\n")
                assert tls.recv(100).startswith(b"HTTP/1.1 200")
        assert proxy.notes() == ()


# --- end to end: an installing pod ------------------------------------------------------------------

_INSTALLING = """pip install --no-cache-dir six==1.16.0
python3 - <<'EOF'
import os, socket, six
print("six", six.__version__)
print("proxy variables:", sorted(k for k in os.environ if "proxy" in k.lower()))
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=5)
    print("direct: reached")
except OSError as exc:
    print("direct:", type(exc).__name__)

def through(target):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(30)
    sock.connect("/run/argo-parity/proxy.sock")
    sock.sendall(("CONNECT %s HTTP/1.1\\r\\nHost: %s\\r\\n\\r\\n" % (target, target)).encode())
    return sock.recv(100).split(b"\\r\\n")[0].decode()

for target in ("127.0.0.1:{port}", "localhost:{port}", "169.254.169.254:80", "example.com:443"):
    print(target, through(target))
EOF
"""


@pytest.mark.fault(
    group="side effects",
    case="--execute local: a job that runs pip install also connects to the host's 127.0.0.1",
    expected="the install works through the index proxy; the host listener receives nothing",
)
def test_an_installing_pod_installs_but_reaches_nothing_else(
    local: LocalExecutor, listener: Listener, pypi: None
) -> None:
    run = local.run(bash_workflow(_INSTALLING.format(port=listener.port)), label="installing")
    assert run.phase is Phase.SUCCEEDED, (run.stderr.text, run.notes, run.unsupported)
    port = listener.port
    assert run.stdout.text.splitlines() == [
        "six 1.16.0",
        "proxy variables: []",  # only pip is told about the proxy
        "direct: ConnectionRefusedError",  # its own loopback: nothing listens there
        f"127.0.0.1:{port} HTTP/1.1 403 Forbidden",
        f"localhost:{port} HTTP/1.1 403 Forbidden",
        "169.254.169.254:80 HTTP/1.1 403 Forbidden",
        "example.com:443 HTTP/1.1 403 Forbidden",
    ]
    assert listener.accepted == 0
    for where in (f"127.0.0.1:{port}", f"localhost:{port}", "169.254.169.254:80", "example.com:443"):
        assert any(note.startswith(f"network: refused {where}") for note in run.notes), run.notes


@pytest.mark.fault(
    group="side effects",
    case="--execute local: a job installs from an index on the host's loopback",
    expected="refused by the proxy, noted with host and port",
)
def test_an_index_on_the_host_is_refused_and_noted(local: LocalExecutor, listener: Listener) -> None:
    source = f"pip install --index-url http://127.0.0.1:{listener.port}/simple six || echo failed\n"
    run = local.run(bash_workflow(source), label="host-index")
    assert run.stdout.text == "failed\n", run
    assert listener.accepted == 0
    assert any(note.startswith(f"network: refused 127.0.0.1:{listener.port}") for note in run.notes), run.notes


def test_an_install_the_harness_cannot_see_is_unsupported(local: LocalExecutor) -> None:
    # The command name is computed at run time: the pod gets no network, and says why.
    run = local.run(bash_workflow("P=pip\n$P install six==1.16.0 || echo failed\n"), label="unseen")
    assert "failed" in run.stdout.text
    assert any("pip install failed in a pod without network" in item for item in run.unsupported), run.unsupported


def test_concurrent_installing_pods_each_have_their_own_proxy(local: LocalExecutor, listener: Listener) -> None:
    source = (
        "true || pip install six\npython3 - <<'EOF'\nimport socket\n"
        "s = socket.socket(socket.AF_UNIX)\ns.connect('/run/argo-parity/proxy.sock')\n"
        f"s.sendall(b'CONNECT 127.0.0.1:{listener.port} HTTP/1.1\\r\\n\\r\\n')\n"
        "print(s.recv(100).split(b'\\r\\n')[0].decode())\nEOF\n"
    )
    fan_out = workflow(
        [
            {"name": "main", "steps": [[{"name": "probe", "template": "probe", "withItems": [1, 2, 3, 4]}]]},
            script("probe", source),
        ]
    )
    run = local.run(fan_out, label="fan-out")
    assert run.phase is Phase.SUCCEEDED, run
    pods = [node for node in run.nodes if node.kind == "Pod"]
    assert [pod.stdout.text for pod in pods] == ["HTTP/1.1 403 Forbidden\n"] * 4
    assert listener.accepted == 0
    assert [note for note in run.notes if note.startswith("network:")] == [
        f"network: refused 127.0.0.1:{listener.port}: not a package index host "
        f"(pods reach only {IndexPolicy.default().describe()}; add an index with PIP_INDEX_URL or "
        "PARITY_INDEX_HOSTS in the harness's environment)"
    ]


@pytest.mark.slow  # the real pip in a fresh environment: seconds per install
def test_the_real_pip_installs_through_the_proxy(pypi: None, listener: Listener) -> None:
    real = LocalExecutor(default_deadline_s=300, pip_mode="pip")
    LOCAL_EXECUTOR.require(real.unavailable_reason())
    source = (
        "pip install -q --no-cache-dir six==1.16.0 && python -m pip list 2>/dev/null | grep -c '^six '\n"
        "env | grep -ci proxy || true\n"
        f"pip install -q --index-url http://127.0.0.1:{listener.port}/simple idna 2>/dev/null || echo refused\n"
    )
    run = real.run(bash_workflow(source), label="real-pip")
    assert run.stdout.text == "1\n0\nrefused\n", (run.stderr.text, run.notes)
    assert listener.accepted == 0
    assert any(note.startswith(f"network: refused 127.0.0.1:{listener.port}") for note in run.notes), run.notes


# --- docker: never the host's network ------------------------------------------------------------------


@pytest.mark.fault(
    group="side effects",
    case="--execute docker configured with the host network",
    expected="refused: job containers never share the host's network",
)
def test_docker_refuses_the_host_network() -> None:
    with pytest.raises(ValueError, match="never share"):
        DockerExecutor(install_network="host")
    with pytest.raises(ValueError, match="never share"):
        DockerExecutor(install_network="container:abc")


def test_an_installing_docker_pod_does_not_reach_the_hosts_loopback(listener: Listener) -> None:
    docker = DockerExecutor(default_deadline_s=60)
    DOCKER.require(docker.unavailable_reason())
    PYTHON_IMAGE.require(docker.image_problem("python:3.11-slim"))
    probe = (
        "true || pip install six\npython3 - <<'EOF'\nimport socket\ntry:\n"
        f"    socket.create_connection(('127.0.0.1', {listener.port}), timeout=5)\n    print('reached')\n"
        "except OSError as exc:\n    print('unreachable:', type(exc).__name__)\nEOF\n"
    )
    run = docker.run(bash_workflow(probe), label="docker-host")
    assert run.phase is Phase.SUCCEEDED, run
    assert run.stdout.text == "unreachable: ConnectionRefusedError\n"
    assert listener.accepted == 0
