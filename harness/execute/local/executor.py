"""The ``local`` executor: each pod in a bubblewrap sandbox, each ``python:X.Y`` image a fresh uv env.

Needs Linux with user namespaces, ``bwrap`` (Debian: bubblewrap) and ``uv`` (PyPI); both are
installed by ``scripts/install-system-deps.sh`` and the dev extra. ``unavailable_reason()`` says
precisely what is missing. Safe to use from several threads and processes at once: every run
has its own directories, sandbox, cgroup and environment; the uv cache is shared and uv locks it.

No pod shares the host's network: each sandbox has its own network namespace with only a
loopback. A pod whose program installs packages (``harness.execute.installs``) also gets the unix socket of a
package index proxy the runner starts for it (``index_proxy``): the package index's hosts, and
nothing else, ever, this machine's own addresses least of all.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.execute.base import DEFAULT_DEADLINE_S
from harness.execute.local import cgroup, python_image
from harness.execute.local.index_proxy import IndexPolicy, IndexProxy
from harness.execute.local.sandbox import (
    SandboxConfig,
    SandboxRequest,
    bwrap_features,
    find_bwrap,
    find_setpriv,
    probe,
    run_sandboxed,
)
from harness.execute.output import DEFAULT_CAP
from harness.execute.pods import ImageDefaults, Mount, PodResult, PodSpec
from harness.execute.result import Output, WorkflowRun
from harness.execute.scheduler import RunSettings, run_workflow

INSTALL_HINT = "run scripts/install-system-deps.sh"
_DEFAULT_TMPFS = 256 * 1024 * 1024


def default_uv_cache() -> Path:
    if os.environ.get("PARITY_UV_CACHE"):
        return Path(os.environ["PARITY_UV_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "argo-parity" / "uv"


@dataclass(frozen=True)
class LocalExecutor:
    """Runs a workflow on this machine, pod by pod, each in a fresh sandbox.

    ``default_deadline_s`` applies when the workflow sets no ``activeDeadlineSeconds``;
    ``output_cap`` bounds the bytes kept of each stdout and stderr; ``pids_limit`` bounds the
    processes (and threads) of one pod (0: no limit, which saves 10-15 ms per pod that forks or
    runs Python: see docs/execution.md); ``pip_mode`` picks the uv shim (fast) or the real pip.
    ``index_hosts`` are package index hosts pods may reach besides PyPI and the indexes the
    harness's environment configures (``host``, ``host:port`` or a URL; see ``index_proxy``).
    """

    default_deadline_s: float = DEFAULT_DEADLINE_S
    output_cap: int = DEFAULT_CAP
    pids_limit: int = 1024
    tmpfs_size: int = _DEFAULT_TMPFS
    pip_mode: python_image.PipMode = "uv"
    max_parallel: int = field(default_factory=lambda: max(2, os.cpu_count() or 2))
    uv_cache: Path = field(default_factory=default_uv_cache)
    work_root: Path | None = None
    keep_dirs: bool = False
    uv: str | None = None  # path to the uv binary; found in the project's environment or PATH otherwise
    interpreters: Mapping[str, str] = field(default_factory=dict)  # "3.11" -> /path/to/python3.11
    index_hosts: tuple[str, ...] = ()
    name: str = "local"

    def unavailable_reason(self) -> str | None:
        bwrap = find_bwrap()
        if bwrap is None:
            return f"bubblewrap not installed (bwrap not on PATH; {INSTALL_HINT})"
        problem = probe(bwrap)
        if problem:
            return f"bubblewrap cannot create its sandbox here: {problem}"
        if python_image.find_uv(self.uv) is None:
            return "uv not installed (pip install uv, or the project's dev extra)"
        return None

    def run(self, manifest: Mapping[str, Any], *, label: str, secrets: Mapping[str, str] | None = None) -> WorkflowRun:
        reason = self.unavailable_reason()
        if reason:
            return WorkflowRun(executor=self.name, label=label, phase=None, error=reason)
        return run_workflow(manifest, self.pod_runner(), RunSettings.of(self), label=label, secrets=secrets)

    def pod_runner(self) -> LocalPodRunner:
        bwrap = find_bwrap()
        uv = python_image.find_uv(self.uv)
        if bwrap is None or uv is None:
            raise RuntimeError(self.unavailable_reason() or "local executor unavailable")
        sandbox = SandboxConfig(
            bwrap=bwrap,
            output_cap=self.output_cap,
            pids_limit=self.pids_limit,
            tmpfs_size=self.tmpfs_size,
            setpriv=find_setpriv(),
            features=bwrap_features(bwrap),
        )
        # Read when the runner is made (not at import): the environment the harness runs in now.
        policy = IndexPolicy.from_environment(os.environ, self.index_hosts)
        return LocalPodRunner(sandbox, uv, self.uv_cache, self.pip_mode, dict(self.interpreters), policy)


class LocalPodRunner:
    def __init__(
        self,
        sandbox: SandboxConfig,
        uv: str,
        uv_cache: Path,
        pip_mode: python_image.PipMode,
        interpreters: Mapping[str, str],
        index_policy: IndexPolicy | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.uv = uv
        self.uv_cache = uv_cache
        self.pip_mode = pip_mode
        self.interpreters = interpreters
        self.index_policy = index_policy or IndexPolicy.default()

    def image_problem(self, image: str) -> str | None:
        parsed = python_image.parse_image(image)
        if parsed is None:
            return (
                f"image {image}: the local executor has no runtime for it "
                "(it maps python:X.Y Debian images to a local Python; use --execute docker)"
            )
        if parsed.problem:
            return parsed.problem
        if self._interpreter(parsed.version) is None:
            return f"image {image}: no python{parsed.version} interpreter on this machine"
        return None

    def image_defaults(self, image: str) -> ImageDefaults:
        return ImageDefaults(entrypoint=(), cmd=("python3",), working_dir="/")

    def _interpreter(self, version: str) -> python_image.Interpreter | None:
        return python_image.find_interpreter(version, self.interpreters.get(version))

    def run_pod(self, pod: PodSpec, workdir: Path) -> PodResult:
        started = time.monotonic()
        try:
            return self._run_pod(pod, workdir, started)
        except Exception as exc:  # the runner's own failure: reported, never raised into the workflow
            return PodResult(None, Output(), Output(), time.monotonic() - started, error=f"{type(exc).__name__}: {exc}")

    def _run_pod(self, pod: PodSpec, workdir: Path, started: float) -> PodResult:
        parsed = python_image.parse_image(pod.image)
        interpreter = self._interpreter(parsed.version) if parsed and not parsed.problem else None
        if interpreter is None:
            problem = self.image_problem(pod.image) or f"image {pod.image}: no local runtime"
            return PodResult(None, Output(), Output(), 0.0, unsupported=(problem,))
        notes: list[str] = []
        if parsed and parsed.patch and interpreter.version != f"{parsed.version}.{parsed.patch}":
            notes.append(f"image {pod.image} ran on the local Python {interpreter.version}")
        environment = workdir / "usr-local"
        self.uv_cache.mkdir(parents=True, exist_ok=True)
        python_image.create_environment(
            environment, interpreter, uv=self.uv, cache_dir=self.uv_cache, pip_mode=self.pip_mode
        )
        notes_file = workdir / "notes"
        notes_file.touch()
        binds = [
            Mount(environment, python_image.ENV_MOUNT),
            Mount(Path(self.uv), python_image.UV_IN_SANDBOX, read_only=True),
            Mount(notes_file, python_image.NOTES_IN_SANDBOX),
        ]
        if not interpreter.prefix.startswith("/usr") or interpreter.prefix.startswith("/usr/local"):
            binds.append(Mount(Path(interpreter.prefix), interpreter.prefix, read_only=True))
        proxy: IndexProxy | None = None
        if pod.network:
            # The shared uv cache, read-write (uv locks it), and the package index through the proxy.
            binds.append(Mount(self.uv_cache, python_image.UV_CACHE_IN_SANDBOX))
            proxy = IndexProxy(workdir / "proxy.sock", self.index_policy)
            proxy.start()
            binds.append(Mount(proxy.path, python_image.PROXY_IN_SANDBOX, read_only=True))
        binds += pod.mounts
        working_dir = pod.working_dir or "/"
        setup = time.monotonic() - started
        try:
            result = run_sandboxed(
                SandboxRequest(
                    argv=pod.argv,
                    env=_pod_environment(pod),
                    hostname=pod.hostname,
                    working_dir=working_dir,
                    binds=binds,
                    deadline_s=max(0.0, pod.deadline_s - setup),
                    make_dirs=_dirs_to_make(working_dir, pod),
                ),
                self.sandbox,
            )
        finally:
            if proxy is not None:
                proxy.close()
        if proxy is not None:
            notes += proxy.notes()
        refused = tuple(line for line in notes_file.read_text(encoding="utf-8", errors="replace").splitlines() if line)
        return PodResult(
            exit_code=result.exit_code,
            stdout=result.stdout,
            stderr=result.stderr,
            duration_s=result.duration_s,
            setup_s=setup,
            timed_out=result.timed_out,
            error=result.error,
            unsupported=refused,
            notes=(*notes, *result.notes),
        )


def _pod_environment(pod: PodSpec) -> dict[str, str]:
    """The image's environment, then the container's (which wins), as the kubelet composes it."""
    env = {
        "PATH": python_image.IMAGE_PATH,
        "LANG": "C.UTF-8",
        "HOME": "/root",
        "HOSTNAME": pod.hostname,
    }
    env.update(dict(pod.env))
    return env


def _dirs_to_make(working_dir: str, pod: PodSpec) -> tuple[str, ...]:
    """A working dir the image lacks is created, as the container runtime does: in its volume
    when it lies in one, else empty inside the sandbox."""
    if working_dir == "/" or working_dir.startswith(("/usr/", "/etc/")):
        return ()
    for mount in pod.mounts:
        prefix = mount.container_path.rstrip("/") + "/"
        if working_dir == mount.container_path or working_dir.startswith(prefix):
            (mount.host_path / working_dir[len(prefix) :]).mkdir(parents=True, exist_ok=True)
            return ()
    return (working_dir,)


def cgroup_available() -> bool:
    return cgroup.available()
