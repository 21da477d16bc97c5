"""The workflow interpreter on a pod runner that runs nothing (tests/fakes/pods.py): what it reads
from a template, and when.

Argo substitutes a template's variables once (``ProcessArgs``), before it reads any field of it:
``activeDeadlineSeconds: "{{inputs.parameters.t}}"`` is the parameter's value by the time the pod is
made. The interpreter used to read the deadline from the template as written, so such a deadline
was silently ignored (the pod got the workflow's 600 s), and one that could not be resolved ran
anyway.
"""

from __future__ import annotations

from typing import Any

from harness.execute.result import RunPhase as Phase
from harness.execute.scheduler import RunSettings, run_workflow
from tests.execution_support import script, workflow
from tests.fakes.pods import RecordingPodRunner


def deadline_workflow(value: Any, *, argument: str | None) -> dict[str, Any]:
    """``main`` calls ``timed`` (whose deadline is ``value``) with ``t=argument`` (none: no argument)."""
    step: dict[str, Any] = {"name": "run", "template": "timed"}
    if argument is not None:
        step["arguments"] = {"parameters": [{"name": "t", "value": argument}]}
    timed = script("timed", "echo hi", activeDeadlineSeconds=value)
    if argument is not None:
        timed["inputs"] = {"parameters": [{"name": "t"}]}
    return workflow([{"name": "main", "steps": [[step]]}, timed])


def test_a_deadline_from_a_parameter_is_the_parameters_value() -> None:
    runner = RecordingPodRunner()
    run = run_workflow(
        deadline_workflow("{{inputs.parameters.t}}", argument="5"), runner, RunSettings("fake"), label="deadline"
    )
    assert run.phase is Phase.SUCCEEDED, run.message
    (pod,) = runner.pods
    assert 0 < pod.deadline_s <= 5


def test_a_deadline_that_cannot_be_resolved_is_an_error_not_ignored() -> None:
    runner = RecordingPodRunner()
    run = run_workflow(
        deadline_workflow("{{inputs.parameters.missing}}", argument=None), runner, RunSettings("fake"), label="missing"
    )
    assert run.phase is Phase.ERROR
    assert not runner.pods
    (node,) = [node for node in run.nodes if node.template == "timed"]
    assert node.phase is Phase.ERROR and node.message == "failed to resolve {{inputs.parameters.missing}}"


def test_a_deadline_that_resolves_to_no_integer_is_an_error() -> None:
    # Argo: intstr.Int64 on the substituted value fails, and so does the pod's node.
    runner = RecordingPodRunner()
    run = run_workflow(
        deadline_workflow("{{inputs.parameters.t}}", argument="soon"), runner, RunSettings("fake"), label="soon"
    )
    assert run.phase is Phase.ERROR
    assert not runner.pods
    (node,) = [node for node in run.nodes if node.template == "timed"]
    assert node.message == "value 'soon' cannot be resolved to an int"
