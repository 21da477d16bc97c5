"""Builders with planted defects that only a search over inputs finds (``tests.planted_fuzz:NAME``).

Each is the reference Hera builder with one realistic mistake, so a test can assert that
``parity fuzz`` finds it within the ci profile and promotes a fixture that reproduces it.
"""

from __future__ import annotations

import shlex
from typing import Any

import yaml

from harness.builders import hera
from harness.errors import BuilderInputError

_PIP = "pip install --no-cache-dir"


def splits_dependencies_on_every_comma(inputs: dict[str, Any]) -> dict[str, Any]:
    """Refuses what the reference refuses, but then splits the dependency string at every comma
    before parsing: ``numpy>=1.26,<2`` installs ``numpy>=1.26`` and ``<2``, ``requests[socks,http2]``
    becomes ``requests[socks`` and ``http2]``. Strings without a comma inside a requirement are fine."""
    dependencies = inputs.get("dependencies") or ""
    hera.parse_requirements(dependencies)  # the same refusals as the reference builder
    manifest = hera.build({**inputs, "dependencies": None})
    words: list[str] = []
    for chunk in dependencies.split(","):
        try:
            words.extend(hera.parse_requirements(chunk))
        except BuilderInputError:
            words.extend(chunk.split())
    if words:
        _insert_before_run(manifest, " ".join([_PIP, *(shlex.quote(word) for word in words)]))
    return manifest


def retypes_yaml_special_env_values(inputs: dict[str, Any]) -> dict[str, Any]:
    """Renders env values into a YAML template unquoted: ``yes`` arrives as ``True``, ``010`` as
    ``8``, ``null`` and ``~`` vanish; then stringifies what YAML made of them."""
    return _retype_env(hera.build(inputs))


def two_independent_bugs(inputs: dict[str, Any]) -> dict[str, Any]:
    """Both defects above at once: the search must report two distinct failures, not one."""
    return _retype_env(splits_dependencies_on_every_comma(inputs))


def _retype_env(manifest: dict[str, Any]) -> dict[str, Any]:
    for env in _main_body(manifest).get("env", []):
        value = env.get("value")
        if not isinstance(value, str) or env["name"] == "PYTHON_CODE":
            continue
        try:
            loaded = yaml.safe_load(f"value: {value}")
        except yaml.YAMLError:
            continue
        typed = loaded.get("value") if isinstance(loaded, dict) else value
        if typed is None:
            env.pop("value")
        elif not isinstance(typed, str):
            env["value"] = str(typed)
    return manifest


def _main_body(manifest: dict[str, Any]) -> dict[str, Any]:
    [template] = manifest["spec"]["templates"]
    body: dict[str, Any] = template.get("script") or template["container"]
    return body


def _insert_before_run(manifest: dict[str, Any], line: str) -> None:
    [template] = manifest["spec"]["templates"]
    run = 'python -c "$PYTHON_CODE"'
    if "script" in template:
        template["script"]["source"] = template["script"]["source"].replace(run, f"{line}\n{run}")
    else:
        template["container"]["args"] = [template["container"]["args"][0].replace(run, f"{line}\n{run}")]
