"""Input validation shared by the reference builders, and nothing else.

Only the refusal rules live here, so both builders refuse exactly the same inputs (refusing
the same input counts as agreement). Defaults, dependency parsing and manifest building stay
in each builder: sharing them would make the harness compare one implementation with itself.
Dependency strings are validated by each builder's own parser for the same reason.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import Any

from harness.errors import BuilderInputError
from harness.spec import kubernetes_vars, naming, tags

KNOWN_INPUTS = frozenset(
    {"python_code", "dependencies", "requirements_file", "volumes", "env", "namespace", "template"}
)
VOLUME_KEYS = frozenset({"name", "claim_name", "mount_path", "read_only"})
TEMPLATE_KINDS = ("script", "container")
# The user's program travels in this variable; a user env var of the same name would replace it.
RESERVED_ENV = "PYTHON_CODE"

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Argo replaces the template tags it acts on in every string of a template before the pod starts
# (`{{workflow.name}}` is replaced, `{{=expr}}` evaluated, `{{inputs.parameters.x}}` fails
# validation); other `{{...}}` (Python's f"{{x}}", str.format templates) is left alone and allowed
# here. What Argo acts on: harness.spec.tags.
# Kubernetes expands `$(NAME)` (NAME a variable defined earlier in the container's env, or a service
# variable) and turns `$$` into `$` in env values and in a container's command and args, before
# the process starts (harness.spec.kubernetes_vars). The user's program is an env value
# (PYTHON_CODE, defined first, so only `$$` is certain to change); in a container template the bash
# program holding the requirements file and the dependencies is an arg, where the job's own env
# names are defined.
# User text that must reach its interpreter exactly as written (env values are configuration,
# where an Argo variable such as {{workflow.name}} is a feature, so they are not checked).
VERBATIM_INPUTS = ("python_code", "dependencies", "requirements_file")


def validate_inputs(inputs: Mapping[str, Any]) -> None:
    """Raise ``BuilderInputError`` naming the input and the reason if no valid workflow exists for it."""
    if not isinstance(inputs, Mapping):
        raise BuilderInputError(f"inputs must be a mapping, got {type(inputs).__name__}")
    unknown = sorted(set(inputs) - KNOWN_INPUTS)
    if unknown:
        raise BuilderInputError(f"unknown input(s) {unknown}; known inputs are {sorted(KNOWN_INPUTS)}")
    _check_code(inputs.get("python_code"))
    _check_optional_str(inputs, "dependencies")
    _check_optional_str(inputs, "requirements_file")
    _check_namespace(inputs.get("namespace"))
    _check_template(inputs.get("template"))
    _check_env(inputs.get("env"))
    _check_volumes(inputs.get("volumes"))
    for key in VERBATIM_INPUTS:
        _check_no_argo_tags(key, inputs.get(key))
    _check_kubernetes_expansion(inputs)


def _check_code(code: object) -> None:
    if not isinstance(code, str):
        raise BuilderInputError(f"python_code is required and must be a string, got {type(code).__name__}")
    if not code.strip():
        raise BuilderInputError("python_code is empty: there is no program to run")
    if "\0" in code:
        raise BuilderInputError("python_code contains a NUL byte, which cannot travel in an env var")


def _check_optional_str(inputs: Mapping[str, Any], key: str) -> None:
    value = inputs.get(key)
    if value is not None and not isinstance(value, str):
        raise BuilderInputError(f"{key} must be a string or null, got {type(value).__name__}")
    if isinstance(value, str) and "\0" in value:
        raise BuilderInputError(f"{key} contains a NUL byte")


def _check_no_argo_tags(key: str, text: object) -> None:
    if not isinstance(text, str):
        return
    found = tags.first_argo_tag(text)
    if found is None:
        return
    tag = found.written if found.closed else found.written[:30]
    # Adjacent string literals: the source no longer holds "{{", the program prints the same text.
    hint = f" (in Python, split the braces: '{{' '{tag[1:]}')" if key == "python_code" else ""
    raise BuilderInputError(
        f"{key} contains the Argo template tag {tag!r}: Argo would replace it before the job runs, "
        f"so the {key.replace('_', ' ')} would not run as written{hint}"
    )


def _check_kubernetes_expansion(inputs: Mapping[str, Any]) -> None:
    code = inputs.get("python_code")
    if isinstance(code, str) and "$$" in code:
        raise BuilderInputError(
            "python_code contains '$$': Kubernetes turns '$$' into '$' in env values before the program "
            "starts, so the program would not run as written (in Python, write '$' '$' or '\\x24\\x24')"
        )
    if (inputs.get("template") or "script") != "container":
        return  # a script template's program is a file: Kubernetes never sees it
    env = inputs.get("env")
    names = {RESERVED_ENV, *(env if isinstance(env, Mapping) else ())}
    for key in ("requirements_file", "dependencies"):
        text = inputs.get(key)
        if not isinstance(text, str):
            continue
        reference = next((name for name in kubernetes_vars.references(text) if name in names), None)
        if "$$" in text or reference is not None:
            found = f"$({reference})" if reference is not None else "$$"
            raise BuilderInputError(
                f"{key} contains {found!r}: in a container template Kubernetes expands '$(NAME)' and "
                "turns '$$' into '$' in the program's arguments, so it would not install what it says "
                "(use the script template, or avoid the sequence)"
            )


def _check_namespace(namespace: object) -> None:
    if namespace is None:
        return
    if not isinstance(namespace, str) or not naming.is_dns_label(namespace):
        raise BuilderInputError(
            f"namespace {namespace!r} is not a valid RFC 1123 label "
            f"(lowercase letters, digits and '-', starting and ending alphanumeric, at most {naming.DNS_LABEL_MAX})"
        )


def _check_template(template: object) -> None:
    if template is not None and template not in TEMPLATE_KINDS:
        raise BuilderInputError(f"template {template!r} is unknown; expected one of {list(TEMPLATE_KINDS)}")


def _check_env(env: object) -> None:
    if env is None:
        return
    if not isinstance(env, Mapping):
        raise BuilderInputError(f"env must be a mapping of NAME to value, got {type(env).__name__}")
    for name, value in env.items():
        if not isinstance(name, str) or not _ENV_NAME.fullmatch(name):
            raise BuilderInputError(f"env name {name!r} is not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)")
        if name == RESERVED_ENV:
            raise BuilderInputError(f"env name {RESERVED_ENV} is reserved: it carries the user's program")
        _check_env_value(name, value)


def _check_env_value(name: str, value: object) -> None:
    if isinstance(value, str):
        if "\0" in value:
            raise BuilderInputError(f"env {name} contains a NUL byte")
        return
    if isinstance(value, Mapping):
        _check_secret_ref(name, value)
        return
    # A YAML 42 or yes would reach the pod as "42"/"True" on one side and fail on the other;
    # refusing it makes the fixture author quote the value they actually mean.
    raise BuilderInputError(
        f"env {name} must be a string or {{secretKeyRef: {{name, key}}}}, got {type(value).__name__}; "
        "quote the value in YAML"
    )


def _check_secret_ref(name: str, value: Mapping[str, Any]) -> None:
    ref = value.get("secretKeyRef")
    if set(value) != {"secretKeyRef"} or not isinstance(ref, Mapping) or set(ref) != {"name", "key"}:
        raise BuilderInputError(f"env {name} must be {{secretKeyRef: {{name: ..., key: ...}}}}, got {value!r}")
    secret_name, key = ref["name"], ref["key"]
    if not isinstance(secret_name, str) or not naming.is_dns_subdomain(secret_name):
        raise BuilderInputError(f"env {name}: secret name {secret_name!r} is not a valid Kubernetes name")
    if not isinstance(key, str) or not re.fullmatch(r"[-._a-zA-Z0-9]+", key):
        raise BuilderInputError(f"env {name}: secret key {key!r} is not a valid Secret key")


def _check_volumes(volumes: object) -> None:
    if volumes is None:
        return
    if not isinstance(volumes, list):
        raise BuilderInputError(f"volumes must be a list or null, got {type(volumes).__name__}")
    names: set[str] = set()
    paths: set[str] = set()
    for index, volume in enumerate(volumes):
        where = f"volumes[{index}]"
        _check_volume(where, volume)
        name, path = volume["name"], posixpath.normpath(volume["mount_path"])
        if name in names:
            raise BuilderInputError(f"{where}: duplicate volume name {name!r}")
        if path in paths:
            raise BuilderInputError(f"{where}: duplicate mount path {path!r}")
        names.add(name)
        paths.add(path)


def _check_volume(where: str, volume: object) -> None:
    if not isinstance(volume, Mapping):
        raise BuilderInputError(f"{where} must be a mapping, got {type(volume).__name__}")
    unknown = sorted(set(volume) - VOLUME_KEYS)
    if unknown:
        raise BuilderInputError(f"{where}: unknown key(s) {unknown}; known keys are {sorted(VOLUME_KEYS)}")
    name = volume.get("name")
    if not isinstance(name, str) or not naming.is_dns_label(name):
        raise BuilderInputError(f"{where}: volume name {name!r} is not a valid RFC 1123 label")
    claim = volume.get("claim_name")
    if not claim:
        raise BuilderInputError(f"{where} ({name}): claim_name is required (volumes are existing PVCs)")
    if not isinstance(claim, str) or not naming.is_dns_subdomain(claim):
        raise BuilderInputError(f"{where} ({name}): claim_name {claim!r} is not a valid PVC name")
    path = volume.get("mount_path")
    if not path:
        raise BuilderInputError(f"{where} ({name}): mount_path is required")
    if not isinstance(path, str) or not path.startswith("/") or ":" in path or "\0" in path:
        raise BuilderInputError(f"{where} ({name}): mount_path {path!r} must be an absolute path without ':'")
    read_only = volume.get("read_only", False)
    if read_only is not None and not isinstance(read_only, bool):
        raise BuilderInputError(f"{where} ({name}): read_only must be true or false, got {read_only!r}")
