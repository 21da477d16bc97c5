"""Messages say what changed: the reported reproducers, through the real builders.

A container template runs the same bash program as a script template (``bash -c PROGRAM``): the
same change must get the same rule and the same message in both. A requirements file written with
a heredoc says which requirements and options change. Kubernetes' `$(VAR)` / `$$` expansion is
applied before comparing.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from harness.builders import legacy
from harness.diff import Category, Difference, compare
from tests import planted_fuzz


def only_semantic(left: dict[str, Any], right: dict[str, Any]) -> Difference:
    (difference,) = compare(left, right).by_category(Category.SEMANTIC)
    return difference


@pytest.mark.parametrize("template", ["script", "container"])
def test_split_dependency_is_named_in_script_and_container_templates(template: str) -> None:
    inputs = {"python_code": "pass", "dependencies": "six six six==0,==0", "template": template}
    difference = only_semantic(legacy.build(inputs), planted_fuzz.splits_dependencies_on_every_comma(inputs))
    body = "script.source" if template == "script" else "container.args[0]"
    assert difference.path == f"spec.templates[main].{body}"
    assert difference.rule == "pip-requirements"
    assert difference.message == (
        "what pip installs changes in template main: command 2: "
        "`pip install --no-cache-dir six six six==0,==0` -> `pip install --no-cache-dir six six six==0 ==0` "
        "(pip install adds ==0)"
    )


@pytest.mark.parametrize("template", ["script", "container"])
def test_requirements_file_change_names_the_requirements(template: str) -> None:
    def build(requirements: str) -> dict[str, Any]:
        return legacy.build({"python_code": "pass", "requirements_file": requirements, "template": template})

    difference = only_semantic(
        build("--index-url https://h/0/simple\nsix\n"), build("--index-url https://h/1/simple\nsix\n")
    )
    assert difference.rule == "pip-requirements"
    assert difference.message == (
        "what pip installs changes in template main: command 2 `cat > /tmp/requirements.txt <<'REQUIREMENTS_EOF'`: "
        "requirements file /tmp/requirements.txt adds --index-url https://h/1/simple; "
        "removes --index-url https://h/0/simple"
    )


def test_requirements_file_with_a_kubernetes_reference_in_a_script_template() -> None:
    # A script's source is a file Kubernetes never expands: $(TASK_ID) reaches pip as written.
    def build(requirements: str) -> dict[str, Any]:
        return legacy.build({"python_code": "pass", "requirements_file": requirements, "env": {"TASK_ID": "1"}})

    difference = only_semantic(
        build("--index-url https://h/$(TASK_ID)/simple\nsix\n"), build("--index-url https://h/1/simple\nsix\n")
    )
    assert "removes --index-url https://h/$(TASK_ID)/simple" in difference.message


def container_job(**inputs: Any) -> dict[str, Any]:
    return legacy.build({"python_code": "pass", "template": "container", **inputs})


def args(manifest: dict[str, Any]) -> list[str]:
    result: list[str] = manifest["spec"]["templates"][0]["container"]["args"]
    return result


def test_container_args_compare_after_kubernetes_expands_them() -> None:
    # The builders refuse `$(TASK_ID)` in a container's requirements (Kubernetes would expand it);
    # a manifest written by hand may hold it, and it installs the same as the value written out.
    literal = container_job(env={"TASK_ID": "7"}, requirements_file="--index-url https://h/7/simple\nsix\n")
    reference = copy.deepcopy(literal)
    args(reference)[0] = args(literal)[0].replace("/7/", "/$(TASK_ID)/")
    assert compare(literal, reference).equivalent
    # ... and a real change under the same rule: the var's value, or an escaped reference.
    other_value = copy.deepcopy(reference)
    other_value["spec"]["templates"][0]["container"]["env"][1]["value"] = "8"
    paths = {d.path: d.rule for d in compare(literal, other_value).by_category(Category.SEMANTIC)}
    assert paths == {
        "spec.templates[main].container.env[TASK_ID].value": "value-change",
        "spec.templates[main].container.args[0]": "pip-requirements",
    }
    escaped = copy.deepcopy(literal)
    args(escaped)[0] = args(literal)[0].replace("/7/", "/$$(TASK_ID)/")
    difference = only_semantic(literal, escaped)
    assert difference.message.endswith(
        "adds --index-url https://h/$(TASK_ID)/simple; removes --index-url https://h/7/simple"
    )


def test_dollar_dollar_in_python_code_env_value() -> None:
    left = legacy.build({"python_code": "print('$')"})
    right = copy.deepcopy(left)
    right["spec"]["templates"][0]["script"]["env"][0]["value"] = "print('$$')"  # the pod gets print('$')
    assert compare(left, right).equivalent
    right["spec"]["templates"][0]["script"]["env"][0]["value"] = "print('$$$$')"  # the pod gets print('$$')
    difference = only_semantic(left, right)
    assert difference.rule == "python-code-in-env"
    assert difference.message.endswith("statement 1: `print('$')` -> `print('$$')`")


def test_env_order_message_explains_an_unresolved_reference() -> None:
    left = legacy.build({"python_code": "pass", "env": {"TASK_ID": "7", "LABEL": "task-$(TASK_ID)"}})
    right = copy.deepcopy(left)
    env = right["spec"]["templates"][0]["script"]["env"]
    env.insert(0, env.pop())  # LABEL before TASK_ID: Kubernetes leaves $(TASK_ID) as written
    difference = only_semantic(left, right)
    assert difference.path == "spec.templates[main].script.env[LABEL].value"
    assert difference.rule == "kubernetes-var-expansion"
    assert difference.message == (
        "a value changes in template main, env LABEL: `task-$(TASK_ID)` -> `task-$(TASK_ID)` "
        "(after Kubernetes expands $(VAR) and $$: `task-7` -> `task-$(TASK_ID)`; on the right $(TASK_ID) "
        "stays as written: Kubernetes only expands vars defined earlier in env)"
    )


def test_long_values_are_cut_around_the_change() -> None:
    packages = " ".join(f"package-{i}" for i in range(12))
    left = container_job(dependencies=f"{packages} six==1.16")
    right = container_job(dependencies=f"{packages} six==1.17")
    difference = only_semantic(left, right)
    assert difference.rule == "pip-requirements"
    assert "six==1.16` -> `…" in difference.message and difference.message.endswith(
        "six==1.17` (pip install adds six==1.17; removes six==1.16)"
    )
    left = legacy.build({"python_code": "pass", "env": {"SETTING": "x" * 100 + "-old"}})
    right = legacy.build({"python_code": "pass", "env": {"SETTING": "x" * 100 + "-new"}})
    message = only_semantic(left, right).message
    assert message.endswith(f"SETTING: …{'x' * 55}-old -> …{'x' * 55}-new")


# --- booleans: what the new value does, in both directions ---------------------------------------------


def _workflow() -> dict[str, Any]:
    """A workflow with every place a boolean the messages know can sit."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": "flags-"},
        "spec": {
            "entrypoint": "main",
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data-pvc"}}],
            "templates": [
                {
                    "name": "main",
                    "dag": {"tasks": [{"name": "a", "template": "work"}]},
                },
                {
                    "name": "work",
                    "inputs": {"artifacts": [{"name": "model", "path": "/model"}]},
                    "container": {
                        "image": "busybox:1.36",
                        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                        "env": [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}],
                        "securityContext": {},
                    },
                },
            ],
        },
    }


def _at(doc: dict[str, Any], path: tuple[str | int, ...]) -> dict[str, Any]:
    node: Any = doc
    for part in path:
        node = node[part]
    return node  # type: ignore[no-any-return]


# (field as the test names it, where it sits, the field, what `true` means, what `false` means,
# what leaving it out means). The phrases are written here, not read from the harness, so a
# message that names the wrong direction fails.
_WORK = ("spec", "templates", 1)
_TASK = ("spec", "templates", 0, "dag", "tasks", 0)
BOOLEANS: list[tuple[str, tuple[str | int, ...], str, str, str, str]] = [
    ("volumeMount.readOnly", (*_WORK, "container", "volumeMounts", 0), "readOnly", "read-only", "writable", "writable"),
    (
        "persistentVolumeClaim.readOnly",
        ("spec", "volumes", 0, "persistentVolumeClaim"),
        "readOnly",
        "read-only",
        "writable",
        "writable",
    ),
    (
        "secretKeyRef.optional",
        (*_WORK, "container", "env", 0, "valueFrom", "secretKeyRef"),
        "optional",
        "optional",
        "required",
        "required",
    ),
    ("artifact.optional", (*_WORK, "inputs", "artifacts", 0), "optional", "optional", "required", "required"),
    ("template.daemon", _WORK, "daemon", "a daemon", "a normal step", "a normal step"),
    ("workflow.suspend", ("spec",), "suspend", "suspended", "active", "active"),
    ("container.tty", (*_WORK, "container"), "tty", "allocated", "not allocated", "not allocated"),
    ("container.stdin", (*_WORK, "container"), "stdin", "open", "closed", "closed"),
    (
        "securityContext.privileged",
        (*_WORK, "container", "securityContext"),
        "privileged",
        "privileged",
        "unprivileged",
        "unprivileged",
    ),
    (
        "securityContext.readOnlyRootFilesystem",
        (*_WORK, "container", "securityContext"),
        "readOnlyRootFilesystem",
        "read-only",
        "writable",
        "writable",
    ),
    (
        "securityContext.allowPrivilegeEscalation",
        (*_WORK, "container", "securityContext"),
        "allowPrivilegeEscalation",
        "allowed",
        "blocked",
        "allowed",
    ),
    (
        "securityContext.runAsNonRoot",
        (*_WORK, "container", "securityContext"),
        "runAsNonRoot",
        "refused",
        "allowed",
        "allowed",
    ),
    ("spec.hostNetwork", ("spec",), "hostNetwork", "the host's network", "its own network", "its own network"),
    (
        "spec.automountServiceAccountToken",
        ("spec",),
        "automountServiceAccountToken",
        "mounted",
        "not mounted",
        "mounted",
    ),
    ("dag.failFast", ("spec", "templates", 0, "dag"), "failFast", "fail-fast", "run-to-end", "fail-fast"),
    ("task.continueOn.failed", (*_TASK, "continueOn"), "failed", "tolerated", "fatal", "fatal"),
    ("task.continueOn.error", (*_TASK, "continueOn"), "error", "tolerated", "fatal", "fatal"),
    ("spec.archiveLogs", ("spec",), "archiveLogs", "on", "off", "whatever the controller"),
]


def _set(path: tuple[str | int, ...], field: str, value: bool | None) -> dict[str, Any]:
    doc = _workflow()
    if path[-1] == "continueOn":
        _at(doc, path[:-1])["continueOn"] = {}
    target = _at(doc, path)
    if value is not None:
        target[field] = value
    return doc


@pytest.mark.parametrize(("name", "path", "field", "on", "off", "unset"), BOOLEANS, ids=[b[0] for b in BOOLEANS])
def test_a_boolean_message_says_what_the_new_value_does_both_ways(
    name: str, path: tuple[str | int, ...], field: str, on: str, off: str, unset: str
) -> None:
    state = {True: on, False: off, None: unset}
    cases = [(True, False), (False, True), (True, None), (None, True)]
    if unset != off:  # leaving it out is a third state: false is a real change from it
        cases += [(None, False), (False, None)]
    for left, right in cases:
        # a change of state says what the new value does; a change that keeps it says so
        verb = "becomes" if state[left] != state[right] else "stays"
        differences = compare(_set(path, field, left), _set(path, field, right)).differences
        shown = f"{name}: {left} -> {right}: {[d.message for d in differences]}"
        assert len(differences) == 1, shown
        (difference,) = differences
        assert difference.category is Category.SEMANTIC, shown
        message = difference.message
        assert f"{verb} {state[right]}" in message, shown
        # the value written on each side, in the style of every output (true/false, unset); a
        # false the canonical form drops as the default reads as unset, saying it is the same
        written = {True: ["true"], False: ["false", "unset (same as false)"], None: ["unset"]}
        assert any(f"{field} {text}" in message for text in written[left]), shown
        assert any(f"-> {text}" in message for text in written[right]), shown
        assert "True" not in message and "False" not in message and "None" not in message, shown
        assert "removed" not in message and "added" not in message, shown


def test_every_boolean_the_messages_know_is_tested_both_ways() -> None:
    from harness.diff.messages import SWITCHES

    tested = {field for _, _, field, *_ in BOOLEANS}
    assert {field for _, field in SWITCHES} <= tested
