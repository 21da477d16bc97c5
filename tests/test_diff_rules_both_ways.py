"""Every rule of the differ, both ways.

For each rule: a form-only change under that rule compares equivalent, and a real change under
the same rule is still caught as semantic (with the rule id that decided). ``setup`` is applied
to both sides first, ``form`` / ``real`` to the right side only.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.diff import Category, compare

FIXTURES = Path(__file__).parent / "fixtures" / "diff"

Manifest = dict[str, Any]
Edit = Callable[[Manifest], None]


def load(name: str) -> Manifest:
    data = yaml.load((FIXTURES / name).read_text(), Loader=yaml.CSafeLoader)
    assert isinstance(data, dict)
    return data


def main(m: Manifest) -> dict[str, Any]:
    template: dict[str, Any] = m["spec"]["templates"][0]
    return template


def script(m: Manifest) -> dict[str, Any]:
    result: dict[str, Any] = main(m)["script"]
    return result


def template(m: Manifest, name: str) -> dict[str, Any]:
    return next(t for t in m["spec"]["templates"] if t["name"] == name)


def env(m: Manifest, name: str) -> dict[str, Any]:
    return next(e for e in script(m)["env"] if e["name"] == name)


def nothing(m: Manifest) -> None:
    pass


@dataclass(frozen=True)
class Case:
    rule: str  # the rule under test (also the expected rule id of the real change, unless `caught_by`)
    base: str
    form: Edit
    real: Edit
    setup: Edit = nothing
    caught_by: str | None = None  # rule id reporting the real change, when it is not `rule`
    real_path: str | None = None  # expected path of the real change (a prefix is enough)

    @property
    def id(self) -> str:
        return self.rule


def _set(path: list[Any], value: Any) -> Edit:
    def edit(m: Manifest) -> None:
        node: Any = m
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return edit


def _do(*edits: Edit) -> Edit:
    def edit(m: Manifest) -> None:
        for e in edits:
            e(m)

    return edit


# --- edits used by several cases ---------------------------------------------------------------------


def reverse_env(m: Manifest) -> None:
    script(m)["env"].reverse()


def move_volume_to_template(m: Manifest) -> None:
    main(m)["volumes"] = m["spec"].pop("volumes")


PY_SOURCE = "import os\n\n\ndef main():\n    print(os.getcwd())\n\n\nmain()\n"
PY_SOURCE_REFORMATTED = "import os\ndef main():  # entry\n    print( os.getcwd() )\nmain()"
PY_SOURCE_CHANGED = "import os\n\n\ndef main():\n    print(os.getpid())\n\n\nmain()\n"


def python_script(m: Manifest) -> None:
    script(m)["command"] = ["python"]
    script(m)["source"] = PY_SOURCE


def retry_limit(value: Any) -> Edit:
    return _set(["spec", "templates", 0, "retryStrategy"], {"limit": value})


def container_program(m: Manifest) -> None:
    main(m).pop("script")
    main(m)["container"] = {
        "image": "python:3.11-slim",
        "command": ["bash", "-c"],
        "args": ["set -e; pip install six && python -c 'import six; print(six.__version__)'"],
    }


def container_env_program(program: str) -> Edit:
    """The main template as a container running ``program`` with ``bash -c``, TASK_ID=42 in its env."""

    def edit(m: Manifest) -> None:
        main(m).pop("script")
        main(m)["container"] = {
            "image": "python:3.11-slim",
            "command": ["bash", "-c"],
            "args": [program],
            "env": [{"name": "TASK_ID", "value": "42"}],
        }

    return edit


def set_args(program: str) -> Edit:
    return lambda m: main(m)["container"].update(args=[program])


def add_env(name: str, value: str, at: int | None = None) -> Edit:
    def edit(m: Manifest) -> None:
        items = script(m)["env"]
        items.insert(len(items) if at is None else at, {"name": name, "value": value})

    return edit


def move_env(name: str, to: int) -> Edit:
    def edit(m: Manifest) -> None:
        items = script(m)["env"]
        item = next(e for e in items if e["name"] == name)
        items.remove(item)
        items.insert(to, item)

    return edit


def resource_template(m: Manifest) -> None:
    main(m).pop("script")
    main(m)["resource"] = {
        "action": "create",
        "manifest": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: out\ndata:\n  a: '1'\n  b: '2'\n",
    }


def node_script(m: Manifest) -> None:
    script(m)["command"] = ["node"]
    script(m)["source"] = "console.log(1)\n"


def replace_source(old: str, new: str) -> Edit:
    def edit(m: Manifest) -> None:
        source = script(m)["source"]
        assert old in source, old
        script(m)["source"] = source.replace(old, new)

    return edit


CASES = [
    # identity: keyed lists by name
    Case(
        "keyed-list-env",
        "job.yaml",
        form=reverse_env,
        real=_do(reverse_env, lambda m: env(m, "TASK_ID").update(value="43")),
        caught_by="value-change",
        real_path="spec.templates[main].script.env[TASK_ID].value",
    ),
    Case(
        "keyed-list-templates",
        "dag.yaml",
        form=lambda m: m["spec"]["templates"].reverse(),
        real=_do(
            lambda m: m["spec"]["templates"].reverse(),
            lambda m: template(m, "work")["container"].update(image="alpine:3.21"),
        ),
        caught_by="value-change",
        real_path="spec.templates[work].container.image",
    ),
    Case(
        "keyed-list-dag-tasks",
        "dag.yaml",
        form=lambda m: template(m, "main")["dag"]["tasks"].reverse(),
        real=lambda m: template(m, "main")["dag"]["tasks"][0].update(template="steps-main"),
        caught_by="value-change",
        real_path="spec.templates[main].dag.tasks[a].template",
    ),
    Case(
        "keyed-list-parameters",
        "dag.yaml",
        form=lambda m: m["spec"]["arguments"]["parameters"].reverse(),
        real=lambda m: m["spec"]["arguments"]["parameters"][0].update(value="bye"),
        caught_by="any-string",
        real_path="spec.arguments.parameters[greeting].value",
    ),
    Case(
        "keyed-list-steps-in-group",
        "dag.yaml",
        form=lambda m: template(m, "steps-main")["steps"][0].reverse(),
        real=lambda m: template(m, "steps-main")["steps"].reverse(),
        caught_by="value-change",
        real_path="spec.templates[steps-main].steps[0]",
    ),
    # order-insensitive where Argo/Kubernetes treat a list as a set
    Case(
        "set-like-list",
        "dag.yaml",
        setup=lambda m: template(m, "work").update(
            tolerations=[{"key": "gpu", "operator": "Exists"}, {"key": "spot", "operator": "Exists"}]
        ),
        form=lambda m: template(m, "work")["tolerations"].reverse(),
        real=lambda m: template(m, "work")["tolerations"].pop(),
        real_path="spec.templates[work].tolerations",
    ),
    # DAG dependencies by meaning (harness.normalize.dag); more in tests/test_diff_dag.py
    Case(
        "dag-depends-form",
        "dag.yaml",
        form=lambda m: template(m, "main")["dag"]["tasks"][2].update(dependencies=None, depends="b && a"),
        real=lambda m: template(m, "main")["dag"]["tasks"][2]["dependencies"].pop(),
        caught_by="dag-ordering-relaxed",
        real_path="spec.templates[main].dag.tasks[c].depends",
    ),
    Case(
        "dag-ordering-added",
        "dag.yaml",
        setup=lambda m: template(m, "main")["dag"]["tasks"].append({"name": "d", "template": "work"}),
        form=lambda m: template(m, "main")["dag"]["tasks"][2].update(dependencies=["b"]),  # a is implied by b
        real=lambda m: template(m, "main")["dag"]["tasks"][2].update(dependencies=["a", "b", "d"]),
        real_path="spec.templates[main].dag.tasks[c].depends",
    ),
    Case(
        "dag-condition",
        "dag.yaml",
        form=lambda m: template(m, "main")["dag"]["tasks"][1].update(
            dependencies=None, depends="a.Succeeded || a.Skipped || a.Daemoned"
        ),
        real=lambda m: template(m, "main")["dag"]["tasks"][1].update(dependencies=None, depends="a.Failed"),
        real_path="spec.templates[main].dag.tasks[b].depends",
    ),
    Case(
        "steps-vs-dag",
        "dag.yaml",
        form=lambda m: template(m, "steps-main")["steps"][0].reverse(),
        real=lambda m: template(m, "steps-main").update(
            steps=None,
            dag={
                "tasks": [
                    {"name": "s1", "template": "work"},
                    {"name": "s2", "template": "work"},
                    {"name": "s3", "template": "work", "depends": "s1 && s2"},
                ]
            },
        ),
        real_path="spec.templates[steps-main]",
    ),
    Case(
        "set-like-list-access-modes",
        "claim-template.yaml",
        form=lambda m: m["spec"]["volumeClaimTemplates"][0]["spec"]["accessModes"].reverse(),
        real=lambda m: m["spec"]["volumeClaimTemplates"][0]["spec"]["accessModes"].pop(),
        caught_by="set-like-list",
    ),
    # ordered where order matters
    Case(
        "ordered-argv",
        "dag.yaml",
        form=lambda m: template(m, "work")["container"].update(args=["echo {{inputs.parameters.msg}}&&sleep 1 ;"]),
        real=lambda m: template(m, "work")["container"].update(command=["-c", "sh"]),
        caught_by="value-change",
        real_path="spec.templates[work].container.command",
    ),
    # defaults and presence
    Case(
        "empty-is-absent",
        "job.yaml",
        form=_do(
            lambda m: main(m).update(inputs={}, outputs={"parameters": []}, metadata={}),
            lambda m: script(m).update(args=[], securityContext={}, workingDir=None),
            lambda m: m["metadata"].update(annotations={}),
        ),
        real=lambda m: main(m).update(retryStrategy={}),
        caught_by="value-change",
        real_path="spec.templates[main].retryStrategy",
    ),
    Case(
        "presence-significant-empty-dir",
        "job.yaml",
        form=lambda m: m["spec"]["volumes"][1].update(emptyDir={"sizeLimit": None}),
        real=lambda m: m["spec"]["volumes"][1].update(emptyDir={"sizeLimit": "1Gi"}),
        setup=lambda m: m["spec"]["volumes"].append({"name": "scratch", "emptyDir": {}}),
        caught_by="quantity",
        real_path="spec.volumes[scratch].emptyDir.sizeLimit",
    ),
    Case(
        "kubernetes-default",
        "job.yaml",
        form=_do(
            lambda m: script(m).update(terminationMessagePolicy="File"),
            lambda m: script(m)["volumeMounts"][0].update(readOnly=False),
            lambda m: env(m, "API_TOKEN")["valueFrom"]["secretKeyRef"].update(optional=False),
        ),
        real=lambda m: script(m)["volumeMounts"][0].update(readOnly=True),
        caught_by="typed-scalar",
        real_path="spec.templates[main].script.volumeMounts[task-results].readOnly",
    ),
    Case(
        "image-pull-policy-default",
        "job.yaml",
        form=lambda m: script(m).update(imagePullPolicy="IfNotPresent"),
        real=lambda m: script(m).update(imagePullPolicy="Always"),
        real_path="spec.templates[main].script.imagePullPolicy",
    ),
    Case(
        "image-pull-policy-default-latest",
        "job.yaml",
        setup=lambda m: script(m).update(image="python:latest"),
        form=lambda m: script(m).update(imagePullPolicy="Always"),
        real=lambda m: script(m).update(imagePullPolicy="IfNotPresent"),
        caught_by="image-pull-policy-default",
    ),
    # types
    Case(
        "int-or-string",
        "job.yaml",
        setup=retry_limit(2),
        form=retry_limit("2"),
        real=retry_limit("3"),
        real_path="spec.templates[main].retryStrategy.limit",
    ),
    Case(
        "any-string",
        "dag.yaml",
        form=lambda m: m["spec"]["arguments"]["parameters"][1].update(value=3),
        real=lambda m: m["spec"]["arguments"]["parameters"][1].update(value=4),
    ),
    # a type change is form-only in an IntOrString field, semantic in an integer field
    Case(
        "type-change",
        "job.yaml",
        setup=_do(_set(["spec", "parallelism"], 2), retry_limit(2)),
        form=retry_limit("2"),
        real=_set(["spec", "parallelism"], "2"),
        real_path="spec.parallelism",
    ),
    Case(
        "typed-scalar",
        "job.yaml",
        setup=lambda m: main(m).update(daemon=False),
        form=lambda m: main(m).pop("daemon"),
        real=lambda m: main(m).update(daemon=True),
    ),
    Case(
        "typed-scalar-bool-is-not-int",
        "job.yaml",
        setup=lambda m: main(m).update(daemon=True),
        form=lambda m: main(m).update(daemon=yaml.safe_load("yes")) or main(m).update(suspend=None),
        real=lambda m: main(m).update(daemon=1),
        caught_by="type-change",
    ),
    Case(
        "quantity",
        "job.yaml",
        form=lambda m: script(m)["resources"].update(limits={"cpu": 1, "memory": "1024Mi"}),
        real=lambda m: script(m)["resources"].update(limits={"cpu": "1", "memory": "1G"}),
        real_path="spec.templates[main].script.resources.limits.memory",
    ),
    Case(
        "quantity-exponent",
        "job.yaml",
        form=lambda m: script(m)["resources"].update(limits={"cpu": "1e0", "memory": "1073741824"}),
        real=lambda m: script(m)["resources"].update(limits={"cpu": "1e1", "memory": "1Gi"}),
        caught_by="quantity",
    ),
    Case(
        "requests-default-to-limits",
        "job.yaml",
        form=lambda m: script(m)["resources"].update(requests={"cpu": "1000m", "memory": "1Gi"}),
        real=lambda m: script(m)["resources"].update(requests={"cpu": "500m"}),
        caught_by="quantity",
        real_path="spec.templates[main].script.resources.requests.cpu",
    ),
    # live objects
    Case(
        "live-object",
        "job.yaml",
        form=lambda m: m.update(load("job-live.yaml")),
        real=_do(lambda m: m.update(load("job-live.yaml")), lambda m: m["metadata"].update(name="renamed-job")),
        caught_by="value-change",
        real_path="metadata.name",
    ),
    # volumes
    Case(
        "volume-level",
        "job.yaml",
        form=move_volume_to_template,
        real=_do(
            move_volume_to_template,
            lambda m: main(m)["volumes"][0]["persistentVolumeClaim"].update(claimName="other-pvc"),
        ),
        caught_by="value-change",
        real_path="spec.volumes[task-results].persistentVolumeClaim.claimName",
    ),
    Case(
        "existing-pvc-vs-claim-template",
        "job.yaml",
        form=lambda m: m["spec"]["volumes"][0]["persistentVolumeClaim"].update(readOnly=False),
        real=lambda m: m["spec"].update(
            volumes=[],
            volumeClaimTemplates=[{"metadata": {"name": "task-results"}, "spec": {"accessModes": ["ReadWriteOnce"]}}],
        ),
    ),
    # embedded programs
    Case(
        "python-ast",
        "job.yaml",
        setup=python_script,
        form=lambda m: script(m).update(source=PY_SOURCE_REFORMATTED),
        real=lambda m: script(m).update(source=PY_SOURCE_CHANGED),
        real_path="spec.templates[main].script.source",
    ),
    Case(
        "shell-syntax",
        "job.yaml",
        form=replace_source('python -c "$PYTHON_CODE"', '# run the user\'s code\npython  -c "${PYTHON_CODE}"'),
        real=replace_source('python -c "$PYTHON_CODE"', "python -c $PYTHON_CODE"),
        real_path="spec.templates[main].script.source",
    ),
    Case(
        "shell-syntax-operators",
        "job.yaml",
        form=replace_source("set -euo pipefail\n", "set -euo pipefail;"),
        real=replace_source("set -euo pipefail\n", "set -euo pipefail || "),
        caught_by="shell-syntax",
    ),
    Case(
        "pip-requirements",
        "job.yaml",
        form=replace_source(
            "pip install --no-cache-dir 'numpy>=1.26,<2' 'requests[socks]'",
            'pip install -q "Requests[SOCKS]" "numpy <2, >=1.26"',
        ),
        real=replace_source(
            "pip install --no-cache-dir 'numpy>=1.26,<2' 'requests[socks]'",
            "pip install --no-cache-dir 'numpy>=1.26,<3' 'requests[socks]'",
        ),
    ),
    Case(
        "pip-requirements-unquoted-redirection",
        "job.yaml",
        form=replace_source("'numpy>=1.26,<2'", '"numpy>=1.26,<2"'),
        real=replace_source("'numpy>=1.26,<2'", "numpy>=1.26,<2"),
        caught_by="pip-requirements",
    ),
    Case(
        "pip-requirements-file",
        "job.yaml",
        form=replace_source(
            "six==1.16.0\nidna>=3,<4\nREQUIREMENTS_EOF", "# pinned\nIDNA <4,>=3\n\nsix==1.16\nREQUIREMENTS_EOF"
        ),
        real=replace_source("six==1.16.0\nidna>=3,<4\nREQUIREMENTS_EOF", "six==1.17.0\nidna>=3,<4\nREQUIREMENTS_EOF"),
        caught_by="pip-requirements",
    ),
    Case(
        "python-code-in-env",
        "job.yaml",
        form=lambda m: env(m, "PYTHON_CODE").update(value="import six\nprint( six.__version__ )  # which\n"),
        real=lambda m: env(m, "PYTHON_CODE").update(value="import six\nprint(six.__file__)\n"),
        real_path="spec.templates[main].script.env[PYTHON_CODE].value",
    ),
    Case(
        "plain-env-value",
        "job.yaml",
        form=lambda m: env(m, "TASK_ID").update(valueFrom=None),
        real=lambda m: env(m, "TASK_ID").update(value=" 42"),
        caught_by="value-change",
    ),
    Case(
        "argv-code",
        "job.yaml",
        setup=container_program,
        form=lambda m: main(m)["container"].update(
            args=["set -e\npip install 'six'  &&  python -c \"import six; print( six.__version__ )\""]
        ),
        real=lambda m: main(m)["container"].update(
            args=["set -e; pip install six; python -c 'import six; print(six.__version__)'"]
        ),
    ),
    Case(
        "argv-code-pip-requirements",
        "job.yaml",
        setup=container_program,
        form=lambda m: main(m)["container"].update(
            args=["set -e\npip install --no-cache-dir 'Six'  &&  python -c 'import six; print(six.__version__)'"]
        ),
        real=lambda m: main(m)["container"].update(
            args=["set -e; pip install six==1.16 && python -c 'import six; print(six.__version__)'"]
        ),
        caught_by="pip-requirements",  # the same refinement as in a script's source
        real_path="spec.templates[main].container.args[0]",
    ),
    Case(
        "pip-requirements-file-options",
        "job.yaml",
        setup=replace_source("six==1.16.0\n", "--index-url https://pypi.example/simple\nsix==1.16.0\n"),
        form=replace_source("--index-url https://pypi.example/simple\n", "-i  https://pypi.example/simple  # mirror\n"),
        real=replace_source("--index-url https://pypi.example/simple\n", "--index-url https://evil.example/simple\n"),
        caught_by="pip-requirements",
    ),
    # Kubernetes expands $(VAR) and $$ in env values, command and args before the process starts
    Case(
        "kubernetes-var-expansion",
        "job.yaml",
        setup=add_env("PRICE", "cost $5"),
        form=lambda m: env(m, "PRICE").update(value="cost $$5"),
        real=lambda m: env(m, "PRICE").update(value="cost $$$5"),  # reaches the pod as "cost $$5"
        real_path="spec.templates[main].script.env[PRICE].value",
    ),
    Case(
        "kubernetes-var-expansion-env-order",
        "job.yaml",
        setup=add_env("LABEL", "task-$(TASK_ID)"),
        form=_do(move_env("PYTHON_CODE", 3), move_env("API_TOKEN", 0)),  # TASK_ID stays before LABEL
        real=move_env("LABEL", 0),  # now before TASK_ID: "$(TASK_ID)" stays as written
        caught_by="kubernetes-var-expansion",
        real_path="spec.templates[main].script.env[LABEL].value",
    ),
    Case(
        "kubernetes-var-expansion-args",
        "job.yaml",
        setup=container_env_program("set -e; echo task 42 && pip install six"),
        form=set_args("set -e; echo task $(TASK_ID) && pip install six"),
        real=set_args("set -e; echo task $$(TASK_ID) && pip install six"),  # a command substitution
        caught_by="argv-code",
        real_path="spec.templates[main].container.args[0]",
    ),
    Case(
        "kubernetes-var-expansion-python-code-in-env",
        "job.yaml",
        setup=lambda m: env(m, "PYTHON_CODE").update(value="print('$')\n"),
        form=lambda m: env(m, "PYTHON_CODE").update(value="print('$$')\n"),
        real=lambda m: env(m, "PYTHON_CODE").update(value="print('$$$$')\n"),
        caught_by="python-code-in-env",
        real_path="spec.templates[main].script.env[PYTHON_CODE].value",
    ),
    Case(
        "embedded-document",
        "job.yaml",
        setup=resource_template,
        form=lambda m: main(m)["resource"].update(
            manifest='{"kind": "ConfigMap", "apiVersion": "v1",\n'
            ' "metadata": {"name": "out"}, "data": {"b": "2", "a": "1"}}'
        ),
        real=lambda m: main(m)["resource"].update(
            manifest="apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: out\ndata:\n  a: '1'\n  b: '3'\n"
        ),
    ),
    Case(
        "script-text",
        "job.yaml",
        setup=node_script,
        form=lambda m: script(m).update(source="console.log(1)"),
        real=lambda m: script(m).update(source="console.log(2)"),
    ),
    # labels and annotations: metadata, except the label that picks the controller
    Case(
        "controller-instance-id",
        "job.yaml",
        form=lambda m: m["metadata"]["labels"].update(team="platform"),
        real=lambda m: m["metadata"]["labels"].update({"workflows.argoproj.io/controller-instanceid": "blue"}),
        real_path='metadata.labels["workflows.argoproj.io/controller-instanceid"]',
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_form_only_change_is_equivalent(case: Case) -> None:
    left = load(case.base)
    case.setup(left)
    right = copy.deepcopy(left)
    case.form(right)
    assert right != left, "the form-only edit must change the raw manifest"
    comparison = compare(left, right)
    semantic = comparison.by_category(Category.SEMANTIC)
    assert comparison.equivalent, [d.to_dict() for d in semantic]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_real_change_is_caught(case: Case) -> None:
    left = load(case.base)
    case.setup(left)
    right = copy.deepcopy(left)
    case.real(right)
    comparison = compare(left, right)
    assert not comparison.equivalent
    semantic = comparison.by_category(Category.SEMANTIC)
    expected_rule = case.caught_by or case.rule
    assert expected_rule in {d.rule for d in semantic}, [d.to_dict() for d in semantic]
    if case.real_path:
        assert any(d.path.startswith(case.real_path) for d in semantic), [d.path for d in semantic]
    for diff in semantic:
        assert diff.message and "\n" not in diff.message
