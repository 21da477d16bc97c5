"""examples/backend-migration: a team's build-and-submit backend, its own input model and
[tool.parity] only. The proof-of-concept Hera port is NOT READY with each of its three traps
named in one line; the fixed port is READY."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "backend-migration"
PARITY = [str(Path(sys.executable).parent / "parity")]


def parity_run(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    report_dir = tmp_path / "reports"
    env = {**os.environ, "NO_COLOR": "1", "KUBECONFIG": str(tmp_path / "no-kubeconfig")}
    env.pop("PYTHONPATH", None)
    process = subprocess.run(
        [*PARITY, "run", "--no-progress", "--report-dir", str(report_dir), *args],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    report = json.loads((report_dir / "parity-report.json").read_text())
    return process, report


def semantic_messages(report: dict) -> list[str]:
    return [
        difference["message"]
        for scenario in report["scenarios"]
        for difference in scenario["differences"]
        if difference["category"] == "semantic"
    ]


def test_the_proof_of_concept_is_not_ready_and_each_trap_is_named(tmp_path: Path) -> None:
    process, report = parity_run(tmp_path)
    assert process.returncode == 1, process.stdout + process.stderr
    assert report["verdict"] == "NOT READY"
    messages = "\n".join(semantic_messages(report))
    # 1. Volume provisions a new claim instead of mounting the existing one
    assert "volumeClaimTemplates" in messages
    # 2. Script runs the bash source with python
    assert "python" in messages and "bash" in messages
    # 3. global_config's service account leaks into every workflow
    assert "serviceAccountName" in messages or "service account" in messages
    assert all("\n" not in message for message in semantic_messages(report))
    statuses = {scenario["name"]: scenario["status"] for scenario in report["scenarios"]}
    assert set(statuses) == {"report-with-results", "report-with-packages", "scratch-task", "other-project"}


def test_the_fixed_port_is_ready(tmp_path: Path) -> None:
    process, report = parity_run(tmp_path, "--new", "capture:backend.tasks_hera_fixed:start_task")
    assert process.returncode == 0, process.stdout + process.stderr
    assert report["verdict"] == "READY"
    assert semantic_messages(report) == []
