"""What Argo Workflows and Kubernetes say about their fields, as tables.

Each table says why it exists and which upstream type it mirrors. Where the facts come from:

- Argo's API types, ``pkg/apis/workflow/v1alpha1`` (``workflow_types.go``,
  ``cron_workflow_types.go``), and the labels and annotations in ``workflow/common/common.go``;
- Kubernetes' API types, ``k8s.io/api`` ``core/v1`` and ``policy/v1``, with their defaults
  (``pkg/apis/core/v1/defaults.go``) and the strategic-merge keys on list fields
  (``patchMergeKey``) that make list items keyed;
- the generated models in ``hera.workflows.models`` (both of the above, from Argo's OpenAPI
  document): tests/test_spec_fields.py checks the type tables against them.

The logic that reads the tables is in the stages: the canonical form (``harness.normalize``), the
differ (``harness.diff``) and the executors (``harness.execute``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

from harness.spec.naming import POD_NAME_FORMAT_ANNOTATION
from harness.spec.tags import OPEN as TAG_OPEN

# --- the API -------------------------------------------------------------------------------------

# Argo's custom resources: API group and version (pkg/apis/workflow/register.go, v1alpha1), and
# the plural a Workflow is served under. Not the Argo release a cluster runs
# (harness.argo.provision.ARGO_RELEASE).
ARGO_GROUP: Final[str] = "argoproj.io"
ARGO_API_VERSION: Final[str] = "v1alpha1"
WORKFLOW_API_VERSION: Final[str] = f"{ARGO_GROUP}/{ARGO_API_VERSION}"  # a manifest's apiVersion
WORKFLOW_PLURAL: Final[str] = "workflows"
# The label whose value is a workflow's name, on the pods the controller creates for it
# (workflow/common/common.go LabelKeyWorkflow).
WORKFLOW_LABEL: Final[str] = "workflows.argoproj.io/workflow"

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

# Lists Argo or Kubernetes treat as sets: neither order nor repetition changes anything. (A DAG
# task's `dependencies` is one too, but it is read with `depends` by harness/normalize/dag.py.)
SET_LIKE_LISTS: Final[frozenset[str]] = frozenset(
    {
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

# --- presence ----------------------------------------------------------------------------------

# An empty mapping or list equals an absent one (Go's omitempty), except under these keys where
# presence is the whole meaning: `emptyDir: {}` is a volume, `suspend: {}` a suspend template,
# `none: {}` / `tar: {}` an archive strategy, `retryStrategy: {}` retries without a limit.
PRESENCE_SIGNIFICANT: Final[frozenset[str]] = frozenset(
    {"emptyDir", "suspend", "none", "tar", "zip", "retryStrategy", "raw", "steps", "dag", "data"}
)

# --- defaults ----------------------------------------------------------------------------------

# Defaults Kubernetes or the Argo controller fill in when a field is absent, by the kind of
# object holding the field (see "object kinds" below). A field equal to its default equals an
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


def default_pull_policy(image: str) -> str | None:
    """Kubernetes: ``Always`` for ``:latest`` or no tag, ``IfNotPresent`` otherwise (digests too)
    (pkg/apis/core/v1/defaults.go ``SetDefaults_Container``).

    None for an image Argo fills in at run time (``{{...}}``): its tag is unknown.
    """
    if TAG_OPEN in image or "$(" in image:
        return None
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "Always"
    return "Always" if last.rsplit(":", 1)[1] == "latest" else "IfNotPresent"


# --- types -------------------------------------------------------------------------------------

# intstr.IntOrString fields, by (kind of holder, field): "2" and 2 are the same value. Checked
# against hera.workflows.models for every kind in UPSTREAM_TYPES (tests/test_spec_fields.py).
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

# Integer fields (Go int32/int64), by (kind of holder, field). Argo's controller decodes a
# workflow into Go structs, so a string there ("4", "{{inputs.parameters.n}}") or a boolean is
# refused: the workflow is never accepted (json: cannot unmarshal string into Go struct field
# WorkflowSpec.spec.parallelism of type int64). Complete for every kind in UPSTREAM_TYPES, checked
# against hera.workflows.models (tests/test_spec_fields.py).
INTEGER_FIELDS: Final[frozenset[tuple[str, str]]] = frozenset(
    {
        ("workflowSpec", "activeDeadlineSeconds"),  # v1alpha1.WorkflowSpec (int64; a template's is IntOrString)
        ("workflowSpec", "parallelism"),
        ("workflowSpec", "priority"),
        ("template", "parallelism"),  # v1alpha1.Template.parallelism
        ("cronWorkflowSpec", "startingDeadlineSeconds"),  # v1alpha1.CronWorkflowSpec
        ("cronWorkflowSpec", "successfulJobsHistoryLimit"),
        ("cronWorkflowSpec", "failedJobsHistoryLimit"),
        ("ttlStrategy", "secondsAfterCompletion"),  # v1alpha1.TTLStrategy
        ("ttlStrategy", "secondsAfterFailure"),
        ("ttlStrategy", "secondsAfterSuccess"),
        ("http", "timeoutSeconds"),  # v1alpha1.HTTP (http templates)
        ("containerPort", "containerPort"),  # core/v1 ContainerPort
        ("containerPort", "hostPort"),
        ("secretVolume", "defaultMode"),  # core/v1 SecretVolumeSource
        ("configMapVolume", "defaultMode"),  # core/v1 ConfigMapVolumeSource
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

# The upstream type of each kind the type tables above speak of, as Argo (``v1alpha1``) and
# Kubernetes (``core/v1``, ``policy/v1``) name it: what the tables are checked against.
UPSTREAM_TYPES: Final[dict[str, str]] = {
    "workflowSpec": "v1alpha1.WorkflowSpec",
    "cronWorkflowSpec": "v1alpha1.CronWorkflowSpec",
    "template": "v1alpha1.Template",
    "retryStrategy": "v1alpha1.RetryStrategy",
    "backoff": "v1alpha1.Backoff",
    "containerSetRetryStrategy": "v1alpha1.ContainerSetRetryStrategy",
    "sequence": "v1alpha1.Sequence",
    "ttlStrategy": "v1alpha1.TTLStrategy",
    "http": "v1alpha1.HTTP",
    "podDisruptionBudget": "policy/v1.PodDisruptionBudgetSpec",
    "httpGet": "core/v1.HTTPGetAction",
    "tcpSocket": "core/v1.TCPSocketAction",
    "containerPort": "core/v1.ContainerPort",
    "secretVolume": "core/v1.SecretVolumeSource",
    "configMapVolume": "core/v1.ConfigMapVolumeSource",
    "emptyDir": "core/v1.EmptyDirVolumeSource",
    "resourceFieldRef": "core/v1.ResourceFieldSelector",
}

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
# Labels the Argo controller and server add to a submitted Workflow (workflow/common/common.go).
# Not CONTROLLER_INSTANCE_ID_LABEL: a user sets it to pick the controller.
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
        WORKFLOW_LABEL,
        "workflows.argoproj.io/rerun-at",
    }
)
CONTROLLER_ANNOTATIONS: Final[frozenset[str]] = frozenset(
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        POD_NAME_FORMAT_ANNOTATION,
        "workflows.argoproj.io/scheduled-time",
    }
)
# Top-level fields of a live object that describe its state, not what it runs.
LIVE_TOP_LEVEL_FIELDS: Final[frozenset[str]] = frozenset({"status"})

# --- metadata ----------------------------------------------------------------------------------

# Fields holding object metadata: an object's ObjectMeta, the metadata Argo puts on pods
# (WorkflowSpec.podMetadata, Template.metadata) and on workflows (workflowMetadata).
METADATA_FIELDS: Final[frozenset[str]] = frozenset({"metadata", "podMetadata", "workflowMetadata"})
# Their maps of labels and annotations: they name and describe objects, they change nothing that
# runs (except the label below).
METADATA_MAPS: Final[frozenset[str]] = frozenset({"labels", "annotations"})
# The label that picks which Argo controller runs a workflow at all (workflow/common/common.go
# LabelKeyControllerInstanceID).
CONTROLLER_INSTANCE_ID_LABEL: Final[str] = "workflows.argoproj.io/controller-instanceid"

# --- pods ----------------------------------------------------------------------------------------

# Fields that decide where a workflow's pods are scheduled and what they pull images with; Argo
# copies them to the pod spec (workflow/controller/workflowpod.go). A Template has these (for its
# pods) ...
TEMPLATE_SCHEDULING_FIELDS: Final[tuple[str, ...]] = (
    "nodeSelector",
    "tolerations",
    "affinity",
    "schedulerName",
    "priorityClassName",
)
# ... and a WorkflowSpec (for every pod) its own: all of them, as the executors look for them.
POD_SCHEDULING_FIELDS: Final[tuple[str, ...]] = (
    *TEMPLATE_SCHEDULING_FIELDS,
    "podPriorityClassName",
    "imagePullSecrets",
)

# Argo's emissary writes a script template's `source` here and appends the path to the
# container's args: `command + args + [SCRIPT_PATH]` (workflow/controller/workflowpod.go).
SCRIPT_PATH: Final[str] = "/argo/staging/script"

# --- templates -----------------------------------------------------------------------------------

# The types of a v1alpha1.Template (Template.GetType): a template has exactly one of these fields.
TEMPLATE_TYPES: Final[tuple[str, ...]] = (
    "container",
    "script",
    "steps",
    "dag",
    "resource",
    "suspend",
    "http",
    "plugin",
    "containerSet",
    "data",
)


# --- object kinds ------------------------------------------------------------------------------
# The tables above are indexed by the *kind* of object holding a field (Argo/Kubernetes type
# names in lowerCamel). A mapping's kind comes from its parent's kind and its field name
# (:func:`child_kind`); a list item's from its list's field name (:func:`item_kind`).

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
# Fields holding a YAML or JSON document as a string: compared as the data they hold.
EMBEDDED_DOCUMENT_FIELDS: Final[frozenset[tuple[str, str]]] = frozenset(
    {("resourceTemplate", "manifest"), ("template", "podSpecPatch"), ("workflowSpec", "podSpecPatch")}
)


def child_kind(parent: str, key: str) -> str:
    """The kind of the mapping under ``key`` in a ``parent`` object: CHILD_KINDS, then
    FIELD_KINDS, else the field name itself."""
    return CHILD_KINDS.get((parent, key)) or FIELD_KINDS.get(key) or key


def item_kind(key: str) -> str:
    """The kind of the items of the list under ``key``."""
    return ITEM_KINDS.get(key, key)


# --- integers, as Argo's controller decodes them ---------------------------------------------------


def misread_numbers(node: Any, kind: str, path: str) -> Iterator[str]:
    """Where ``node`` (an object of ``kind`` at ``path``) holds a value Argo cannot decode into an
    integer field: a string, a boolean, a fraction, or a value an IntOrString field cannot take
    (anything but an integer or a string). One message per such field, naming what Argo expects."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from misread_numbers(item, kind, f"{path}[{_label(item, index)}]")
        return
    if not isinstance(node, dict):
        return
    for raw_key, value in node.items():
        key = str(raw_key)
        where = f"{path}.{key}"
        if (kind, key) in INTEGER_FIELDS and value is not None and not _is_integer(value):
            yield f"{where}: {value!r} is not an integer, and Argo reads {key} as one: the workflow is refused"
        elif (kind, key) in INT_OR_STRING_FIELDS and value is not None:
            if not (_is_integer(value) or isinstance(value, str)):
                yield (
                    f"{where}: {value!r} is neither an integer nor a string, and Argo reads {key} as "
                    "one of these: the workflow is refused"
                )
        elif isinstance(value, dict):
            yield from misread_numbers(value, child_kind(kind, key), where)
        elif isinstance(value, list):
            yield from misread_numbers(value, item_kind(key), where)


def int_or_string(value: int | float | str) -> int:
    """An IntOrString field's value as Argo reads it where it needs the number (``intstr.Int`` of
    Argo's ``util/intstr``, e.g. a template's ``activeDeadlineSeconds`` when its pod is made, after
    its variables were substituted): an integer, or a string of one (``strconv.Atoi``). Raises
    ValueError with Argo's message for anything else (``"soon"``, ``"1.5"``, an unresolved tag)."""
    if _is_integer(value):
        return int(value)
    text = str(value)
    if isinstance(value, str) and _ATOI.fullmatch(text):
        return int(text)
    raise ValueError(f"value '{text}' cannot be resolved to an int")


_ATOI: Final = re.compile(r"[+-]?[0-9]+")


def _is_integer(value: Any) -> bool:
    # A float with no fraction reaches Argo as an integer (YAML and the API server write 4.0 as 4).
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _label(item: Any, index: int) -> str:
    name = item.get("name") if isinstance(item, dict) else None
    return name if isinstance(name, str) else str(index)
