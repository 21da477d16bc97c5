"""Manifests and fixtures shared by the executor tests (test_execute_*.py, test_sandbox.py).

What they need from the machine (the local executor, Docker) and how a missing tool skips or, in
CI, fails: tests/requirements.py."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.execute.base import Executor
    from harness.execute.parity import ExecutionOutcome
    from harness.scenarios import Scenario

IMAGE = "python:3.11-slim"
RESULTS = {"name": "task-results", "persistentVolumeClaim": {"claimName": "task-results-pvc"}}
RESULTS_MOUNT = {"name": "task-results", "mountPath": "/mnt/results"}


def execute_builtin(executor: Executor, scenario: Scenario) -> ExecutionOutcome:
    """Both reference builders' manifests for ``scenario``, executed on ``executor``; fails the
    test unless the results are equivalent and ``expect.execution`` holds on both sides."""
    from harness.builders import hera, legacy
    from harness.execute.parity import ExecutionStatus, execute_pair

    outcome = execute_pair(
        executor,
        legacy_manifest=legacy.build(scenario.inputs.for_builder()),
        new_manifest=hera.build(scenario.inputs.for_builder()),
        expectation=scenario.expect.execution,
        scenario=scenario.name,
    )
    summary = [d.to_dict() for d in outcome.differences], outcome.problems, outcome.message
    assert outcome.status is ExecutionStatus.EQUIVALENT, summary
    assert outcome.passed, summary
    return outcome


def workflow(
    templates: list[dict[str, Any]],
    *,
    entrypoint: str = "main",
    volumes: list[dict[str, Any]] | None = None,
    deadline: float | None = None,
    **spec: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {"entrypoint": entrypoint, "templates": templates, **spec}
    if volumes is not None:
        body["volumes"] = volumes
    if deadline is not None:
        body["activeDeadlineSeconds"] = deadline
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": "test-", "namespace": "argo"},
        "spec": body,
    }


def script(
    name: str, source: str, *, env: dict[str, str] | None = None, mounts: bool = False, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"image": IMAGE, "command": ["bash"], "source": source}
    if env:
        body["env"] = [{"name": key, "value": value} for key, value in env.items()]
    if mounts:
        body["volumeMounts"] = [RESULTS_MOUNT]
    return {"name": name, "script": body, **extra}


def bash_workflow(source: str, *, deadline: float | None = None, env: dict[str, str] | None = None) -> dict[str, Any]:
    """One bash script template with the results volume at /mnt/results."""
    return workflow([script("main", source, env=env, mounts=True)], volumes=[RESULTS], deadline=deadline)


def processes_with(token: str) -> list[int]:
    """PIDs of live processes whose command line contains ``token`` (sandboxes are visible from the host)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if token in cmdline:
            found.append(int(entry.name))
    return found


def words(text: str) -> set[str]:
    return set(re.findall(r"\S+", text))
