"""Values for env vars taken from Kubernetes Secrets, in a run that has no cluster.

A local run cannot read the Secret, and the real value must never be needed to prove parity, so
each ``(secret name, key)`` gets a deterministic fake value unless the caller provides one. Both
sides of a scenario see the same value, so a program that prints or hashes it behaves the same
on both; the values used are handed back so the report's redactor can scrub them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from harness._walk import iter_mappings


def secret_ref(name: str, key: str) -> str:
    """The reference form used in ``secrets`` mappings and ``WorkflowRun.secrets_used``."""
    return f"{name}/{key}"


def fake_secret_value(name: str, key: str) -> str:
    digest = hashlib.sha256(f"argo-parity\0{name}\0{key}".encode()).hexdigest()[:20]
    return f"parity-fake-secret-{digest}"


def manifest_secret_refs(*manifests: Any) -> tuple[str, ...]:
    """Every ``secretKeyRef`` in env entries of these manifests, as sorted references."""
    refs: set[str] = set()
    for manifest in manifests:
        for entry in _env_entries(manifest):
            ref = _secret_key_ref(entry)
            if ref is not None:
                refs.add(secret_ref(*ref))
    return tuple(sorted(refs))


def resolve_secrets(refs: Iterable[str], provided: Mapping[str, str] | None = None) -> dict[str, str]:
    """A value for each reference: the provided one, else the deterministic fake."""
    given = provided or {}
    values: dict[str, str] = {}
    for ref in refs:
        name, _, key = ref.partition("/")
        values[ref] = given[ref] if ref in given else fake_secret_value(name, key)
    return values


def _secret_key_ref(entry: Mapping[str, Any]) -> tuple[str, str] | None:
    value_from = entry.get("valueFrom")
    if not isinstance(value_from, Mapping):
        return None
    ref = value_from.get("secretKeyRef")
    if not isinstance(ref, Mapping) or not isinstance(ref.get("name"), str) or not isinstance(ref.get("key"), str):
        return None
    return ref["name"], ref["key"]


def _env_entries(data: Any) -> Iterator[Mapping[str, Any]]:
    for item in iter_mappings(data):
        env = item.get("env")
        if isinstance(env, list):
            yield from (entry for entry in env if isinstance(entry, Mapping))
