"""What Argo Workflows and Kubernetes say about their fields, as data.

Only tables live here; the logic that uses them is in :mod:`harness.normalize.workflow`. Each
table says why it exists, with the upstream type it mirrors (Argo ``v1alpha1`` /
Kubernetes ``core/v1`` as generated in ``hera.workflows.models``).
"""

from __future__ import annotations

from typing import Any, Final

# --- identity ----------------------------------------------------------------------------------

# Lists whose items have an identity: field name -> candidate identity fields, tried in order.
# Kubernetes and Argo look these items up by that field (strategic-merge keys, template lookup
# by name), so their order carries no meaning. If an item lacks the field, or two items share a
# value, the list is kept positional: then order might matter and we do not guess.
KEYED_LISTS: Final[dict[str, tuple[str, ...]]] = {
    "templates": ("name",),  # Workflow/WorkflowTemplate spec.templates: looked up by name
    "tasks": ("name",),  # DAG tasks: referenced by name from dependencies/depends
    "parameters": ("name",),  # inputs/outputs/arguments parameters: referenced by name
    "artifacts": ("name",),  # inputs/outputs/arguments artifacts: referenced by name
    "env": ("name",),  # container env: one value per name
    "volumes": ("name",),  # pod volumes: mounted by name
    "volumeMounts": ("name", "mountPath"),  # by volume name; the same volume mounted twice: by path
    "volumeDevices": ("devicePath",),
    "containers": ("name",),  # containerSet containers, pod containers
    "initContainers": ("name",),
    "sidecars": ("name",),
    "ports": ("name", "containerPort"),
    "imagePullSecrets": ("name",),
    "prometheus": ("name",),  # template/workflow metrics
    "hostAliases": ("ip",),
    "volumeClaimTemplates": ("metadata.name",),  # mounted by metadata.name
    "secrets": ("name",),  # ServiceAccount-like lists
}

# Keyed lists whose identity is a *different* field under a specific parent.
KEYED_LISTS_BY_PARENT: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    ("prometheus", "labels"): ("key",),  # metric labels: [{key, value}]
}

# Lists Argo or Kubernetes treat as sets: neither order nor repetition changes anything.
SET_LIKE_LISTS: Final[frozenset[str]] = frozenset(
    {
        "dependencies",  # DAG task dependencies: a task waits for all of them
        "accessModes",  # PVC access modes
        "tolerations",  # pod tolerations: each applies independently
        "finalizers",
        "nodeSelectorTerms",  # ORed terms
        "topologySpreadConstraints",
    }
)
SET_LIKE_LISTS_BY_PARENT: Final[frozenset[tuple[str, str]]] = frozenset(
    {("capabilities", "add"), ("capabilities", "drop")}
)

# Lists whose order matters and that hold steps: groups run one after another (ordered), the
# steps of one group run in parallel and are referenced by name (keyed).
STEP_GROUP_LISTS: Final[frozenset[str]] = frozenset({"steps"})

# Multi-document files: kinds matched by kind + name.
ARGO_KINDS: Final[frozenset[str]] = frozenset(
    {"Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow"}
)

# --- presence ----------------------------------------------------------------------------------

# An empty mapping or list equals an absent one (Go's omitempty), except under these keys where
# presence is the whole meaning: `emptyDir: {}` is a volume, `suspend: {}` a suspend template,
# `none: {}` / `tar: {}` an archive strategy, `retryStrategy: {}` retries without a limit.
PRESENCE_SIGNIFICANT: Final[frozenset[str]] = frozenset(
    {"emptyDir", "suspend", "none", "tar", "zip", "retryStrategy", "raw", "steps", "dag", "data"}
)

# --- defaults ----------------------------------------------------------------------------------

# Defaults Kubernetes or the Argo controller fill in when a field is absent, by the kind of
# object holding the field (see workflow._object_kind). A field equal to its default equals an
# absent one.
FIELD_DEFAULTS: Final[dict[str, dict[str, Any]]] = {
    # core/v1 Container (also Argo's script/container/sidecars/initContainers/containerSet)
    "container": {
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "stdin": False,
        "stdinOnce": False,
        "tty": False,
    },
    "volumeMount": {"readOnly": False, "mountPropagation": "None"},
    "containerPort": {"protocol": "TCP"},
    "persistentVolumeClaim": {"readOnly": False},
    "secretKeyRef": {"optional": False},
    "configMapKeyRef": {"optional": False},
    "fieldRef": {"apiVersion": "v1"},
    "secretVolume": {"defaultMode": 0o644},
    "configMapVolume": {"defaultMode": 0o644},
    # Argo v1alpha1
    "template": {"daemon": False},
    "artifact": {"optional": False, "deleted": False},
    "parameter": {},
    "retryStrategy": {"retryPolicy": "OnFailure"},  # Argo: "default OnFailure"
    "workflowSpec": {"suspend": False},
}

# Fields that hold a container image's pull policy default: Kubernetes sets imagePullPolicy to
# Always for an image tagged `:latest` or untagged, IfNotPresent otherwise (digests included).
IMAGE_PULL_POLICY_FIELD: Final[str] = "imagePullPolicy"

# --- types -------------------------------------------------------------------------------------

# intstr.IntOrString fields, by (kind of holder, field): "2" and 2 are the same value.
INT_OR_STRING_FIELDS: Final[frozenset[tuple[str, str]]] = frozenset(
    {
        ("retryStrategy", "limit"),  # v1alpha1.RetryStrategy.limit
        ("backoff", "factor"),  # v1alpha1.Backoff.factor
        ("containerSetRetryStrategy", "retries"),  # v1alpha1.ContainerSetRetryStrategy.retries
        ("sequence", "count"),  # v1alpha1.Sequence (withSequence)
        ("sequence", "start"),
        ("sequence", "end"),
        ("template", "activeDeadlineSeconds"),  # v1alpha1.Template.activeDeadlineSeconds
        ("httpGet", "port"),  # core/v1 HTTPGetAction.port
        ("tcpSocket", "port"),  # core/v1 TCPSocketAction.port
        ("podDisruptionBudget", "minAvailable"),  # policy/v1
        ("podDisruptionBudget", "maxUnavailable"),
    }
)

# v1alpha1.AnyString fields: Argo accepts a string, a number or a bool and keeps its text, so
# `value: 1` and `value: "1"` are the same parameter value.
ANY_STRING_FIELDS: Final[frozenset[tuple[str, str]]] = frozenset(
    {("parameter", "value"), ("parameter", "default"), ("parameter", "enum")}
)

# resource.Quantity values: compared by value (`1` = `1000m`, `1Gi` = `1024Mi`).
QUANTITY_MAPS: Final[frozenset[str]] = frozenset({"limits", "requests", "allocatedResources", "hard"})
QUANTITY_FIELDS: Final[frozenset[tuple[str, str]]] = frozenset(
    {("emptyDir", "sizeLimit"), ("resourceFieldRef", "divisor")}
)

# --- live objects ------------------------------------------------------------------------------

# Set by the API server on every object; absent from anything a builder produces.
SERVER_METADATA_FIELDS: Final[frozenset[str]] = frozenset(
    {
        "uid",
        "resourceVersion",
        "creationTimestamp",
        "managedFields",
        "generation",
        "selfLink",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
    }
)
# Labels the Argo controller and server add to a submitted Workflow. Not
# `workflows.argoproj.io/controller-instanceid`: a user sets it to pick the controller.
CONTROLLER_LABELS: Final[frozenset[str]] = frozenset(
    {
        "workflows.argoproj.io/phase",
        "workflows.argoproj.io/completed",
        "workflows.argoproj.io/creator",
        "workflows.argoproj.io/creator-email",
        "workflows.argoproj.io/creator-preferred-username",
        "workflows.argoproj.io/workflow-archiving-status",
        "workflows.argoproj.io/resubmitted-from-workflow",
        "workflows.argoproj.io/last-resubmitted-at",
        "workflows.argoproj.io/resubmitted-at",
        "workflows.argoproj.io/cron-workflow",
        "workflows.argoproj.io/workflow-template",
        "workflows.argoproj.io/cluster-workflow-template",
        "workflows.argoproj.io/workflow",
        "workflows.argoproj.io/rerun-at",
    }
)
CONTROLLER_ANNOTATIONS: Final[frozenset[str]] = frozenset(
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        "workflows.argoproj.io/pod-name-format",
        "workflows.argoproj.io/scheduled-time",
    }
)
# Top-level fields of a live object that describe its state, not what it runs.
LIVE_TOP_LEVEL_FIELDS: Final[frozenset[str]] = frozenset({"status"})

# --- embedded programs -------------------------------------------------------------------------

# Interpreter basenames (after stripping a version suffix like python3.11) -> language.
PYTHON_INTERPRETERS: Final[frozenset[str]] = frozenset({"python", "python3", "python2"})
SHELL_INTERPRETERS: Final[frozenset[str]] = frozenset({"bash", "sh", "dash", "ash", "ksh", "zsh"})

# pip options that change only what pip prints or caches, never what gets installed.
PIP_OUTPUT_ONLY_OPTIONS: Final[frozenset[str]] = frozenset(
    {
        "--quiet",
        "--verbose",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--no-color",
        "--progress-bar",
        "--root-user-action",
        "--no-input",
        "--no-warn-script-location",
        "--no-python-version-warning",
        "--log",
        "--timeout",
        "--retries",
    }
)
PIP_OPTION_ALIASES: Final[dict[str, str]] = {
    "-q": "--quiet",
    "-v": "--verbose",
    "-U": "--upgrade",
    "-r": "--requirement",
    "-c": "--constraint",
    "-e": "--editable",
    "-i": "--index-url",
    "-f": "--find-links",
    "-t": "--target",
}
# pip install options that take a value (as the next word or after `=`).
PIP_OPTIONS_WITH_VALUE: Final[frozenset[str]] = frozenset(
    {
        "--requirement",
        "--constraint",
        "--editable",
        "--index-url",
        "--extra-index-url",
        "--find-links",
        "--target",
        "--prefix",
        "--root",
        "--progress-bar",
        "--root-user-action",
        "--log",
        "--timeout",
        "--retries",
        "--platform",
        "--python-version",
        "--implementation",
        "--abi",
        "--trusted-host",
        "--upgrade-strategy",
        "--only-binary",
        "--no-binary",
        "--cache-dir",
        "--src",
        "--report",
        "--proxy",
        "--cert",
        "--client-cert",
        "--config-settings",
        "--global-option",
    }
)

# --- object kinds ------------------------------------------------------------------------------
# The tables above are indexed by the *kind* of object holding a field (Argo/Kubernetes type
# names in lowerCamel). A mapping's kind comes from its parent's kind and its field name, first
# through CHILD_KINDS, then FIELD_KINDS, else the field name itself; a list item's through
# ITEM_KINDS.

CONTAINER_KINDS: Final[frozenset[str]] = frozenset({"container", "script"})

CHILD_KINDS: Final[dict[tuple[str, str], str]] = {
    ("object", "metadata"): "objectMeta",
    ("cronWorkflowSpec", "workflowSpec"): "workflowSpec",
    ("cronWorkflowSpec", "workflowMetadata"): "objectMeta",
    ("workflowSpec", "podMetadata"): "podMeta",
    ("workflowSpec", "workflowMetadata"): "objectMeta",
    ("workflowSpec", "templateDefaults"): "template",
    ("template", "metadata"): "podMeta",
    ("template", "container"): "container",
    ("template", "script"): "script",
    ("template", "resource"): "resourceTemplate",
    ("containerSet", "retryStrategy"): "containerSetRetryStrategy",
    ("volume", "secret"): "secretVolume",
    ("volume", "configMap"): "configMapVolume",
    ("pvc", "metadata"): "objectMeta",
    ("pvc", "spec"): "pvcSpec",
    ("pvcSpec", "resources"): "volumeResources",
}
FIELD_KINDS: Final[dict[str, str]] = {
    "withSequence": "sequence",
    "retryStrategy": "retryStrategy",
    "persistentVolumeClaim": "persistentVolumeClaim",
}
ITEM_KINDS: Final[dict[str, str]] = {
    "templates": "template",
    "tasks": "dagTask",
    "steps": "workflowStep",
    "parameters": "parameter",
    "artifacts": "artifact",
    "env": "envVar",
    "volumes": "volume",
    "volumeMounts": "volumeMount",
    "containers": "container",
    "initContainers": "container",
    "sidecars": "container",
    "ports": "containerPort",
    "volumeClaimTemplates": "pvc",
}
# The spec's kind for each top-level kind of document.
SPEC_KINDS: Final[dict[str, str]] = {
    "Workflow": "workflowSpec",
    "WorkflowTemplate": "workflowSpec",
    "ClusterWorkflowTemplate": "workflowSpec",
    "CronWorkflow": "cronWorkflowSpec",
}
# Mappings that hold labels and annotations (what PRODUCT.md calls metadata).
METADATA_KINDS: Final[frozenset[str]] = frozenset({"objectMeta", "podMeta"})
# Fields holding a YAML or JSON document as a string: compared as the data they hold.
EMBEDDED_DOCUMENT_FIELDS: Final[frozenset[tuple[str, str]]] = frozenset(
    {("resourceTemplate", "manifest"), ("template", "podSpecPatch"), ("workflowSpec", "podSpecPatch")}
)
