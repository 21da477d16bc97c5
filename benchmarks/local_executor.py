"""Measure what the local executor adds to a run (a benchmark, not a test).

    python benchmarks/local_executor.py [--repeats 30] [--json] [--pip]

(`make bench` runs it as part of benchmarks/run.py: its "executor" figures.)

Method (medians over ``repeats`` runs, after one warm-up each):

* **sandbox overhead**: the same command run directly with ``subprocess`` and run through
  ``run_sandboxed`` (bwrap, cgroup, setpriv, supervision, the binds a python pod gets); the
  overhead is the difference. Measured for ``bash -c true`` (the floor) and ``python -c pass``,
  with the pids cgroup and without it (``pids_limit=0``).
* **environment creation**: ``create_environment`` (``uv venv --relocatable`` and the pip shim)
  into a fresh directory.
* **whole pod**: ``LocalExecutor.run`` of a one-pod ``echo`` workflow, end to end.
* ``--pip``: one ``pip install six`` through the uv shim (warm cache) and through the real pip
  (``pip_mode="pip"``, which also pays for ``--seed``), for the record.

Targets (issue 6): sandbox overhead <= 30 ms, environment creation <= 200 ms.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.execute.local import LocalExecutor, cgroup_available, python_image
from harness.execute.local.sandbox import SandboxRequest, run_sandboxed
from harness.execute.pods import Mount

TARGET_OVERHEAD_MS = 30.0
TARGET_ENVIRONMENT_MS = 200.0


def _median_ms(action: Callable[[], object], repeats: int) -> float:
    action()  # warm-up: caches, page cache, the first uv run
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def measure(repeats: int = 30, *, pip: bool = False) -> dict[str, Any]:
    """The numbers, in milliseconds; raises RuntimeError when the local executor cannot run here."""
    executor = LocalExecutor()
    reason = executor.unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    runner = executor.pod_runner()
    interpreter = python_image.find_interpreter("3.11")
    if interpreter is None:
        raise RuntimeError("no python3.11 on this machine")
    uv = python_image.find_uv()
    assert uv is not None
    root = Path(tempfile.mkdtemp(prefix="argo-parity-bench-"))
    try:
        environment = root / "usr-local"
        python_image.create_environment(environment, interpreter, uv=uv, cache_dir=executor.uv_cache, pip_mode="uv")
        binds = [
            Mount(environment, python_image.ENV_MOUNT),
            Mount(Path(uv), python_image.UV_IN_SANDBOX, read_only=True),
        ]
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/root"}

        def sandboxed(argv: tuple[str, ...]) -> Callable[[], object]:
            request = SandboxRequest(argv=argv, env=env, hostname="bench", working_dir="/", binds=binds)
            return lambda: run_sandboxed(request, runner.sandbox)

        def direct(argv: list[str]) -> Callable[[], object]:
            return lambda: subprocess.run(argv, env=env, check=True)

        results: dict[str, Any] = {"repeats": repeats, "pids_limit_cgroup": cgroup_available()}
        for label, plain, boxed in (
            ("bash_true", ["bash", "-c", "true"], ("bash", "-c", "true")),
            ("python_pass", [str(environment / "bin" / "python"), "-c", "pass"], ("python", "-c", "pass")),
        ):
            own = _median_ms(direct(plain), repeats)
            total = _median_ms(sandboxed(boxed), repeats)
            results[f"{label}_direct_ms"] = round(own, 2)
            results[f"{label}_sandboxed_ms"] = round(total, 2)
            results[f"{label}_overhead_ms"] = round(total - own, 2)

        counter = iter(range(10**6))

        def create() -> None:
            target = root / f"env-{next(counter)}"
            python_image.create_environment(target, interpreter, uv=uv, cache_dir=executor.uv_cache, pip_mode="uv")

        results["environment_creation_ms"] = round(_median_ms(create, repeats), 2)

        # The same without the pids cgroup (pids_limit=0), to show what the limit costs.
        unlimited = dataclasses.replace(runner.sandbox, pids_limit=0)

        def unlimited_run(argv: tuple[str, ...]) -> Callable[[], object]:
            request = SandboxRequest(argv=argv, env=env, hostname="bench", working_dir="/", binds=binds)
            return lambda: run_sandboxed(request, unlimited)

        for label, boxed in (("bash_true", ("bash", "-c", "true")), ("python_pass", ("python", "-c", "pass"))):
            total = _median_ms(unlimited_run(boxed), repeats)
            results[f"{label}_overhead_without_pids_limit_ms"] = round(total - results[f"{label}_direct_ms"], 2)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    one_pod = _one_pod_workflow("echo hello")
    results["whole_pod_run_ms"] = round(_median_ms(lambda: executor.run(one_pod, label="bench"), repeats), 2)
    if pip:
        install = _one_pod_workflow("pip install --no-cache-dir six==1.16.0")
        results["pip_install_uv_shim_ms"] = round(_median_ms(lambda: executor.run(install, label="bench"), 3), 1)
        real = LocalExecutor(pip_mode="pip")
        results["pip_install_real_pip_ms"] = round(_median_ms(lambda: real.run(install, label="bench"), 3), 1)
    results["targets"] = {
        "sandbox_overhead_ms": TARGET_OVERHEAD_MS,
        "environment_creation_ms": TARGET_ENVIRONMENT_MS,
    }
    results["met"] = {
        "sandbox_overhead": results["bash_true_overhead_ms"] <= TARGET_OVERHEAD_MS,
        "environment_creation": results["environment_creation_ms"] <= TARGET_ENVIRONMENT_MS,
    }
    return results


def _one_pod_workflow(source: str) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": "bench-"},
        "spec": {
            "entrypoint": "main",
            "templates": [
                {"name": "main", "script": {"image": "python:3.11-slim", "command": ["bash"], "source": source}}
            ],
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/local_executor.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--pip", action="store_true", help="also time one pip install (uv shim vs real pip)")
    options = parser.parse_args(argv)
    results = measure(options.repeats, pip=options.pip)
    if options.json:
        print(json.dumps(results, indent=2))
    else:
        for key, value in results.items():
            print(f"{key:32} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
