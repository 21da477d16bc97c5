"""What a run on the cluster needs: the features a fresh namespace cannot give a workflow, the
manifest rewritten for the run's namespace, and what to create there first (see
``harness.execute.cluster``)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness._walk import iter_mappings
from harness.execute import _argo
from harness.execute.secrets import resolve_secrets, secret_refs

# Volume sources a fresh namespace can provide: a claim we create, a pod-local scratch directory.
_VOLUME_SOURCES = ("persistentVolumeClaim", "emptyDir")


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
            if not any(source in _VOLUME_SOURCES for source in sources):
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
class PersistentVolume:
    """A volume whose files outlive the workflow, and where a container first saw it."""

    volume: str  # its name in the manifest
    source: str  # persistentVolumeClaim/<claim> or volumeClaimTemplate/<volume>, as FileResult.volume
    claim: str | None  # the existing claim's name; None for a claim template (Argo names it)
    mount_path: str
    sub_path: str = ""


@dataclass(frozen=True)
class RunPlan:
    manifest: dict[str, Any]  # what is submitted
    namespace: str
    workflow_name: str | None  # fixed when the manifest had generateName
    deadline_s: float
    service_accounts: tuple[str, ...]
    claims: tuple[str, ...]  # existing claims to create, empty, in the namespace
    secrets: Mapping[str, Mapping[str, str]]  # Secret name -> key -> value
    secrets_used: tuple[str, ...]  # "name/key" references
    volumes: tuple[PersistentVolume, ...]
    notes: tuple[str, ...] = field(default=())


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
        "so runs never share volumes, Secrets or names"
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
    deadline = _number(spec.get("activeDeadlineSeconds"))
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
    accounts.update(str(t["serviceAccountName"]) for t in templates if t.get("serviceAccountName"))
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
    )


def persistent_volumes(manifest: Mapping[str, Any]) -> tuple[PersistentVolume, ...]:
    """Each persistent volume a container mounts, with its first mount in definition order (the
    path its files are reported under, as the local executor reports them)."""
    spec = manifest.get("spec") or {}
    workflow_volumes = {v.get("name"): v for v in spec.get("volumes") or [] if isinstance(v, Mapping)}
    claim_templates = {
        t["metadata"]["name"]
        for t in spec.get("volumeClaimTemplates") or []
        if isinstance(t, Mapping) and isinstance(t.get("metadata"), Mapping) and t["metadata"].get("name")
    }
    found: dict[str, PersistentVolume] = {}
    for template in _templates_in_order(spec):
        local = {v.get("name"): v for v in template.get("volumes") or [] if isinstance(v, Mapping)}
        for kind in _argo.POD_TEMPLATE_TYPES:
            body = template.get(kind)
            if not isinstance(body, Mapping):
                continue
            for mount in body.get("volumeMounts") or []:
                if not isinstance(mount, Mapping):
                    continue
                name = mount.get("name")
                volume = local.get(name) or workflow_volumes.get(name)
                if volume is not None and isinstance(volume.get("persistentVolumeClaim"), Mapping):
                    claim = str(volume["persistentVolumeClaim"].get("claimName"))
                    source, claim_name = f"persistentVolumeClaim/{claim}", claim
                elif volume is None and name in claim_templates:
                    source, claim_name = f"volumeClaimTemplate/{name}", None
                else:
                    continue
                if source not in found:
                    found[source] = PersistentVolume(
                        volume=str(name),
                        source=source,
                        claim=claim_name,
                        mount_path=str(mount.get("mountPath")),
                        sub_path=str(mount.get("subPath") or "").strip("/"),
                    )
    return tuple(found.values())


def _templates_in_order(spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Templates reachable from the entrypoint, depth first in the order they are called."""
    templates = {t.get("name"): t for t in spec.get("templates") or [] if isinstance(t, Mapping)}
    seen: set[str] = set()
    stack = [spec.get("entrypoint")]
    while stack:
        name = stack.pop()
        if not isinstance(name, str) or name in seen or name not in templates:
            continue
        seen.add(name)
        template = templates[name]
        yield template
        called: list[Any] = []
        for group in template.get("steps") or []:
            called.extend(step.get("template") for step in (group if isinstance(group, list) else [group]))
        dag = template.get("dag")
        if isinstance(dag, Mapping):
            called.extend(task.get("template") for task in dag.get("tasks") or [])
        stack.extend(reversed(called))


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
