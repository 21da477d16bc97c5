"""A throwaway Kubernetes cluster with Argo Workflows, from testcontainers: ``--cluster testcontainers``.

``ThrowawayCluster.start()`` runs k3s in a container (testcontainers' k3s module,
``testcontainers.community.k3s.K3SContainer``, on the pinned ``K3S_IMAGE``), installs the release
of Argo Workflows the project pins (``provision.ARGO_RELEASE``: its ``install.yaml``, downloaded on
this machine and applied with the container's own ``kubectl``), waits for the workflow controller
and writes a kubeconfig for it. ``stop()`` removes the container and the kubeconfig; a cluster
still running when the process ends is stopped then (``atexit``), by the process that started it
only (a forked worker never stops its parent's cluster).

It is the cluster for one test session or one ``parity run``; ``make cluster-up``
(``harness.argo.provision``) stays the way to keep a cluster between runs.

Before anything is pulled, ``missing()`` says in one line everything that is not there: the Python
packages, a Docker engine, and each registry the cluster pulls from or downloads from (Docker
Hub for the k3s image and ``python:3.11-slim``, quay.io for Argo's images, GitHub for the
manifest), each probed, never assumed. ``PARITY_REGISTRY_PROBES`` replaces the probed URLs (a
mirror), as for ``make cluster-up``.
"""

from __future__ import annotations

import atexit
import io
import os
import tarfile
import tempfile
import threading
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.argo import provision
from harness.argo.result import FailureKind, WorkflowResult

# Which cluster ``--execute cluster`` runs in (``--cluster``, ``--parity-cluster``, the ``cluster``
# key): "kubeconfig" (the cluster make cluster-up made, or the context PARITY_KUBE_CONTEXT names)
# or "testcontainers". The choice travels in RunConfig.cluster; the engine passes it to the
# executor. CLUSTER_ENV is a user's way to choose from the environment, read in one place only,
# harness.project_config.resolve_run, below the option and the file.
CLUSTER_CHOICES = ("kubeconfig", "testcontainers")
CLUSTER_ENV = "PARITY_CLUSTER"
# Pinned as the Argo release is: a Kubernetes that Argo v3.6 supports. Bump deliberately.
K3S_IMAGE = "rancher/k3s:v1.31.0-k3s1"
CONTEXT = "default"  # the context name in k3s's /etc/rancher/k3s/k3s.yaml
_START_TIMEOUT_S = 600.0


def default_probes(version: str = provision.ARGO_RELEASE) -> tuple[tuple[str, str], ...]:
    """(what, URL): what the throwaway cluster downloads from; any HTTP answer means reachable."""
    return (
        (f"Docker Hub ({K3S_IMAGE}, testcontainers/ryuk, python:3.11-slim)", "https://registry-1.docker.io/v2/"),
        ("quay.io (Argo's controller and executor images)", "https://quay.io/v2/"),
        ("github.com (Argo's install manifest)", provision.install_manifest_url(version)),
    )


def _docker_problem() -> str | None:
    try:
        import docker
    except ImportError:
        return "the docker Python package is not installed (pip install 'argo-parity[docker]')"
    try:
        client = docker.from_env(timeout=5)
        client.ping()
        client.close()
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"no Docker engine answers ({first})"
    return None


def _k3s_container_class() -> Any:
    """testcontainers' ``K3SContainer``: ``testcontainers.community.k3s`` in the release installed
    here (4.15), where ``testcontainers.k3s`` is a deprecated alias of it; older 4.x releases have
    only ``testcontainers.k3s``."""
    try:
        from testcontainers.community.k3s import K3SContainer
    except ImportError:
        from testcontainers.k3s import K3SContainer
    return K3SContainer


def _package_problem() -> str | None:
    try:
        _k3s_container_class()
    except ImportError as exc:
        return f"testcontainers' k3s module cannot be imported ({exc}; pip install 'argo-parity[docker]')"
    try:
        import kubernetes  # noqa: F401
    except ImportError:
        return "the kubernetes Python package is not installed (pip install kubernetes)"
    return None


def missing(
    *,
    probes: Sequence[tuple[str, str]] | None = None,
    probe: Callable[[str], str | None] = provision.probe_url,
    docker_problem: Callable[[], str | None] = _docker_problem,
    package_problem: Callable[[], str | None] = _package_problem,
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """One line naming everything a throwaway cluster lacks here, or None. Every registry is
    probed even when Docker is missing too, so the line names all of it at once."""
    env = os.environ if environ is None else environ
    if probes is None and "PARITY_REGISTRY_PROBES" in env:
        probes = tuple(("registry", url) for url in env["PARITY_REGISTRY_PROBES"].split())
    lacking = [problem for problem in (package_problem(), docker_problem()) if problem]
    unreachable = []
    for what, url in probes if probes is not None else default_probes():
        problem = probe(url)
        if problem:
            unreachable.append(f"{what} at {url}: {problem}")
    if unreachable:
        lacking.append("no registry access: " + "; ".join(unreachable))
    return "; ".join(lacking) or None


class ThrowawayCluster:
    """k3s in a container with Argo installed; ``kubeconfig`` and ``context`` reach it once started."""

    def __init__(self, image: str = K3S_IMAGE, argo_version: str = provision.ARGO_RELEASE) -> None:
        self.image = image
        self.argo_version = argo_version
        self.kubeconfig: Path | None = None
        self.context = CONTEXT
        self._container: Any = None
        self._owner = os.getpid()

    def start(self) -> WorkflowResult[Path]:
        """Start k3s, install Argo, wait for its controller; the value is the kubeconfig's path."""
        problem = missing()
        if problem:
            return WorkflowResult.error_result(f"no throwaway cluster: {problem}", FailureKind.UNAVAILABLE)
        try:
            self._container = _k3s_container_class()(self.image).start()
            manifest = _download(provision.install_manifest_url(self.argo_version))
            self._kubectl("create", "namespace", provision.ARGO_NAMESPACE)
            _put_file(self._container, "/tmp/argo-install.yaml", manifest)
            self._kubectl("apply", "-n", provision.ARGO_NAMESPACE, "-f", "/tmp/argo-install.yaml")
            self._kubectl(
                "-n", provision.ARGO_NAMESPACE, "rollout", "status", "deployment/workflow-controller", "--timeout=300s"
            )
            handle, path = tempfile.mkstemp(prefix="argo-parity-k3s-", suffix=".yaml")
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(self._container.config_yaml())
            self.kubeconfig = Path(path)
        except Exception as exc:
            self.stop()
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return WorkflowResult.error_result(
                f"the throwaway k3s cluster ({self.image}, Argo {self.argo_version}) did not start: {first}",
                FailureKind.UNAVAILABLE,
            )
        return WorkflowResult.success_result(self.kubeconfig)

    def stop(self) -> None:
        if os.getpid() != self._owner:
            return  # a forked worker: the cluster is its parent's
        if self._container is not None:
            container, self._container = self._container, None
            container.stop()
        if self.kubeconfig is not None:
            self.kubeconfig.unlink(missing_ok=True)
            self.kubeconfig = None

    def _kubectl(self, *words: str) -> str:
        code, output = self._container.exec(["kubectl", *words])
        text = output.decode("utf-8", errors="replace") if isinstance(output, bytes) else str(output)
        if code != 0:
            raise RuntimeError(f"kubectl {' '.join(words)} exited {code}: {text.strip()[-300:]}")
        return text


def _download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        data: bytes = response.read()
    return data


def _put_file(container: Any, path: str, data: bytes) -> None:
    """Copy ``data`` into the container at ``path`` (the Docker API takes a tar archive)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo(Path(path).name)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    container.get_wrapped_container().put_archive(str(Path(path).parent), buffer.getvalue())


# --- the one cluster of this process ----------------------------------------------------------------


class _Shared:
    """The process's cluster and how starting it went (started once, under the lock), and what
    the first check found missing (probed once: every scenario asks)."""

    lock = threading.Lock()
    cluster: ThrowawayCluster | None = None
    started: WorkflowResult[Path] | None = None
    checked: bool = False
    missing: str | None = None


def prerequisites() -> str | None:
    """``missing()``, probed once per process: a run asks before each scenario, and a registry
    that does not answer costs seconds each time."""
    with _Shared.lock:
        if not _Shared.checked:
            _Shared.missing = missing()
            _Shared.checked = True
        return _Shared.missing


def shared_cluster() -> tuple[ThrowawayCluster | None, WorkflowResult[Path]]:
    """The process's throwaway cluster, started on first use and stopped when the process ends.
    A cluster that could not start is not tried again: the same failure is returned."""
    with _Shared.lock:
        if _Shared.started is None:
            cluster = ThrowawayCluster()
            _Shared.started = cluster.start()
            if _Shared.started.success:
                _Shared.cluster = cluster
                atexit.register(cluster.stop)
        return _Shared.cluster, _Shared.started
