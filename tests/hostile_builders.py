"""Builders that misbehave the way user code does, referenced by ``tests.hostile_builders:NAME``.

Each one does one hostile thing on the scenario whose code carries ``MARK`` and builds like the
reference Hera builder otherwise, so a test can check that the harness contains exactly that
side of exactly that scenario while the other scenarios still run.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import time
from typing import Any

from harness.builders import hera

MARK = "# hostile"
# A listener a test opens on the host; builders read its port from here.
PORT_ENV = "HOSTILE_PORT"
# A file a hanging builder creates once it hangs.
STARTED_ENV = "HOSTILE_STARTED"


def _marked(inputs: dict[str, Any]) -> bool:
    return MARK in str(inputs.get("python_code", ""))


def crashes_runtime(inputs: dict[str, Any]) -> Any:
    raise RuntimeError("planted: legacy side crashes")


def crashes_keyerror(inputs: dict[str, Any]) -> Any:
    return {}["missing"]


def returns_none(inputs: dict[str, Any]) -> Any:
    return None


def exits_zero(inputs: dict[str, Any]) -> Any:
    if _marked(inputs):
        sys.exit(0)
    return hera.build(inputs)


def exits_hard(inputs: dict[str, Any]) -> Any:
    if _marked(inputs):
        os._exit(0)
    return hera.build(inputs)


def exits_one(inputs: dict[str, Any]) -> Any:
    if _marked(inputs):
        raise SystemExit(1)
    return hera.build(inputs)


def interrupts(inputs: dict[str, Any]) -> Any:
    if _marked(inputs):
        raise KeyboardInterrupt
    return hera.build(inputs)


def hangs(inputs: dict[str, Any]) -> Any:
    if _marked(inputs):
        if os.environ.get(STARTED_ENV):  # tells a test that the hang has begun
            open(os.environ[STARTED_ENV], "w").close()
        while True:
            time.sleep(0.1)
    return hera.build(inputs)


def hangs_and_swallows(inputs: dict[str, Any]) -> Any:
    """Catches everything, the harness's own timeout included: only a kill stops it."""
    if _marked(inputs):
        while True:
            with contextlib.suppress(BaseException):
                time.sleep(0.1)
    return hera.build(inputs)


def connects_to_host(inputs: dict[str, Any]) -> Any:
    """Opens a TCP connection to a listener on 127.0.0.1 and swallows the refusal."""
    manifest = hera.build(inputs)
    if _marked(inputs):
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", int(os.environ[PORT_ENV])), timeout=2).sendall(b"leak")
    return manifest


def submits_to_cluster(inputs: dict[str, Any]) -> Any:
    """Builds and submits through the kubernetes client, the way build-and-submit code does."""
    from kubernetes import client, config

    manifest = hera.build(inputs)
    if _marked(inputs):
        config.load_kube_config()
        client.CustomObjectsApi().create_namespaced_custom_object(
            "argoproj.io", "v1alpha1", inputs.get("namespace", "argo"), "workflows", manifest
        )
    return manifest


def rejects(inputs: dict[str, Any]) -> Any:
    raise ValueError("planted: refuses every input")


def rejects_marked(inputs: dict[str, Any]) -> Any:
    if _marked(inputs):
        raise ValueError("planted: refuses marked code")
    return hera.build(inputs)


def _channel_fds() -> list[int]:
    """The sockets this process holds: one of them carries the harness's messages."""
    import stat

    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            if stat.S_ISSOCK(os.fstat(int(name)).st_mode):
                found.append(int(name))
        except OSError:
            continue
    return found


def writes_a_pickle_to_the_harness(inputs: dict[str, Any]) -> Any:
    """Writes a length-prefixed pickle whose loading would run code (and a frame in the harness's
    old framing) to every socket it holds, then builds as usual."""
    import pickle
    import struct

    class Payload:
        def __reduce__(self) -> Any:
            marker = os.environ.get(STARTED_ENV, "/tmp/never")
            return (eval, (f"open({marker!r}, 'w').write(str(__import__('os').getpid()))",))

    manifest = hera.build(inputs)
    if _marked(inputs):
        data = pickle.dumps(Payload())
        for fd in _channel_fds():
            try:
                os.write(fd, struct.pack("!i", len(data)) + data)
                os.write(fd, struct.pack("!Q", len(data)) + data)
            except OSError:
                pass
    return manifest


def writes_garbage_to_the_harness(inputs: dict[str, Any]) -> Any:
    manifest = hera.build(inputs)
    if _marked(inputs):
        for fd in _channel_fds():
            with contextlib.suppress(OSError):
                os.write(fd, b"hello, collector!\n")
    return manifest


def hangs_then_refuses(inputs: dict[str, Any]) -> Any:
    """Catches the harness's timeout and says the input is invalid: still a timeout."""
    if _marked(inputs):
        try:
            while True:
                time.sleep(0.1)
        except BaseException:
            raise ValueError("invalid input") from None
    return hera.build(inputs)


def returns_an_empty_mapping(inputs: dict[str, Any]) -> Any:
    return {}


def returns_a_deep_manifest(inputs: dict[str, Any]) -> Any:
    manifest = hera.build(inputs)
    node: dict[str, Any] = manifest["metadata"].setdefault("annotations", {})
    for _ in range(900):
        node["x"] = {}
        node = node["x"]
    return manifest


def connects_below_the_socket_module(inputs: dict[str, Any]) -> Any:
    """Goes around the socket module: the C-level _socket, and a child process."""
    import _socket
    import subprocess

    manifest = hera.build(inputs)
    if _marked(inputs):
        port = int(os.environ[PORT_ENV])
        try:
            raw = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
            raw.connect(("127.0.0.1", port))
            raw.send(b"leak")
        except OSError:
            pass
        subprocess.run(
            [sys.executable, "-c", f"import socket; socket.create_connection(('127.0.0.1', {port})).send(b'x')"],
            capture_output=True,
            check=False,
        )
        unix_path = os.environ.get(UNIX_ENV)
        if unix_path:
            try:
                unix = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
                unix.connect(unix_path)
                unix.send(b"leak")
            except OSError:
                pass
    return manifest


def starts_a_daemon(inputs: dict[str, Any]) -> Any:
    """Double-forks a daemon that keeps writing a heartbeat file after the build returned."""
    manifest = hera.build(inputs)
    if _marked(inputs) and os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            beat = os.environ[STARTED_ENV]
            while True:
                with open(beat, "w") as handle:
                    handle.write(str(time.time()))
                time.sleep(0.05)
        os._exit(0)
    if _marked(inputs):  # the daemon is running before the build returns
        deadline = time.monotonic() + 5
        while not os.path.exists(os.environ[STARTED_ENV]) and time.monotonic() < deadline:
            time.sleep(0.01)
    return manifest


# A unix socket a test listens on; builders that reach for it read the path from here.
UNIX_ENV = "HOSTILE_UNIX_SOCKET"


_builds = 0


def differs_every_other_build(inputs: dict[str, Any]) -> Any:
    """Right on one build, wrong (another namespace) on the next: a flaky new builder."""
    global _builds  # noqa: PLW0603 - the flakiness is the point
    _builds += 1
    return hera.build(inputs if _builds % 2 else {**inputs, "namespace": "flaky"})


REGISTRY_PASSWORD = "Sup3rS3cretRegPw"


def fails_with_credentials(inputs: dict[str, Any]) -> Any:
    """Prints and raises the credentials it used, then on the next scenario dies mid-build."""
    if _marked(inputs):
        print(f"connecting with password {REGISTRY_PASSWORD} and token f3a9c2d1e0b4a5968778695a4b3c2d1e0f9a8b7c")
        raise RuntimeError(f"login refused for --password {REGISTRY_PASSWORD}")
    if "print(3)" in str(inputs.get("python_code")):
        print(f"retrying with password {REGISTRY_PASSWORD}", flush=True)
        os.kill(os.getpid(), 9)
    return hera.build(inputs)


def tells_when_fuzzed(inputs: dict[str, Any]) -> Any:
    """Builds as the reference does, and creates the STARTED_ENV file once it builds an input no
    scenario has (a fuzzer's)."""
    if str(inputs.get("python_code")) not in ("print(1)", "print(2)  # hostile", "print(3)"):
        open(os.environ[STARTED_ENV], "a").close()
    return hera.build(inputs)
