"""The legacy builder: how the backend builds and submits Python jobs today.

A YAML template is loaded once, deep-copied per call and edited as plain dicts; metadata goes
through ``kubernetes.client.V1ObjectMeta`` and the body is made JSON-ready with the kubernetes
``ApiClient``. It is one of the two reference systems the harness compares, so it is kept
realistic rather than clever; the dependency splitting is the one place it had to be fixed (a
naive split broke ``numpy>=1.26,<2``, extras and environment markers).
"""

from __future__ import annotations

import copy
import functools
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

import yaml
from kubernetes.client import CoreV1Api, CustomObjectsApi
from kubernetes.client.exceptions import ApiException
from packaging.requirements import InvalidRequirement, Requirement

from harness.builders._kubernetes_body import json_ready, object_metadata
from harness.builders._validate import validate_inputs
from harness.errors import BuilderInputError
from harness.spec.fields import ARGO_API_VERSION, ARGO_GROUP, WORKFLOW_PLURAL

try:
    from yaml import CSafeLoader as _YamlLoader
except ImportError:  # PyYAML built without libyaml: same result, only slower
    from yaml import SafeLoader as _YamlLoader  # type: ignore[assignment]

TEMPLATE_PATH = Path(__file__).parent / "templates" / "python-job.yaml"
MAIN_TEMPLATE = "main"
REQUIREMENTS_PATH = "/tmp/requirements.txt"
PIP_INSTALL = ("pip", "install", "--no-cache-dir")
# Double quotes keep the program one argument; the env var keeps it away from bash parsing.
RUN_CODE = 'python -c "$PYTHON_CODE"'
HEREDOC_DELIMITER = "REQUIREMENTS_EOF"

# A requirement with a long environment marker spans many whitespace-separated pieces; the
# bound keeps splitting linear in the length of a dependency string.
_MAX_PIECES_PER_REQUIREMENT = 64
_PIECE = re.compile(r"[^\s,]+")


def build(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Return the Workflow manifest (a JSON-ready dict) for one Python job."""
    validate_inputs(inputs)
    manifest = copy.deepcopy(_parsed_template())
    manifest["metadata"] = object_metadata(manifest["metadata"], inputs.get("namespace"))
    template = _main_template(manifest)
    script = template["script"]
    script["source"] = render_program(inputs.get("dependencies"), inputs.get("requirements_file"))
    script["env"] = [{"name": "PYTHON_CODE", "value": inputs["python_code"]}, *_user_env(inputs.get("env"))]
    _apply_volumes(manifest["spec"], script, inputs.get("volumes"))
    if (inputs.get("template") or "script") == "container":
        _convert_to_container(template)
    return json_ready(manifest)


# --- template and metadata -------------------------------------------------------------------


@functools.cache
def _parsed_template() -> dict[str, Any]:
    with TEMPLATE_PATH.open(encoding="utf-8") as handle:
        return cast(dict[str, Any], yaml.load(handle, Loader=_YamlLoader))


def _main_template(manifest: Mapping[str, Any]) -> dict[str, Any]:
    for template in manifest["spec"]["templates"]:
        if template["name"] == MAIN_TEMPLATE:
            return cast(dict[str, Any], template)
    raise RuntimeError(f"{TEMPLATE_PATH} has no template named {MAIN_TEMPLATE!r}")


def _convert_to_container(template: dict[str, Any]) -> None:
    # Same program, same shell: only the way Argo hands it to bash changes.
    script = template.pop("script")
    program = script.pop("source")
    template["container"] = {**script, "command": ["bash", "-c"], "args": [program]}


# --- env and volumes -------------------------------------------------------------------------


def _user_env(env: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for name, value in (env or {}).items():
        if isinstance(value, str):
            entries.append({"name": name, "value": value})
        else:
            ref = value["secretKeyRef"]
            secret = {"name": ref["name"], "key": ref["key"]}
            entries.append({"name": name, "valueFrom": {"secretKeyRef": secret}})
    return entries


def _apply_volumes(spec: dict[str, Any], script: dict[str, Any], volumes: list[Any] | None) -> None:
    if volumes is None:
        return  # the template's task-results volume stays
    spec.pop("volumes", None)
    script.pop("volumeMounts", None)
    if not volumes:
        return
    spec["volumes"] = [
        {"name": volume["name"], "persistentVolumeClaim": {"claimName": volume["claim_name"]}} for volume in volumes
    ]
    script["volumeMounts"] = [_volume_mount(volume) for volume in volumes]


def _volume_mount(volume: Mapping[str, Any]) -> dict[str, Any]:
    mount: dict[str, Any] = {"name": volume["name"], "mountPath": volume["mount_path"]}
    # Read-only is enforced on the mount; false is the Kubernetes default and stays implicit.
    if volume.get("read_only"):
        mount["readOnly"] = True
    return mount


# --- the bash program ------------------------------------------------------------------------


def render_program(dependencies: str | None, requirements_file: str | None) -> str:
    """The bash program of the main template: requirements file, dependencies, then the code."""
    lines = ["set -euo pipefail"]
    if requirements_file and requirements_file.strip():
        lines.extend(_requirements_file_lines(requirements_file))
    requirements = split_dependencies(dependencies)
    if requirements:
        lines.append(" ".join(shlex.quote(word) for word in (*PIP_INSTALL, *requirements)))
    lines.append(RUN_CODE)
    return "\n".join(lines) + "\n"


def _requirements_file_lines(content: str) -> list[str]:
    delimiter = HEREDOC_DELIMITER
    # A line equal to the delimiter would end the heredoc early and run the rest as commands.
    while delimiter in content.split("\n"):
        delimiter += "_"
    body = content if content.endswith("\n") else content + "\n"
    # The quoted delimiter stops bash from expanding $ and backticks inside the file.
    heredoc = f"cat > {REQUIREMENTS_PATH} <<'{delimiter}'\n{body}{delimiter}"
    return [heredoc, " ".join((*PIP_INSTALL, "-r", REQUIREMENTS_PATH))]


def split_dependencies(dependencies: str | None) -> list[str]:
    """Split a space/comma separated dependency string into PEP 508 requirements.

    Separators are ambiguous (``numpy>=1.26,<2`` has a comma, ``pkg; python_version < "3.10"``
    has spaces), so each requirement is the longest run of pieces that still parses as one.
    """
    text = dependencies or ""
    spans = [match.span() for match in _PIECE.finditer(text)]
    requirements: list[str] = []
    start = 0
    while start < len(spans):
        end = _longest_requirement_end(text, spans, start)
        requirements.append(text[spans[start][0] : spans[end - 1][1]])
        start = end
    return requirements


def _longest_requirement_end(text: str, spans: list[tuple[int, int]], start: int) -> int:
    best: int | None = None
    last = min(len(spans), start + _MAX_PIECES_PER_REQUIREMENT)
    for end in range(start + 1, last + 1):
        if _is_requirement(text[spans[start][0] : spans[end - 1][1]]):
            best = end
    if best is None:
        piece = text[spans[start][0] : spans[start][1]]
        raise BuilderInputError(f"dependencies: {piece!r} is not a valid PEP 508 requirement ({_why(piece)})")
    return best


def _is_requirement(candidate: str) -> bool:
    try:
        requirement = Requirement(candidate)
    except InvalidRequirement:
        return False
    # A comma ends a direct reference's URL: in "pkg @ https://host/p.whl,six" the user listed
    # two dependencies (a URL that needs a comma writes it %2C).
    return requirement.url is None or "," not in requirement.url


def _why(piece: str) -> str:
    try:
        Requirement(piece)
    except InvalidRequirement as error:
        return str(error).splitlines()[0]
    return "it only parses joined with the pieces after it"


# --- submission ------------------------------------------------------------------------------


class MissingVolumeClaimError(LookupError):
    """A volume refers to a PersistentVolumeClaim that does not exist in the target namespace."""

    def __init__(self, claim: str, namespace: str) -> None:
        self.claim = claim
        self.namespace = namespace
        super().__init__(
            f"PersistentVolumeClaim {claim!r} does not exist in namespace {namespace!r}; "
            "create it first: the job mounts existing claims and never provisions one"
        )


class CoreApi(Protocol):
    def read_namespaced_persistent_volume_claim(self, name: str, namespace: str) -> Any: ...


class CustomObjectsClient(Protocol):
    def create_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, body: Any
    ) -> Any: ...


@dataclass(frozen=True)
class KubernetesApis:
    """The two kubernetes APIs ``submit`` uses; injectable so tests and capture need no cluster."""

    core: CoreApi
    custom: CustomObjectsClient

    @classmethod
    def default(cls) -> KubernetesApis:
        # Uses the process-wide kubernetes configuration, loaded once at startup by the backend.
        return cls(core=CoreV1Api(), custom=CustomObjectsApi())


def submit(
    inputs: Mapping[str, Any], *, namespace: str | None = None, api: KubernetesApis | None = None
) -> dict[str, Any]:
    """Build the job, check its volume claims exist, and create the Workflow; returns the created object.

    ``namespace`` overrides ``inputs["namespace"]`` so the manifest and the request always agree.
    """
    if namespace is not None:
        inputs = {**inputs, "namespace": namespace}
    body = build(inputs)
    apis = api or KubernetesApis.default()
    target = body["metadata"]["namespace"]
    _check_claims_exist(apis.core, body, target)
    created = apis.custom.create_namespaced_custom_object(
        group=ARGO_GROUP, version=ARGO_API_VERSION, namespace=target, plural=WORKFLOW_PLURAL, body=body
    )
    return cast(dict[str, Any], created)


def _check_claims_exist(core: CoreApi, body: Mapping[str, Any], namespace: str) -> None:
    for volume in body["spec"].get("volumes", []):
        claim = volume.get("persistentVolumeClaim", {}).get("claimName")
        if not claim:
            continue
        try:
            core.read_namespaced_persistent_volume_claim(name=claim, namespace=namespace)
        except ApiException as error:
            if error.status == 404:
                raise MissingVolumeClaimError(claim, namespace) from error
            raise
