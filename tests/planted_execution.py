"""New builders with a planted defect that only running the workflow shows, for the execution tests.

Each wraps the reference Hera builder and breaks one thing a reviewer can miss in a manifest diff
among cosmetic noise; referenced as ``tests.planted_execution:NAME``.
"""

from __future__ import annotations

from typing import Any

from harness.builders import hera


def mounts_wrong_path(inputs: dict[str, Any]) -> dict[str, Any]:
    """A typo in the mount path: the program's results go nowhere (or the program fails)."""
    manifest = hera.build(inputs)
    for body in _bodies(manifest):
        for mount in body.get("volumeMounts", []):
            mount["mountPath"] = mount["mountPath"].rstrip("/") + "-typo"
    return manifest


def drops_env_var(inputs: dict[str, Any]) -> dict[str, Any]:
    """Forgets the user's first env var (keeps PYTHON_CODE, so the program still runs)."""
    manifest = hera.build(inputs)
    user_vars = [name for name in (inputs.get("env") or {}) if name != "PYTHON_CODE"]
    if user_vars:
        for body in _bodies(manifest):
            body["env"] = [entry for entry in body.get("env", []) if entry["name"] != user_vars[0]]
    return manifest


def drops_last_dependency(inputs: dict[str, Any]) -> dict[str, Any]:
    """Installs every dependency but the last one of the dependency string."""
    requirements = hera.parse_requirements(inputs.get("dependencies") or "")
    return hera.build({**inputs, "dependencies": " ".join(requirements[:-1]) or None})


def provisions_new_claim(inputs: dict[str, Any]) -> dict[str, Any]:
    """The `hera.workflows.Volume` trap: a new claim per run (volumeClaimTemplates) instead of the
    existing one. The program runs the same; its results land on a volume nobody keeps."""
    manifest = hera.build(inputs)
    spec = manifest["spec"]
    volumes = spec.pop("volumes", [])
    spec["volumeClaimTemplates"] = [
        {
            "metadata": {"name": volume["name"]},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        }
        for volume in volumes
    ]
    return manifest


def _bodies(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [t.get("script") or t.get("container") or {} for t in manifest["spec"]["templates"]]
