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
