"""Builders with planted defects, referenced by ``tests.planted:NAME`` from tests.

Each wraps the reference Hera builder and breaks one thing, so a test can assert that the
harness notices exactly that.
"""

from __future__ import annotations

import copy
from typing import Any

from harness.builders import hera, legacy


def raises_on_unicode(inputs: dict[str, Any]) -> dict[str, Any]:
    if any(ord(char) > 127 for char in inputs["python_code"]):
        raise RuntimeError("planted: cannot encode non-ASCII code")
    return hera.build(inputs)


def drops_dependencies(inputs: dict[str, Any]) -> dict[str, Any]:
    return hera.build({**inputs, "dependencies": None})


def inlines_secrets(inputs: dict[str, Any]) -> dict[str, Any]:
    """Resolves every secretKeyRef into a literal value: the worst thing a builder can do."""
    manifest = hera.build(inputs)
    for template in manifest["spec"]["templates"]:
        body = template.get("script") or template.get("container") or {}
        for env in body.get("env", []):
            if "valueFrom" in env:
                env.pop("valueFrom")
                env["value"] = f"resolved-secret-{env['name'].lower()}-0xC0FFEE"
    return manifest


def returns_garbage(inputs: dict[str, Any]) -> Any:
    return 42


def legacy_copy(inputs: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(legacy.build(inputs))


def rejects_everything(inputs: dict[str, Any]) -> dict[str, Any]:
    raise ValueError("planted: refuses every input")


def raises_on_marked_code(inputs: dict[str, Any]) -> dict[str, Any]:
    """Raises for code carrying the marker: 1 input in 20 in the canary fallback test."""
    if "# planted: new builder fails here" in inputs["python_code"]:
        raise RuntimeError("planted: new builder fails on marked code")
    return hera.build(inputs)


def _with_random_run_id(manifest: dict[str, Any]) -> dict[str, Any]:
    import uuid

    manifest["spec"]["templates"][0]["script"]["env"].append({"name": "RUN_ID", "value": uuid.uuid4().hex})
    return manifest


def legacy_with_random_run_id(inputs: dict[str, Any]) -> dict[str, Any]:
    """Both builders stamp each build with a fresh id: its value is noise, not a difference."""
    return _with_random_run_id(legacy.build(inputs))


def hera_with_random_run_id(inputs: dict[str, Any]) -> dict[str, Any]:
    return _with_random_run_id(hera.build(inputs))


def echoes_more(inputs: dict[str, Any]) -> dict[str, Any]:
    """One more command at the top of the job's script: a semantic difference to waive."""
    manifest = hera.build(inputs)
    script = manifest["spec"]["templates"][0]["script"]
    script["source"] = "echo planted\n" + script["source"]
    return manifest
