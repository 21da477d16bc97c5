"""What a run on the cluster needs: the manifest rewritten for the run's namespace, and what to
create there first (see ``harness.execute.cluster.executor``). What a fresh namespace cannot give
a workflow at all is checked before: ``harness.execute.check.inspect_for_cluster``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.execute import volumes
from harness.execute.base import DEFAULT_DEADLINE_S, GENERATED_NAME_SUFFIX
from harness.execute.check import argo_refusal
from harness.execute.secrets import manifest_secret_refs, resolve_secrets
from harness.execute.support import SUPPORT
from harness.execute.volumes import PersistentVolume
from harness.spec import fields

__all__ = ["PersistentVolume", "RunPlan", "manifest_persistent_volumes", "plan_run"]

_PORTABLE_ACCESS_MODES = frozenset({"ReadWriteOnce", "ReadWriteOncePod"})


# --- the run's plan: the rewritten manifest and what to create ------------------------------------


@dataclass(frozen=True)
class RunPlan:
    manifest: dict[str, Any]  # what is submitted
    namespace: str
    workflow_name: str | None  # fixed when the manifest had generateName
    deadline_s: float
    service_accounts: tuple[str, ...]
    claims: tuple[str, ...]  # existing claims to create, empty, in the namespace
    # Secret name -> key -> value: real values when the caller gave them, so never in a repr.
    secrets: Mapping[str, Mapping[str, str]] = field(repr=False)
    secrets_used: tuple[str, ...]  # "name/key" references
    volumes: tuple[PersistentVolume, ...]
    notes: tuple[str, ...] = field(default=())
    # The manifest's own namespace (else "default"): what {{workflow.namespace}} is in production
    # and in the local executors, shown instead of the run's namespace in logs and messages.
    original_namespace: str = "default"


def plan_run(
    manifest: Mapping[str, Any],
    *,
    namespace: str,
    secrets: Mapping[str, str] | None = None,
    default_deadline_s: float = DEFAULT_DEADLINE_S,
) -> RunPlan:
    """The manifest to submit in ``namespace`` and everything it needs there (see the module doc).
    Raises ValueError for a manifest Argo refuses before running it (``check.argo_refusal``): the
    executor ends such a run in ``Error`` as the local executors do, and never plans it."""
    refused = argo_refusal(manifest)
    if refused:
        raise ValueError(refused)
    body: dict[str, Any] = json.loads(json.dumps(manifest))
    notes: list[str] = []
    body.pop("status", None)
    metadata = body.setdefault("metadata", {})
    for server_field in fields.SERVER_METADATA_FIELDS:
        metadata.pop(server_field, None)  # a copy of a live object would be refused with them
    original = metadata.get("namespace") or "default"
    metadata["namespace"] = namespace
    notes.append(
        f"namespace {original} -> {namespace}: every run gets a fresh namespace, deleted afterwards, "
        f"so runs never share volumes, Secrets or names; logs and messages show {original} in its place, "
        "as a run in the manifest's namespace would print it"
    )
    workflow_name = metadata.get("name")
    if not workflow_name and metadata.get("generateName"):
        workflow_name = f"{metadata.pop('generateName')}{GENERATED_NAME_SUFFIX}"
        metadata["name"] = workflow_name
        notes.append(
            f"name {workflow_name} instead of a generated one: the namespace is fresh, and a fixed name "
            "keeps {{workflow.name}} and pod names comparable between runs"
        )
    spec = body.setdefault("spec", {})
    written = spec.get("activeDeadlineSeconds")  # an integer: argo_refusal refused anything else
    if written is not None:
        deadline = float(written)
    else:
        deadline = default_deadline_s
        spec["activeDeadlineSeconds"] = max(1, int(deadline))
        notes.append(f"activeDeadlineSeconds {int(deadline)}: the executors' default deadline")
    for key, why in (
        ("podGC", "pods must outlive the workflow for their logs to be read"),
        ("ttlStrategy", "the workflow must outlive its end to be read"),
    ):
        if key in spec:
            del spec[key]
            notes.append(f"spec.{key} removed: {why}")
    if spec.get("volumeClaimTemplates"):
        spec["volumeClaimGC"] = {"strategy": "OnWorkflowDeletion"}
        notes.append(
            "volumeClaimGC OnWorkflowDeletion: claims from volumeClaimTemplates must outlive the workflow to be read"
        )
    templates = [t for t in spec.get("templates") or [] if isinstance(t, Mapping)]
    accounts = {str(spec.get("serviceAccountName") or "default")}
    for owner in (spec, *templates):
        if owner is not spec and owner.get("serviceAccountName"):
            accounts.add(str(owner["serviceAccountName"]))
        executor = owner.get("executor")
        if isinstance(executor, Mapping) and executor.get("serviceAccountName"):
            accounts.add(str(executor["serviceAccountName"]))  # the token Argo's executor runs with
    notes.extend(_cluster_only_notes(spec, templates))
    claims = sorted(
        {
            str(volume["persistentVolumeClaim"]["claimName"])
            for listed in [spec.get("volumes"), *(t.get("volumes") for t in templates)]
            for volume in listed or []
            if isinstance(volume, Mapping)
            and isinstance(volume.get("persistentVolumeClaim"), Mapping)
            and volume["persistentVolumeClaim"].get("claimName")
        }
    )
    refs = manifest_secret_refs(body)
    values = resolve_secrets(refs, secrets)
    by_secret: dict[str, dict[str, str]] = {}
    for ref, value in values.items():
        secret, _, key = ref.partition("/")
        by_secret.setdefault(secret, {})[key] = value
    return RunPlan(
        manifest=body,
        namespace=namespace,
        workflow_name=workflow_name,
        deadline_s=deadline,
        service_accounts=tuple(sorted(accounts)),
        claims=tuple(claims),
        secrets=by_secret,
        secrets_used=refs,
        volumes=manifest_persistent_volumes(body),
        notes=tuple(notes),
        original_namespace=str(original),
    )


def _cluster_only_notes(spec: Mapping[str, Any], templates: list[Mapping[str, Any]]) -> list[str]:
    """A note for each field the local executors ignore that a small cluster may not satisfy."""
    notes: list[str] = []
    owners = [("spec", "workflowSpec", spec), *((f"templates[{t.get('name')}]", "template", t) for t in templates)]
    for where, kind, owner in owners:
        for key, rule in SUPPORT[kind].items():
            if rule.cluster_note and owner.get(key):
                notes.append(f"{where}.{key}: {rule.cluster_note}")
    for claim in spec.get("volumeClaimTemplates") or []:
        if not isinstance(claim, Mapping):
            continue
        metadata, claim_spec = (_mapping(claim.get(key)) for key in ("metadata", "spec"))
        name = metadata.get("name")
        where = f"spec.volumeClaimTemplates[{name}].spec"
        if claim_spec.get("storageClassName"):
            notes.append(
                f"{where}.storageClassName {claim_spec['storageClassName']!r}: ignored by the local executors; "
                "this cluster may not have that class (the claim then stays Pending and its pods unschedulable)"
            )
        modes = [str(mode) for mode in claim_spec.get("accessModes") or []]
        if set(modes) - _PORTABLE_ACCESS_MODES:
            notes.append(
                f"{where}.accessModes {modes}: ignored by the local executors; a kind or k3d cluster's "
                "local storage provides only ReadWriteOnce"
            )
    return notes


def manifest_persistent_volumes(manifest: Mapping[str, Any]) -> tuple[PersistentVolume, ...]:
    """Each persistent volume a container mounts, with the mount its files are reported under:
    the local executor's rule (``harness.execute.volumes.persistent_volumes``), over every template
    the workflow can run, exit handlers and lifecycle hooks included."""
    spec = manifest.get("spec")
    return volumes.persistent_volumes(spec if isinstance(spec, Mapping) else {})


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
