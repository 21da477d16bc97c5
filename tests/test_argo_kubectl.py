"""The kubectl backend's reading of kubectl: errors typed from what kubectl prints, the commands it
runs, and a kubectl that is missing, slow or prints something else than JSON."""

from __future__ import annotations

import pytest

from harness.argo import ArgoService, CommandOutput, FailureKind, SubprocessCommandExecutor
from harness.argo.commands import CommandExecutor
from harness.argo.result import classify_kubectl_error


@pytest.mark.parametrize(
    ("stderr", "kind", "status", "reason"),
    [
        (
            'Error from server (NotFound): workflows.argoproj.io "nope" not found\n',
            FailureKind.NOT_FOUND,
            404,
            'workflows.argoproj.io "nope" not found',
        ),
        (
            'Error from server (Forbidden): workflows.argoproj.io "x" is forbidden: User "dev" cannot get resource\n',
            FailureKind.FORBIDDEN,
            403,
            'workflows.argoproj.io "x" is forbidden: User "dev" cannot get resource',
        ),
        (
            "error: You must be logged in to the server (Unauthorized)\n",
            FailureKind.FORBIDDEN,
            401,
            "error: You must be logged in to the server (Unauthorized)",
        ),
        (
            'Error from server (Conflict): Operation cannot be fulfilled on workflows.argoproj.io "x": modified\n',
            FailureKind.CONFLICT,
            409,
            'Operation cannot be fulfilled on workflows.argoproj.io "x": modified',
        ),
        (
            'The Workflow "x" is invalid: spec.entrypoint: Required value\n',
            FailureKind.INVALID,
            422,
            'The Workflow "x" is invalid: spec.entrypoint: Required value',
        ),
        (
            "Error from server (ServiceUnavailable): the server is currently unable to handle the request\n",
            FailureKind.UNAVAILABLE,
            503,
            "the server is currently unable to handle the request",
        ),
        (
            "Error from server (Timeout): the server was unable to return a response in the time allotted\n",
            FailureKind.TIMEOUT,
            504,
            "the server was unable to return a response in the time allotted",
        ),
        (
            'E1202 03:13:00.095187   22399 memcache.go:265] "Unhandled Error" err="couldn\'t get current server API '
            'group list: Get \\"https://10.0.0.1:6443/api\\": dial tcp 10.0.0.1:6443: i/o timeout"\n'
            "Unable to connect to the server: dial tcp 10.0.0.1:6443: i/o timeout\n",
            FailureKind.TIMEOUT,
            None,
            "Unable to connect to the server: dial tcp 10.0.0.1:6443: i/o timeout",
        ),
        (
            "Unable to connect to the server: x509: certificate signed by unknown authority\n",
            FailureKind.UNAVAILABLE,
            None,
            "Unable to connect to the server: x509: certificate signed by unknown authority",
        ),
        (
            'error: the server doesn\'t have a resource type "workflow"\n',
            FailureKind.UNAVAILABLE,
            None,
            'error: the server doesn\'t have a resource type "workflow" (is Argo Workflows installed?)',
        ),
        ("error: something else\n", FailureKind.API_ERROR, None, "something else"),
        ("", FailureKind.API_ERROR, None, "kubectl failed without a message"),
    ],
)
def test_kubectl_errors_are_typed(stderr: str, kind: FailureKind, status: int | None, reason: str) -> None:
    assert classify_kubectl_error(stderr) == (kind, reason, status)


class Answering(CommandExecutor):
    def __init__(self, output: CommandOutput) -> None:
        self.output = output
        self.commands: list[list[str]] = []

    def execute_command(self, command: list[str]) -> CommandOutput:
        self.commands.append(command)
        return self.output


def test_the_kubeconfig_and_context_come_first() -> None:
    answering = Answering(CommandOutput(True, '{"items": []}', "", 0))
    service = ArgoService("team", answering, kubeconfig="/k/config", context="kind-argo-parity")
    assert service.list_workflows("a=b").data == []
    assert answering.commands == [
        [
            "kubectl", "--kubeconfig", "/k/config", "--context", "kind-argo-parity",
            "get", "workflows", "-o", "json", "--namespace", "team", "-l", "a=b",
        ]
    ]  # fmt: skip


def test_output_that_is_not_a_json_object_is_a_failure() -> None:
    for stdout, problem in (("Workflow x", "printed no JSON object"), ("[1]", "a JSON list, not an object")):
        result = ArgoService("team", Answering(CommandOutput(True, stdout, "", 0))).get_workflow_status("x")
        assert result.kind is FailureKind.API_ERROR and problem in (result.error or ""), result


def test_a_missing_or_slow_kubectl() -> None:
    missing = ArgoService("team", SubprocessCommandExecutor(env={"PATH": "/nonexistent"})).get_workflow_status("x")
    assert missing.kind is FailureKind.UNAVAILABLE
    assert (missing.error or "").startswith("Failed to get workflow status of team/x: kubectl is not installed")
    slow = CommandOutput(False, "", "", 124, ("kubectl",), 30.0, timed_out=True)
    timed_out = ArgoService("team", Answering(slow)).get_workflow_status("x")
    assert timed_out.kind is FailureKind.TIMEOUT
    assert timed_out.error == "Failed to get workflow status of team/x: kubectl did not answer within 30 s"


def test_a_backend_is_chosen_once() -> None:
    assert ArgoService("team").backend == "client"
    assert ArgoService("team", Answering(CommandOutput(True, "{}", "", 0))).backend == "kubectl"
    kubectl = ArgoService("team", backend="kubectl")
    assert kubectl.backend == "kubectl" and isinstance(kubectl.command_executor, SubprocessCommandExecutor)
    with pytest.raises(ValueError, match="api_client is for the kubernetes client backend"):
        ArgoService("team", backend="kubectl", api_client=object())
    with pytest.raises(ValueError, match="command_executor is for the kubectl backend"):
        ArgoService("team", Answering(CommandOutput(True, "{}", "", 0)), backend="client")
    # What only the client does says so under kubectl, without raising.
    refused = kubectl.ensure_namespace()
    assert refused.kind is FailureKind.UNAVAILABLE and "needs the kubernetes client backend" in (refused.error or "")
