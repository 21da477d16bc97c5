"""A local Kubernetes cluster with Argo Workflows, for ``--execute cluster``: ``make cluster-up``.

``python -m harness.argo.provision up|down`` (what ``scripts/cluster.sh`` runs) creates or deletes a
cluster named ``argo-parity`` with kind or k3d, whichever is installed (kind first;
``PARITY_CLUSTER_TOOL=k3d`` to choose), installs a pinned Argo Workflows release's
``install.yaml`` into the ``argo`` namespace (a cluster-wide install: the controller watches every
namespace, which the cluster executor needs since each run has its own), and waits for the
workflow controller to be ready. Both commands can be run again: an existing cluster is kept and
the manifest re-applied. ``up`` ends by printing the kubeconfig context to run in: the cluster
executor uses ``kind-argo-parity`` or ``k3d-argo-parity`` by itself, never the current context.

Before anything is created, ``up`` checks what it needs and, when something is missing, exits 2
with one line naming all of it: kind or k3d, the container engine they run on, kubectl, and the
registries the cluster pulls from (Docker Hub for the node image and ``python:3.11-slim``, quay.io
for Argo's images, GitHub for the manifest). Set ``PARITY_REGISTRY_PROBES`` to the space-separated
URLs to check instead (a mirror), or to an empty string to skip the check. Nothing is installed
here: kind and k3d are the user's choice.

Only the standard library is used, so the script works before the project's environment exists.
All commands go through a ``ProgramRunner``, so the sequence is tested without kind.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from harness.argo.commands import CommandOutput, ProgramRunner, SubprocessCommandExecutor

CLUSTER_NAME = "argo-parity"
ARGO_NAMESPACE = "argo"
# Pinned so every machine runs the same controller; bump deliberately (and re-run make cluster-up).
ARGO_RELEASE = "v3.6.10"
TOOLS = ("kind", "k3d")
EXIT_MISSING = 2
EXIT_FAILED = 1
_PROBE_TIMEOUT_S = 5.0


def install_manifest_url(version: str = ARGO_RELEASE) -> str:
    """The release's cluster-wide install manifest (Argo's quick start: ``kubectl apply -n argo -f``)."""
    return f"https://github.com/argoproj/argo-workflows/releases/download/{version}/install.yaml"


def default_probes(version: str = ARGO_RELEASE) -> tuple[tuple[str, str], ...]:
    """(what, URL) the cluster needs to reach: any HTTP answer, even 401, means reachable."""
    return (
        ("Docker Hub (the node image, python:3.11-slim)", "https://registry-1.docker.io/v2/"),
        ("quay.io (Argo's controller and executor images)", "https://quay.io/v2/"),
        ("github.com (Argo's install manifest)", install_manifest_url(version)),
    )


def probe_url(url: str, timeout_s: float = _PROBE_TIMEOUT_S) -> str | None:
    """None when a server answers at ``url`` (any HTTP status), else why it cannot be reached."""
    request = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s):
            return None
    except urllib.error.HTTPError:
        return None  # an answer: registries say 401 to anonymous requests
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return str(reason).strip() or type(exc).__name__


@dataclass(frozen=True)
class ProvisionOutcome:
    """How ``up``/``down`` ended: the exit code and the lines to print (stdout, then stderr)."""

    code: int
    messages: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Provisioner:
    """Creates and deletes the local cluster through ``commands``."""

    commands: ProgramRunner = field(default_factory=SubprocessCommandExecutor)
    cluster_name: str = CLUSTER_NAME
    argo_version: str = ARGO_RELEASE
    tool: str | None = None  # "kind" or "k3d"; None: the first installed
    probes: Sequence[tuple[str, str]] | None = None  # None: default_probes()
    probe: Callable[[str], str | None] = probe_url
    manifest: str | None = None  # a URL or file instead of the release's install.yaml
    say: Callable[[str], object] = field(default=lambda line: None, compare=False)  # progress, as it happens

    def chosen_tool(self) -> str | None:
        candidates = (self.tool,) if self.tool else TOOLS
        return next((tool for tool in candidates if self.commands.which(tool)), None)

    def context(self, tool: str) -> str:
        return f"{tool}-{self.cluster_name}"  # both name their kubeconfig context this way

    def missing(self) -> str | None:
        """One line naming everything ``up`` lacks, or None."""
        tool = self.chosen_tool()
        lacking: list[str] = []
        if tool is None:
            wanted = f"{self.tool} is" if self.tool else "neither kind nor k3d is"
            lacking.append(f"{wanted} installed (https://kind.sigs.k8s.io or https://k3d.io)")
        elif not any(self.commands.which(engine) for engine in _engines(tool)):
            lacking.append(f"{tool} needs a container engine: {' or '.join(_engines(tool))} is not installed")
        if not self.commands.which("kubectl"):
            lacking.append("kubectl is not installed (https://kubernetes.io/docs/tasks/tools/)")
        if lacking:
            return "; ".join(lacking)
        unreachable = []
        for what, url in self.probes if self.probes is not None else default_probes(self.argo_version):
            problem = self.probe(url)
            if problem:
                unreachable.append(f"{what} at {url}: {problem}")
        if unreachable:
            return "no registry access: " + "; ".join(unreachable)
        return None

    def up(self) -> ProvisionOutcome:
        problem = self.missing()
        if problem:
            return ProvisionOutcome(EXIT_MISSING, errors=(f"cluster-up: {problem}",))
        tool = self.chosen_tool()
        assert tool is not None  # missing() checked it
        context = self.context(tool)
        messages: list[str] = []
        exists = self._exists(tool)
        if exists:
            messages.append(f"{tool} cluster {self.cluster_name} exists: kept")
        else:
            self.say(f"creating {tool} cluster {self.cluster_name} (a minute or two)...")
            created = self._run(_create_command(tool, self.cluster_name), 600)
            if not created.success:
                return ProvisionOutcome(EXIT_FAILED, tuple(messages), (f"cluster-up: {created.summary()}",))
            messages.append(f"{tool} cluster {self.cluster_name} created")
        namespace = self._run(["kubectl", "--context", context, "create", "namespace", ARGO_NAMESPACE], 60)
        if not namespace.success and "AlreadyExists" not in namespace.stderr:
            return ProvisionOutcome(EXIT_FAILED, tuple(messages), (f"cluster-up: {namespace.summary()}",))
        manifest = self.manifest or install_manifest_url(self.argo_version)
        self.say(f"installing Argo Workflows {self.argo_version} from {manifest}...")
        applied = self._run(["kubectl", "--context", context, "apply", "-n", ARGO_NAMESPACE, "-f", manifest], 300)
        if not applied.success:
            return ProvisionOutcome(EXIT_FAILED, tuple(messages), (f"cluster-up: {applied.summary()}",))
        messages.append(f"Argo Workflows {self.argo_version} applied to namespace {ARGO_NAMESPACE}")
        self.say("waiting for the workflow-controller...")
        ready = self._run(
            [
                "kubectl",
                "--context",
                context,
                "-n",
                ARGO_NAMESPACE,
                "rollout",
                "status",
                "deployment/workflow-controller",
                "--timeout=300s",
            ],
            330,
        )
        if not ready.success:
            return ProvisionOutcome(EXIT_FAILED, tuple(messages), (f"cluster-up: {ready.summary()}",))
        messages.append(f"workflow-controller ready; kubectl context {context}")
        if self.cluster_name == CLUSTER_NAME:
            messages.append(f"--execute cluster runs in context {context} (or the one PARITY_KUBE_CONTEXT names)")
        else:  # the executor looks only for the default cluster's contexts by itself
            messages.append(f"--execute cluster runs in it with: export PARITY_KUBE_CONTEXT={context}")
        return ProvisionOutcome(0, tuple(messages))

    def down(self) -> ProvisionOutcome:
        tool = self.chosen_tool()
        if tool is None:
            wanted = f"{self.tool} is" if self.tool else "neither kind nor k3d is"
            return ProvisionOutcome(
                EXIT_MISSING, errors=(f"cluster-down: {wanted} installed, so no cluster can be deleted",)
            )
        if not self._exists(tool):
            return ProvisionOutcome(0, (f"{tool} cluster {self.cluster_name} does not exist",))
        deleted = self._run(_delete_command(tool, self.cluster_name), 300)
        if not deleted.success:
            return ProvisionOutcome(EXIT_FAILED, errors=(f"cluster-down: {deleted.summary()}",))
        return ProvisionOutcome(0, (f"{tool} cluster {self.cluster_name} deleted",))

    def _exists(self, tool: str) -> bool:
        if tool == "kind":
            listed = self._run(["kind", "get", "clusters"], 60)
            return listed.success and self.cluster_name in listed.stdout.split()
        return self._run(["k3d", "cluster", "get", self.cluster_name], 60).success

    def _run(self, argv: Sequence[str], timeout_s: float) -> CommandOutput:
        return self.commands.run(argv, timeout_s=timeout_s)


def _engines(tool: str) -> tuple[str, ...]:
    return ("docker", "podman") if tool == "kind" else ("docker",)


def _create_command(tool: str, name: str) -> list[str]:
    if tool == "kind":
        return ["kind", "create", "cluster", "--name", name, "--wait", "180s"]
    return ["k3d", "cluster", "create", name, "--wait", "--timeout", "180s"]


def _delete_command(tool: str, name: str) -> list[str]:
    if tool == "kind":
        return ["kind", "delete", "cluster", "--name", name]
    return ["k3d", "cluster", "delete", name]


def from_environment(environ: Mapping[str, str] | None = None, say: Callable[[str], object] = print) -> Provisioner:
    """The provisioner ``scripts/cluster.sh`` runs, configured by ``PARITY_*`` variables."""
    env = os.environ if environ is None else environ
    probes: tuple[tuple[str, str], ...] | None = None
    if "PARITY_REGISTRY_PROBES" in env:
        probes = tuple(("registry", url) for url in env["PARITY_REGISTRY_PROBES"].split())
    return Provisioner(
        commands=SubprocessCommandExecutor(),
        cluster_name=env.get("PARITY_CLUSTER_NAME") or CLUSTER_NAME,
        argo_version=env.get("PARITY_ARGO_VERSION") or ARGO_RELEASE,
        tool=env.get("PARITY_CLUSTER_TOOL") or None,
        probes=probes,
        manifest=env.get("PARITY_ARGO_MANIFEST") or None,
        say=say,
    )


def provision_main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args not in (["up"], ["down"]):
        print("usage: cluster.sh up|down", file=sys.stderr)
        return EXIT_MISSING
    provisioner = from_environment(say=lambda line: print(line, flush=True))
    outcome = provisioner.up() if args[0] == "up" else provisioner.down()
    for line in outcome.messages:
        print(line, flush=True)
    for line in outcome.errors:
        print(line, file=sys.stderr, flush=True)
    return outcome.code


if __name__ == "__main__":
    sys.exit(provision_main())
