"""What a run on the cluster needs: the features a fresh namespace cannot give a workflow, the
manifest rewritten for the run's namespace, and what to create there first (see
``harness.execute.cluster``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness._walk import iter_mappings
from harness.execute import _argo, _volumes
from harness.execute._volumes import PersistentVolume
from harness.execute.secrets import resolve_secrets, secret_refs

__all__ = ["PersistentVolume", "RunPlan", "inspect_for_cluster", "persistent_volumes", "plan_run"]

_PORTABLE_ACCESS_MODES = frozenset({"ReadWriteOnce", "ReadWriteOncePod"})


def inspect_for_cluster(manifest: Any) -> tuple[str, ...]:
    """Features a run in a fresh namespace cannot give the workflow; empty when it can run.

    Everything else is Argo's own business: the cluster runs it, or fails it as production would.
    """
    if not isinstance(manifest, Mapping):
        return ("the manifest is not a mapping",)
    if manifest.get("kind") != "Workflow":
        return (f"kind {manifest.get('kind')!r}: only a Workflow can be executed",)
    found: list[str] = []
    # Not the status of a copied live object: its nodes' outputs list Argo's own log artifacts.
    for item in iter_mappings(manifest, skip=frozenset({"status"})):
        if "templateRef" in item or "workflowTemplateRef" in item:
            ref = item.get("templateRef") or item.get("workflowTemplateRef") or {}
            found.append(f"WorkflowTemplate {ref.get('name')!r}: not installed in the run's fresh namespace")
        for source in ("configMapKeyRef", "configMapRef"):
            if isinstance(item.get(source), Mapping):
                found.append(f"ConfigMap {item[source].get('name')!r}: not created in the run's fresh namespace")
        if isinstance(item.get("secretRef"), Mapping):
            found.append(f"envFrom Secret {item['secretRef'].get('name')!r}: only secretKeyRef env vars get a Secret")
        if isinstance(item.get("containerSet"), Mapping):
            found.append(
                f"containerSet template {item.get('name')!r}: its containers' logs are not read "
                "(the executor reads each pod's container main)"
            )
        if item.get("artifacts"):
            found.append("artifacts: no artifact repository is configured for the parity cluster")
        location = item.get("archiveLocation")
        if item.get("archiveLogs") is True or (isinstance(location, Mapping) and set(location) - {"archiveLogs"}):
            found.append("archived logs: no artifact repository is configured for the parity cluster")
    spec: Mapping[str, Any] = manifest["spec"] if isinstance(manifest.get("spec"), Mapping) else {}
    templates = [t for t in spec.get("templates") or [] if isinstance(t, Mapping)]
    for where, volumes in [
        ("spec.volumes", spec.get("volumes")),
        *((f"templates[{t.get('name')}].volumes", t.get("volumes")) for t in templates),
    ]:
        for volume in volumes or []:
            if not isinstance(volume, Mapping):
                continue
            sources = [key for key in volume if key != "name"]
            if not any(source in _argo.VOLUME_SOURCES_RUN for source in sources):
                kinds = ", ".join(map(str, sources)) or "no"
                found.append(
                    f"{where}[{volume.get('name')}]: {kinds} volume source (only claims and emptyDir are provided)"
                )
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if isinstance(claim, str) and "{{" in claim:
                found.append(f"{where}[{volume.get('name')}]: claim name {claim!r} is only known at run time")
    return tuple(dict.fromkeys(found))


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
    default_deadline_s: float = _argo.DEFAULT_DEADLINE_S,
) -> RunPlan:
    """The manifest to submit in ``namespace`` and everything it needs there (see the module doc)."""
    body: dict[str, Any] = json.loads(json.dumps(manifest))
    notes: list[str] = []
    body.pop("status", None)
    metadata = body.setdefault("metadata", {})
    for server_field in ("resourceVersion", "uid", "creationTimestamp", "selfLink", "generation", "managedFields"):
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
        workflow_name = f"{metadata.pop('generateName')}{_argo.GENERATED_NAME_SUFFIX}"
        metadata["name"] = workflow_name
        notes.append(
            f"name {workflow_name} instead of a generated one: the namespace is fresh, and a fixed name "
            "keeps {{workflow.name}} and pod names comparable between runs"
        )
    spec = body.setdefault("spec", {})
    deadline = _argo.as_number(spec.get("activeDeadlineSeconds"))
    if deadline is None:
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
            for volumes in [spec.get("volumes"), *(t.get("volumes") for t in templates)]
            for volume in volumes or []
            if isinstance(volume, Mapping)
            and isinstance(volume.get("persistentVolumeClaim"), Mapping)
            and volume["persistentVolumeClaim"].get("claimName")
        }
    )
    refs = secret_refs(body)
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
        volumes=persistent_volumes(body),
        notes=tuple(notes),
        original_namespace=str(original),
    )


def _cluster_only_notes(spec: Mapping[str, Any], templates: list[Mapping[str, Any]]) -> list[str]:
    """A note for each field the local executors ignore that a small cluster may not satisfy."""
    notes: list[str] = []
    owners = [("spec", spec), *((f"templates[{t.get('name')}]", t) for t in templates)]
    for where, owner in owners:
        for key in _argo.POD_SCHEDULING_FIELDS:
            if owner.get(key):
                notes.append(
                    f"{where}.{key}: ignored by the local executors; this cluster may not satisfy it "
                    "(a pod that stays unschedulable or cannot pull its image ends the run with an error)"
                )
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


def persistent_volumes(manifest: Mapping[str, Any]) -> tuple[PersistentVolume, ...]:
    """Each persistent volume a container mounts, with the mount its files are reported under:
    the local executor's rule (``harness.execute._volumes.persistent_volumes``), over every template
    the workflow can run, exit handlers and lifecycle hooks included."""
    spec = manifest.get("spec")
    return _volumes.persistent_volumes(spec if isinstance(spec, Mapping) else {})


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
