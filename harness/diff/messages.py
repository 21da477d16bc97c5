"""How a difference's one-line message reads: what changes at run time, where, and from what to what.

The explainers of the built-in rules (:mod:`harness.diff.builtin_rules`) write their messages with
these helpers: a subject named by the field that changed (:data:`FIELD_MEANINGS`), the names along
the path (``in template main, env TASK_ID``), and the two values cut around where they differ.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from harness.diff.paths import Index, Item, Key, Segment, render
from harness.normalize.canonical import ABSENT, json_kind, json_value
from harness.normalize.excerpt import clip, excerpt_pair
from harness.spec import fields

if TYPE_CHECKING:
    from harness.diff.walk import RawDifference

# Field name -> what a change of it does at run time (the subject of the message).
FIELD_MEANINGS: Final[dict[str, str]] = {
    "image": "the container runs a different image",
    "imagePullPolicy": "the image is pulled under a different policy",
    "command": "the container runs a different command",
    "args": "the container gets different arguments",
    "source": "the script runs a different program",
    "env": "the container gets different environment variables",
    "envFrom": "the container gets different environment variables",
    "workingDir": "the container starts in a different directory",
    "namespace": "the workflow runs in a different namespace",
    "name": "the object gets a different name",
    "generateName": "the workflow is named differently",
    "serviceAccountName": "pods run with a different service account (different permissions)",
    "entrypoint": "a different template starts the workflow",
    "templates": "the workflow has different templates",
    "volumes": "pods get different volumes",
    "volumeMounts": "a volume is mounted differently",
    "volumeClaimTemplates": "a different volume claim is created per run",
    "persistentVolumeClaim": "a different persistent volume claim is mounted",
    "claimName": "a different persistent volume claim is mounted",
    "mountPath": "a volume is mounted at a different path",
    "readOnly": "a volume is mounted with different write access",
    "resources": "the pod gets different resources",
    "limits": "the pod gets different resource limits",
    "requests": "the pod requests different resources (scheduling changes)",
    "dependencies": "DAG tasks wait for different tasks",
    "depends": "DAG tasks wait for different tasks",
    "tasks": "the DAG runs different tasks",
    "steps": "different steps run",
    "template": "a step runs a different template",
    "templateRef": "a step runs a different template",
    "when": "a step runs under a different condition",
    "arguments": "templates get different arguments",
    "parameters": "templates get different parameters",
    "artifacts": "templates get different artifacts",
    "retryStrategy": "failures are retried differently",
    "limit": "failures are retried a different number of times",
    "parallelism": "a different number of pods run at once",
    "activeDeadlineSeconds": "a different deadline stops the run",
    "timeout": "a different timeout stops the run",
    "securityContext": "pods run with different privileges",
    "nodeSelector": "pods are scheduled on different nodes",
    "affinity": "pods are scheduled differently",
    "tolerations": "pods are scheduled differently",
    "podGC": "pods are garbage-collected differently",
    "ttlStrategy": "the workflow is deleted at a different time",
    "schedule": "the cron workflow runs on a different schedule",
    "schedules": "the cron workflow runs on a different schedule",
    "synchronization": "runs are serialised differently",
    "value": "a value changes",
    "default": "a parameter default changes",
}

# Keyed list -> what one of its items is called in a message (``in template main, env TASK_ID``).
_ITEM_LABELS: Final[dict[str, str]] = {
    "templates": "template",
    "tasks": "task",
    "env": "env",
    "volumes": "volume",
    "volumeMounts": "mount",
    "parameters": "parameter",
    "artifacts": "artifact",
    "containers": "container",
    "sidecars": "sidecar",
    "initContainers": "init container",
}


class MetadataEntry(NamedTuple):
    """Where a path enters labels or annotations: the map (``labels``) and, when the path goes
    below it, the entry's name (None: the whole map differs)."""

    map_name: str
    name: str | None


def metadata_entry(segments: tuple[Segment, ...]) -> MetadataEntry | None:
    """The labels or annotations (of ``metadata``, ``podMetadata``, ``workflowMetadata``) a path
    lies in, if any (:data:`harness.spec.fields.METADATA_MAPS`)."""
    for i in range(1, len(segments)):
        seg, parent = segments[i], segments[i - 1]
        if (
            isinstance(seg, Key)
            and seg.name in fields.METADATA_MAPS
            and isinstance(parent, Key)
            and parent.name in fields.METADATA_FIELDS
        ):
            entry = segments[i + 1] if i + 1 < len(segments) else None
            return MetadataEntry(seg.name, entry.name if isinstance(entry, Key | Item) else None)
    return None


def where(segments: tuple[Segment, ...]) -> str:
    """' in template main' / ' in template main, env TASK_ID' for the parts of a path that name things."""
    names = []
    for i, seg in enumerate(segments):
        if not isinstance(seg, Item):
            continue
        parent = segments[i - 1] if i > 0 else None
        if isinstance(parent, Key):
            names.append(f"{_ITEM_LABELS.get(parent.name, parent.name)} {seg.name}")
        elif isinstance(parent, Index):
            names.append(f"step {seg.name}")
        elif parent is None:
            names.append(seg.name)
    return f" in {', '.join(names)}" if names else ""


def subject(segments: tuple[Segment, ...]) -> str:
    """What a change at this path does, named by its field (the path itself for an unknown field)."""
    # Only the last few segments say what the field is: `templates` three levels up says nothing
    # about `spec.templates[x].annotations["..."]`.
    for seg in reversed(segments[-3:]):
        if isinstance(seg, Key) and seg.name in FIELD_MEANINGS:
            return FIELD_MEANINGS[seg.name] + where(segments)
    return f"{render(segments) or 'the manifest'} changes"


def type_name(node: Any) -> str:
    """The JSON type of a canonical node's shown value."""
    return json_kind(json_value(node))


def change(subject: str, diff: RawDifference, extra: str | None = None, limit: int = 60) -> str:
    """``subject: left -> right`` (``added X`` / ``removed X``), or ``subject: extra`` when an
    explainer says what changed."""
    if extra:
        return f"{subject}: {extra}"
    if diff.left is ABSENT:
        tail = f"added {clip(_shown_text(diff.right), limit)}"
    elif diff.right is ABSENT:
        tail = f"removed {clip(_shown_text(diff.left), limit)}"
    else:
        # Long values are cut around where they start to differ, so the change itself shows.
        left, right = excerpt_pair(_shown_text(diff.left), _shown_text(diff.right), limit)
        tail = f"{left} -> {right}"
    return f"{subject}: {tail}"


def _shown_text(node: Any) -> str:
    raw = json_value(node)
    return raw if isinstance(raw, str) else json.dumps(raw, sort_keys=True, default=str)
