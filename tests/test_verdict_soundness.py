"""A verdict is a promise: missing evidence is INCONCLUSIVE, never READY, and user code never
takes the harness down (README, "What a verdict promises").

Every test here runs ``parity run`` (or pytest with the plugin) as a user would, in a process of
its own, on builders from ``tests/hostile_builders.py`` that crash, exit, hang, catch the
harness's own interrupts or reach for the network.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PARITY = [str(Path(sys.executable).parent / "parity")]
HOSTILE = "tests.hostile_builders"

THREE_SCENARIOS = textwrap.dedent(
    """\
    - name: first
      kind: plain
      inputs: {python_code: "print(1)"}
    - name: marked
      kind: plain
      inputs: {python_code: "print(2)  # hostile"}
    - name: third
      kind: plain
      inputs: {python_code: "print(3)"}
    """
)


def environment(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.update(extra)
    return env


@pytest.fixture
def scenarios(tmp_path: Path) -> Path:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "three.yaml").write_text(THREE_SCENARIOS)
    return folder


def parity_run(
    tmp_path: Path, scenarios: Path, *args: str, timeout: float = 120, **env: str
) -> tuple[subprocess.CompletedProcess[str], dict]:
    report_dir = tmp_path / "reports"
    completed = subprocess.run(  # noqa: PLW1510 - the exit code is under test
        [*PARITY, "run", "--scenarios", str(scenarios), "--report-dir", str(report_dir), "--no-progress", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment(**env),
        cwd=tmp_path,
    )
    report_path = report_dir / "parity-report.json"
    return completed, json.loads(report_path.read_text()) if report_path.exists() else {}


def by_name(report: dict) -> dict[str, dict]:
    return {scenario["name"]: scenario for scenario in report["scenarios"]}


def reason(report: dict, criterion: str) -> dict:
    return next(r for r in report["reasons"] if r["criterion"] == criterion)


# --- one definition of agreement ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("legacy", "new"),
    [
        pytest.param(
            "crashes_runtime",
            "crashes_keyerror",
            marks=pytest.mark.fault(
                group="false READY",
                case="both builders crash (RuntimeError and KeyError) on every scenario",
                expected="INCONCLUSIVE (exit 3): every scenario legacy-crashed, never both-rejected",
            ),
        ),
        pytest.param(
            "returns_none",
            "returns_none",
            marks=pytest.mark.fault(
                group="false READY",
                case="both builders return None",
                expected="INCONCLUSIVE (exit 3): None is not a manifest, a crash of each side",
            ),
        ),
    ],
)
def test_both_builders_crashing_is_never_agreement(tmp_path: Path, scenarios: Path, legacy: str, new: str) -> None:
    completed, report = parity_run(tmp_path, scenarios, "--legacy", f"{HOSTILE}:{legacy}", "--new", f"{HOSTILE}:{new}")
    assert completed.returncode == 3, completed.stdout + completed.stderr
    assert report["verdict"] == "INCONCLUSIVE"
    assert {s["status"] for s in report["scenarios"]} == {"legacy-crashed"}
    assert reason(report, "legacy-baseline")["verdict"] == "INCONCLUSIVE"
    assert all(s["legacy"]["error"]["kind"] != "rejected" for s in report["scenarios"])


@pytest.mark.fault(
    group="false READY",
    case="both builders refuse every input",
    expected="each scenario both-rejected (agreement), the run INCONCLUSIVE: no manifest was compared",
)
def test_both_rejecting_agrees_but_a_run_with_no_manifest_is_inconclusive(tmp_path: Path, scenarios: Path) -> None:
    completed, report = parity_run(tmp_path, scenarios, "--legacy", f"{HOSTILE}:rejects", "--new", f"{HOSTILE}:rejects")
    assert {s["status"] for s in report["scenarios"]} == {"both-rejected"}
    assert all(s["passed"] for s in report["scenarios"])
    assert reason(report, "manifests-compared")["verdict"] == "INCONCLUSIVE"
    assert completed.returncode == 3 and report["verdict"] == "INCONCLUSIVE"


@pytest.mark.fault(
    group="false READY",
    case="a scenario says `expect: {rejected: true}` and the builders accept the input",
    expected="NOT READY, naming the unmet expectation; READY when both refuse",
)
def test_a_scenario_can_expect_both_builders_to_reject(tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "s.yaml").write_text(
        THREE_SCENARIOS.replace('print(2)  # hostile"}', 'print(2)  # hostile"}\n  expect: {rejected: true}')
    )
    completed, report = parity_run(
        tmp_path, folder, "--legacy", f"{HOSTILE}:rejects_marked", "--new", f"{HOSTILE}:rejects_marked"
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert by_name(report)["marked"]["status"] == "both-rejected" and by_name(report)["marked"]["passed"]
    # the same expectation against builders that accept the input fails the scenario
    completed, report = parity_run(tmp_path, folder)
    assert completed.returncode == 1
    assert by_name(report)["marked"]["problems"] == [
        "expected both builders to reject this input, but the scenario is equivalent"
    ]


@pytest.mark.fault(
    group="false READY",
    case="fuzzing and parity run judge the same pair of crashing builders",
    expected="one definition of agreement: a crash on both sides is a divergence, refusals agree",
)
def test_fuzzing_and_the_engine_use_the_same_definition() -> None:
    from harness.fuzz.property import Agreement, Divergence, DivergenceKind, check_parity
    from tests import hostile_builders

    both_crash = check_parity(hostile_builders.crashes_runtime, hostile_builders.crashes_keyerror, {"python_code": "x"})
    assert isinstance(both_crash, Divergence) and both_crash.kind is DivergenceKind.BUILDER_CRASH
    both_none = check_parity(hostile_builders.returns_none, hostile_builders.returns_none, {"python_code": "x"})
    assert isinstance(both_none, Divergence) and both_none.kind is DivergenceKind.BUILDER_CRASH
    both_reject = check_parity(hostile_builders.rejects, hostile_builders.rejects, {"python_code": "x"})
    assert isinstance(both_reject, Agreement) and both_reject.both_rejected


# --- user code never takes the harness down -----------------------------------------------------


@pytest.mark.parametrize(
    ("builder", "kind", "words"),
    [
        pytest.param(
            "exits_zero",
            "exit",
            "sys.exit(0)",
            marks=pytest.mark.fault(
                group="false READY",
                case="a builder calls sys.exit(0) on one scenario",
                expected="that side crashed (exit), the other scenarios run, NOT READY, report written",
            ),
        ),
        pytest.param(
            "exits_hard",
            "exit",
            "os._exit(0)",
            marks=pytest.mark.fault(
                group="false READY",
                case="a builder calls os._exit(0) on one scenario",
                expected="that side crashed (exit), the other scenarios run, NOT READY, report written",
            ),
        ),
        pytest.param(
            "exits_one",
            "exit",
            "sys.exit(1)",
            marks=pytest.mark.fault(
                group="false READY",
                case="a builder raises SystemExit(1)",
                expected="that side crashed, no 'Aborted!', NOT READY, report written",
            ),
        ),
        pytest.param(
            "interrupts",
            "exception",
            "KeyboardInterrupt",
            marks=pytest.mark.fault(
                group="false READY",
                case="a builder raises KeyboardInterrupt",
                expected="that side crashed (the run is not interrupted), NOT READY, report written",
            ),
        ),
    ],
)
def test_a_builder_that_exits_or_interrupts_costs_one_side_of_one_scenario(
    tmp_path: Path, scenarios: Path, builder: str, kind: str, words: str
) -> None:
    completed, report = parity_run(tmp_path, scenarios, "--new", f"{HOSTILE}:{builder}")
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert report["verdict"] == "NOT READY"
    rows = by_name(report)
    assert rows["first"]["status"] == rows["third"]["status"] == "equivalent"
    marked = rows["marked"]
    assert marked["status"] == "builder-error"
    assert marked["new"]["error"]["kind"] == kind
    assert words in marked["new"]["error"]["type"] + marked["new"]["error"]["message"]
    assert "Aborted" not in completed.stderr and "Traceback" not in completed.stderr
    assert "marked" in completed.stdout


@pytest.mark.fault(
    group="false READY",
    case="a builder calls os._exit under -n 2",
    expected="no BrokenProcessPool: that side crashed, every other scenario ran",
)
def test_a_builder_exiting_hard_under_parallel_workers_is_contained(tmp_path: Path, scenarios: Path) -> None:
    completed, report = parity_run(tmp_path, scenarios, "--new", f"{HOSTILE}:exits_hard", "-n", "2")
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "BrokenProcessPool" not in completed.stderr + completed.stdout
    assert [s["status"] for s in report["scenarios"]] == ["equivalent", "builder-error", "equivalent"]


@pytest.mark.parametrize(
    "builder",
    [
        pytest.param(
            "hangs",
            marks=pytest.mark.fault(
                group="false READY",
                case="a builder never returns",
                expected="crashed (timeout) after --build-timeout, naming where it hung; the run goes on",
            ),
        ),
        pytest.param(
            "hangs_and_swallows",
            marks=pytest.mark.fault(
                group="false READY",
                case="a builder never returns and swallows every exception, the timeout's included",
                expected="killed after the timeout and a grace period; crashed (timeout); the run goes on",
            ),
        ),
    ],
)
def test_a_builder_that_never_returns_times_out(tmp_path: Path, scenarios: Path, builder: str) -> None:
    completed, report = parity_run(tmp_path, scenarios, "--legacy", f"{HOSTILE}:{builder}", "--build-timeout", "1")
    assert completed.returncode == 3, completed.stdout + completed.stderr
    rows = by_name(report)
    assert rows["marked"]["status"] == "legacy-crashed"
    error = rows["marked"]["legacy"]["error"]
    assert error["kind"] == "timeout" and "within 1 s" in error["message"]
    if builder == "hangs":  # the alarm ended it: the message says where it was
        assert "hostile_builders.py" in error["message"]
    assert rows["first"]["status"] == rows["third"]["status"] == "equivalent"


@pytest.mark.parametrize(
    ("module", "body", "words"),
    [
        pytest.param(
            "syntax_error",
            "def build(inputs):\n    return {'kind': 'Workflow'\n",
            "syntax error",
            marks=pytest.mark.fault(
                group="errors and reports",
                case="a builder module has a syntax error",
                expected="exit 2 before any scenario, one line naming the option, module and problem",
            ),
        ),
        pytest.param(
            "raises_at_import",
            "raise RuntimeError('planted: cannot import')\n",
            "RuntimeError: planted: cannot import",
            marks=pytest.mark.fault(
                group="errors and reports",
                case="a builder module raises at import",
                expected="exit 2 before any scenario, one line naming the option, module and problem",
            ),
        ),
        pytest.param(
            "exits_at_import",
            "import sys\nsys.exit(0)\n",
            "sys.exit(0)",
            marks=pytest.mark.fault(
                group="errors and reports",
                case="a builder module calls sys.exit(0) at import",
                expected="exit 2 before any scenario, one line naming the option, module and problem",
            ),
        ),
        pytest.param(
            "hard_exits_at_import",
            "import os\nos._exit(0)\n",
            "os._exit(0)",
            marks=pytest.mark.fault(
                group="errors and reports",
                case="a builder module calls os._exit(0) at import",
                expected="exit 2 before any scenario, one line naming the option, module and problem",
            ),
        ),
        pytest.param(
            "hangs_at_import",
            "import time\nwhile True:\n    time.sleep(0.1)\n",
            "did not finish within 30 s",
            marks=[
                pytest.mark.slow,
                pytest.mark.fault(
                    group="errors and reports",
                    case="a builder module hangs at import",
                    expected="exit 2 before any scenario, one line naming the option, module and problem",
                ),
            ],
        ),
    ],
)
def test_a_builder_module_that_cannot_be_imported_is_bad_input(
    tmp_path: Path, scenarios: Path, module: str, body: str, words: str
) -> None:
    (tmp_path / f"team_{module}.py").write_text(body + "\ndef build(inputs):\n    return {}\n")
    completed, report = parity_run(tmp_path, scenarios, "--new", f"team_{module}:build", "--build-timeout", "2")
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert not report
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("parity: error:"), completed.stderr
    assert f"team_{module}" in lines[0] and words in lines[0] and "--new" in lines[0]


# --- no network during a build ------------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                received.append(connection.recv(100) or b"<connected>")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], received
    stop.set()
    thread.join()
    server.close()


@pytest.mark.fault(
    group="side effects",
    case="a builder opens a TCP connection to a listener on the host's 127.0.0.1 and catches the refusal",
    expected="the listener receives nothing; that side crashed (network), naming host and port",
)
def test_a_builder_cannot_connect_to_the_host(
    tmp_path: Path, scenarios: Path, listener: tuple[int, list[bytes]]
) -> None:
    port, received = listener
    completed, report = parity_run(tmp_path, scenarios, "--new", f"{HOSTILE}:connects_to_host", HOSTILE_PORT=str(port))
    assert completed.returncode == 1, completed.stdout + completed.stderr
    marked = by_name(report)["marked"]
    assert marked["status"] == "builder-error"
    assert marked["new"]["error"]["kind"] == "network"
    assert f"127.0.0.1:{port}" in marked["new"]["error"]["message"]
    assert received == []


@pytest.mark.fault(
    group="side effects",
    case="a builder submits with create_namespaced_custom_object to the current kubeconfig's API server",
    expected="the API server receives nothing; that side crashed (network), naming host and port",
)
def test_a_submitting_builder_never_reaches_the_api_server(
    tmp_path: Path, scenarios: Path, listener: tuple[int, list[bytes]]
) -> None:
    port, received = listener
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        textwrap.dedent(
            f"""\
            apiVersion: v1
            kind: Config
            clusters: [{{name: c, cluster: {{server: "http://127.0.0.1:{port}"}}}}]
            users: [{{name: u, user: {{token: not-a-real-token}}}}]
            contexts: [{{name: x, context: {{cluster: c, user: u}}}}]
            current-context: x
            """
        )
    )
    completed, report = parity_run(
        tmp_path, scenarios, "--new", f"{HOSTILE}:submits_to_cluster", KUBECONFIG=str(kubeconfig)
    )
    marked = by_name(report)["marked"]
    assert marked["new"]["error"]["kind"] == "network", marked["new"]["error"]
    assert f"127.0.0.1:{port}" in marked["new"]["error"]["message"]
    assert received == []
    assert completed.returncode == 1


# --- interrupted and partial runs ---------------------------------------------------------------


@pytest.mark.fault(
    group="false READY",
    case="Ctrl-C (SIGINT to the process group) during parity run",
    expected="INCONCLUSIVE (exit 3) report on the finished scenarios, no 'Aborted!'",
)
def test_ctrl_c_during_a_run_writes_an_inconclusive_report(tmp_path: Path, scenarios: Path) -> None:
    report_dir, started = tmp_path / "reports", tmp_path / "hanging"
    process = subprocess.Popen(
        [
            *PARITY,
            "run",
            "--scenarios",
            str(scenarios),
            "--report-dir",
            str(report_dir),
            "--no-progress",
            "--new",
            f"{HOSTILE}:hangs",
            "--build-timeout",
            "60",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(HOSTILE_STARTED=str(started)),
        cwd=tmp_path,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:  # the first scenario is done, the second hangs
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 3, stdout + stderr
    report = json.loads((report_dir / "parity-report.json").read_text())
    assert report["verdict"] == "INCONCLUSIVE"
    assert "interrupted after 1 of 3 scenarios" in reason(report, "scenarios-ran")["message"]
    assert [s["name"] for s in report["scenarios"]] == ["first"]
    assert "Aborted" not in stderr and "Traceback" not in stderr


@pytest.mark.fault(
    group="errors and reports",
    case="parity run ... | head -1 on a READY run",
    expected="exit 0, no BrokenPipeError",
)
def test_a_closed_stdout_does_not_change_the_exit_code(tmp_path: Path, scenarios: Path) -> None:
    report_dir = tmp_path / "reports"
    command = (
        f"{PARITY[0]} run --scenarios {scenarios} --report-dir {report_dir} --no-progress | head -1; "
        "exit ${PIPESTATUS[0]}"
    )
    completed = subprocess.run(  # noqa: PLW1510 - the exit code is under test
        ["bash", "-c", command], capture_output=True, text=True, env=environment(), timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    assert "BrokenPipe" not in completed.stderr and "Exception ignored" not in completed.stderr


@pytest.mark.fault(
    group="errors and reports",
    case="waivers.yaml beside --scenarios DIR, run from another working directory",
    expected="the waivers apply (the same verdict wherever the run starts)",
)
def test_waivers_beside_the_scenarios_folder_apply_wherever_the_run_starts(tmp_path: Path) -> None:
    folder = tmp_path / "team" / "scenarios"
    folder.mkdir(parents=True)
    (folder / "s.yaml").write_text(THREE_SCENARIOS)
    (folder / "waivers.yaml").write_text(
        textwrap.dedent(
            """\
            waivers:
              - id: no-deps-on-purpose
                path: "spec.templates[main].script.source"
                reason: the new builder installs nothing on purpose
                owner: platform
                expires: 2999-01-01
            """
        )
    )
    completed, report = parity_run(tmp_path, folder, "--new", "tests.planted:echoes_more")
    assert report["waivers"]["used"] == ["no-deps-on-purpose"], completed.stdout + completed.stderr
    assert {s["status"] for s in report["scenarios"]} == {"waived"}


@pytest.mark.parametrize(
    ("where", "words"),
    [
        pytest.param(
            "taken",
            "not a directory",
            marks=pytest.mark.fault(
                group="errors and reports",
                case="--report-dir names a file",
                expected="exit 2 before any scenario runs, one line naming --report-dir",
            ),
        ),
        pytest.param(
            "taken/reports",
            "lies under a file",
            marks=pytest.mark.fault(
                group="errors and reports",
                case="--report-dir lies under a file",
                expected="exit 2 before any scenario runs, one line naming --report-dir",
            ),
        ),
    ],
)
def test_an_unusable_report_dir_is_found_before_the_run(
    tmp_path: Path, scenarios: Path, where: str, words: str
) -> None:
    (tmp_path / "taken").write_text("")
    report_dir, hanging = tmp_path / where, tmp_path / "hanging"
    completed = subprocess.run(  # noqa: PLW1510 - the exit code is under test
        [*PARITY, "run", "--scenarios", str(scenarios), "--report-dir", str(report_dir), "--new", f"{HOSTILE}:hangs"],
        capture_output=True,
        text=True,
        env=environment(HOSTILE_STARTED=str(hanging)),
        timeout=120,
    )
    assert completed.returncode == 2, completed.stdout + completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and "--report-dir" in lines[0] and words in lines[0], completed.stderr
    # found before the run: the scenario whose builder hangs was never built
    assert not hanging.exists()


# --- what a hostile review found ---------------------------------------------------------------


@pytest.mark.fault(
    group="side effects",
    case="a builder writes a pickle (whose loading runs code) to the harness's channel",
    expected="nothing runs in the harness; that side crashed (channel tampering); the others still run",
)
def test_a_builder_cannot_run_code_in_the_harness_through_its_channel(tmp_path: Path, scenarios: Path) -> None:
    marker = tmp_path / "ran-in-the-harness"
    completed, report = parity_run(
        tmp_path, scenarios, "--new", f"{HOSTILE}:writes_a_pickle_to_the_harness", HOSTILE_STARTED=str(marker)
    )
    assert not marker.exists(), "the builder's pickle ran code"
    rows = by_name(report)
    assert rows["marked"]["status"] == "builder-error", completed.stdout + completed.stderr
    assert rows["marked"]["new"]["error"]["type"] == "ChannelTampering"
    assert rows["first"]["status"] == rows["third"]["status"] == "equivalent"
    assert completed.returncode == 1


@pytest.mark.fault(
    group="errors and reports",
    case="a builder writes `hello, collector!` to the harness's channel",
    expected="no hang: that side crashed (channel tampering) at once",
)
def test_garbage_on_the_channel_neither_hangs_nor_shifts_results(tmp_path: Path, scenarios: Path) -> None:
    # a hang would show as a timeout after --build-timeout, never as tampering
    completed, report = parity_run(
        tmp_path, scenarios, "--new", f"{HOSTILE}:writes_garbage_to_the_harness", "--build-timeout", "30"
    )
    rows = by_name(report)
    assert rows["marked"]["new"]["error"]["type"] == "ChannelTampering", completed.stdout + completed.stderr
    assert rows["first"]["status"] == rows["third"]["status"] == "equivalent"


@pytest.mark.fault(
    group="false READY",
    case="both builders hang, catch the timeout and raise ValueError('invalid input')",
    expected="a timeout on both sides (legacy-crashed), never both-rejected",
)
def test_a_hang_disguised_as_a_refusal_is_still_a_timeout(tmp_path: Path, scenarios: Path) -> None:
    completed, report = parity_run(
        tmp_path, scenarios, "--legacy", f"{HOSTILE}:hangs_then_refuses", "--new", f"{HOSTILE}:hangs_then_refuses",
        "--build-timeout", "1",
    )  # fmt: skip
    marked = by_name(report)["marked"]
    assert marked["status"] == "legacy-crashed", completed.stdout
    assert marked["legacy"]["error"]["kind"] == marked["new"]["error"]["kind"] == "timeout"
    assert completed.returncode == 3


@pytest.mark.fault(
    group="false READY",
    case="both builders return {}",
    expected="not a Kubernetes object (no apiVersion, kind): a crash on both sides, INCONCLUSIVE",
)
def test_an_empty_mapping_is_not_a_manifest(tmp_path: Path, scenarios: Path) -> None:
    builder = f"{HOSTILE}:returns_an_empty_mapping"
    completed, report = parity_run(tmp_path, scenarios, "--legacy", builder, "--new", builder)
    assert {s["status"] for s in report["scenarios"]} == {"legacy-crashed"}
    assert "no apiVersion or kind" in report["scenarios"][0]["legacy"]["error"]["message"]
    assert completed.returncode == 3


@pytest.mark.fault(
    group="errors and reports",
    case="a builder returns a manifest nested 900 levels deep",
    expected="that side crashed, saying the manifest is nested too deep (not a process exit)",
)
def test_a_deep_manifest_is_named_as_such(tmp_path: Path, scenarios: Path) -> None:
    _, report = parity_run(tmp_path, scenarios, "--new", f"{HOSTILE}:returns_a_deep_manifest")
    error = report["scenarios"][0]["new"]["error"]
    assert error["kind"] == "not-a-manifest" and "nested" in error["message"]


@pytest.mark.fault(
    group="side effects",
    case="a builder connects with the C-level _socket, from a child process, and to a unix socket",
    expected="the kernel refuses all three (syscall filter); the listeners receive nothing",
)
def test_the_syscall_filter_stops_what_the_socket_module_never_sees(
    tmp_path: Path, scenarios: Path, listener: tuple[int, list[bytes]]
) -> None:
    port, received = listener
    path = tmp_path / "daemon.sock"
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind(str(path))
    unix.listen()
    unix.settimeout(0.5)
    try:
        parity_run(
            tmp_path, scenarios, "--new", f"{HOSTILE}:connects_below_the_socket_module",
            HOSTILE_PORT=str(port), HOSTILE_UNIX_SOCKET=str(path),
        )  # fmt: skip
        with pytest.raises(TimeoutError):
            unix.accept()
    finally:
        unix.close()
    assert received == []


@pytest.mark.fault(
    group="side effects",
    case="the machine cannot load a syscall filter (libseccomp missing, a container profile)",
    expected="INCONCLUSIVE: the build-isolation criterion says builds ran unconfined, and why",
)
def test_builds_without_the_syscall_filter_are_inconclusive(tmp_path: Path, scenarios: Path) -> None:
    missing = tmp_path / "no-seccomp"
    missing.mkdir()
    (missing / "pyseccomp.py").write_text("raise ImportError('libseccomp is not installed here')\n")
    completed, report = parity_run(
        tmp_path, scenarios, PYTHONPATH=os.pathsep.join([str(missing), str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    isolation = reason(report, "build-isolation")
    assert isolation["verdict"] == "INCONCLUSIVE" and "pyseccomp" in isolation["message"]
    assert completed.returncode == 3


@pytest.mark.fault(
    group="side effects",
    case="a builder double-forks a daemon that outlives its build",
    expected="the daemon is killed when the build returns (the builder process adopts and kills orphans)",
)
def test_nothing_a_builder_starts_outlives_its_build(tmp_path: Path, scenarios: Path) -> None:
    beat = tmp_path / "beat"
    parity_run(tmp_path, scenarios, "--new", f"{HOSTILE}:starts_a_daemon", HOSTILE_STARTED=str(beat))
    assert beat.exists(), "the daemon never started"
    last = beat.read_text()
    time.sleep(0.5)
    assert beat.read_text() == last, "the daemon is still writing"


@pytest.mark.fault(
    group="errors and reports",
    case="--build-timeout inf (or 1e20)",
    expected="exit 2 with one line, no OverflowError traceback",
)
def test_an_impossible_build_timeout_is_bad_input(tmp_path: Path, scenarios: Path) -> None:
    completed, report = parity_run(tmp_path, scenarios, "--build-timeout", "inf")
    assert completed.returncode == 2 and not report
    assert "Traceback" not in completed.stderr and "--build-timeout" in completed.stderr


@pytest.mark.fault(
    group="false READY",
    case="a rules.yaml beside the scenarios declares every path (`**`) cosmetic",
    expected="each demoted difference names the built-in rule it overrode; the gate lists the rule and the count",
)
def test_user_rules_that_demote_real_differences_are_shown_on_the_gate(tmp_path: Path, scenarios: Path) -> None:
    (scenarios / "rules.yaml").write_text("rules:\n  - {id: nothing-matters, path: '**', category: cosmetic}\n")
    completed, report = parity_run(tmp_path, scenarios, "--new", "tests.planted:echoes_more")
    shown = reason(report, "user-rules")
    assert "nothing-matters (3)" in shown["message"], completed.stdout
    demoted = [d for s in report["scenarios"] for d in s["differences"] if d.get("demoted_from")]
    assert len(demoted) == 3 and all(d["category"] == "cosmetic" for d in demoted)


@pytest.mark.fault(
    group="secrets",
    case="a builder raises, and prints before it dies, a message holding the password it used",
    expected="the password reaches no report file and no console output",
)
def test_a_builders_error_and_output_never_carry_its_credentials(tmp_path: Path, scenarios: Path) -> None:
    from tests.hostile_builders import REGISTRY_PASSWORD

    completed, report = parity_run(tmp_path, scenarios, "--new", f"{HOSTILE}:fails_with_credentials")
    rows = by_name(report)
    assert rows["marked"]["new"]["error"]["type"] == "RuntimeError"
    assert rows["third"]["new"]["error"]["kind"] == "exit"
    outputs = [completed.stdout, completed.stderr]
    outputs += [p.read_text() for p in (tmp_path / "reports").iterdir() if p.is_file()]
    for text in outputs:
        assert REGISTRY_PASSWORD not in text
        assert "f3a9c2d1e0b4a5968778695a4b3c2d1e0f9a8b7c" not in text


@pytest.mark.slow  # ~13 s: a parity run fuzzing inline in a subprocess
@pytest.mark.fault(
    group="false READY",
    case="Ctrl-C while the canary gate fuzzes inline (Hypothesis catches KeyboardInterrupt)",
    expected="the run stops, INCONCLUSIVE (interrupted), instead of fuzzing on and reporting READY",
)
def test_ctrl_c_during_inline_fuzzing_is_an_interrupted_run(tmp_path: Path, scenarios: Path) -> None:
    (tmp_path / "rollout.yaml").write_text("phases:\n  canary: {min_fuzz_examples: 100000}\n")
    report_dir, started = tmp_path / "reports", tmp_path / "fuzzing"
    process = subprocess.Popen(
        [*PARITY, "run", "--scenarios", str(scenarios), "--report-dir", str(report_dir), "--no-progress",
         "--phase", "canary", "--rollout", str(tmp_path / "rollout.yaml"), "--new", f"{HOSTILE}:tells_when_fuzzed"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(HOSTILE_STARTED=str(started)),
        cwd=tmp_path,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    report = json.loads((report_dir / "parity-report.json").read_text())
    assert report["verdict"] == "INCONCLUSIVE", stdout + stderr
    assert "interrupted" in reason(report, "scenarios-ran")["message"]
    assert report["fuzz"] is None
    assert process.returncode == 3
