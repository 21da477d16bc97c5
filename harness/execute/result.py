"""What one execution of a workflow produced: plain, picklable, JSON-ready data.

Every executor returns a ``WorkflowRun``; ``harness.execute.parity`` compares two of them. Nothing
here holds a secret value: env values resolved from a ``secretKeyRef`` are named by reference only
(``secrets_used``), and whatever a script prints is scrubbed by the report's redactor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

NodeKind = Literal["Pod", "Steps", "DAG"]


class RunPhase(StrEnum):
    """Argo's final phases of a workflow or node."""

    SUCCEEDED = "Succeeded"
    FAILED = "Failed"  # the program failed: non-zero exit, deadline exceeded
    ERROR = "Error"  # Argo could not run it: invalid workflow, unresolvable variable, missing volume


@dataclass(frozen=True)
class Output:
    """A captured stream. When the program wrote more than the cap, ``text`` keeps the head and
    the tail around a marker and ``truncated`` is set; ``size`` is what the program wrote."""

    text: str = ""
    size: int = 0
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "size": self.size, "truncated": self.truncated}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Output:
        return cls(text=data["text"], size=data["size"], truncated=data["truncated"])


@dataclass(frozen=True)
class FileResult:
    """A file left on a persistent volume when the workflow ended."""

    path: str  # as the container saw it: /mnt/results/out.txt
    size: int
    sha256: str
    # The beginning of the file when it is UTF-8 text, else None; ``complete`` when it is all of it.
    preview: str | None
    complete: bool
    volume: str  # where it lives: persistentVolumeClaim/task-results-pvc, volumeClaimTemplate/work

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "size": self.size,
            "sha256": self.sha256,
            "preview": self.preview,
            "complete": self.complete,
            "volume": self.volume,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FileResult:
        return cls(**{key: data[key] for key in ("path", "size", "sha256", "preview", "complete", "volume")})


@dataclass(frozen=True)
class NodeRun:
    """One node of the workflow: a pod (script or container template) or a steps/DAG group."""

    name: str  # main, main[0].fetch, main.train(1:b)  (entrypoint-relative, stable across runs)
    template: str
    kind: NodeKind
    phase: RunPhase
    exit_code: int | None = None
    stdout: Output = field(default_factory=Output)
    stderr: Output = field(default_factory=Output)
    message: str | None = None
    timed_out: bool = False
    duration_s: float = 0.0
    setup_s: float = 0.0  # creating the pod's environment (a virtual environment, a container)
    outputs: Mapping[str, str] = field(default_factory=dict)  # result, exitCode, parameters.NAME

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "template": self.template,
            "kind": self.kind,
            "phase": self.phase.value,
            "exit_code": self.exit_code,
            "stdout": self.stdout.to_dict(),
            "stderr": self.stderr.to_dict(),
            "message": self.message,
            "timed_out": self.timed_out,
            "duration_ms": round(self.duration_s * 1000, 3),
            "setup_ms": round(self.setup_s * 1000, 3),
            "outputs": dict(self.outputs),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NodeRun:
        return cls(
            name=data["name"],
            template=data["template"],
            kind=data["kind"],
            phase=RunPhase(data["phase"]),
            exit_code=data["exit_code"],
            stdout=Output.from_dict(data["stdout"]),
            stderr=Output.from_dict(data["stderr"]),
            message=data["message"],
            timed_out=data["timed_out"],
            duration_s=data["duration_ms"] / 1000,
            setup_s=data["setup_ms"] / 1000,
            outputs=dict(data["outputs"]),
        )


@dataclass(frozen=True)
class WorkflowRun:
    """One execution of one manifest.

    ``phase`` is None when nothing ran: the workflow uses a feature the executor cannot run
    faithfully (listed in ``unsupported``) or the harness failed (``error``). For a workflow of one
    pod, ``exit_code``, ``stdout`` and ``stderr`` are that pod's; for steps and DAGs they join the
    pods' in a fixed order (the order of the workflow's definition, not of completion) and
    ``exit_code`` is the first failed pod's, else 0.
    """

    executor: str
    label: str
    phase: RunPhase | None
    exit_code: int | None = None
    stdout: Output = field(default_factory=Output)
    stderr: Output = field(default_factory=Output)
    nodes: tuple[NodeRun, ...] = ()
    files: tuple[FileResult, ...] = ()
    files_truncated: bool = False
    duration_s: float = 0.0
    # Features this executor could not run faithfully; any entry makes the evidence inconclusive.
    unsupported: tuple[str, ...] = ()
    message: str | None = None  # Argo's status message: why it failed or errored
    error: str | None = None  # the harness failed (sandbox could not start, engine unreachable)
    notes: tuple[str, ...] = ()  # how it ran, where that matters: weaker isolation, a version stand-in
    secrets_used: tuple[str, ...] = ()  # "secret-name/key" references whose values were injected

    @classmethod
    def of_nodes(
        cls, executor: str, label: str, phase: RunPhase | None, nodes: tuple[NodeRun, ...], **fields: Any
    ) -> WorkflowRun:
        """A run of these ``nodes`` (in definition order), its exit code and streams theirs
        (:func:`workflow_streams`); ``fields`` gives the rest."""
        stdout, stderr, exit_code = workflow_streams(nodes)
        return cls(executor, label, phase, exit_code, stdout, stderr, nodes, **fields)

    @classmethod
    def not_run(cls, executor: str, label: str, unsupported: tuple[str, ...], duration_s: float) -> WorkflowRun:
        """Nothing ran: the workflow uses features the executor cannot run faithfully."""
        message = "not run: " + "; ".join(unsupported)
        return cls(executor, label, None, unsupported=unsupported, message=message, duration_s=duration_s)

    @classmethod
    def refused(cls, executor: str, label: str, message: str, duration_s: float) -> WorkflowRun:
        """Argo refuses the workflow before running anything: phase Error, with its message."""
        return cls(executor, label, RunPhase.ERROR, message=message, duration_s=duration_s)

    @property
    def ran(self) -> bool:
        return self.phase is not None

    @property
    def pods(self) -> tuple[NodeRun, ...]:
        return tuple(node for node in self.nodes if node.kind == "Pod")

    def file(self, path: str) -> FileResult | None:
        return next((f for f in self.files if f.path == path), None)

    def node(self, name: str) -> NodeRun | None:
        return next((n for n in self.nodes if n.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "executor": self.executor,
            "label": self.label,
            "phase": self.phase.value if self.phase else None,
            "exit_code": self.exit_code,
            "stdout": self.stdout.to_dict(),
            "stderr": self.stderr.to_dict(),
            "nodes": [node.to_dict() for node in self.nodes],
            "files": [f.to_dict() for f in self.files],
            "files_truncated": self.files_truncated,
            "duration_ms": round(self.duration_s * 1000, 3),
            "unsupported": list(self.unsupported),
            "message": self.message,
            "error": self.error,
            "notes": list(self.notes),
            "secrets_used": list(self.secrets_used),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WorkflowRun:
        return cls(
            executor=data["executor"],
            label=data["label"],
            phase=RunPhase(data["phase"]) if data["phase"] else None,
            exit_code=data["exit_code"],
            stdout=Output.from_dict(data["stdout"]),
            stderr=Output.from_dict(data["stderr"]),
            nodes=tuple(NodeRun.from_dict(node) for node in data["nodes"]),
            files=tuple(FileResult.from_dict(f) for f in data["files"]),
            files_truncated=data["files_truncated"],
            duration_s=data["duration_ms"] / 1000,
            unsupported=tuple(data["unsupported"]),
            message=data["message"],
            error=data["error"],
            notes=tuple(data["notes"]),
            secrets_used=tuple(data["secrets_used"]),
        )


def workflow_streams(nodes: Sequence[NodeRun]) -> tuple[Output, Output, int | None]:
    """A workflow's stdout, stderr and exit code from its nodes (in definition order), as
    ``WorkflowRun`` documents them: one pod's own, else the pods' joined and the first failed
    pod's exit code (0 when none failed, None when no pod ran)."""
    pods = [node for node in nodes if node.kind == "Pod"]
    if len(pods) == 1:
        return pods[0].stdout, pods[0].stderr, pods[0].exit_code
    failed = next((node for node in pods if node.phase is not RunPhase.SUCCEEDED), None)
    exit_code = failed.exit_code if failed else (0 if pods else None)
    return _join([node.stdout for node in pods]), _join([node.stderr for node in pods]), exit_code


def _join(parts: Sequence[Output]) -> Output:
    return Output(
        text="".join(part.text for part in parts),
        size=sum(part.size for part in parts),
        truncated=any(part.truncated for part in parts),
    )
