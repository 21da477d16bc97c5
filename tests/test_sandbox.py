"""The local executor's sandbox holds: a script reaches only its mounts, never the host's network
(an installing pod included: it reaches the package index through the harness's proxy, see
test_execute_network.py), none of the host's environment; loops, fork bombs and floods end at the
deadline or the cap, and nothing it started survives the run."""

from __future__ import annotations

import os
import resource
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.execute.local import LocalExecutor, cgroup_available
from harness.execute.result import RunPhase as Phase
from tests.execution_support import bash_workflow, processes_with, script, workflow
from tests.requirements import LOCAL_EXECUTOR, PIDS_LIMIT


@pytest.fixture(scope="module")
def local() -> LocalExecutor:
    executor = LocalExecutor(default_deadline_s=60, pids_limit=256)
    LOCAL_EXECUTOR.require(executor.unavailable_reason())
    return executor


def test_a_script_cannot_write_outside_its_mounts(local: LocalExecutor, tmp_path: Path) -> None:
    host_dir = tmp_path / "host-only"
    host_dir.mkdir()
    private = f"argo-parity-private-{uuid.uuid4().hex}"
    targets = ["/usr/x", "/etc/x", "/x", "/opt/x", "/var/x", "/mnt/x", str(Path.cwd() / "x"), str(host_dir / "x")]
    source = "\n".join(
        [
            f"for p in {' '.join(targets)}; do",
            '  if (echo data > "$p") 2>/dev/null; then echo "WROTE $p"; else echo "DENIED $p"; fi',
            "done",
            f"echo private > /tmp/{private}",
            "echo ok > /mnt/results/allowed.txt",
        ]
    )
    run = local.run(bash_workflow(source), label="write-outside")
    assert run.phase is Phase.SUCCEEDED, run
    assert "WROTE" not in run.stdout.text
    assert sorted(line.split()[1] for line in run.stdout.text.splitlines()) == sorted(targets)
    assert list(host_dir.iterdir()) == []
    assert not (Path("/tmp") / private).exists()  # the sandbox's /tmp is its own
    assert [f.path for f in run.files] == ["/mnt/results/allowed.txt"]


@pytest.fixture
def host_server() -> Iterator[int]:
    """A TCP server on the host's loopback that greets whoever connects."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.sendall(b"hello-from-host\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port
    stop.set()
    thread.join()
    server.close()


_PROBE = """python - <<'EOF'
import socket
print("interfaces:", sorted(name for _, name in socket.if_nameindex()))
try:
    with socket.create_connection(("127.0.0.1", {port}), timeout=5) as s:
        print("reached:", s.recv(100).decode().strip())
except OSError as exc:
    print("unreachable:", type(exc).__name__)
EOF
"""


def test_no_pod_shares_the_host_network(local: LocalExecutor, host_server: int) -> None:
    isolated = local.run(bash_workflow(_PROBE.format(port=host_server)), label="no-network")
    assert isolated.phase is Phase.SUCCEEDED, isolated
    assert "interfaces: ['lo']" in isolated.stdout.text
    assert "unreachable: ConnectionRefusedError" in isolated.stdout.text  # its loopback is its own

    # A program that installs packages used to share the host's network (and reached this
    # server); now it has its own loopback too, and the package index only through the proxy.
    installing = local.run(
        bash_workflow("true || pip install nothing\n" + _PROBE.format(port=host_server)), label="net"
    )
    assert installing.phase is Phase.SUCCEEDED, installing
    assert "interfaces: ['lo']" in installing.stdout.text
    assert "unreachable: ConnectionRefusedError" in installing.stdout.text, installing


def test_the_host_environment_is_invisible(local: LocalExecutor, monkeypatch: pytest.MonkeyPatch) -> None:
    canary = f"canary-{uuid.uuid4().hex}"
    monkeypatch.setenv("ARGO_PARITY_CANARY", canary)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", canary)
    source = "env\ncat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n'\n"
    run = local.run(bash_workflow(source, env={"TASK_ID": "42"}), label="host-env")
    assert run.phase is Phase.SUCCEEDED, run
    assert canary not in run.stdout.text + run.stderr.text
    names = {line.split("=", 1)[0] for line in run.stdout.text.splitlines() if "=" in line}
    # the image's variables, the template's, and what bash itself sets: nothing else
    assert names <= {"PATH", "LANG", "HOME", "HOSTNAME", "TASK_ID", "PWD", "SHLVL", "_", "OLDPWD"}
    assert "TASK_ID=42" in run.stdout.text


def test_an_infinite_loop_is_killed_at_the_deadline(local: LocalExecutor) -> None:
    token = f"{uuid.uuid4().int % 10**6}.{uuid.uuid4().int % 10**6}"
    # The loop's own deadline (2 s), not the executor's (60 s), ends it: a run that went on for
    # 30 s would print PAST-THE-DEADLINE.
    source = f"sleep {token} &\n(sleep 30; echo PAST-THE-DEADLINE) &\necho looping\nwhile :; do :; done\n"
    run = local.run(bash_workflow(source, deadline=2), label="loop")
    assert run.phase is Phase.FAILED
    assert run.exit_code is None and run.nodes[0].timed_out
    assert "deadline" in (run.nodes[0].message or "")
    assert run.stdout.text == "looping\n"  # it was running, and was stopped long before 30 s
    assert processes_with(f"sleep {token}") == []


def test_a_fork_bomb_is_contained_and_killed_at_the_deadline(local: LocalExecutor) -> None:
    token = f"forkbomb-{uuid.uuid4().hex}"
    bomb = workflow(
        [
            {
                "name": "main",
                "container": {
                    "image": "python:3.11-slim",
                    "command": [
                        "bash",
                        "-c",
                        "(sleep 30; echo PAST-THE-DEADLINE) & bomb() { bomb | bomb & }; bomb; while :; do :; done",
                        token,
                    ],
                },
            }
        ],
        deadline=3,
    )
    run = local.run(bomb, label="fork-bomb")
    assert run.phase is Phase.FAILED, run
    assert run.nodes[0].timed_out
    assert "PAST-THE-DEADLINE" not in run.stdout.text  # killed at its 3 s deadline, long before 30 s
    assert processes_with(token) == []
    # The machine kept working meanwhile: this process could still fork.
    assert os.system("true") == 0
    if cgroup_available():  # the bomb hit the sandbox's pids limit, not the host's
        assert "fork: retry: Resource temporarily unavailable" in run.stderr.text


def test_this_machine_gives_sandboxes_a_pids_limit() -> None:
    # Without a writable pids cgroup a fork bomb still dies at its deadline, but may starve the
    # host until then; CI machines have one.
    if not cgroup_available():
        PIDS_LIMIT.require("no writable cgroup pids controller")


def test_100_mb_of_output_is_capped_without_holding_it(local: LocalExecutor) -> None:
    executor = LocalExecutor(output_cap=64 * 1024)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    run = executor.run(bash_workflow("head -c 100000000 /dev/zero | tr '\\0' x\necho done >&2\n"), label="flood")
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert run.phase is Phase.SUCCEEDED, run
    assert run.stdout.size == 100_000_000
    assert run.stdout.truncated
    assert len(run.stdout.text.encode()) < 70 * 1024
    assert run.stdout.text.startswith("xxxx") and run.stdout.text.endswith("xxxx")
    assert "bytes omitted" in run.stdout.text
    assert run.stderr.text == "done\n" and not run.stderr.truncated
    assert grown_mib < 30, f"the harness grew by {grown_mib:.0f} MiB while capturing 100 MB"


def test_nothing_the_run_started_survives_it(local: LocalExecutor) -> None:
    token = f"{uuid.uuid4().int % 10**6}.{uuid.uuid4().int % 10**5}"
    source = f"setsid sleep {token} &\nnohup sleep {token} >/dev/null 2>&1 &\n(sleep {token} &)\necho started\n"
    run = local.run(bash_workflow(source), label="daemons")
    assert run.phase is Phase.SUCCEEDED and run.stdout.text == "started\n"
    assert processes_with(f"sleep {token}") == []


def test_each_run_gets_fresh_volumes(local: LocalExecutor) -> None:
    source = "ls -A /mnt/results | wc -l\necho x > /mnt/results/left-behind.txt\n"
    first = local.run(bash_workflow(source), label="first")
    second = local.run(bash_workflow(source), label="second")
    assert first.stdout.text == second.stdout.text == "0\n"


@pytest.fixture(scope="module")
def pypi() -> None:
    """Skips the test where PyPI cannot be reached from this machine."""
    try:
        socket.create_connection(("pypi.org", 443), timeout=10).close()
    except OSError as exc:
        pytest.skip(f"PyPI (pypi.org:443) is unreachable from this machine: {exc}")


def test_a_package_installed_in_one_pod_is_not_in_the_next(local: LocalExecutor, pypi: None) -> None:
    steps = workflow(
        [
            {
                "name": "main",
                "steps": [[{"name": "install", "template": "install"}], [{"name": "use", "template": "use"}]],
            },
            script("install", "pip install --no-cache-dir six==1.16.0\npython -c 'import six; print(six.__version__)'"),
            script("use", "python -c 'import six' 2>&1 || echo 'six is not installed here'"),
        ]
    )
    run = local.run(steps, label="pods-isolated")
    assert run.phase is Phase.SUCCEEDED, run
    assert run.node("main[0].install") is not None
    assert run.node("main[0].install").stdout.text.strip().endswith("1.16.0")  # type: ignore[union-attr]
    assert "six is not installed here" in run.node("main[1].use").stdout.text  # type: ignore[union-attr]


def test_pip_the_shim_cannot_do_is_reported_unsupported(local: LocalExecutor) -> None:
    run = local.run(bash_workflow("pip install --user six || echo refused\n"), label="pip-user")
    assert "refused" in run.stdout.text
    assert any("pip install --user" in item for item in run.unsupported), run.unsupported
