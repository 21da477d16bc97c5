"""The ``docker`` executor: each pod in a container of its own image, through the Docker SDK.

Images are never pulled: a template's image must exist on the engine (``image_map`` can point a
manifest's image at a local tag). In CI no registry is reachable, so ``python:3.11-slim`` is
built locally by ``scripts/build-python-image.sh``. Volumes are bind mounts of fresh host
directories (the engine must run on this machine), the script is bound at Argo's staging path,
and each container has a pids limit and the pod's deadline. Containers are removed whatever
happens.

The network: a pod whose program installs packages (``harness.execute.installs``, as for the local executor)
runs on the engine's ``bridge`` network; every other pod has none (``network_mode="none"``).
Never ``host``: that would give the container this machine's loopback and every service on it. A
bridge container reaches what the engine's NAT reaches (the internet, and this machine at the
bridge's gateway address), which is more than the local executor allows: there, installing pods
reach the package index alone, through the harness's proxy. The local executor's proxy cannot be
used here: a container of the real image has no forwarder of ours in it, and pip in an arbitrary
image cannot be pointed at a unix socket without changing the image or the pod's environment.
Without a bridge network installing pods get no network either (a note says so).

The SDK is used directly rather than through testcontainers: one container per pod needs no
reaper, so Ryuk plays no part (``TESTCONTAINERS_RYUK_DISABLED`` does not matter here).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.execute.base import DEFAULT_DEADLINE_S
from harness.execute.local.hosts import pinned
from harness.execute.local.index_proxy import IndexPolicy
from harness.execute.output import DEFAULT_CAP, CappedOutput
from harness.execute.pods import ImageDefaults, PodResult, PodSpec
from harness.execute.result import Output, WorkflowRun
from harness.execute.scheduler import RunSettings, run_workflow

DEFAULT_URL = "unix:///var/run/docker.sock"
DOCKER_PACKAGE_HINT = "the docker Python package is not installed (pip install 'argo-parity[docker]')"
LABEL = "argo-parity.pod"
_API_TIMEOUT_S = 60


def engine_url() -> str:
    return os.environ.get("DOCKER_HOST") or DEFAULT_URL


@dataclass(frozen=True)
class DockerExecutor:
    """Runs a workflow on the local Docker engine, one container per pod.

    ``image_map`` maps a manifest's image to the local image to run instead (no entry: the same
    name). ``install_network`` is the network of pods that install packages (a network name such
    as "bridge"; None picks bridge when the engine has one, else none); every other pod has none.
    "host" (and "container:...") is refused: it would share this machine's network stack.
    """

    base_url: str | None = None
    image_map: Mapping[str, str] = field(default_factory=dict)
    default_deadline_s: float = DEFAULT_DEADLINE_S
    output_cap: int = DEFAULT_CAP
    pids_limit: int = 1024
    install_network: str | None = None
    max_parallel: int = field(default_factory=lambda: max(2, os.cpu_count() or 2))
    work_root: Path | None = None
    keep_dirs: bool = False
    name: str = "docker"

    def __post_init__(self) -> None:
        if self.install_network is not None and (
            self.install_network == "host" or self.install_network.startswith("container:")
        ):
            raise ValueError(
                f"install_network={self.install_network!r}: pods never share this machine's network "
                "(use a bridge network, or none)"
            )

    @property
    def url(self) -> str:
        return self.base_url or engine_url()

    def unavailable_reason(self) -> str | None:
        try:
            import docker  # noqa: F401
        except ImportError:
            return DOCKER_PACKAGE_HINT
        try:
            client = self.client()
        except Exception as exc:  # any failure to reach the engine means: not here
            return f"no Docker engine reachable at {self.url} ({_first_line(exc)})"
        client.close()
        return None

    def client(self) -> Any:
        import docker

        client = docker.DockerClient(base_url=self.url, timeout=_API_TIMEOUT_S, max_pool_size=32)
        try:
            client.ping()
        except Exception:
            client.close()
            raise
        return client

    def image_problem(self, image: str) -> str | None:
        """None when ``image`` (after ``image_map``) is present on the engine."""
        client = self.client()
        try:
            return DockerPodRunner(client, self).image_problem(image)
        finally:
            client.close()

    def run(self, manifest: Mapping[str, Any], *, label: str, secrets: Mapping[str, str] | None = None) -> WorkflowRun:
        try:
            client = self.client()
        except ImportError:
            return WorkflowRun(executor=self.name, label=label, phase=None, error=DOCKER_PACKAGE_HINT)
        except Exception as exc:
            error = f"no Docker engine reachable at {self.url} ({_first_line(exc)})"
            return WorkflowRun(executor=self.name, label=label, phase=None, error=error)
        try:
            runner = DockerPodRunner(client, self)
            return run_workflow(manifest, runner, RunSettings.of(self), label=label, secrets=secrets)
        finally:
            client.close()


class DockerPodRunner:
    def __init__(self, client: Any, executor: DockerExecutor) -> None:
        self.client = client
        self.executor = executor
        self._images: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._network: str | None = executor.install_network

    def _local(self, image: str) -> str:
        return self.executor.image_map.get(image, image)

    def _image(self, image: str) -> Any:
        from docker.errors import ImageNotFound

        local = self._local(image)
        with self._lock:
            if local not in self._images:
                try:
                    self._images[local] = self.client.images.get(local)
                except ImageNotFound:
                    self._images[local] = None
            return self._images[local]

    def image_problem(self, image: str) -> str | None:
        if self._image(image) is not None:
            return None
        local = self._local(image)
        return (
            f"image {local} is not present on the Docker engine, and the docker executor never pulls "
            "(build it with scripts/build-python-image.sh, or map it with image_map)"
        )

    def image_defaults(self, image: str) -> ImageDefaults:
        found = self._image(image)
        config = (found.attrs.get("Config") or {}) if found is not None else {}
        return ImageDefaults(
            entrypoint=tuple(config.get("Entrypoint") or ()),
            cmd=tuple(config.get("Cmd") or ()),
            working_dir=config.get("WorkingDir") or "/",
        )

    def network(self) -> str:
        """The network of installing pods: the engine's bridge, else none (never host)."""
        with self._lock:
            if self._network is None:
                bridges = self.client.networks.list(names=["bridge"])
                has_bridge = any((n.attrs or {}).get("Driver", "bridge") == "bridge" for n in bridges)
                self._network = "bridge" if has_bridge else "none"
            return self._network

    def run_pod(self, pod: PodSpec, workdir: Path) -> PodResult:
        started = time.monotonic()
        try:
            return self._run_pod(pod, started)
        except Exception as exc:  # the engine failed: reported, never raised into the workflow
            return PodResult(None, Output(), Output(), time.monotonic() - started, error=f"docker: {_first_line(exc)}")

    def _run_pod(self, pod: PodSpec, started: float) -> PodResult:
        from docker.types import Mount

        problem = self.image_problem(pod.image)
        if problem:
            return PodResult(None, Output(), Output(), 0.0, unsupported=(problem,))
        network = self.network() if pod.network else "none"
        notes: tuple[str, ...] = ()
        if pod.network and network == "none":
            notes = (
                f"{pod.node}: installs packages, but the Docker engine has no bridge network: it ran without network",
            )
        container = self.client.containers.create(
            self._local(pod.image),
            entrypoint=[pod.argv[0]],
            command=list(pod.argv[1:]),
            environment=dict(pod.env),
            hostname=pod.hostname,
            working_dir=pod.working_dir or None,
            mounts=[
                Mount(target=m.container_path, source=str(m.host_path), type="bind", read_only=m.read_only)
                for m in pod.mounts
            ],
            network_mode=network,
            extra_hosts=_extra_hosts() if network != "none" else None,
            pids_limit=self.executor.pids_limit,
            labels={LABEL: pod.name},
            stdin_open=False,
            tty=False,
        )
        try:
            setup = time.monotonic() - started
            stdout, stderr = CappedOutput(self.executor.output_cap), CappedOutput(self.executor.output_cap)
            container.start()
            running = time.monotonic()
            readers = [
                threading.Thread(target=_drain, args=(container, sink, which), daemon=True)
                for sink, which in ((stdout, "stdout"), (stderr, "stderr"))
            ]
            for reader in readers:
                reader.start()
            exit_code, timed_out = _wait(container, max(0.0, pod.deadline_s - setup))
            for reader in readers:
                reader.join(timeout=10)
            return PodResult(
                exit_code=None if timed_out else exit_code,
                stdout=stdout.result(),
                stderr=stderr.result(),
                duration_s=time.monotonic() - running,
                setup_s=setup,
                timed_out=timed_out,
                notes=notes,
            )
        finally:
            with contextlib.suppress(Exception):
                container.remove(force=True)


def _extra_hosts() -> list[str]:
    """``/etc/hosts`` entries for an installing pod: the package index's hosts as the harness
    resolved them (see ``harness.execute.local.hosts``): a burst of pods would otherwise each ask the resolver for the
    same names, and a dropped query costs that pod glibc's 5 s retransmission timeout."""
    names = IndexPolicy.from_environment(os.environ).hosts()
    addresses = pinned(name for name in names if not _is_address(name))
    return [f"{name}:{address}" for name, found in addresses.items() for address in found]


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _wait(container: Any, deadline_s: float) -> tuple[int | None, bool]:
    """The exit code, or (None, True) after killing it at the deadline."""
    import requests

    if deadline_s > 0:
        try:
            status = container.wait(timeout=deadline_s)
            return int(status.get("StatusCode", -1)), False
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            pass
    with contextlib.suppress(Exception):
        container.kill()
    with contextlib.suppress(Exception):
        container.wait(timeout=30)
    return None, True


def _drain(container: Any, sink: CappedOutput, which: str) -> None:
    chunks: Iterable[bytes] = container.logs(
        stdout=which == "stdout", stderr=which == "stderr", stream=True, follow=True
    )
    with contextlib.suppress(Exception):
        for chunk in chunks:
            sink.write(chunk)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
