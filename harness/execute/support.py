"""What the executors run: one table, read by the local executors' check and the cluster executor's.

Every field of a Workflow the local executors (``local``, ``docker``) meet is in one of three
groups (:class:`Support`): *run* (it changes what runs, and they do it), *ignored* (it only
affects scheduling, bookkeeping or permissions on the Kubernetes API, none of which exist in a
local run, so running without it is faithful), or *not run*: the workflow is then reported as
unsupported and nothing runs, because a run that skipped an exit handler or a retry would be
evidence of the wrong thing. A field the table does not list is not run either.

The cluster executor runs what Argo runs. What it cannot give a workflow is what a run's fresh
namespace lacks (WorkflowTemplates, ConfigMaps, an artifact repository...): the rules of those
fields carry the cluster executor's reason too (:attr:`SupportRule.cluster`). Fields the local executors
ignore that a small kind/k3d cluster may not satisfy carry the note it adds
(:attr:`SupportRule.cluster_note`).

The table is indexed by the kind of object holding a field, in :mod:`harness.spec.fields`' names
(``workflowSpec``, ``template``, ``container``...); :data:`ANY_KIND` holds the fields whose rule is
the same wherever they stand. The checks that read it: :mod:`harness.execute.check`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from harness.spec import depends, fields, tags


class Support(StrEnum):
    RUN = "run"
    IGNORED = "ignored"
    NOT_RUN = "not run"


# What a fresh namespace cannot give: the cluster executor's reason, from the mapping holding the
# field (None: it can, this time).
ClusterRefusal = Callable[[Mapping[str, Any]], str | None]


@dataclass(frozen=True, slots=True)
class SupportRule:
    """How the executors treat one field."""

    local: Support
    why: str = ""  # shown to users when the local executors do not run it: "spec.onExit: exit handlers"
    cluster: ClusterRefusal | None = None  # None: Argo runs it on the cluster
    cluster_note: str = ""  # the cluster runs it, but a small cluster may not satisfy it


RUN: Final = SupportRule(Support.RUN)
IGNORED: Final = SupportRule(Support.IGNORED)
# The reason for a field the table does not list.
NOT_RUN_WHY: Final = "not run by this executor"


def not_run(why: str, cluster: ClusterRefusal | None = None) -> SupportRule:
    return SupportRule(Support.NOT_RUN, why, cluster)


# --- what a fresh namespace cannot give --------------------------------------------------------------


def _workflow_template(owner: Mapping[str, Any]) -> str:
    ref = owner.get("templateRef") or owner.get("workflowTemplateRef") or {}
    return f"WorkflowTemplate {ref.get('name')!r}: not installed in the run's fresh namespace"


def _named(key: str, message: str) -> ClusterRefusal:
    """A refusal for ``key`` holding a reference ``{name: ...}``: ``message`` names it."""

    def refusal(owner: Mapping[str, Any]) -> str | None:
        ref = owner.get(key)
        return message.format(name=ref.get("name")) if isinstance(ref, Mapping) else None

    return refusal


def _container_set(owner: Mapping[str, Any]) -> str | None:
    if not isinstance(owner.get("containerSet"), Mapping):
        return None
    return (
        f"containerSet template {owner.get('name')!r}: its containers' logs are not read "
        "(the executor reads each pod's container main)"
    )


NO_REPOSITORY: Final = "no artifact repository is configured for the parity cluster"


def _artifacts(owner: Mapping[str, Any]) -> str | None:
    return f"artifacts: {NO_REPOSITORY}" if owner.get("artifacts") else None


def _archived_logs(owner: Mapping[str, Any]) -> str | None:
    location = owner.get("archiveLocation")
    archived = owner.get("archiveLogs") is True or (isinstance(location, Mapping) and set(location) - {"archiveLogs"})
    return f"archived logs: {NO_REPOSITORY}" if archived else None


_CONFIG_MAP = "ConfigMap {name!r}: not created in the run's fresh namespace"
_SCHEDULING: Final = SupportRule(
    Support.IGNORED,
    cluster_note=(
        "ignored by the local executors; this cluster may not satisfy it (a pod that stays "
        "unschedulable or cannot pull its image ends the run with an error)"
    ),
)

# Who a pod's processes are to the Kubernetes API: on the workflow, or on one template.
_API_ACCESS: Final = dict.fromkeys(("serviceAccountName", "automountServiceAccountToken", "executor"), IGNORED)

# A container template's container; a script template's script adds `source`.
_CONTAINER: Final[Mapping[str, SupportRule]] = {
    **dict.fromkeys(("image", "command", "args", "env", "workingDir", "volumeMounts"), RUN),
    **dict.fromkeys(
        (
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
        ),
        IGNORED,
    ),
}

# --- the table -------------------------------------------------------------------------------------

ANY_KIND: Final = "*"

SUPPORT: Final[Mapping[str, Mapping[str, SupportRule]]] = {
    # Wherever they stand (steps and tasks, the workflow, templates, inputs and outputs...). The
    # cluster executor looks for these in this order.
    ANY_KIND: {
        "templateRef": not_run("templates from a WorkflowTemplate", _workflow_template),
        "workflowTemplateRef": not_run("WorkflowTemplate references", _workflow_template),
        "configMapKeyRef": not_run("env from configMapKeyRef", _named("configMapKeyRef", _CONFIG_MAP)),
        "configMapRef": not_run("envFrom", _named("configMapRef", _CONFIG_MAP)),
        "secretRef": not_run(
            "envFrom", _named("secretRef", "envFrom Secret {name!r}: only secretKeyRef env vars get a Secret")
        ),
        "containerSet": not_run("container sets", _container_set),
        "artifacts": not_run("artifacts from a repository", _artifacts),
        "onExit": not_run("exit handlers"),
        "hooks": not_run("lifecycle hooks"),
        "retryStrategy": not_run("retries"),
        "when": not_run("conditional steps"),
        "withParam": not_run("loops over a parameter"),
        "withSequence": not_run("loops over a sequence"),
        "continueOn": not_run("continueOn"),
        "inline": not_run("inline templates"),
        "templateDefaults": not_run("template defaults"),
        "podSpecPatch": not_run("pod spec patches"),
        "securityContext": not_run("security contexts (the pod runs as the image's user)"),
        "initContainers": not_run("init containers"),
        "sidecars": not_run("sidecars"),
        "envFrom": not_run("envFrom"),
        "memoize": not_run("memoization"),
        "timeout": not_run("template timeouts"),
        "daemon": not_run("daemon templates"),
        "resource": not_run("resource templates"),
        "suspend": not_run("suspend templates"),
        "http": not_run("http templates"),
        "plugin": not_run("plugin templates"),
        "data": not_run("data templates"),
        "target": not_run("DAG targets"),
        "parameters": not_run("output parameters"),  # inputs and arguments run theirs
    },
    "workflowSpec": {
        **dict.fromkeys(
            (
                "entrypoint",
                "templates",
                "arguments",
                "volumes",
                "volumeClaimTemplates",
                "activeDeadlineSeconds",
                "parallelism",
            ),
            RUN,
        ),
        **_API_ACCESS,
        # where and when pods are scheduled, and what they pull images with
        **dict.fromkeys(fields.POD_SCHEDULING_FIELDS, _SCHEDULING),
        **dict.fromkeys(("podPriority", "priority", "hostAliases", "dnsPolicy", "dnsConfig"), IGNORED),
        # what happens after the run: garbage collection, archiving, retention
        "archiveLogs": SupportRule(Support.IGNORED, cluster=_archived_logs),
        **dict.fromkeys(
            (
                "ttlStrategy",
                "podGC",
                "volumeClaimGC",
                "artifactGC",
                "workflowMetadata",
                "podMetadata",
                "podDisruptionBudget",
                "metrics",
                "shutdown",
                "synchronization",
            ),
            IGNORED,
        ),
    },
    "template": {
        **dict.fromkeys(
            (
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
            ),
            RUN,
        ),
        **_API_ACCESS,
        **dict.fromkeys(fields.TEMPLATE_SCHEDULING_FIELDS, _SCHEDULING),
        **dict.fromkeys(("metadata", "priority", "synchronization", "metrics"), IGNORED),
        "archiveLocation": SupportRule(Support.IGNORED, cluster=_archived_logs),
    },
    "container": _CONTAINER,
    "script": {**_CONTAINER, "source": RUN},
    "workflowStep": dict.fromkeys(("name", "template", "arguments", "withItems"), RUN),
    "dagTask": dict.fromkeys(("name", "template", "arguments", "withItems", "dependencies", "depends"), RUN),
    "dag": dict.fromkeys(("tasks", "failFast"), RUN),
    "arguments": {"parameters": RUN},
    "inputs": {"parameters": RUN},
    "outputs": dict.fromkeys(("result", "exitCode"), RUN),
    "parameter": dict.fromkeys(("name", "value", "default", "enum", "description"), RUN),  # an input's
    "volumeMount": dict.fromkeys(("name", "mountPath", "readOnly", "subPath"), RUN),
    # Volume sources both kinds of executors give the same behaviour: an existing claim (a fresh
    # empty directory, or claim, shared by every pod of the run that mounts it) and a pod's scratch
    # directory. Any other source is not run by either.
    "volume": dict.fromkeys(("name", "persistentVolumeClaim", "emptyDir"), RUN),
}


def rule(kind: str, field: str) -> SupportRule | None:
    """The rule for ``field`` in an object of ``kind``: the kind's own, else one that holds
    anywhere; None when the table does not list it (the local executors do not run it)."""
    return SUPPORT.get(kind, {}).get(field) or SUPPORT[ANY_KIND].get(field)


def local_refusal(kind: str, field: str) -> str | None:
    """Why the local executors do not run ``field`` of a ``kind`` object; None when they run or
    ignore it."""
    found = rule(kind, field)
    if found is None:
        return NOT_RUN_WHY
    if found.local is Support.NOT_RUN:
        return found.why or NOT_RUN_WHY
    return None


# The fields the cluster executor refuses where a fresh namespace cannot give them, by field name:
# it looks for them in every object of the manifest.
CLUSTER_REFUSALS: Final[Mapping[str, ClusterRefusal]] = {
    field: found.cluster for by_field in SUPPORT.values() for field, found in by_field.items() if found.cluster
}

# The volume sources every executor provides (the "volume" kind's sources).
VOLUME_SOURCES: Final = tuple(field for field in SUPPORT["volume"] if field != "name")

# --- template types --------------------------------------------------------------------------------

# Template types the local executors run as a pod, and the ones that run other templates.
POD_TEMPLATE_TYPES: Final = ("container", "script")
GROUP_TEMPLATE_TYPES: Final = ("steps", "dag")

# --- env ---------------------------------------------------------------------------------------------

# fieldRef paths a pod's env may read locally (the pod's name, the workflow's namespace).
FIELD_REFS: Final = ("metadata.name", "metadata.namespace")

# --- DAG dependencies ----------------------------------------------------------------------------------
# Argo's grammar, bare-name meaning and continueOn expansion live in harness.spec.depends: the
# executors evaluate the whole expression (a task whose condition is false once the tasks it names
# have finished is Omitted and does not run).


def task_dependencies(task: Mapping[str, Any]) -> tuple[str, ...]:
    """The tasks a DAG task waits for (every task its ``depends`` or ``dependencies`` names);
    a malformed expression raises ValueError (:class:`harness.spec.depends.DependsError`) saying
    what is wrong, which the feature check reports."""
    condition = depends.task_condition(task)
    return () if condition is None else depends.tasks_of(condition)


def task_condition(task: Mapping[str, Any], tasks: Mapping[str, Mapping[str, Any]]) -> depends.Expression | None:
    """A DAG task's condition with bare names expanded by the named tasks' ``continueOn`` (None:
    it waits for nothing). ValueError for a malformed one."""
    condition = depends.task_condition(task)
    if condition is None:
        return None
    continue_on = {name: tasks[name].get("continueOn") for name in depends.tasks_of(condition) if name in tasks}
    return depends.expand(condition, continue_on)


# --- variables ---------------------------------------------------------------------------------------

# The variables the local executors give a value (spec.tags' notation, a subset of
# tags.VARIABLES); any other tag Argo acts on is reported as unsupported, and the workflow does not
# run. `retries` has a value only in a template with a retryStrategy, which they do not run:
# everywhere else Argo leaves it as written, and so do they.
SUPPORTED_VARIABLES: Final = frozenset(
    {
        "inputs.parameters.<NAME>",
        "workflow.name",
        "workflow.namespace",
        "workflow.serviceAccountName",
        "workflow.parameters.<NAME>",
        "pod.name",
        "item",
        "item.<NAME>",
        "steps.<NAME>.outputs.result",
        "steps.<NAME>.exitCode",
        "tasks.<NAME>.outputs.result",
        "tasks.<NAME>.exitCode",
        "retries",
    }
)
SUPPORTED_TAG: Final = tags.pattern(SUPPORTED_VARIABLES)
