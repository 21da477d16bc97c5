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
