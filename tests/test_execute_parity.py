"""Comparing two runs: scrubbing, noise, expectations, statuses; on results made by hand (fast)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import pytest

from harness.diff.model import Category
from harness.diff.waivers import parse_waivers
from harness.execute.parity import (
    DEFAULT_SCRUB_RULES,
    ExecutionStatus,
    ScrubRule,
    compare_runs,
    execute_pair,
    judge,
)
from harness.execute.result import FileResult, NodeRun, Output, WorkflowRun
from harness.execute.result import RunPhase as Phase
from harness.scenarios import ExecutionExpectation


def _run(stdout: str = "ok\n", *, exit_code: int = 0, files: tuple[FileResult, ...] = (), **fields: Any) -> WorkflowRun:
    phase = Phase.SUCCEEDED if exit_code == 0 else Phase.FAILED
    node = NodeRun("main", "main", "Pod", phase, exit_code, Output(stdout, len(stdout)))
    defaults: dict[str, Any] = {"phase": phase, "nodes": (node,)}
    return WorkflowRun(
        executor="test",
        label="x",
        exit_code=exit_code,
        stdout=Output(stdout, len(stdout.encode())),
        files=files,
        **{**defaults, **fields},
    )


def _file(path: str, text: str, volume: str = "persistentVolumeClaim/task-results-pvc") -> FileResult:
    import hashlib

    data = text.encode()
    return FileResult(path, len(data), hashlib.sha256(data).hexdigest(), text, True, volume)


def test_equal_runs_have_no_difference() -> None:
    outcome = judge(_run(), _run(), _run(), expectation=ExecutionExpectation(exit_code=0, stdout_contains=["ok"]))
    assert outcome.status is ExecutionStatus.EQUIVALENT and outcome.passed
    assert outcome.differences == ()


def test_scrubbing_hides_timestamps_temp_paths_ids_and_addresses() -> None:
    left = _run(
        "at 2026-11-23T13:32:10.744Z in /tmp/tmpab12cd_x "
        "id 1b4e28ba-2fa1-11d2-883f-0016d3cca427 <o at 0x7f3a9c2b1d60>\n"
    )
    right = _run(
        "at 2027-01-01 00:00:00+01:00 in /tmp/tmpzz99yy_q "
        "id 6ba7b810-9dad-11d1-80b4-00c04fd430c8 <o at 0x7f00aa00bb00>\n"
    )
    assert compare_runs(left, right) == ()
    assert [d.path for d in compare_runs(left, right, scrub_rules=())] == ["execution.stdout"]


def test_scrub_rules_are_configurable() -> None:
    rules = (*DEFAULT_SCRUB_RULES, ScrubRule.from_dict({"id": "duration", "pattern": r"\d+ms"}))
    assert compare_runs(_run("took 12ms\n"), _run("took 80ms\n"), scrub_rules=rules) == ()
    assert len(compare_runs(_run("took 12ms\n"), _run("took 80ms\n"))) == 1
    with pytest.raises(Exception, match=r"unterminated|missing"):
        ScrubRule.from_dict({"id": "bad", "pattern": "(unclosed"})


def test_what_differs_between_two_legacy_runs_is_noise() -> None:
    outcome = judge(_run("random 1\n"), _run("random 3\n"), _run("random 2\n"), expectation=None)
    (difference,) = outcome.differences
    assert difference.category is Category.NOISE and difference.path == "execution.stdout"
    assert outcome.status is ExecutionStatus.EQUIVALENT
    assert outcome.noise_paths == ("execution.stdout",)
    # Without the repeat, the same difference fails.
    assert judge(_run("random 1\n"), _run("random 3\n"), None, expectation=None).status is ExecutionStatus.DIFFERENT


def test_exit_code_and_file_differences_have_readable_paths_and_messages() -> None:
    legacy = _run(files=(_file("/mnt/results/out.txt", "done"), _file("/mnt/results/log.txt", "a")))
    new = _run(exit_code=1, files=(_file("/mnt/results/log.txt", "b"),))
    differences = {d.path: d for d in compare_runs(legacy, new)}
    assert list(differences) == [
        "execution.phase",
        "execution.exit_code",
        'execution.files["/mnt/results/log.txt"]',
        'execution.files["/mnt/results/out.txt"]',
    ]
    assert differences["execution.exit_code"].message == "exit code 0 with the legacy manifest, 1 with the new one"
    assert differences['execution.files["/mnt/results/out.txt"]'].right is None
    assert all(d.category is Category.SEMANTIC for d in differences.values())
    json.dumps([d.to_dict() for d in differences.values()])


def test_multi_node_workflows_compare_node_by_node() -> None:
    def dag(b_exit: int) -> WorkflowRun:
        phase = Phase.SUCCEEDED if b_exit == 0 else Phase.FAILED
        nodes = (
            NodeRun("main", "main", "DAG", phase),
            NodeRun("main.a", "a", "Pod", Phase.SUCCEEDED, 0, Output("a\n", 2)),
            NodeRun("main.b", "b", "Pod", phase, b_exit, Output("b\n", 2)),
        )
        return WorkflowRun("test", "x", phase, exit_code=b_exit, stdout=Output("a\nb\n", 4), nodes=nodes)

    paths = [d.path for d in compare_runs(dag(0), dag(2))]
    assert paths == [
        "execution.phase",
        "execution.exit_code",
        "execution.nodes[main.b].exit_code",
        "execution.nodes[main.b].phase",
        "execution.nodes[main].phase",
    ]


def test_expectations_are_checked_on_both_sides_and_name_them() -> None:
    expectation = ExecutionExpectation(exit_code=0, stdout_contains=["hello"], files={"/mnt/results/out.txt": "done"})
    legacy = _run("hello\n", files=(_file("/mnt/results/out.txt", "done"),))
    new = _run("bye\n", exit_code=2, files=(_file("/mnt/results/out.txt", "dome"),))
    outcome = judge(legacy, new, None, expectation=expectation)
    assert outcome.problems == (
        "new: exit code 2, expected 0",
        "new: stdout does not contain 'hello'",
        "new: /mnt/results/out.txt holds 'dome', expected 'done'",
    )
    missing = judge(_run("hello\n"), _run("hello\n"), None, expectation=expectation)
    assert missing.problems == (
        "legacy: /mnt/results/out.txt was not written",
        "new: /mnt/results/out.txt was not written",
    )
    assert missing.status is ExecutionStatus.EQUIVALENT and not missing.passed


def test_waivers_accept_execution_differences() -> None:
    waivers = parse_waivers(
        "waivers:\n- {id: pip-warning, path: execution.stderr, reason: r, owner: o, expires: 2099-01-01}\n"
    )
    outcome = judge(_run(), replace(_run(), stderr=Output("warning\n", 8)), None, expectation=None, waivers=waivers)
    (difference,) = outcome.differences
    assert difference.category is Category.WAIVED and difference.waiver == "pip-warning"
    assert outcome.status is ExecutionStatus.EQUIVALENT and outcome.waivers_used == ("pip-warning",)


def test_a_side_with_unsupported_features_makes_the_outcome_unsupported() -> None:
    new = WorkflowRun("test", "x", None, unsupported=("spec.onExit: exit handlers",))
    outcome = judge(_run(), new, None, expectation=ExecutionExpectation(exit_code=0))
    assert outcome.status is ExecutionStatus.UNSUPPORTED and not outcome.passed
    assert outcome.message == "new: spec.onExit: exit handlers"


def test_a_harness_error_makes_the_outcome_an_error() -> None:
    legacy = WorkflowRun("test", "x", None, error="bwrap: setting up uid map: Permission denied")
    outcome = judge(legacy, _run(), None, expectation=None)
    assert outcome.status is ExecutionStatus.ERROR
    assert "Permission denied" in (outcome.message or "")


@dataclass(frozen=True)
class _FakeExecutor:
    runs: Mapping[str, WorkflowRun]
    reason: str | None = None
    raises: bool = False
    name: str = "fake"

    def unavailable_reason(self) -> str | None:
        return self.reason

    def run(self, manifest: Mapping[str, Any], *, label: str, secrets: Mapping[str, str] | None = None) -> WorkflowRun:
        if self.raises:
            raise RuntimeError("engine exploded")
        return self.runs[manifest["side"]]


def _pair(executor: _FakeExecutor, **options: Any) -> Any:
    return execute_pair(
        executor,
        legacy_manifest={"side": "legacy"},
        new_manifest={"side": "new"},
        expectation=None,
        scenario="s",
        **options,
    )


def test_execute_pair_reports_an_unavailable_executor() -> None:
    outcome = _pair(_FakeExecutor({}, reason="no Docker engine reachable at unix:///var/run/docker.sock"))
    assert outcome.status is ExecutionStatus.UNAVAILABLE and outcome.legacy is None
    assert outcome.message == "no Docker engine reachable at unix:///var/run/docker.sock"


def test_execute_pair_never_raises() -> None:
    outcome = _pair(_FakeExecutor({}, raises=True))
    assert outcome.status is ExecutionStatus.ERROR
    assert outcome.message == "RuntimeError: engine exploded"


def test_execute_pair_runs_legacy_twice_to_calibrate_noise() -> None:
    outcome = _pair(_FakeExecutor({"legacy": _run("a\n"), "new": _run("b\n")}), parallel=False)
    assert outcome.legacy_repeat is not None and outcome.status is ExecutionStatus.DIFFERENT
    assert _pair(_FakeExecutor({"legacy": _run(), "new": _run()}), calibrate_noise=False).legacy_repeat is None


def test_results_are_json_ready_and_round_trip() -> None:
    run = _run("out\n", files=(_file("/mnt/results/a.txt", "x"),), notes=("note",), secrets_used=("s/k",))
    assert WorkflowRun.from_dict(json.loads(json.dumps(run.to_dict()))) == run
    outcome = judge(run, _run(), run, expectation=ExecutionExpectation(exit_code=0))
    data = json.loads(json.dumps(outcome.to_dict()))
    assert data["status"] == "different" and data["counts"]["semantic"] >= 1
    assert data["legacy"]["files"][0]["path"] == "/mnt/results/a.txt"


def _execute_in_worker(code: str) -> tuple[str, bool, str]:
    from harness.builders import hera, legacy
    from harness.execute import get_executor

    inputs = {"python_code": code}
    outcome = execute_pair(
        get_executor("local"),
        legacy_manifest=legacy.build(inputs),
        new_manifest=hera.build(inputs),
        expectation=ExecutionExpectation(exit_code=0, stdout_contains=["from a worker"]),
        scenario="worker",
    )
    return outcome.status.value, outcome.passed, outcome.legacy.stdout.text if outcome.legacy else ""


def test_execute_pair_works_in_worker_processes() -> None:
    from harness.execute import get_executor
    from tests.requirements import LOCAL_EXECUTOR

    LOCAL_EXECUTOR.require(get_executor("local").unavailable_reason())
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_execute_in_worker, ['print("from a worker", 1)', 'print("from a worker", 2)']))
    assert results == [("equivalent", True, "from a worker 1\n"), ("equivalent", True, "from a worker 2\n")]
