"""The contract between the workflow interpreter and a backend that runs one pod.

``harness.execute.scheduler`` turns a manifest into ``PodSpec``s (variables substituted, env
resolved, volumes bound to host directories, the script written to a file) and hands each one to
a ``PodRunner``: the bubblewrap sandbox (``local``) or a container (``docker``). A runner knows
nothing about workflows; the interpreter knows nothing about sandboxes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from harness.execute.result import Output
from harness.spec.naming import pod_hostname


@dataclass(frozen=True)
class Mount:
    """A host path bound into a pod (and into the local executor's sandbox)."""

    host_path: Path
    container_path: str
    read_only: bool = False


@dataclass(frozen=True)
class ImageDefaults:
    """What an image runs when a container template gives no command or args."""

    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    working_dir: str = "/"


@dataclass(frozen=True)
class PodSpec:
    name: str  # the pod's name, as Argo names it
    node: str  # the workflow node it runs
    image: str
    argv: tuple[str, ...]  # command + args, the script's path included, as the kubelet would exec it
    env: tuple[tuple[str, str], ...]  # the container's env only, in order; the runner adds the image's
    working_dir: str | None
    mounts: tuple[Mount, ...]
    deadline_s: float
    # True: the program installs packages (see harness.execute.installs), so the pod may reach the package index
    # (local: through the harness's index proxy, nothing else; docker: the engine's bridge).
    # False: no network at all (only a private loopback).
    network: bool

    @property
    def hostname(self) -> str:
        """The pod's hostname (and its containers' ``HOSTNAME``), as Kubernetes derives it."""
        return pod_hostname(self.name)


@dataclass(frozen=True)
class PodResult:
    exit_code: int | None  # None when it never ran or was killed at the deadline
    stdout: Output
    stderr: Output
    duration_s: float
    setup_s: float = 0.0
    timed_out: bool = False
    error: str | None = None  # the runner failed: nothing the workflow did
    unsupported: tuple[str, ...] = ()  # discovered while running (an emulated command it cannot do)
    notes: tuple[str, ...] = field(default_factory=tuple)


class PodRunner(Protocol):
    def image_problem(self, image: str) -> str | None:
        """None when pods of ``image`` can run here; otherwise why not (reported as unsupported)."""

    def image_defaults(self, image: str) -> ImageDefaults: ...

    def run_pod(self, pod: PodSpec, workdir: Path) -> PodResult:
        """Run one pod to completion or its deadline; ``workdir`` is a fresh directory it may use.
        Must not raise for anything the pod does, and must leave no process behind."""
