"""A typed, tolerant model of a Workflow's ``status``: what Argo's controller reports about a run.

``WorkflowStatus.from_dict(obj)`` (the ArgoService improvement plan's contract: ``name`` and
``phase`` "" when absent, ``has_suspended_nodes``, ``start_time``/``end_time``, ``message``,
``raw_data``; the nodes, pods, failed nodes and durations are extras) reads a whole Workflow
object (the dict the Kubernetes API returns, or one loaded from YAML/JSON). Real objects are
untidy: some lack ``apiVersion``/``kind``, some nodes have no ``type`` or ``phase``, timestamps
may be missing or already parsed by a YAML loader, exit codes are strings, and a phase may be a
value Argo never defined. None of that raises: a phase Argo never defined is kept as its text
(``argo_phase`` is then ``ArgoPhase.UNKNOWN``), a field that cannot be read becomes None, and
each such repair is listed in ``problems`` so nothing is tolerated silently. Only an object that
is not a mapping at all is an error (``StatusError``), because there is nothing to read.

Field names follow Argo's ``WorkflowStatus`` and ``NodeStatus`` (pkg/apis/workflow/v1alpha1):
``phase``, ``startedAt``, ``finishedAt``, ``message``, ``progress``, ``nodes`` (by node id),
``persistentVolumeClaims``; per node ``id``, ``name``, ``displayName``, ``type``, ``phase``,
``templateName``, ``templateRef``, ``boundaryID``, ``children``, ``outputs.exitCode``,
``outputs.result``, ``outputs.parameters``.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from harness.spec import naming
from harness.spec.naming import fnv32a

__all__ = ["ArgoPhase", "NodeStatus", "NodeType", "StatusError", "WorkflowStatus", "fnv32a"]


class StatusError(ValueError):
    """The object cannot be read as a Workflow at all (it is not a mapping)."""


class ArgoPhase(StrEnum):
    """Argo's phases of a workflow (Pending to Error) and of a node (all of them).

    ``UNKNOWN`` stands for a phase text Argo does not define; the text itself is kept beside it.
    """

    PENDING = "Pending"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    ERROR = "Error"
    SKIPPED = "Skipped"  # a step whose `when` was false
    OMITTED = "Omitted"  # a DAG task that never ran because its dependencies did not allow it
    UNKNOWN = "Unknown"

    @property
    def finished(self) -> bool:
        return self in _FINISHED

    @property
    def failed(self) -> bool:
        return self in (ArgoPhase.FAILED, ArgoPhase.ERROR)


_FINISHED = frozenset({ArgoPhase.SUCCEEDED, ArgoPhase.FAILED, ArgoPhase.ERROR, ArgoPhase.SKIPPED, ArgoPhase.OMITTED})
_DEFINED_PHASES = {phase.value: phase for phase in ArgoPhase if phase is not ArgoPhase.UNKNOWN}


class NodeType(StrEnum):
    """Argo's node types. ``UNKNOWN`` stands for a type text Argo does not define."""

    POD = "Pod"
    CONTAINER = "Container"  # a container of a containerSet; runs in its boundary node's pod
    STEPS = "Steps"
    STEP_GROUP = "StepGroup"
    DAG = "DAG"
    TASK_GROUP = "TaskGroup"  # a DAG task with withItems/withParam: one child per item
    RETRY = "Retry"
    SKIPPED = "Skipped"
    SUSPEND = "Suspend"
    HTTP = "HTTP"
    PLUGIN = "Plugin"
    UNKNOWN = "Unknown"


_DEFINED_TYPES = {kind.value: kind for kind in NodeType if kind is not NodeType.UNKNOWN}


@dataclass(frozen=True)
class NodeStatus:
    """One node of a workflow: a pod, a steps or DAG group, a retry, a suspend...

    ``type`` and ``phase`` are None when the object does not have them (a node the controller has
    only just created has no phase yet); ``type_text``/``phase_text`` keep the original text when it
    was not one Argo defines.
    """

    id: str
    name: str
    display_name: str
    type: NodeType | None = None
    type_text: str | None = None
    phase: ArgoPhase | None = None
    phase_text: str | None = None
    template_name: str | None = None
    template_ref: tuple[str, str] | None = None  # (WorkflowTemplate name, template) from templateRef
    boundary_id: str | None = None
    children: tuple[str, ...] = ()
    message: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    progress: str | None = None
    exit_code: int | None = None  # outputs.exitCode
    result: str | None = None  # outputs.result: a script's stdout less one trailing newline
    parameters: Mapping[str, str] = field(default_factory=dict)  # outputs.parameters, name -> value
    inputs: Mapping[str, str] = field(default_factory=dict)  # inputs.parameters, name -> value

    @property
    def template(self) -> str | None:
        """The template this node ran: its own name, else the referenced WorkflowTemplate's."""
        if self.template_name:
            return self.template_name
        return self.template_ref[1] if self.template_ref else None

    @property
    def is_pod(self) -> bool:
        return self.type is NodeType.POD

    @property
    def is_active_suspend(self) -> bool:
        """A ``suspend`` template waiting to be resumed: type Suspend, phase Running. Argo's own
        test (``NodeStatus.IsActiveSuspendNode``, pkg/apis/workflow/v1alpha1/workflow_types.go);
        ``argo resume`` approves exactly these nodes, and ``has_suspended_nodes`` counts them."""
        return self.type is NodeType.SUSPEND and self.phase is ArgoPhase.RUNNING

    @property
    def is_finished(self) -> bool:
        return self.phase is not None and self.phase.finished

    @property
    def duration_s(self) -> float | None:
        """Seconds from start to finish; None while it runs or when a timestamp is missing."""
        return _seconds_between(self.started_at, self.finished_at)

    def pod_name(self, workflow_name: str, pod_name_format: str = naming.POD_NAME_V2) -> str:
        """The name of the pod this node ran in, as Argo derives it (:func:`harness.spec.naming.pod_name`).

        ``v1``: the node id as read. ``v2``: the workflow name for the root node (whose name, and
        id, is the workflow's), else ``<workflow>-<template>-<fnv32a(node name)>``; Argo's node
        ids are ``<workflow>-<the same hash>``. A containerSet container runs in the pod of its
        boundary node, whose name is not at hand: the hash is read from the boundary node's id.
        """
        boundary = self.boundary_id if self.type is NodeType.CONTAINER else None
        node_id = boundary or self.id
        if pod_name_format == naming.POD_NAME_V1:
            return node_id
        if workflow_name == node_id:
            return workflow_name
        if boundary:
            return (
                f"{naming.pod_name_prefix(workflow_name, self.template)}-{boundary.removeprefix(f'{workflow_name}-')}"
            )
        return naming.pod_name(workflow_name, self.name, self.template)


@dataclass(frozen=True)
class WorkflowStatus:
    """The status of one Workflow, with the metadata needed to interpret it.

    The plan's fields come first. ``name`` is "" when the object has none. ``phase`` is the phase
    as Argo wrote it ("" for a workflow the controller has not picked up yet): an ``ArgoPhase``
    member (a str) when Argo defines it, else the text itself; ``argo_phase`` is the typed view.
    ``has_suspended_nodes``: a node is waiting at a ``suspend`` template (``NodeStatus.
    is_active_suspend``). ``raw_data`` is the object read. ``message`` is "" when absent.

    Extras: ``nodes`` maps node id to ``NodeStatus`` in the object's order. ``volume_claims`` maps
    a ``volumeClaimTemplates`` volume to the claim Argo created for it (``persistentVolumeClaims``).
    ``problems`` lists what could not be read as Argo defines it and how it was read instead.
    """

    name: str = ""
    phase: str = ""
    has_suspended_nodes: bool = False
    start_time: datetime | None = None
    end_time: datetime | None = None
    message: str | None = None
    raw_data: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    namespace: str | None = None
    progress: str | None = None
    nodes: Mapping[str, NodeStatus] = field(default_factory=dict)
    volume_claims: Mapping[str, str] = field(default_factory=dict)
    pod_name_format: str = naming.POD_NAME_V2
    resource_version: str | None = None
    problems: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Any) -> WorkflowStatus:
        """Read a whole Workflow object (``metadata`` and ``status``; ``spec`` is not needed)."""
        obj = data
        if not isinstance(obj, Mapping):
            raise StatusError(f"a Workflow object must be a mapping, not {type(obj).__name__}")
        return _Reader().workflow(obj)

    # --- what a user asks of a status ---------------------------------------------------------

    @property
    def argo_phase(self) -> ArgoPhase | None:
        """The phase, typed: None when there is none yet, ``UNKNOWN`` for text Argo never defined."""
        if not self.phase:
            return None
        return _DEFINED_PHASES.get(self.phase, ArgoPhase.UNKNOWN)

    @property
    def is_finished(self) -> bool:
        """Whether the workflow reached a final phase (Succeeded, Failed or Error)."""
        return self.argo_phase in (ArgoPhase.SUCCEEDED, ArgoPhase.FAILED, ArgoPhase.ERROR)

    @property
    def duration_s(self) -> float | None:
        return _seconds_between(self.start_time, self.end_time)

    def suspended_nodes(self) -> tuple[NodeStatus, ...]:
        """The nodes waiting at a ``suspend`` template (what ``argo resume`` approves)."""
        return tuple(node for node in self.nodes.values() if node.is_active_suspend)

    def node(self, key: str) -> NodeStatus | None:
        """The node with this id, or else with this (full) name."""
        found = self.nodes.get(key)
        if found is not None:
            return found
        return next((node for node in self.nodes.values() if node.name == key), None)

    def node_by_display_name(self, display_name: str) -> NodeStatus | None:
        """The first node shown under this name (retries of a node share it: ``step1(0)``, ``step1(1)``)."""
        return next((node for node in self.nodes.values() if node.display_name == display_name), None)

    def pods(self) -> tuple[NodeStatus, ...]:
        """The nodes that ran a pod (type Pod)."""
        return tuple(node for node in self.nodes.values() if node.type is NodeType.POD)

    def failed_nodes(self) -> tuple[NodeStatus, ...]:
        """Nodes in phase Failed or Error, pods and groups alike."""
        return tuple(node for node in self.nodes.values() if node.phase is not None and node.phase.failed)

    def root(self) -> NodeStatus | None:
        """The entrypoint's node: its id is the workflow's name."""
        if self.name and self.name in self.nodes:
            return self.nodes[self.name]
        return None

    def children(self, node: NodeStatus) -> tuple[NodeStatus, ...]:
        return tuple(self.nodes[child] for child in node.children if child in self.nodes)

    def pod_name(self, node: NodeStatus) -> str:
        """The pod ``node`` ran in (see ``NodeStatus.pod_name``)."""
        if not self.name:
            raise StatusError("the workflow has no metadata.name, so its pods' names cannot be derived")
        return node.pod_name(self.name, self.pod_name_format)


# --- reading ------------------------------------------------------------------------------------------


class _Reader:
    """Reads one object, collecting every repair it makes into ``problems``."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def workflow(self, obj: Mapping[str, Any]) -> WorkflowStatus:
        kind = obj.get("kind")
        if kind is not None and kind != "Workflow":
            self.problems.append(f"kind is {kind!r}, not 'Workflow': read as a Workflow's status anyway")
        metadata = self.mapping(obj.get("metadata"), "metadata")
        status = self.mapping(obj.get("status"), "status")
        annotations = self.mapping(metadata.get("annotations"), "metadata.annotations")
        phase, phase_text = self.phase(status.get("phase"), "status.phase")
        nodes_data = self.nodes_data(status)
        nodes = {
            str(key): self.node(str(key), value)
            for key, value in nodes_data.items()
            if self.is_mapping(value, f"status.nodes[{key}]")
        }
        pod_name_format = annotations.get(naming.POD_NAME_FORMAT_ANNOTATION)
        return WorkflowStatus(
            name=self.text(metadata.get("name"), "metadata.name") or "",
            # The member when Argo defines the phase (a str, and `is` comparable), else the text.
            phase=phase if phase is not None and phase is not ArgoPhase.UNKNOWN else (phase_text or ""),
            has_suspended_nodes=any(node.is_active_suspend for node in nodes.values()),
            start_time=self.time(status.get("startedAt"), "status.startedAt"),
            end_time=self.time(status.get("finishedAt"), "status.finishedAt"),
            message=self.text(status.get("message"), "status.message") or "",
            raw_data=obj,
            namespace=self.text(metadata.get("namespace"), "metadata.namespace"),
            progress=self.text(status.get("progress"), "status.progress"),
            nodes=nodes,
            volume_claims=self.volume_claims(status.get("persistentVolumeClaims")),
            pod_name_format=naming.POD_NAME_V1 if pod_name_format == naming.POD_NAME_V1 else naming.POD_NAME_V2,
            resource_version=self.text(metadata.get("resourceVersion"), "metadata.resourceVersion"),
            problems=tuple(self.problems),
        )

    def nodes_data(self, status: Mapping[str, Any]) -> Mapping[str, Any]:
        if status.get("nodes") is not None:
            return self.mapping(status.get("nodes"), "status.nodes")
        compressed = status.get("compressedNodes")
        if isinstance(compressed, str) and compressed:
            # Argo gzips and base64-encodes the node map when the object grows too large.
            try:
                data = json.loads(gzip.decompress(base64.b64decode(compressed)))
            except (binascii.Error, OSError, EOFError, zlib.error, ValueError) as exc:
                self.problems.append(f"status.compressedNodes could not be decoded ({exc}): no nodes read")
                return {}
            return self.mapping(data, "status.compressedNodes")
        if status.get("offloadNodeStatusVersion"):
            self.problems.append("status.nodes are offloaded to Argo's database: no nodes read")
        return {}

    def node(self, key: str, data: Mapping[str, Any]) -> NodeStatus:
        where = f"status.nodes[{key}]"
        node_id = self.text(data.get("id"), f"{where}.id") or key
        name = self.text(data.get("name"), f"{where}.name") or node_id
        phase, phase_text = self.phase(data.get("phase"), f"{where}.phase")
        node_type, type_text = self.node_type(data.get("type"), f"{where}.type")
        outputs = self.mapping(data.get("outputs"), f"{where}.outputs")
        inputs = self.mapping(data.get("inputs"), f"{where}.inputs")
        ref = self.mapping(data.get("templateRef"), f"{where}.templateRef")
        template_ref = (str(ref.get("name") or ""), str(ref["template"])) if ref.get("template") else None
        return NodeStatus(
            id=node_id,
            name=name,
            display_name=self.text(data.get("displayName"), f"{where}.displayName") or name,
            type=node_type,
            type_text=type_text,
            phase=phase,
            phase_text=phase_text,
            template_name=self.text(data.get("templateName"), f"{where}.templateName"),
            template_ref=template_ref,
            boundary_id=self.text(data.get("boundaryID"), f"{where}.boundaryID"),
            children=self.names(data.get("children"), f"{where}.children"),
            message=self.text(data.get("message"), f"{where}.message"),
            started_at=self.time(data.get("startedAt"), f"{where}.startedAt"),
            finished_at=self.time(data.get("finishedAt"), f"{where}.finishedAt"),
            progress=self.text(data.get("progress"), f"{where}.progress"),
            exit_code=self.exit_code(outputs.get("exitCode"), f"{where}.outputs.exitCode"),
            result=self.text(outputs.get("result"), f"{where}.outputs.result"),
            parameters=self.parameters(outputs.get("parameters"), f"{where}.outputs.parameters"),
            inputs=self.parameters(inputs.get("parameters"), f"{where}.inputs.parameters"),
        )

    # --- fields ---------------------------------------------------------------------------------

    def is_mapping(self, value: Any, where: str) -> bool:
        if isinstance(value, Mapping):
            return True
        self.problems.append(f"{where} is a {type(value).__name__}, not a mapping: ignored")
        return False

    def mapping(self, value: Any, where: str) -> Mapping[str, Any]:
        if value is None:
            return {}
        return value if self.is_mapping(value, where) else {}

    def text(self, value: Any, where: str) -> str | None:
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool | int | float):
            return str(value)
        self.problems.append(f"{where} is a {type(value).__name__}, not text: ignored")
        return None

    def names(self, value: Any, where: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, list):
            return tuple(str(item) for item in value if item is not None)
        self.problems.append(f"{where} is a {type(value).__name__}, not a list: ignored")
        return ()

    def phase(self, value: Any, where: str) -> tuple[ArgoPhase | None, str | None]:
        if value is None or value == "":
            return None, None  # not set yet: the controller has not got to it
        text = str(value)
        phase = _DEFINED_PHASES.get(text)
        if phase is None:
            self.problems.append(f"{where} {text!r} is not an Argo phase: read as Unknown")
            return ArgoPhase.UNKNOWN, text
        return phase, text

    def node_type(self, value: Any, where: str) -> tuple[NodeType | None, str | None]:
        if value is None or value == "":
            return None, None
        text = str(value)
        node_type = _DEFINED_TYPES.get(text)
        if node_type is None:
            self.problems.append(f"{where} {text!r} is not an Argo node type: read as Unknown")
            return NodeType.UNKNOWN, text
        return node_type, text

    def time(self, value: Any, where: str) -> datetime | None:
        if value is None or value == "":
            return None
        if isinstance(value, datetime):  # a YAML loader already parsed it
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                pass
            else:
                return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        self.problems.append(f"{where} {value!r} is not a timestamp: ignored")
        return None

    def exit_code(self, value: Any, where: str) -> int | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            self.problems.append(f"{where} {value!r} is not an exit code: ignored")
            return None
        try:
            return int(value)  # Argo stores it as a string: "1"
        except (TypeError, ValueError):
            self.problems.append(f"{where} {value!r} is not an exit code: ignored")
            return None

    def parameters(self, value: Any, where: str) -> dict[str, str]:
        found: dict[str, str] = {}
        for item in self.items(value, where):
            name, parameter_value = item.get("name"), item.get("value")
            if isinstance(name, str) and parameter_value is not None:
                found[name] = parameter_value if isinstance(parameter_value, str) else json.dumps(parameter_value)
        return found

    def volume_claims(self, value: Any) -> dict[str, str]:
        claims: dict[str, str] = {}
        for item in self.items(value, "status.persistentVolumeClaims"):
            claim = item.get("persistentVolumeClaim")
            if isinstance(item.get("name"), str) and isinstance(claim, Mapping) and claim.get("claimName"):
                claims[item["name"]] = str(claim["claimName"])
        return claims

    def items(self, value: Any, where: str) -> Iterator[Mapping[str, Any]]:
        if value is None:
            return
        if not isinstance(value, list):
            self.problems.append(f"{where} is a {type(value).__name__}, not a list: ignored")
            return
        yield from (item for item in value if isinstance(item, Mapping))


def _seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()
