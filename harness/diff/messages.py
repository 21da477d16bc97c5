"""How a difference's one-line message reads: what changes at run time, where, and from what to what.

The explainers of the built-in rules (:mod:`harness.diff.builtin_rules`) write their messages with
these helpers: a subject named by the field that changed (:data:`FIELD_MEANINGS`), the names along
the path (``in template main, env TASK_ID``), and the two values cut around where they differ.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, NamedTuple

from harness.diff.model import show_value
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


class Switch(NamedTuple):
    """A boolean field as a user reads it: the thing it switches, what that thing is when the
    field is true and when false, and what leaving the field out means (True or False: the same
    as that value; a phrase: a state of its own)."""

    thing: str
    on: str
    off: str
    unset: bool | str = False

    def state(self, value: Any) -> str:
        if value is ABSENT:
            return self.state(self.unset) if isinstance(self.unset, bool) else self.unset
        return self.on if value else self.off

    def written(self, value: Any) -> str:
        """The value as a message shows it: ``true``/``false``, or ``unset`` with what it means."""
        if value is not ABSENT:
            return show_value(value)
        return f"unset (same as {show_value(self.unset)})" if isinstance(self.unset, bool) else "unset"


# (parent, field) -> the switch a boolean field is. The parent is the key above the field, or the
# keyed list an item above it belongs to (`volumeMounts[data].readOnly`: volumeMounts); "" is any
# parent. A change of one of these says what the new value does, both ways: `readOnly: true`
# dropped makes the mount writable, which "removed true" did not say.
SWITCHES: Final[dict[tuple[str, str], Switch]] = {
    ("volumeMounts", "readOnly"): Switch("the mount", "read-only", "writable"),
    ("persistentVolumeClaim", "readOnly"): Switch("every mount of the claim", "read-only", "writable"),
    ("secretKeyRef", "optional"): Switch(
        "the secret key", "optional (the pod starts without it)", "required (the pod does not start without it)"
    ),
    ("configMapKeyRef", "optional"): Switch(
        "the config map key", "optional (the pod starts without it)", "required (the pod does not start without it)"
    ),
    ("artifacts", "optional"): Switch(
        "the artifact", "optional (the step runs without it)", "required (the step fails without it)"
    ),
    ("", "daemon"): Switch(
        "the template",
        "a daemon (the next steps start while it keeps running)",
        "a normal step (the next steps wait for it to end)",
    ),
    ("", "suspend"): Switch("the workflow", "suspended (nothing runs until it is resumed)", "active (it runs at once)"),
    ("", "tty"): Switch("the container's terminal (TTY)", "allocated", "not allocated"),
    ("", "stdin"): Switch("the container's stdin", "open", "closed"),
    ("", "privileged"): Switch("the container", "privileged (full access to the node)", "unprivileged"),
    ("", "readOnlyRootFilesystem"): Switch("the container's root filesystem", "read-only", "writable"),
    # Unset, Kubernetes allows it (a container not privileged and without CAP_SYS_ADMIN aside).
    ("", "allowPrivilegeEscalation"): Switch(
        "privilege escalation (setuid binaries, file capabilities)", "allowed", "blocked", unset=True
    ),
    ("", "runAsNonRoot"): Switch(
        "running as root", "refused (the kubelet starts the container only as a non-root user)", "allowed"
    ),
    ("", "hostNetwork"): Switch(
        "the pod's network", "the host's network (its interfaces and ports)", "its own network"
    ),
    # Unset, Kubernetes mounts the token.
    ("", "automountServiceAccountToken"): Switch(
        "the service account token", "mounted into the pods (the API is reachable with it)", "not mounted", unset=True
    ),
    # Argo's DAG default is to stop starting tasks once one failed.
    ("dag", "failFast"): Switch(
        "the DAG",
        "fail-fast (no new task starts once a task failed)",
        "run-to-end (the other tasks still run after a failure)",
        unset=True,
    ),
    ("continueOn", "failed"): Switch(
        "a failure of this step", "tolerated (the workflow continues)", "fatal (the workflow stops)"
    ),
    ("continueOn", "error"): Switch(
        "an error of this step", "tolerated (the workflow continues)", "fatal (the workflow stops)"
    ),
    # Unset, the controller's artifact repository configuration decides.
    ("", "archiveLogs"): Switch("log archiving", "on", "off", unset="whatever the controller's configuration says"),
}


def switch(segments: tuple[Segment, ...]) -> Switch | None:
    """The switch the boolean field at the end of ``segments`` is, if the messages know it."""
    if not segments or not isinstance(segments[-1], Key):
        return None
    field = segments[-1].name
    parent = ""
    if len(segments) > 1:
        above = segments[-2]
        if isinstance(above, Key):
            parent = above.name
        elif isinstance(above, Item) and len(segments) > 2 and isinstance(segments[-3], Key):
            parent = segments[-3].name
    return SWITCHES.get((parent, field)) or SWITCHES.get(("", field))


def switch_change(diff: RawDifference) -> str | None:
    """What a change of a boolean the messages know does: ``the mount becomes writable in
    template main, mount data (was read-only): readOnly true -> false``; None for anything else
    (another field, or a value that is not a boolean: a type change says that)."""
    whole = diff.right if diff.left is ABSENT else diff.left if diff.right is ABSENT else None
    if isinstance(whole, dict) and whole:
        # A mapping only one side has (`securityContext: {privileged: true}` against none: an
        # empty one is absent) holding only switches: each says what it does.
        parts = []
        for name, node in whole.items():
            sides = (ABSENT, node) if whole is diff.right else (node, ABSENT)
            part = _switch_message((*diff.segments, Key(name)), *sides)
            if part is None:
                return None
            parts.append(part)
        return "; ".join(parts)
    return _switch_message(diff.segments, diff.left, diff.right)


def _switch_message(segments: tuple[Segment, ...], left_node: Any, right_node: Any) -> str | None:
    known = switch(segments)
    if known is None or not (_boolean_or_absent(left_node) and _boolean_or_absent(right_node)):
        return None
    field = segments[-1].name  # type: ignore[union-attr]  # a Key: switch() checked
    left, right = (node if node is ABSENT else json_value(node) for node in (left_node, right_node))
    before, after = known.state(left), known.state(right)
    values = f"{field} {known.written(left)} -> {known.written(right)}"
    if before == after:
        return f"{known.thing} stays {after}{where(segments)}: {values}"
    return f"{known.thing} becomes {after}{where(segments)} (was {before}): {values}"


def _boolean_or_absent(node: Any) -> bool:
    return node is ABSENT or isinstance(json_value(node), bool)


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


def api_group(api_version: str) -> str:
    """The API group of an ``apiVersion`` (``apps/v1``: apps; ``v1``: the core group)."""
    return api_version.rsplit("/", 1)[0] if "/" in api_version else "core"


def type_name(node: Any) -> str:
    """The JSON type of a canonical node's shown value."""
    return json_kind(json_value(node))


def change(subject: str, diff: RawDifference, extra: str | None = None, limit: int = 60) -> str:
    """``subject: left -> right`` (``added X`` / ``removed X``), or ``subject: extra`` when an
    explainer says what changed."""
    if extra:
        return f"{subject}: {extra}"
    switched = switch_change(diff)
    if switched:
        return switched  # names what the new value does, which the field's subject does not
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
    return raw if isinstance(raw, str) else show_value(raw)
