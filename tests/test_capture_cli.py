"""``capture:package.module:attr`` as a builder reference: build-and-submit code compared as it is.

End to end through ``parity run`` (isolated builder processes, no network) against one scenario,
with a listener standing in for the cluster and the Argo server: it must never see a connection.
Then the finer points in-process: kubectl and argo as the real tools would behave, refusals,
kubernetes configuration, several submissions, the fingerprint.
"""

from __future__ import annotations

import inspect
import json
import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from hera.shared import global_config
from hera.workflows.models import WorkflowSubmitRequest
from hera.workflows.service import WorkflowsService
from kubernetes import client, config

from harness.builders import capture_commands, hera, legacy, resolve_builder
from harness.builders.capture import ARGO_SUBMIT, KUBECTL_APPLY, CaptureError, capturing
from harness.builders.fingerprint import source_of
from harness.cli import cli
from harness.diff import compare
from harness.errors import ParityInputError

ROOT = Path(__file__).resolve().parent.parent
TARGETS = "tests.capture_targets"
INPUTS: dict[str, Any] = {"python_code": 'print("captured")', "namespace": "team-a", "dependencies": "six"}


class Listener:
    """A TCP server on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.server.close()


@pytest.fixture
def listener(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Listener]:
    server = Listener()
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{server.port}"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u", "namespace": "argo"}}],
        "current-context": "x",
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(kubeconfig))
    monkeypatch.setenv("CAPTURE_TEST_KUBECONFIG", str(path))
    monkeypatch.setenv("KUBECONFIG", str(path))
    monkeypatch.setenv("CAPTURE_TEST_ARGO", f"http://127.0.0.1:{server.port}")
    yield server
    server.close()
    assert server.connections == 0, "something reached the listener standing in for the cluster"


@pytest.fixture
def scenarios(tmp_path: Path) -> Path:
    """One built-in scenario (the default results volume: a PVC the legacy side reads first)."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    documents = yaml.safe_load((ROOT / "scenarios" / "volumes.yaml").read_text())
    chosen = [doc for doc in documents if doc["name"] == "volumes-default-results"]
    (folder / "volumes.yaml").write_text(yaml.safe_dump(chosen, sort_keys=False))
    return folder


def parity_run(tmp_path: Path, scenarios: Path, legacy_ref: str, new_ref: str) -> tuple[Result, dict[str, Any]]:
    report_dir = tmp_path / "reports"
    args = ["run", "--scenarios", str(scenarios), "--report-dir", str(report_dir), "--no-progress"]
    result = CliRunner().invoke(cli, [*args, "--legacy", legacy_ref, "--new", new_ref])
    report_path = report_dir / "parity-report.json"
    return result, json.loads(report_path.read_text()) if report_path.exists() else {}


@pytest.mark.parametrize(
    "new",
    ["start_task_hera", "kubectl_create_stdin", "argo_submit"],
)
def test_each_way_of_submitting_is_captured_and_equivalent(
    tmp_path: Path, scenarios: Path, listener: Listener, new: str
) -> None:
    result, report = parity_run(tmp_path, scenarios, f"capture:{TARGETS}:start_task_legacy", f"capture:{TARGETS}:{new}")

    assert result.exit_code == 0, result.output
    assert report["verdict"] == "READY"
    [row] = report["scenarios"]
    assert row["status"] == "equivalent", row
    assert row["legacy"]["manifest"] == legacy.build(row["inputs"])
    assert row["new"]["manifest"]["kind"] == "Workflow"


def test_kubectl_apply_sends_what_create_with_save_config_sends(
    tmp_path: Path, scenarios: Path, listener: Listener
) -> None:
    result, report = parity_run(
        tmp_path, scenarios, f"capture:{TARGETS}:kubectl_apply_file", f"capture:{TARGETS}:kubectl_create_named"
    )

    assert result.exit_code == 0, result.output
    [row] = report["scenarios"]
    assert row["status"] == "equivalent"
    annotations = row["legacy"]["manifest"]["metadata"]["annotations"]
    assert json.loads(annotations[capture_commands.LAST_APPLIED])["metadata"]["name"] == "python-job-fixed"


def test_a_function_that_submits_nothing_crashes_its_side(tmp_path: Path, scenarios: Path, listener: Listener) -> None:
    reference = f"capture:{TARGETS}:submits_nothing"
    result, report = parity_run(tmp_path, scenarios, f"capture:{TARGETS}:start_task_legacy", reference)

    assert result.exit_code != 0
    assert report["verdict"] != "READY"
    [row] = report["scenarios"]
    assert row["new"]["error"] == {
        "type": "CaptureError",
        "message": f"{reference} submitted no workflow",
        "kind": "exception",
    }


def test_a_refused_call_fails_its_side_even_when_caught(tmp_path: Path, scenarios: Path, listener: Listener) -> None:
    result, report = parity_run(
        tmp_path, scenarios, f"capture:{TARGETS}:start_task_legacy", f"capture:{TARGETS}:lists_pods_first"
    )

    assert report["verdict"] != "READY", result.output
    error = report["scenarios"][0]["new"]["error"]
    assert error["type"] == "CaptureError"
    assert "CoreV1Api.list_namespaced_pod" in error["message"]
    assert "would have reached a cluster" in error["message"]


def test_several_submissions_are_compared_document_by_document(
    tmp_path: Path, scenarios: Path, listener: Listener
) -> None:
    result, report = parity_run(
        tmp_path, scenarios, f"capture:{TARGETS}:submits_twice", f"capture:{TARGETS}:submits_twice_hera"
    )

    [row] = report["scenarios"]
    assert row["legacy"]["manifest"]["kind"] == "List"
    assert [item["kind"] for item in row["legacy"]["manifest"]["items"]] == ["Workflow", "ConfigMap"]
    paths = {difference["path"] for difference in row["differences"]}
    assert paths and all(path.startswith("[ConfigMap/job-settings]") for path in paths), paths
    assert result.exit_code == 1, result.output


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (
            "start_task_hera_no_host",
            "Workflow.create() has no Argo server: set workflows_service or global_config.host",
        ),
        ("wrong_group", "404 NotFound"),
        ("wrong_version", "404 NotFound"),
        ("wrong_plural", "404 NotFound"),
        ("workflow_sent_as_cron", "the kind in the body (Workflow) does not match"),
        ("wrong_body_api_version", "the API version in the body (argoproj.io/v1) does not match"),
        (
            "no_kube_config",
            "the kubernetes client was used with no configuration loaded (it would call http://localhost)",
        ),
        ("config_map_as_custom_object", "404 NotFound"),
        ("config_map_only", "submitted no Argo workflow object"),
    ],
)
def test_a_submission_the_real_call_would_fail_fails_its_side(
    tmp_path: Path, scenarios: Path, listener: Listener, new: str, message: str
) -> None:
    reference = f"capture:{TARGETS}:{new}"
    result, report = parity_run(tmp_path, scenarios, f"capture:{TARGETS}:start_task_legacy", reference)

    assert result.exit_code != 0, result.output
    assert report["verdict"] != "READY"
    [row] = report["scenarios"]
    assert row["legacy"].get("error") is None, row["legacy"]
    error = row["new"]["error"]
    assert error["type"] == "CaptureError", error
    assert message in error["message"], error["message"]
    assert error["message"].startswith(reference), error["message"]


def test_a_bad_capture_reference_is_bad_input(tmp_path: Path, scenarios: Path) -> None:
    result, _ = parity_run(tmp_path, scenarios, f"capture:{TARGETS}:no_such_function", legacy.__name__ + ":build")
    assert result.exit_code == 2
    assert "has no attribute 'no_such_function'" in result.output
    with pytest.raises(ParityInputError, match=r"capture:package\.module:function"):
        resolve_builder("capture:tests.capture_targets")


# --- in-process: the finer points ------------------------------------------------------------


def test_the_builder_passes_its_arguments_through_and_keeps_the_signature() -> None:
    def submit(*, python_code: str, namespace: str = "argo", **rest: Any) -> None:
        config.load_kube_config()
        legacy.submit({"python_code": python_code, "namespace": namespace, **rest})

    from harness.builders.capture import reference_builder

    build = reference_builder(submit, "capture:x:submit")
    assert inspect.signature(build) == inspect.signature(submit)
    assert build(**INPUTS) == legacy.build(INPUTS)


def test_kubernetes_configuration_loads_without_a_kubeconfig(monkeypatch: pytest.MonkeyPatch) -> None:
    from kubernetes.config import load_kube_config as bound_early

    monkeypatch.setenv("KUBECONFIG", "/nonexistent/kubeconfig")
    before = client.Configuration.get_default_copy().host
    with capturing() as cap:
        config.load_kube_config()
        bound_early(config_file="/nonexistent/kubeconfig")
        config.load_incluster_config()
        config.load_config()
        api = config.new_client_from_config()
        assert config.list_kube_config_contexts()[1]["name"] == "capture"
        client.CustomObjectsApi(api).create_namespaced_custom_object(
            "argoproj.io", "v1alpha1", "team-a", "workflows", legacy.build(INPUTS)
        )
    assert len(cap.submissions) == 1
    assert client.Configuration.get_default_copy().host == before  # nothing leaks out


def test_hera_submit_workflow_from_a_stored_template_is_refused() -> None:
    service = WorkflowsService(host="https://argo.example")
    request = WorkflowSubmitRequest(resource_kind="WorkflowTemplate", resource_name="nightly")
    with capturing() as cap, pytest.raises(CaptureError, match="submit_workflow submits the stored WorkflowTemplate"):
        service.submit_workflow(request, namespace="argo")
    assert cap.refusals and not cap.submissions


def test_argo_submit_applies_its_options_as_argo_does(tmp_path: Path) -> None:
    body = legacy.build(INPUTS)
    body["spec"]["arguments"] = {
        "parameters": [{"name": "a", "value": "1", "description": "dropped, as argo does"}, {"name": "b"}]
    }
    path = tmp_path / "wf.yaml"
    path.write_text(yaml.safe_dump(body))
    argv = ["argo", "submit", str(path), "-p", "a=2", "--parameter=c=3", "-l", "team=x,tier=y", "--entrypoint", "other"]
    with capturing() as cap:
        out = subprocess.run([*argv, "--serviceaccount", "sa", "--name", "exact", "-n", "other-ns", "-w"], check=True)
    assert out.returncode == 0
    [submission] = cap.submissions
    sent = submission.body
    assert sent["spec"]["arguments"]["parameters"] == [
        {"name": "a", "value": "2"},
        {"name": "c", "value": "3"},
        {"name": "b"},
    ]
    assert (sent["spec"]["entrypoint"], sent["spec"]["serviceAccountName"]) == ("other", "sa")
    assert sent["metadata"]["labels"] == {"team": "x", "tier": "y"}
    assert sent["metadata"]["name"] == "exact"
    # the workflow's own namespace wins over -n, as with argo
    assert (submission.namespace, submission.api) == ("team-a", ARGO_SUBMIT)


def test_kubectl_fails_where_the_real_one_would(tmp_path: Path) -> None:
    path = tmp_path / "wf.yaml"
    path.write_text(yaml.safe_dump(legacy.build(INPUTS)))
    with capturing() as cap:
        mismatch = subprocess.run(
            ["kubectl", "create", "-n", "b", "-f", str(path)], capture_output=True, text=True, check=False
        )
        generated = subprocess.run(["kubectl", "apply", "-f", str(path)], capture_output=True, text=True, check=False)
        missing = subprocess.run(["kubectl", "create", "-f", "nope.yaml"], capture_output=True, text=True, check=False)
    assert [p.returncode for p in (mismatch, generated, missing)] == [1, 1, 1]
    assert 'the namespace from the provided object "team-a" does not match the namespace "b"' in mismatch.stderr
    assert "cannot use generate name with apply" in generated.stderr
    assert 'the path "nope.yaml" does not exist' in missing.stderr
    assert not cap.submissions and len(cap.failures) == 3


def test_other_ways_of_running_kubectl(tmp_path: Path) -> None:
    named = legacy.build(INPUTS)
    named["metadata"]["name"] = "job"
    path = tmp_path / "wf.yaml"
    path.write_text(yaml.safe_dump(named))
    text = yaml.safe_dump(named).encode()
    with capturing() as cap:
        shell = subprocess.run(
            f"KUBECONFIG=/x kubectl apply -f {path} -o name", shell=True, capture_output=True, check=False
        )
        popen = subprocess.Popen(["kubectl", "create", "-f", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert popen.stdin is not None and popen.stdout is not None
        popen.stdin.write(text)
        popen.stdin.close()
        printed = popen.stdout.read()
        assert popen.wait() == 0
        with pytest.raises(CaptureError, match="pipes, redirections"):
            os.system(f"kubectl create -f {path} > /dev/null 2>&1 || true")
        assert os.system("true") == 0  # anything else runs as usual
        assert subprocess.check_output(["echo", "plain"]) == b"plain\n"
    assert shell.stdout == b"workflow.argoproj.io/job\n"
    assert printed == b"workflow.argoproj.io/job created\n"
    assert cap.refusals  # the redirected shell line: refused, not run
    assert [s.api for s in cap.submissions] == [KUBECTL_APPLY, "kubectl create"]


@pytest.mark.parametrize(
    ("argv", "refused"),
    [
        (["kubectl", "get", "pods"], "not a submission"),
        (["kubectl", "apply", "-k", "overlay/"], "-k is not understood"),
        (["kubectl", "apply", "-f", "https://example.com/wf.yaml"], "would reach the network"),
        (["argo", "submit", "--from", "workflowtemplate/nightly"], "stored template"),
        (["argo", "list"], "not a submission"),
        ("cat wf.yaml | kubectl apply -f -", "pipes, redirections or expansions"),
    ],
)
def test_other_kubectl_and_argo_calls_are_refused_by_name(argv: Any, refused: str) -> None:
    with capturing() as cap, pytest.raises(CaptureError, match=refused):
        subprocess.run(argv, shell=isinstance(argv, str), check=False)
    assert cap.refusals and not cap.submissions


def test_a_popen_bound_before_the_capture_is_refused_not_run() -> None:
    original = capture_commands.ORIGINAL_POPEN
    with capturing(), pytest.raises(CaptureError, match="bound before the capture began"):
        original(["kubectl", "apply", "-f", "x.yaml"])
    assert subprocess.Popen is original


def test_several_submissions_become_a_list_matched_by_kind_and_name() -> None:
    build = resolve_builder(f"capture:{TARGETS}:submits_twice")
    other = resolve_builder(f"capture:{TARGETS}:submits_twice_hera")
    left, right = build(dict(INPUTS)), other(dict(INPUTS))
    assert left["kind"] == right["kind"] == "List"
    comparison = compare(left, right)
    assert {d.path.split("]")[0] + "]" for d in comparison.differences} == {"[ConfigMap/job-settings]"}


def test_the_fingerprint_covers_the_function_and_the_capture_machinery() -> None:
    captured = source_of(f"capture:{TARGETS}:start_task_legacy")
    plain = source_of(f"{TARGETS}:start_task_legacy")
    assert captured.reference == f"capture:{TARGETS}:start_task_legacy"
    assert captured.files >= plain.files > 0
    assert captured.sha256 != plain.sha256


def test_reference_builders_submit_what_they_build(monkeypatch: pytest.MonkeyPatch) -> None:
    build = resolve_builder("capture:harness.builders.hera:submit")
    with pytest.raises(CaptureError, match="no Argo server"):
        build(INPUTS)  # hera.submit relies on the process's global_config.host, as the real call does
    monkeypatch.setattr(global_config, "host", "https://argo.example")
    assert build(INPUTS) == hera.build(INPUTS)
