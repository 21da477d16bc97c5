"""Multi-template workflows run as Argo runs them: steps group by group, DAG tasks in dependency
order with independent tasks in parallel, parameters substituted; what cannot be run faithfully is
reported unsupported and nothing runs."""

from __future__ import annotations

from typing import Any

import pytest

from harness.execute.check import inspect_workflow
from harness.execute.local import LocalExecutor
from harness.execute.result import RunPhase as Phase
from tests.execution_support import RESULTS, script, workflow
from tests.requirements import LOCAL_EXECUTOR


@pytest.fixture(scope="module")
def local() -> LocalExecutor:
    executor = LocalExecutor(default_deadline_s=60)
    LOCAL_EXECUTOR.require(executor.unavailable_reason())
    return executor


def _with_param(name: str, source: str, parameter: str = "value", **extra: Any) -> dict[str, Any]:
    template = script(name, source, mounts=True, **extra)
    template["inputs"] = {"parameters": [{"name": parameter}]}
    return template


def test_steps_run_in_order_and_pass_results_on(local: LocalExecutor) -> None:
    manifest = workflow(
        [
            {
                "name": "main",
                "steps": [
                    [{"name": "produce", "template": "produce"}],
                    [
                        {
                            "name": "consume",
                            "template": "consume",
                            "arguments": {
                                "parameters": [{"name": "value", "value": "{{steps.produce.outputs.result}}"}]
                            },
                        }
                    ],
                ],
            },
            script("produce", "echo 'forty two'"),
            _with_param("consume", 'echo "got {{inputs.parameters.value}} in {{workflow.name}}"'),
        ],
        volumes=[RESULTS],
    )
    run = local.run(manifest, label="steps")
    assert run.phase is Phase.SUCCEEDED, run
    assert [node.name for node in run.nodes] == ["main", "main[0].produce", "main[1].consume"]
    assert run.node("main[1].consume").stdout.text == "got forty two in test-local\n"  # type: ignore[union-attr]
    assert run.stdout.text == "forty two\ngot forty two in test-local\n"


_RENDEZVOUS = """
touch /mnt/results/{me}.ready
for _ in $(seq 200); do [ -e /mnt/results/{other}.ready ] && echo "{me} saw {other}" && exit 0; sleep 0.05; done
echo "{me} ran alone" && exit 1
"""


def test_a_dag_runs_independent_tasks_in_parallel_and_dependents_after(local: LocalExecutor) -> None:
    # b and c each wait for the other's marker: they only both succeed when they run at once.
    manifest = workflow(
        [
            {
                "name": "main",
                "dag": {
                    "tasks": [
                        {"name": "a", "template": "a"},
                        {"name": "b", "template": "b", "dependencies": ["a"]},
                        {"name": "c", "template": "c", "depends": "a.Succeeded"},
                        {
                            "name": "d",
                            "template": "d",
                            "depends": "b && c",
                            "arguments": {
                                "parameters": [
                                    {"name": "value", "value": "{{tasks.b.outputs.result}}+{{tasks.c.outputs.result}}"}
                                ]
                            },
                        },
                    ]
                },
            },
            script("a", "echo a > /mnt/results/a.txt", mounts=True),
            script("b", "test -e /mnt/results/a.txt" + _RENDEZVOUS.format(me="b", other="c"), mounts=True),
            script("c", "test -e /mnt/results/a.txt" + _RENDEZVOUS.format(me="c", other="b"), mounts=True),
            _with_param("d", 'echo "{{inputs.parameters.value}}" > /mnt/results/d.txt'),
        ],
        volumes=[RESULTS],
    )
    run = local.run(manifest, label="dag")
    assert run.phase is Phase.SUCCEEDED, [(n.name, n.phase, n.stdout.text) for n in run.nodes]
    assert [node.name for node in run.nodes] == ["main", "main.a", "main.b", "main.c", "main.d"]
    assert run.file("/mnt/results/d.txt").preview == "b saw c+c saw b\n"  # type: ignore[union-attr]


def test_a_failed_task_stops_its_dependents(local: LocalExecutor) -> None:
    manifest = workflow(
        [
            {
                "name": "main",
                "dag": {
                    "tasks": [
                        {"name": "fails", "template": "fails"},
                        {"name": "after", "template": "after", "dependencies": ["fails"]},
                    ]
                },
            },
            script("fails", "echo failing; exit 3"),
            script("after", "echo must not run"),
        ]
    )
    run = local.run(manifest, label="dag-fail")
    assert run.phase is Phase.FAILED
    assert run.exit_code == 3
    assert run.node("main.after") is None
    assert run.node("main").message == "task 'fails' failed"  # type: ignore[union-attr]


def test_loops_over_items(local: LocalExecutor) -> None:
    manifest = workflow(
        [
            {
                "name": "main",
                "steps": [
                    [
                        {
                            "name": "greet",
                            "template": "greet",
                            "withItems": ["ada", {"name": "bob"}],
                            "arguments": {"parameters": [{"name": "value", "value": "{{item}}"}]},
                        }
                    ]
                ],
            },
            _with_param("greet", "echo 'hi {{inputs.parameters.value}}'"),
        ],
        volumes=[RESULTS],
    )
    run = local.run(manifest, label="items")
    assert run.phase is Phase.SUCCEEDED, run
    assert [n.name for n in run.pods] == ["main[0].greet(0:ada)", 'main[0].greet(1:{"name":"bob"})']
    assert run.stdout.text == 'hi ada\nhi {"name":"bob"}\n'


def test_kubernetes_expands_env_references_in_args(local: LocalExecutor) -> None:
    manifest = workflow(
        [
            {
                "name": "main",
                "container": {
                    "image": "python:3.11-slim",
                    "command": ["bash", "-c"],
                    "args": ["echo '$$ $(GREETING) $(UNKNOWN)' \"$0\" $(pwd)"],
                    "env": [{"name": "GREETING", "value": "hi"}, {"name": "LOUD", "value": "$(GREETING)!"}],
                    "workingDir": "/work/app",
                },
            }
        ]
    )
    run = local.run(manifest, label="expansion")
    assert run.phase is Phase.SUCCEEDED, run
    assert run.stdout.text == "$ hi $(UNKNOWN) bash /work/app\n"


def test_a_script_runs_from_argos_staging_path_with_its_variables(local: LocalExecutor) -> None:
    manifest = workflow([script("main", 'echo "$0 {{workflow.namespace}} {{ jinja.stays }} $HOSTNAME"')])
    run = local.run(manifest, label="script-path")
    assert run.stdout.text == "/argo/staging/script argo {{ jinja.stays }} test-local\n"


def test_an_unresolvable_variable_is_an_error_not_a_run(local: LocalExecutor) -> None:
    run = local.run(workflow([script("main", "echo {{inputs.parameters.missing}}")]), label="unresolved")
    assert run.phase is Phase.ERROR
    assert run.message and "inputs.parameters.missing" in run.message
    assert run.pods[0].exit_code is None


@pytest.mark.parametrize(
    ("change", "reported"),
    [
        (lambda w: w["spec"].update(onExit="main"), "spec.onExit: exit handlers"),
        (lambda w: w["spec"]["templates"][0].update(retryStrategy={"limit": 2}), "retryStrategy: retries"),
        (
            lambda w: w["spec"]["templates"][0].update(outputs={"artifacts": [{"name": "out", "path": "/tmp/o"}]}),
            "outputs.artifacts: artifacts from a repository",
        ),
        (
            lambda w: w["spec"]["templates"].__setitem__(0, {"name": "main", "resource": {"action": "create"}}),
            "spec.templates[main].resource: resource templates",
        ),
        (lambda w: w["spec"]["templates"][0]["script"].update(image="python:3.11-alpine"), "alpine variant"),
        (lambda w: w["spec"]["templates"][0]["script"].update(image="node:20"), "no runtime for it"),
        (
            lambda w: w["spec"]["templates"][0]["script"]["env"].append(
                {"name": "CM", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}}
            ),
            "env[CM].valueFrom.configMapKeyRef",
        ),
        (
            lambda w: w["spec"]["templates"][0]["script"].update(source="echo {{workflow.creationTimestamp}}"),
            "variable",
        ),
    ],
    ids=["exit-handler", "retries", "artifacts", "resource", "alpine", "other-image", "configmap", "variable"],
)
def test_what_cannot_be_run_faithfully_is_unsupported_and_not_run(
    local: LocalExecutor, change: Any, reported: str
) -> None:
    manifest = workflow(
        [script("main", "echo ran > /mnt/results/ran.txt", mounts=True, env={"A": "b"})], volumes=[RESULTS]
    )
    change(manifest)
    run = local.run(manifest, label="unsupported")
    assert run.phase is None and not run.ran
    assert any(reported in item for item in run.unsupported), run.unsupported
    assert run.files == () and run.nodes == ()


def test_inspection_accepts_what_the_reference_builders_produce() -> None:
    from harness.builders import hera, legacy

    inputs = {
        "python_code": "print(1)",
        "dependencies": "six",
        "env": {"TOKEN": {"secretKeyRef": {"name": "s", "key": "k"}}},
        "volumes": [{"name": "r", "claim_name": "c", "mount_path": "/mnt/r", "read_only": True}],
    }
    for build in (legacy.build, hera.build):
        for template in ("script", "container"):
            inspection = inspect_workflow(build({**inputs, "template": template}))
            assert inspection.unsupported == () and inspection.invalid is None


def test_a_missing_volume_is_an_error(local: LocalExecutor) -> None:
    manifest = workflow([script("main", "echo ran", mounts=True)])  # mounts a volume it never declares
    assert inspect_workflow(manifest).invalid is None  # Argo accepts it; the pod then cannot start
    run = local.run(manifest, label="no-volume")
    assert run.phase is Phase.ERROR
    assert 'volume "task-results" not found' in (run.message or "")
    assert run.stdout.text == ""
