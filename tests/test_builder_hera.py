"""The Hera builder, and what both builders' programs actually do when bash runs them.

The run-time tests execute each manifest's program the way Argo does (a script template runs
``command + [file with source]``, a container template ``command + args``) with fake ``pip`` and
``python`` first on PATH, so they assert the exact argv pip receives and the code Python runs.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hera.shared import global_config

from harness.builders import hera, legacy
from harness.errors import BuilderInputError

CODE = 'print("hello")'
BUILDERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {"legacy": legacy.build, "hera": hera.build}
REQUIREMENTS_PATH = "/tmp/requirements.txt"

FAKE_PIP = """#!{python}
import json, os, sys
args = sys.argv[1:]
entry = {{"argv": args}}
if "-r" in args:
    with open(args[args.index("-r") + 1], encoding="utf-8") as handle:
        entry["requirements"] = handle.read()
with open(os.environ["FAKE_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps({{"pip": entry}}) + "\\n")
"""
# Records how Python was called, then really runs it: the user's code must reach it intact.
FAKE_PYTHON = """#!{python}
import json, os, sys
with open(os.environ["FAKE_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps({{"python": sys.argv[1:]}}) + "\\n")
os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
"""


def main_template(manifest: dict[str, Any]) -> dict[str, Any]:
    [template] = manifest["spec"]["templates"]
    return template  # type: ignore[no-any-return]


@pytest.fixture
def clean_global_config() -> Iterator[None]:
    global_config.reset()
    yield
    global_config.reset()


# --- the Hera manifest -------------------------------------------------------------------------


def test_plain_job_matches_the_contract() -> None:
    manifest = hera.build({"python_code": CODE})

    assert manifest["apiVersion"] == "argoproj.io/v1alpha1"
    assert manifest["kind"] == "Workflow"
    assert manifest["metadata"] == {"generateName": "python-job-", "namespace": "argo"}
    assert manifest["spec"]["entrypoint"] == "main"
    assert manifest["spec"]["serviceAccountName"] == "python-job-runner"
    script = main_template(manifest)["script"]
    assert script["command"] == ["bash"], "Script's default command is python"
    assert script["image"] == "python:3.11-slim"
    assert script["env"] == [{"name": "PYTHON_CODE", "value": CODE}]
    assert script["volumeMounts"] == [{"name": "task-results", "mountPath": "/mnt/results"}]
    assert manifest["spec"]["volumes"] == [
        {"name": "task-results", "persistentVolumeClaim": {"claimName": "task-results-pvc"}}
    ]


def test_volumes_mount_existing_claims_and_never_provision_new_ones() -> None:
    volumes = [
        {"name": "task-results", "claim_name": "task-results-pvc", "mount_path": "/mnt/results"},
        {"name": "reference", "claim_name": "reference-data-pvc", "mount_path": "/mnt/ref", "read_only": True},
    ]
    manifest = hera.build({"python_code": CODE, "volumes": volumes})
    assert "volumeClaimTemplates" not in manifest["spec"]
    assert "volumes" not in main_template(manifest), "volumes belong to the workflow, not the template"
    assert [v["persistentVolumeClaim"]["claimName"] for v in manifest["spec"]["volumes"]] == [
        "task-results-pvc",
        "reference-data-pvc",
    ]
    assert main_template(manifest)["script"]["volumeMounts"][1] == {
        "name": "reference",
        "mountPath": "/mnt/ref",
        "readOnly": True,
    }


def test_secret_env_uses_secret_key_ref() -> None:
    env = {"API_TOKEN": {"secretKeyRef": {"name": "api-credentials", "key": "token"}}, "N": "0x10"}
    script = main_template(hera.build({"python_code": CODE, "env": env}))["script"]
    assert script["env"][1:] == [
        {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "api-credentials", "key": "token"}}},
        {"name": "N", "value": "0x10"},
    ]


@pytest.mark.usefixtures("clean_global_config")
def test_global_config_never_reaches_the_manifest() -> None:
    inputs = {"python_code": CODE, "dependencies": "six"}
    expected = {kind: hera.build({**inputs, "template": kind}) for kind in ("script", "container")}

    global_config.namespace = "leaked-namespace"
    global_config.service_account_name = "leaked-sa"
    global_config.image = "leaked:image"
    global_config.script_command = ["python3"]
    global_config.api_version = "argoproj.io/v0"

    for kind, manifest in expected.items():
        assert hera.build({**inputs, "template": kind}) == manifest
    assert global_config.namespace == "leaked-namespace", "the builder must not reset other code's config"


def test_hera_parses_dependencies_like_pep508() -> None:
    assert hera.parse_requirements('numpy>=1.26,<2, requests[socks] x; python_version < "3.10"') == [
        "numpy>=1.26,<2",
        "requests[socks]",
        'x; python_version < "3.10"',
    ]
    assert hera.parse_requirements("pkg @ https://example.com/pkg-1.0.whl,six") == [
        "pkg @ https://example.com/pkg-1.0.whl",
        "six",
    ]


# --- both builders: same refusals, same manifests ---------------------------------------------

INVALID_INPUTS: list[dict[str, Any]] = [
    {"python_code": ""},
    {"python_code": " \t\n"},
    {"python_code": None},
    {"python_code": CODE, "namespace": "Team"},
    {"python_code": CODE, "namespace": "-team"},
    {"python_code": CODE, "namespace": "x" * 64},
    {"python_code": CODE, "env": {"BAD-NAME": "x"}},
    {"python_code": CODE, "env": {"PYTHON_CODE": "x"}},
    {"python_code": CODE, "env": {"FLAG": True}},
    {"python_code": CODE, "volumes": [{"name": "v", "mount_path": "/v"}]},
    {"python_code": CODE, "volumes": [{"name": "v", "claim_name": "", "mount_path": "/v"}]},
    {"python_code": CODE, "volumes": [{"name": "v", "claim_name": "c"}]},
    {"python_code": CODE, "volumes": [{"name": "v.1", "claim_name": "c", "mount_path": "/v"}]},
    {"python_code": CODE, "template": "steps"},
    {"python_code": CODE, "dependencies": "numpy>="},
    {"python_code": CODE, "dependencies": "six, --extra-index-url https://evil.example"},
    {"python_code": CODE, "dependencies": "requests[socks"},
    # Argo replaces these before the pod starts: the program would not run as written.
    {"python_code": 'print("{{workflow.name}}")'},
    {"python_code": 'print("{{ pod.name }}")'},
    {"python_code": "x = '{{=sprig.upper(\"a\")}}'"},
    {"python_code": "x = '{{item}}'"},
    {"python_code": "x = '{{ {{inputs.parameters.a}}'"},
    {"python_code": CODE, "requirements_file": "six\n# {{workflow.uid}}\n"},
    {"python_code": CODE, "dependencies": "pkg @ https://example.com/{{workflow.name}}.whl"},
    # Kubernetes halves $$ in env values (the program's carrier) and, in a container's args, expands
    # $(NAME) for the container's own env vars: the program or the install would change.
    {"python_code": "print('$$')"},
    {"python_code": CODE, "template": "container", "requirements_file": "--index-url https://u:pa$$@h/simple"},
    {"python_code": CODE, "template": "container", "env": {"TOKEN": "t"}, "requirements_file": "# $(TOKEN)"},
    {"python_code": CODE, "template": "container", "requirements_file": "--extra-index-url https://$(PYTHON_CODE)"},
]


@pytest.mark.parametrize("inputs", INVALID_INPUTS, ids=lambda inputs: json.dumps(inputs)[:60])
def test_both_builders_refuse_the_same_inputs(inputs: dict[str, Any]) -> None:
    for build in BUILDERS.values():
        with pytest.raises(BuilderInputError):
            build(inputs)


PARITY_INPUTS: list[dict[str, Any]] = [
    {"python_code": CODE},
    {"python_code": CODE, "namespace": "data-science-jobs"},
    {"python_code": CODE, "dependencies": " six,idna  attrs , , "},
    {"python_code": CODE, "dependencies": 'six; python_version >= "3.8", tomli>=1.1; python_version < "3.11"'},
    {"python_code": CODE, "requirements_file": "six==1.16.0\n\nidna>=3.4,<4  # comment\n", "dependencies": "x"},
    {"python_code": CODE, "requirements_file": "REQUIREMENTS_EOF"},
    {"python_code": CODE, "volumes": []},
    {
        "python_code": CODE,
        "volumes": [
            {"name": "a", "claim_name": "a-pvc", "mount_path": "/a", "read_only": False},
            {"name": "b", "claim_name": "b-pvc", "mount_path": "/b", "read_only": True},
        ],
    },
    {"python_code": CODE, "env": {"A": "", "B": "yes", "S": {"secretKeyRef": {"name": "s", "key": "k.k"}}}},
    {"python_code": CODE, "template": "container", "dependencies": "six", "env": {"A": "1"}},
    # Braces Argo leaves alone: f-string escapes, str.format templates, tags naming no Argo variable.
    {"python_code": 'print(f"{{x}} {{}}")\nprint("{{name}}".format())\nprint("{{itemize}} {{ =x}}")'},
    # Env values are configuration: an Argo variable there is a feature, not a broken program.
    {"python_code": CODE, "env": {"WORKFLOW": "{{workflow.name}}"}},
    # What Kubernetes leaves alone: a single $, $(cmd) naming no variable, a script template's file.
    {"python_code": "print('$HOME $(whoami) ' '$' '$')", "template": "container", "requirements_file": "# $(id)"},
    {"python_code": CODE, "env": {"TOKEN": "t"}, "requirements_file": "# $(TOKEN) $$\nsix"},
]


@pytest.mark.parametrize("inputs", PARITY_INPUTS, ids=lambda inputs: json.dumps(inputs)[:60])
def test_both_builders_produce_the_same_manifest(inputs: dict[str, Any]) -> None:
    assert hera.build(inputs) == legacy.build(inputs)


# --- both builders: what the program does at run time -----------------------------------------


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("pip", FAKE_PIP), ("python", FAKE_PYTHON)):
        path = bin_dir / name
        path.write_text(text.format(python=sys.executable), encoding="utf-8")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return bin_dir


def run_like_argo(manifest: dict[str, Any], fake_bin: Path, tmp_path: Path) -> tuple[list[dict[str, Any]], str]:
    """Run the main template's program as Argo would; returns the fake log and stdout."""
    template = main_template(manifest)
    requirements = tmp_path / "requirements.txt"
    if "script" in template:
        spec = template["script"]
        program = tmp_path / "script"
        # The only edit: the requirements file goes to a private path instead of the shared /tmp.
        program.write_text(spec["source"].replace(REQUIREMENTS_PATH, str(requirements)), encoding="utf-8")
        argv = [*spec["command"], str(program)]
    else:
        spec = template["container"]
        argv = [*spec["command"], *(a.replace(REQUIREMENTS_PATH, str(requirements)) for a in spec["args"])]
    log = tmp_path / "fake.log"
    env = {"PATH": f"{fake_bin}{os.pathsep}/usr/bin:/bin", "FAKE_LOG": str(log), "HOME": str(tmp_path)}
    for variable in spec["env"]:
        env[variable["name"]] = variable.get("value", "<from secret>")
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True, cwd=tmp_path, timeout=60)
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
    return entries, done.stdout


RUN_CASES: list[tuple[dict[str, Any], list[dict[str, Any]]]] = [
    (
        {"dependencies": "numpy>=1.26,<2 requests[socks]"},
        [{"pip": {"argv": ["install", "--no-cache-dir", "numpy>=1.26,<2", "requests[socks]"]}}],
    ),
    (
        {"dependencies": " six,idna  attrs , , "},
        [{"pip": {"argv": ["install", "--no-cache-dir", "six", "idna", "attrs"]}}],
    ),
    (
        {"dependencies": 'importlib-metadata; python_version < "3.10", pkg @ https://example.com/p.whl'},
        [
            {
                "pip": {
                    "argv": [
                        "install",
                        "--no-cache-dir",
                        'importlib-metadata; python_version < "3.10"',
                        "pkg @ https://example.com/p.whl",
                    ]
                }
            }
        ],
    ),
    (
        {"requirements_file": "six==1.16.0\n# $HOME `whoami` $(id)\nREQUIREMENTS_EOF", "dependencies": "attrs"},
        [
            {
                "pip": {
                    "argv": ["install", "--no-cache-dir", "-r", "<requirements>"],
                    "requirements": "six==1.16.0\n# $HOME `whoami` $(id)\nREQUIREMENTS_EOF\n",
                }
            },
            {"pip": {"argv": ["install", "--no-cache-dir", "attrs"]}},
        ],
    ),
    ({}, []),
]
SHELL_HOSTILE_CODE = """s = 'single' + "double" + "$HOME" + '${PATH}' + "`whoami`" + "\\\\n" + '$(id -u)'
print(s, "héllo ✓")
"""


@pytest.mark.parametrize("template", ["script", "container"])
@pytest.mark.parametrize(("extra", "expected_pip"), RUN_CASES, ids=lambda value: json.dumps(value)[:50])
@pytest.mark.parametrize("builder", sorted(BUILDERS))
def test_program_installs_exactly_the_requirements_then_runs_the_code(
    builder: str,
    template: str,
    extra: dict[str, Any],
    expected_pip: list[dict[str, Any]],
    fake_bin: Path,
    tmp_path: Path,
) -> None:
    inputs = {"python_code": SHELL_HOSTILE_CODE, "template": template, **extra}
    entries, stdout = run_like_argo(BUILDERS[builder](inputs), fake_bin, tmp_path)

    requirements = str(tmp_path / "requirements.txt")
    pip_calls = [
        {"pip": {**e["pip"], "argv": ["<requirements>" if a == requirements else a for a in e["pip"]["argv"]]}}
        for e in entries
        if "pip" in e
    ]
    assert pip_calls == expected_pip
    assert entries[-1] == {"python": ["-c", SHELL_HOSTILE_CODE]}
    assert stdout == """singledouble$HOME${PATH}`whoami`\\n$(id -u) héllo ✓\n"""


@pytest.mark.parametrize("builder", sorted(BUILDERS))
def test_program_exit_code_is_the_code_exit_code(builder: str, fake_bin: Path, tmp_path: Path) -> None:
    manifest = BUILDERS[builder]({"python_code": "import sys; sys.exit(7)", "dependencies": "six"})
    with pytest.raises(subprocess.CalledProcessError) as info:
        run_like_argo(manifest, fake_bin, tmp_path)
    assert info.value.returncode == 7


@pytest.mark.parametrize("builder", sorted(BUILDERS))
def test_the_suggested_workaround_for_an_argo_tag_prints_the_same_text(
    builder: str, fake_bin: Path, tmp_path: Path
) -> None:
    with pytest.raises(BuilderInputError, match=r"split the braces: '\{' '\{workflow.name\}\}'"):
        BUILDERS[builder]({"python_code": 'print("{{workflow.name}}")'})
    manifest = BUILDERS[builder]({"python_code": "print('{' '{workflow.name}}')"})
    _, stdout = run_like_argo(manifest, fake_bin, tmp_path)
    assert stdout == "{{workflow.name}}\n"
