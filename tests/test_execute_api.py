"""The executors' public surface: names, availability reasons, and the pieces every run relies on
(Kubernetes' $(VAR) expansion, Argo's variables, capped output)."""

from __future__ import annotations

import pickle

import pytest

from harness.execute import EXECUTORS, executes, get_executor
from harness.execute.base import Executor
from harness.execute.cluster import ClusterExecutor
from harness.execute.docker import DockerExecutor
from harness.execute.local import LocalExecutor
from harness.execute.output import CappedOutput
from harness.execute.secrets import fake_secret_value, resolve_secrets
from harness.execute.secrets import manifest_secret_refs as secret_refs
from harness.spec.kubernetes_vars import expand_with as expand_env_refs
from harness.spec.tags import substitute


def test_executors_by_name() -> None:
    assert EXECUTORS == ("none", "local", "docker", "cluster")
    for name in ("local", "docker", "cluster"):
        executor = get_executor(name)
        assert executor.name == name
        assert isinstance(executor, Executor)
        assert pickle.loads(pickle.dumps(executor)) == executor  # ships to -n worker processes
    assert isinstance(get_executor("local", default_deadline_s=5), LocalExecutor)
    with pytest.raises(ValueError, match="'none' means: do not execute"):
        get_executor("none")
    with pytest.raises(ValueError, match="unknown executor 'k8s'"):
        get_executor("k8s")


def test_unavailable_executors_say_why() -> None:
    # Not ClusterExecutor(): on a machine with a kubeconfig and Argo it is available.
    reason = ClusterExecutor(kubeconfig="/nonexistent").unavailable_reason()
    assert reason is not None and reason.startswith("no Kubernetes configuration: /nonexistent does not exist")
    reason = DockerExecutor(base_url="unix:///nonexistent/docker.sock").unavailable_reason()
    assert reason is not None and reason.startswith("no Docker engine reachable at unix:///nonexistent/docker.sock")
    run = DockerExecutor(base_url="unix:///nonexistent/docker.sock").run({}, label="x")
    assert run.phase is None and run.error


def test_the_local_executor_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert LocalExecutor().unavailable_reason() == (
        "bubblewrap not installed (bwrap not on PATH; run scripts/install-system-deps.sh)"
    )
    assert LocalExecutor(uv="/nonexistent/uv").run({}, label="x").error


def test_which_scenarios_execute() -> None:
    assert executes({"execution": {"exit_code": 0}})
    assert not executes({"parity": "equivalent"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$(A) and $(B)", "1 and $(B)"),
        ("$$(A) costs $$5", "$(A) costs $5"),
        ("echo $$ $HOME ${A} $", "echo $ $HOME ${A} $"),
        ("$(unclosed", "$(unclosed"),
        ("$(id -u)", "$(id -u)"),
        ("no dollars", "no dollars"),
    ],
)
def test_kubernetes_env_expansion(text: str, expected: str) -> None:
    assert expand_env_refs(text, {"A": "1"}) == expected


def test_argo_variables() -> None:
    scope = {"inputs.parameters.x": "1", "workflow.name": "wf"}
    assert substitute({"a": ["{{inputs.parameters.x}}-{{ workflow.name }}"]}, scope) == {"a": ["1-wf"]}
    assert substitute("{{ not.a.variable }} {{}}", scope) == "{{ not.a.variable }} {{}}"
    with pytest.raises(Exception, match=r"failed to resolve \{\{inputs.parameters.y\}\}"):
        substitute("{{inputs.parameters.y}}", scope)


def test_capped_output_keeps_head_and_tail() -> None:
    sink = CappedOutput(cap=16)
    for chunk in (b"0123456789", b"abcdefghij", b"KLMNOPQRST"):
        sink.write(chunk)
    out = sink.result()
    assert out.size == 30 and out.truncated
    assert out.text.startswith("0123456789ab") and out.text.endswith("QRST")
    assert "[... 14 bytes omitted by argo-parity ...]" in out.text
    small = CappedOutput(cap=16)
    small.write("héllo".encode())
    assert small.result().text == "héllo" and not small.result().truncated


def test_secret_values_are_deterministic_fakes_unless_given() -> None:
    manifest = {
        "spec": {
            "templates": [
                {"script": {"env": [{"name": "T", "valueFrom": {"secretKeyRef": {"name": "n", "key": "k"}}}]}}
            ]
        }
    }
    assert secret_refs(manifest, manifest) == ("n/k",)
    assert resolve_secrets(["n/k"]) == {"n/k": fake_secret_value("n", "k")}
    assert fake_secret_value("n", "k") == fake_secret_value("n", "k") != fake_secret_value("n", "k2")
    assert resolve_secrets(["n/k"], {"n/k": "real"}) == {"n/k": "real"}
