"""The legacy builder: manifest shape, dependency splitting, validation and submission."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from harness.builders import legacy
from harness.builders.legacy import KubernetesApis, MissingVolumeClaimError, split_dependencies
from harness.errors import BuilderInputError

CODE = 'print("hello")'


def main_template(manifest: dict[str, Any]) -> dict[str, Any]:
    [template] = manifest["spec"]["templates"]
    assert template["name"] == "main"
    return template


def test_plain_job_matches_the_contract() -> None:
    manifest = legacy.build({"python_code": CODE})

    assert manifest["apiVersion"] == "argoproj.io/v1alpha1"
    assert manifest["kind"] == "Workflow"
    assert manifest["metadata"] == {"generateName": "python-job-", "namespace": "argo"}
    assert manifest["spec"]["entrypoint"] == "main"
    assert manifest["spec"]["serviceAccountName"] == "python-job-runner"
    script = main_template(manifest)["script"]
    assert script["image"] == "python:3.11-slim"
    assert script["command"] == ["bash"]
    assert script["source"] == 'set -euo pipefail\npython -c "$PYTHON_CODE"\n'
    assert script["env"] == [{"name": "PYTHON_CODE", "value": CODE}]
    assert script["volumeMounts"] == [{"name": "task-results", "mountPath": "/mnt/results"}]
    assert manifest["spec"]["volumes"] == [
        {"name": "task-results", "persistentVolumeClaim": {"claimName": "task-results-pvc"}}
    ]


def test_template_is_parsed_once_and_never_shared_between_calls() -> None:
    first = legacy.build({"python_code": CODE})
    main_template(first)["script"]["env"].append({"name": "LEAK", "value": "x"})
    first["metadata"]["namespace"] = "mutated"

    second = legacy.build({"python_code": CODE})

    assert main_template(second)["script"]["env"] == [{"name": "PYTHON_CODE", "value": CODE}]
    assert second["metadata"]["namespace"] == "argo"
    assert legacy._parsed_template.cache_info().currsize == 1


def test_namespace_goes_through_object_meta() -> None:
    manifest = legacy.build({"python_code": CODE, "namespace": "data-science-jobs"})
    assert manifest["metadata"] == {"generateName": "python-job-", "namespace": "data-science-jobs"}


@pytest.mark.parametrize(
    ("dependencies", "expected"),
    [
        (None, []),
        ("", []),
        ("   , ,", []),
        ("six idna", ["six", "idna"]),
        ("six, idna>=3", ["six", "idna>=3"]),
        (" six,idna  attrs , , ", ["six", "idna", "attrs"]),
        ("numpy>=1.26,<2 requests[socks]", ["numpy>=1.26,<2", "requests[socks]"]),
        ("numpy>=1.26, <2, pandas", ["numpy>=1.26, <2", "pandas"]),
        ("idna>=3.4,<4 six", ["idna>=3.4,<4", "six"]),
        ("requests[socks]>=2.31", ["requests[socks]>=2.31"]),
        ("requests[socks, security] six", ["requests[socks, security]", "six"]),
        ('importlib-metadata; python_version < "3.10"', ['importlib-metadata; python_version < "3.10"']),
        (
            'six; python_version >= "3.8", tomli>=1.1; python_version < "3.11"',
            ['six; python_version >= "3.8"', 'tomli>=1.1; python_version < "3.11"'],
        ),
        (
            "a; python_version < '3.10' and os_name == 'posix' b",
            ["a; python_version < '3.10' and os_name == 'posix'", "b"],
        ),
        ("pkg @ https://example.com/pkg-1.0.whl six", ["pkg @ https://example.com/pkg-1.0.whl", "six"]),
        # A comma ends a URL: two dependencies, as the user listed them (a URL's own comma is %2C).
        ("pkg @ https://example.com/pkg-1.0.whl,six", ["pkg @ https://example.com/pkg-1.0.whl", "six"]),
        ("pkg @ https://example.com/p%2Cq.whl, six<2", ["pkg @ https://example.com/p%2Cq.whl", "six<2"]),
        ("six==1.16.0 idna~=3.4", ["six==1.16.0", "idna~=3.4"]),
        ("numpy >= 1.26", ["numpy >= 1.26"]),
    ],
)
def test_dependencies_split_into_pep508_requirements(dependencies: str | None, expected: list[str]) -> None:
    assert split_dependencies(dependencies) == expected


@pytest.mark.parametrize("dependencies", ["numpy>=", "--index-url https://evil.example six", "six ==", "<2"])
def test_invalid_dependency_names_the_piece(dependencies: str) -> None:
    with pytest.raises(BuilderInputError, match=r"dependencies: '.*' is not a valid PEP 508 requirement"):
        legacy.build({"python_code": CODE, "dependencies": dependencies})


def test_dependencies_are_shell_quoted_in_one_pip_install() -> None:
    manifest = legacy.build({"python_code": CODE, "dependencies": "numpy>=1.26,<2 requests[socks]"})
    lines = main_template(manifest)["script"]["source"].splitlines()
    assert lines == [
        "set -euo pipefail",
        "pip install --no-cache-dir 'numpy>=1.26,<2' 'requests[socks]'",
        'python -c "$PYTHON_CODE"',
    ]


def test_requirements_file_is_written_with_a_quoted_heredoc_before_dependencies() -> None:
    manifest = legacy.build(
        {"python_code": CODE, "requirements_file": "six==1.16.0\n# $HOME `id`", "dependencies": "attrs"}
    )
    assert main_template(manifest)["script"]["source"] == (
        "set -euo pipefail\n"
        "cat > /tmp/requirements.txt <<'REQUIREMENTS_EOF'\n"
        "six==1.16.0\n# $HOME `id`\n"
        "REQUIREMENTS_EOF\n"
        "pip install --no-cache-dir -r /tmp/requirements.txt\n"
        "pip install --no-cache-dir attrs\n"
        'python -c "$PYTHON_CODE"\n'
    )


def test_heredoc_delimiter_never_appears_as_a_line_of_the_file() -> None:
    content = "six\nREQUIREMENTS_EOF\nREQUIREMENTS_EOF_\n"
    source = main_template(legacy.build({"python_code": CODE, "requirements_file": content}))["script"]["source"]
    assert "<<'REQUIREMENTS_EOF__'\n" + content + "REQUIREMENTS_EOF__\n" in source


def test_blank_requirements_file_is_no_step() -> None:
    source = main_template(legacy.build({"python_code": CODE, "requirements_file": " \n"}))["script"]["source"]
    assert "requirements" not in source


def test_programs_are_valid_bash() -> None:
    inputs = {
        "python_code": CODE,
        "dependencies": 'x; python_version < "3.10", numpy>=1.26,<2',
        "requirements_file": "a\nb $(rm -rf /) `x` 'q\"",
    }
    source = main_template(legacy.build(inputs))["script"]["source"]
    subprocess.run(["bash", "-n"], input=source, text=True, check=True)


def test_volumes_replace_the_default_and_read_only_is_on_the_mount() -> None:
    volumes = [
        {"name": "task-results", "claim_name": "task-results-pvc", "mount_path": "/mnt/results"},
        {"name": "reference", "claim_name": "reference-data-pvc", "mount_path": "/mnt/ref", "read_only": True},
    ]
    manifest = legacy.build({"python_code": CODE, "volumes": volumes})
    assert manifest["spec"]["volumes"] == [
        {"name": "task-results", "persistentVolumeClaim": {"claimName": "task-results-pvc"}},
        {"name": "reference", "persistentVolumeClaim": {"claimName": "reference-data-pvc"}},
    ]
    assert main_template(manifest)["script"]["volumeMounts"] == [
        {"name": "task-results", "mountPath": "/mnt/results"},
        {"name": "reference", "mountPath": "/mnt/ref", "readOnly": True},
    ]
    assert "volumeClaimTemplates" not in manifest["spec"]


def test_empty_volume_list_means_no_volumes() -> None:
    manifest = legacy.build({"python_code": CODE, "volumes": []})
    assert "volumes" not in manifest["spec"]
    assert "volumeMounts" not in main_template(manifest)["script"]


def test_env_plain_and_secret() -> None:
    env = {"TASK_ID": "42", "EMPTY": "", "API_TOKEN": {"secretKeyRef": {"name": "api-credentials", "key": "token"}}}
    script = main_template(legacy.build({"python_code": CODE, "env": env}))["script"]
    assert script["env"] == [
        {"name": "PYTHON_CODE", "value": CODE},
        {"name": "TASK_ID", "value": "42"},
        {"name": "EMPTY", "value": ""},
        {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "api-credentials", "key": "token"}}},
    ]


def test_container_template_runs_the_same_program_with_bash_c() -> None:
    inputs: dict[str, Any] = {"python_code": CODE, "dependencies": "six", "env": {"A": "1"}}
    script = main_template(legacy.build(inputs))["script"]
    template = main_template(legacy.build({**inputs, "template": "container"}))
    assert "script" not in template
    container = template["container"]
    assert container["command"] == ["bash", "-c"]
    assert container["args"] == [script["source"]]
    assert {k: v for k, v in container.items() if k not in {"command", "args"}} == {
        k: v for k, v in script.items() if k not in {"command", "source"}
    }


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"python_code": "   \n"}, "python_code is empty"),
        ({}, "python_code is required"),
        ({"python_code": CODE, "namespace": "Bad_NS"}, "namespace 'Bad_NS' is not a valid RFC 1123 label"),
        ({"python_code": CODE, "namespace": "a" * 64}, "not a valid RFC 1123 label"),
        ({"python_code": CODE, "env": {"1BAD": "x"}}, "env name '1BAD' is not a valid variable name"),
        ({"python_code": CODE, "env": {"PYTHON_CODE": "x"}}, "PYTHON_CODE is reserved"),
        ({"python_code": CODE, "env": {"N": 42}}, "env N must be a string"),
        ({"python_code": CODE, "env": {"S": {"secretKeyRef": {"name": "s"}}}}, "env S must be"),
        ({"python_code": CODE, "volumes": [{"name": "v", "mount_path": "/v"}]}, r"volumes\[0\] \(v\): claim_name"),
        ({"python_code": CODE, "volumes": [{"name": "v", "claim_name": "c"}]}, "mount_path is required"),
        ({"python_code": CODE, "volumes": [{"name": "V_1", "claim_name": "c", "mount_path": "/v"}]}, "volume name"),
        ({"python_code": CODE, "volumes": [{"name": "v", "claim_name": "c", "mount_path": "rel"}]}, "absolute"),
        ({"python_code": CODE, "template": "dag"}, "template 'dag' is unknown"),
        ({"python_code": CODE, "colour": "blue"}, r"unknown input\(s\) \['colour'\]"),
        (
            {"python_code": 'print("{{workflow.name}}")'},
            r"python_code contains the Argo template tag '\{\{workflow.name\}\}': Argo would replace it",
        ),
        ({"python_code": "x = '{{=1+1}}'"}, r"Argo template tag '\{\{=1\+1\}\}'"),
        ({"python_code": CODE, "requirements_file": "--index-url {{ inputs.parameters.index }}"}, "requirements_file"),
        ({"python_code": "print('$$')"}, r"python_code contains '\$\$': Kubernetes turns '\$\$' into '\$'"),
        (
            {"python_code": CODE, "template": "container", "env": {"A": "1"}, "dependencies": "pkg @ https://h/$(A)"},
            r"dependencies contains '\$\(A\)': in a container template Kubernetes expands",
        ),
        (
            {
                "python_code": CODE,
                "volumes": [
                    {"name": "v", "claim_name": "c", "mount_path": "/a"},
                    {"name": "v", "claim_name": "d", "mount_path": "/b"},
                ],
            },
            "duplicate volume name 'v'",
        ),
        (
            {
                "python_code": CODE,
                "volumes": [
                    {"name": "v", "claim_name": "c", "mount_path": "/a"},
                    {"name": "w", "claim_name": "d", "mount_path": "/a/"},
                ],
            },
            "duplicate mount path '/a'",
        ),
    ],
)
def test_invalid_inputs_are_refused_with_the_reason(inputs: dict[str, Any], message: str) -> None:
    with pytest.raises(BuilderInputError, match=message):
        legacy.build(inputs)


# --- submit ------------------------------------------------------------------------------------


class FakeCore:
    def __init__(self, missing: set[str] = frozenset(), status: int = 404) -> None:  # type: ignore[assignment]
        self.missing = missing
        self.status = status
        self.reads: list[tuple[str, str]] = []

    def read_namespaced_persistent_volume_claim(self, name: str, namespace: str) -> dict[str, Any]:
        self.reads.append((name, namespace))
        if name in self.missing:
            raise ApiException(status=self.status, reason="Not Found")
        return {"metadata": {"name": name}}


class FakeCustom:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def create_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, body: Any
    ) -> dict[str, Any]:
        self.calls.append({"group": group, "version": version, "namespace": namespace, "plural": plural, "body": body})
        return {**body, "metadata": {**body["metadata"], "name": "python-job-abcde"}}


def test_submit_checks_every_claim_then_creates_the_workflow() -> None:
    core, custom = FakeCore(), FakeCustom()
    volumes = [
        {"name": "a", "claim_name": "a-pvc", "mount_path": "/a"},
        {"name": "b", "claim_name": "b-pvc", "mount_path": "/b"},
    ]
    inputs = {"python_code": CODE, "volumes": volumes, "namespace": "team"}

    created = legacy.submit(inputs, api=KubernetesApis(core=core, custom=custom))

    assert core.reads == [("a-pvc", "team"), ("b-pvc", "team")]
    assert custom.calls == [
        {
            "group": "argoproj.io",
            "version": "v1alpha1",
            "namespace": "team",
            "plural": "workflows",
            "body": legacy.build(inputs),
        }
    ]
    assert created["metadata"]["name"] == "python-job-abcde"


def test_submit_namespace_overrides_the_inputs_everywhere() -> None:
    core, custom = FakeCore(), FakeCustom()
    legacy.submit({"python_code": CODE, "namespace": "team"}, namespace="other", api=KubernetesApis(core, custom))
    assert core.reads == [("task-results-pvc", "other")]
    assert custom.calls[0]["namespace"] == "other"
    assert custom.calls[0]["body"]["metadata"]["namespace"] == "other"


def test_submit_refuses_a_missing_claim_and_creates_nothing() -> None:
    core, custom = FakeCore(missing={"task-results-pvc"}), FakeCustom()
    with pytest.raises(MissingVolumeClaimError, match="'task-results-pvc' does not exist in namespace 'argo'") as info:
        legacy.submit({"python_code": CODE}, api=KubernetesApis(core, custom))
    assert (info.value.claim, info.value.namespace) == ("task-results-pvc", "argo")
    assert custom.calls == []


def test_submit_reraises_other_api_errors() -> None:
    core, custom = FakeCore(missing={"task-results-pvc"}, status=403), FakeCustom()
    with pytest.raises(ApiException) as info:
        legacy.submit({"python_code": CODE}, api=KubernetesApis(core, custom))
    assert info.value.status == 403
    assert custom.calls == []


def test_submit_without_volumes_reads_no_claim() -> None:
    core, custom = FakeCore(), FakeCustom()
    legacy.submit({"python_code": CODE, "volumes": []}, api=KubernetesApis(core, custom))
    assert core.reads == []
    assert len(custom.calls) == 1
