"""Argo's template tags, defined once (harness.spec.tags), and the stages that read them agreeing.

Before, the syntax was written four times and the copies disagreed: the builders' validator took
`{{lastRetry.exitCode}}` and `{{retries}}` for tags Argo acts on and the executor did not;
`{{items_total}}` the other way round (the executor's prefix `item` matched it).
"""

from __future__ import annotations

from typing import Any

import pytest

from harness.builders import hera, legacy
from harness.builders._validate import validate_inputs
from harness.errors import BuilderInputError
from harness.execute.check import inspect_workflow
from harness.execute.result import RunPhase as Phase
from harness.execute.scheduler import RunSettings, run_workflow
from harness.execute.support import SUPPORTED_VARIABLES
from harness.normalize.python_code import python_key
from harness.spec import tags
from tests.execution_support import script, workflow
from tests.fakes.pods import RecordingPodRunner

# (text, whether Argo acts on it, why): Argo's util/template and validate.go, docs/variables.md.
TAGS: list[tuple[str, bool, str]] = [
    ("{{workflow.name}}", True, "a validated prefix"),
    ("{{ pod.name }}", True, "blanks are trimmed"),
    ("{{\u00a0inputs.parameters.x\u3000}}", True, "Unicode blanks are trimmed (TrimSpace)"),
    ("{{=1+1}}", True, "an expression tag"),
    ("{{item}}", True, "the loop item, substituted where in scope"),
    ("{{ item }}", True, "the loop item, blanks trimmed"),
    ("{{item.key}}", True, "a validated prefix"),
    ("{{retries}}", True, "substituted in a template with a retryStrategy"),
    ("{{node.name}}", True, "substituted in every template"),
    ("{{steps.a.outputs.result}}", True, "a validated prefix"),
    ("{{ {{inputs.parameters.a}}", True, "a nested tag is resolved"),
    ("{{inputs.parameters.a", True, "an open tag may close later in the template's JSON"),
    ("{{lastRetry.exitCode}}", False, "only in retryStrategy.expression, never a tag"),
    ("{{cronworkflow.name}}", False, "only in a CronWorkflow's when/stopStrategy expressions"),
    ("{{items_total}}", False, "the prefix is `item.`, with the dot"),
    ("{{itemize}}", False, "not a variable"),
    ("{{node.id}}", False, "node.name is the only node variable"),
    ("{{ =x}}", False, "`=` must follow the braces at once to make an expression"),
    ("{{\tworkflow.name}}", False, "a tab is escaped in the template's JSON, never trimmed"),
    ("{{{workflow.name}}}", False, "the tag is `{workflow.name`: no variable"),
    ("{{ jinja.stays }}", False, "not a variable"),
    ("{{x}}", False, "not a variable"),
    ("{{}}", False, "empty"),
    ("{{", False, "an open tag naming nothing"),
]
IDS = [text for text, _, _ in TAGS]


@pytest.mark.parametrize(("text", "acted_on", "why"), TAGS, ids=IDS)
def test_what_argo_acts_on(text: str, acted_on: bool, why: str) -> None:
    assert (tags.first_argo_tag(text) is not None) is acted_on, why


@pytest.mark.parametrize(("text", "acted_on", "why"), TAGS, ids=IDS)
def test_the_builders_refuse_exactly_the_tags_argo_acts_on(text: str, acted_on: bool, why: str) -> None:
    inputs = {"python_code": f"# {text}\npass\n"}
    if acted_on:
        with pytest.raises(BuilderInputError, match="Argo template tag"):
            validate_inputs(inputs)
    else:
        validate_inputs(inputs)
        assert hera.build(inputs) == legacy.build(inputs)


LEFT_ALONE = [(text, why) for text, acted_on, why in TAGS if not acted_on]


@pytest.mark.parametrize(("text", "why"), LEFT_ALONE, ids=[text for text, _ in LEFT_ALONE])
def test_the_executor_runs_a_tag_argo_leaves_alone_as_written(text: str, why: str) -> None:
    manifest = workflow([script("main", f"echo '{text}'")])
    inspection = inspect_workflow(manifest)
    assert inspection.unsupported == () and inspection.invalid is None, why
    runner = RecordingPodRunner()
    run = run_workflow(manifest, runner, RunSettings(executor="fake"), label="tags")
    assert run.phase is Phase.SUCCEEDED, run
    assert runner.scripts[runner.pods[0].name] == f"echo '{text}'"


def test_the_executor_sees_the_tags_the_validator_sees() -> None:
    # {{retries}} is Argo's in a template with a retryStrategy (never run here): elsewhere Argo and
    # the executor leave it as written. {{items_total}} is no tag: the workflow runs.
    for text in ("{{retries}}", "{{items_total}}", "{{lastRetry.exitCode}}"):
        assert inspect_workflow(workflow([script("main", f"echo {text}")])).unsupported == ()
    runner = RecordingPodRunner()
    run = run_workflow(workflow([script("main", "echo {{retries}}")]), runner, RunSettings("fake"), label="r")
    assert run.phase is Phase.SUCCEEDED and runner.scripts[runner.pods[0].name] == "echo {{retries}}"


def test_an_item_outside_a_loop_stays_as_written_as_in_argo() -> None:
    # `item` has no validated prefix: out of a loop Argo leaves it, it never fails the workflow.
    runner = RecordingPodRunner()
    run = run_workflow(workflow([script("main", "echo {{item}}")]), runner, RunSettings("fake"), label="item")
    assert run.phase is Phase.SUCCEEDED, run
    assert runner.scripts[runner.pods[0].name] == "echo {{item}}"
    run = run_workflow(workflow([script("main", "echo {{item.x}}")]), runner, RunSettings("fake"), label="item")
    assert run.phase is Phase.ERROR and run.message == "failed to resolve {{item.x}}"


def test_tags_the_executor_cannot_resolve_are_reported() -> None:
    manifest = workflow([script("main", "echo {{=1+1}} {{node.name}} {{ {{inputs.parameters.a}} {{workflow.uid")])
    assert set(inspect_workflow(manifest).unsupported) == {
        "spec.templates[main]: variable {{=1+1}}",
        "spec.templates[main]: variable {{node.name}}",
        "spec.templates[main]: variable {{ {{inputs.parameters.a}}",
        "spec.templates[main]: variable {{workflow.uid (no closing }})",
    }


def test_the_executors_variables_are_argos() -> None:
    assert SUPPORTED_VARIABLES <= tags.VARIABLES
    for variable in tags.VARIABLES:
        assert tags.is_variable(variable.replace("<NAME>", "x")), variable


# --- the one resolver -----------------------------------------------------------------------------


def test_substitute_resolves_as_argo_does() -> None:
    scope = {"inputs.parameters.a": "1", "workflow.name": "wf"}
    value: Any = {"args": ["{{inputs.parameters.a}}-{{ workflow.name }}", 3], "x": "{{ {{inputs.parameters.a}}"}
    assert tags.substitute(value, scope) == {"args": ["1-wf", 3], "x": "{{ 1"}  # nested: the braces go
    assert tags.substitute("{{=1+1}} {{item}} {{retries}} {{x}}", scope) == "{{=1+1}} {{item}} {{retries}} {{x}}"
    assert tags.substitute("{{outputs.result}}", scope) == "{{outputs.result}}"  # filled in at run time
    with pytest.raises(tags.UnresolvedVariable, match=r"failed to resolve \{\{inputs.parameters.b\}\}"):
        tags.substitute("{{ inputs.parameters.b }}", scope)


def test_tags_are_found_as_fasttemplate_finds_them() -> None:
    found = list(tags.find_tags("a {{x}} b {{ {{y}} }} {{z"))
    assert [(t.text, t.closed) for t in found] == [("x", True), (" {{y", True), ("z", False)]
    assert found[1].nested == "y" and found[1].written == "{{ {{y}}"
    assert found[2].written == "{{z"


def test_python_programs_keep_tags_exact() -> None:
    # The differ's placeholders use the same scan: a program holding a tag parses, and the tag's
    # exact text is what compares.
    assert python_key("x = {{inputs.parameters.n}}")[0] == "ast"
    assert python_key("x = {{a}}") != python_key("x = {{ a }}")
    assert python_key("x = '{{'") == python_key('x = "{{"')
