"""What the executors know about Argo and Kubernetes, kept apart from the logic that uses it.

Every field of a Workflow the interpreter meets is in exactly one of three groups: *run* (it
changes what runs and the executors do it), *ignored* (it only affects scheduling, bookkeeping or
cluster permissions, none of which exist in a local run, so running without it is faithful), or
anything else, which is reported as unsupported rather than guessed.
"""

from __future__ import annotations

from typing import Any

# Argo's emissary writes a script template's `source` here and appends the path to the
# container's args: `command + [SCRIPT_PATH] + args` (workflow/controller/workflowpod.go).
SCRIPT_PATH = "/argo/staging/script"

# Argo names a generated workflow `generateName` + 5 random characters. A fixed suffix keeps the
# legacy and new runs (and the two legacy runs) comparable; it is never a real workflow's name.
GENERATED_NAME_SUFFIX = "local"

DEFAULT_DEADLINE_S = 600.0

# Variable prefixes Argo tries to resolve (validate.go checkValidWorkflowVariablePrefix); a tag
# with any other prefix ({{ jinja }} in a user's program) is left as written.
VARIABLE_PREFIXES = ("inputs.", "outputs.", "pod.", "workflow.", "steps.", "tasks.", "node.", "item", "=")

# --- workflow spec ---------------------------------------------------------------------------
SPEC_RUN = frozenset(
    {"entrypoint", "templates", "arguments", "volumes", "volumeClaimTemplates", "activeDeadlineSeconds", "parallelism"}
)
# Where pods are scheduled and what they pull with: the local executors ignore these, and a small
# kind/k3d cluster may not satisfy them (the cluster executor notes each one it meets).
POD_SCHEDULING_FIELDS = (
    "nodeSelector",
    "tolerations",
    "affinity",
    "schedulerName",
    "priorityClassName",
    "podPriorityClassName",
    "imagePullSecrets",
)
SPEC_IGNORED = frozenset(
    {
        # who may call the Kubernetes API, and where and when pods are scheduled
        *POD_SCHEDULING_FIELDS,
        "serviceAccountName",
        "automountServiceAccountToken",
        "executor",
        "podPriority",
        "priority",
        "hostAliases",
        "dnsPolicy",
        "dnsConfig",
        # what happens after the run: garbage collection, archiving, retention
        "ttlStrategy",
        "podGC",
        "volumeClaimGC",
        "archiveLogs",
        "artifactGC",
        "workflowMetadata",
        "podMetadata",
        "podDisruptionBudget",
        "metrics",
        "shutdown",
        "synchronization",
    }
)

# --- templates ---------------------------------------------------------------------------------
TEMPLATE_RUN = frozenset(
    {
        "name",
        "inputs",
        "outputs",
        "container",
        "script",
        "steps",
        "dag",
        "volumes",
        "activeDeadlineSeconds",
        "parallelism",
        "failFast",
    }
)
TEMPLATE_IGNORED = frozenset(
    {
        "metadata",
        "serviceAccountName",
        "automountServiceAccountToken",
        "executor",
        "nodeSelector",
        "tolerations",
        "affinity",
        "schedulerName",
        "priorityClassName",
        "priority",
        "archiveLocation",
        "synchronization",
        "metrics",
    }
)
# Template types that do not run a pod the executor could run.
POD_TEMPLATE_TYPES = ("container", "script")
GROUP_TEMPLATE_TYPES = ("steps", "dag")
OTHER_TEMPLATE_TYPES = ("resource", "suspend", "http", "plugin", "containerSet", "data")

# --- containers --------------------------------------------------------------------------------
CONTAINER_RUN = frozenset({"image", "command", "args", "env", "workingDir", "volumeMounts", "source"})
CONTAINER_IGNORED = frozenset(
    {
        "name",
        "imagePullPolicy",
        "ports",
        # Requests and limits are not enforced locally; a program near its memory limit can
        # behave differently on a cluster (documented in docs/execution.md).
        "resources",
        "terminationMessagePath",
        "terminationMessagePolicy",
        "readinessProbe",
        "livenessProbe",
        "startupProbe",
    }
)

# --- steps and DAG tasks -------------------------------------------------------------------------
STEP_RUN = frozenset({"name", "template", "arguments", "withItems"})
TASK_RUN = frozenset({"name", "template", "arguments", "withItems", "dependencies", "depends"})

# --- volumes -------------------------------------------------------------------------------------
# Volume sources the executors can give the same behaviour: an existing claim (a fresh empty
# directory shared by every pod of the run that mounts it) and a pod-local scratch directory.
VOLUME_SOURCES_RUN = ("persistentVolumeClaim", "emptyDir")
VOLUME_MOUNT_RUN = frozenset({"name", "mountPath", "readOnly", "subPath"})

# --- env -----------------------------------------------------------------------------------------
# fieldRef paths a pod's env may read, and where the executor takes their value from.
FIELD_REFS = ("metadata.name", "metadata.namespace")

# --- images --------------------------------------------------------------------------------------
# The official python image's environment (Dockerfile ENV), without the build-only GPG_KEY.
PYTHON_IMAGE_PATH = "/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Debian-based tags of the official python image; others (alpine, windows) have another libc,
# shell or OS, so running them on the local Debian userland would be a guess.
PYTHON_DEBIAN_VARIANTS = ("", "slim", "bookworm", "slim-bookworm", "bullseye", "slim-bullseye", "trixie", "slim-trixie")


def as_number(value: Any) -> float | None:
    """A numeric Argo field (``activeDeadlineSeconds``, ``parallelism``): an int, a float or a
    numeric string as a float; None when it is absent or not a number (booleans are not)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
