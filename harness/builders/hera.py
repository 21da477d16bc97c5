"""The new builder: the same Python job written with the Hera SDK (hera-workflows 7.x).

Written from the job's behaviour (docs/architecture.md), not from the legacy output, so the
harness compares two real implementations. Every value Hera would otherwise take from
``hera.shared.global_config`` (namespace, service account, image, script command, API version)
is passed explicitly, so process-wide settings never reach the manifest; the global config
itself is left alone because resetting it would break the host/token other code relies on.
Pre-build hooks and class defaults registered on the global config are deliberate policy and
do apply, exactly as they would in the backend; the harness then shows what they change.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Any, cast

from hera.workflows import Container, Env, ExistingVolume, Script, SecretEnv, Workflow
from hera.workflows import models as m
from packaging.requirements import InvalidRequirement, Requirement

from harness.builders._validate import validate_inputs
from harness.errors import BuilderInputError
from harness.spec.fields import WORKFLOW_API_VERSION

IMAGE = "python:3.11-slim"
REQUIREMENTS_TXT = "/tmp/requirements.txt"
PIP = ["pip", "install", "--no-cache-dir"]
DEFAULT_VOLUMES = [{"name": "task-results", "claim_name": "task-results-pvc", "mount_path": "/mnt/results"}]
_WORDS = re.compile(r"[^\s,]+")
_MAX_WORDS = 64  # bounds the search for a requirement's end; a marker never needs more


def workflow(inputs: Mapping[str, Any]) -> Workflow:
    """The Hera ``Workflow`` for one Python job (not submitted)."""
    validate_inputs(inputs)
    volumes = DEFAULT_VOLUMES if inputs.get("volumes") is None else inputs["volumes"]
    program = bash_program(inputs.get("dependencies"), inputs.get("requirements_file"))
    env = [Env(name="PYTHON_CODE", value=inputs["python_code"]), *_env(inputs.get("env") or {})]
    # readOnly false is the Kubernetes default, so it is left out rather than spelled out.
    mounts = [
        m.VolumeMount(name=v["name"], mount_path=v["mount_path"], read_only=bool(v.get("read_only")) or None)
        for v in volumes
    ]
    with Workflow(
        api_version=WORKFLOW_API_VERSION,
        generate_name="python-job-",
        namespace=inputs.get("namespace") or "argo",
        entrypoint="main",
        service_account_name="python-job-runner",
        volumes=[ExistingVolume(name=v["name"], claim_name=v["claim_name"]) for v in volumes] or None,
    ) as w:
        if (inputs.get("template") or "script") == "script":
            Script(
                name="main",
                image=IMAGE,
                command=["bash"],
                source=program,
                env=env,
                volume_mounts=mounts or None,
            )
        else:
            Container(
                name="main",
                image=IMAGE,
                command=["bash", "-c"],
                args=[program],
                env=env,
                volume_mounts=mounts or None,
            )
    return w


def build(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Return the Workflow manifest as the dict Hera would submit."""
    return cast(dict[str, Any], workflow(inputs).to_dict())


def submit(inputs: Mapping[str, Any]) -> Workflow:
    """Build and create the Workflow through the Argo server (``hera.shared.global_config`` host/token)."""
    return cast(Workflow, workflow(inputs).create())


def _env(env: Mapping[str, Any]) -> list[Env | SecretEnv]:
    return [
        Env(name=k, value=v)
        if isinstance(v, str)
        else SecretEnv(name=k, secret_name=v["secretKeyRef"]["name"], secret_key=v["secretKeyRef"]["key"])
        for k, v in env.items()
    ]


def bash_program(dependencies: str | None, requirements_file: str | None) -> str:
    steps = ["set -euo pipefail"]
    if requirements_file is not None and requirements_file.strip():
        eof = "REQUIREMENTS_EOF"
        while eof in requirements_file.split("\n"):  # never let a file line close the heredoc
            eof += "_"
        text = requirements_file if requirements_file.endswith("\n") else f"{requirements_file}\n"
        steps += [
            f"cat > {REQUIREMENTS_TXT} <<'{eof}'\n{text}{eof}",
            shlex.join([*PIP, "-r", REQUIREMENTS_TXT]),
        ]
    if requirements := parse_requirements(dependencies or ""):
        steps.append(shlex.join(PIP + requirements))
    steps.append('python -c "$PYTHON_CODE"')
    return "\n".join(steps) + "\n"


def parse_requirements(text: str) -> list[str]:
    """PEP 508 requirements in a comma/space separated string, each as the user wrote it."""
    words = list(_WORDS.finditer(text))
    found: list[str] = []
    i = 0
    while i < len(words):
        # Longest first: "numpy>=1.26,<2" and 'x; python_version < "3.10"' span several words.
        for j in range(min(len(words), i + _MAX_WORDS), i, -1):
            candidate = text[words[i].start() : words[j - 1].end()]
            try:
                url = Requirement(candidate).url
            except InvalidRequirement:
                continue
            if url and "," in url:  # the comma separates the next dependency (a URL's own is %2C)
                continue
            found.append(candidate)
            i = j
            break
        else:
            raise BuilderInputError(f"dependencies: {words[i].group()!r} is not a valid PEP 508 requirement")
    return found
