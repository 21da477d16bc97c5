"""``ArgoService``: Argo Workflows on a Kubernetes cluster, through the ``kubernetes`` client.

One service works in one namespace. It loads the cluster's configuration the way kubectl does
(``kubeconfig=``, else ``$KUBECONFIG``, else ``~/.kube/config``; inside a pod with none of those, the
in-cluster service account), lazily, on the first call. Every method returns a ``WorkflowResult``:
the value, or a failure with a kind and a one-line reason; nothing raises for what the cluster
answers or for a cluster that is not there.

Workflows are custom objects (group ``argoproj.io``, version ``v1alpha1``, plural ``workflows``),
created with ``CustomObjectsApi.create_namespaced_custom_object``: no Argo Server and no argo CLI
are needed, only the Workflow CRD and Argo's controller. ``wait`` follows the workflow with a watch
that starts at the resourceVersion last read (so no change is missed between reading and
watching), starts again when the server ends the stream or the version expires (410 Gone), and
falls back to polling when watching is not possible (a proxy that cuts streams, no watch
permission). A read that fails for a reason that passes (429 Too Many Requests, 502/503, a reset
connection, a timeout) is tried again, with a backoff capped at 10 s, until the deadline.

``context`` None means the kubeconfig's current context, as for kubectl: this service has no
opinion on which cluster is safe to use. The cluster executor (``harness.execute.cluster``) never
relies on it and always names the context.

The ``kubernetes`` package is imported inside the methods only: importing this module costs
nothing, so ``parity diff`` never pays for it.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from harness.argo import rbac
from harness.argo.result import FailureKind, WorkflowResult, classify_failure
from harness.argo.status import WorkflowStatus
from harness.spec.fields import ARGO_API_VERSION, ARGO_GROUP, WORKFLOW_PLURAL

WORKFLOW_CRD = f"{WORKFLOW_PLURAL}.{ARGO_GROUP}"
DEFAULT_KUBECONFIG = "~/.kube/config"
_IN_CLUSTER_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"
_SETUP_HINT = "run `make cluster-up` (kind or k3d), or point KUBECONFIG at a cluster with Argo Workflows"
KUBERNETES_PACKAGE_HINT = "the kubernetes Python package is not installed (pip install kubernetes)"
# Failures worth another read while waiting: the server was busy or unreachable for a moment.
_PASSING = frozenset({FailureKind.UNAVAILABLE, FailureKind.TIMEOUT})
_MAX_BACKOFF_S = 10.0
# The longest a single watch request stays open before the server ends it and we start another.
_WATCH_WINDOW_S = 300
_CHUNK = 64 * 1024


class ArgoService:
    """Argo Workflows in one namespace of one cluster. Not shared between threads: make one each.

    ``api_client`` injects a configured ``kubernetes.client.ApiClient`` (the configuration is then
    not loaded). ``request_timeout_s`` bounds each API request; ``poll_interval_s`` is the pause
    between reads when polling.
    """

    def __init__(
        self,
        namespace: str = "argo",
        *,
        kubeconfig: str | None = None,
        context: str | None = None,
        api_client: Any = None,
        request_timeout_s: float = 30.0,
        poll_interval_s: float = 2.0,
    ) -> None:
        self.namespace = namespace
        self.kubeconfig = kubeconfig
        self.context = context
        self.request_timeout_s = request_timeout_s
        self.poll_interval_s = poll_interval_s
        self._client: Any = api_client
        self._owns_client = api_client is None
        self._client_failure: WorkflowResult[Any] | None = None

    # --- connection ---------------------------------------------------------------------------------

    def api_client(self) -> WorkflowResult[Any]:
        """The ``kubernetes.client.ApiClient``, loading the configuration on first use."""
        if self._client_failure is not None:
            return self._client_failure
        if self._client is not None:
            return WorkflowResult.success(self._client)
        try:
            self._client = _load_client(self.kubeconfig, self.context)
        except ImportError:
            self._client_failure = WorkflowResult.failure(FailureKind.UNAVAILABLE, KUBERNETES_PACKAGE_HINT)
        except _NoConfiguration as exc:
            self._client_failure = WorkflowResult.failure(FailureKind.UNAVAILABLE, f"{exc}; {_SETUP_HINT}")
        except Exception as exc:  # ConfigException and friends: a configuration that cannot be used
            failure = WorkflowResult.from_exception(exc, "the Kubernetes configuration cannot be used")
            self._client_failure = WorkflowResult.failure(FailureKind.UNAVAILABLE, f"{failure.reason}; {_SETUP_HINT}")
        else:
            return WorkflowResult.success(self._client)
        return self._client_failure

    @property
    def host(self) -> str | None:
        return getattr(getattr(self._client, "configuration", None), "host", None)

    def close(self) -> None:
        if self._client is not None and self._owns_client:
            self._client.close()
            self._client = None

    def __enter__(self) -> ArgoService:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def available(self) -> WorkflowResult[str]:
        """Whether workflows can run here: the API answers and Argo's Workflow CRD is installed.

        The value describes the cluster; a failure's reason says what is missing and what to do.
        """
        loaded = self.api_client()
        if not loaded.ok:
            return loaded
        try:
            client = _kubernetes_client()
        except ImportError:
            return WorkflowResult.failure(FailureKind.UNAVAILABLE, KUBERNETES_PACKAGE_HINT)
        api = loaded.value
        host = self.host or "the configured server"
        timeout = min(self.request_timeout_s, 10.0)
        try:
            # Raw JSON: the client's strict models refuse a server that omits a field it never uses.
            version = _json(client.VersionApi(api).get_code(_preload_content=False, _request_timeout=timeout))
        except Exception as exc:
            kind, reason, status = classify_failure(exc)
            if kind in (FailureKind.UNAVAILABLE, FailureKind.TIMEOUT):
                return WorkflowResult.failure(
                    FailureKind.UNAVAILABLE, f"the Kubernetes API at {host} is unreachable: {reason}; {_SETUP_HINT}"
                )
            return WorkflowResult.failure(kind, f"the Kubernetes API at {host}: {reason}", status=status)
        missing = (
            f"Argo Workflows is not installed on the cluster at {host}: the Workflow CRD "
            f"({WORKFLOW_CRD}) is missing; {_SETUP_HINT}"
        )
        try:
            resources = _json(
                client.CustomObjectsApi(api).get_api_resources(
                    ARGO_GROUP, ARGO_API_VERSION, _preload_content=False, _request_timeout=timeout
                )
            )
        except Exception as exc:
            failure = WorkflowResult.from_exception(exc, f"reading the API group {ARGO_GROUP}/{ARGO_API_VERSION}")
            if failure.kind is FailureKind.NOT_FOUND:
                return WorkflowResult.failure(FailureKind.UNAVAILABLE, missing, status=404)
            return failure
        names = {resource.get("name") for resource in resources.get("resources") or () if isinstance(resource, dict)}
        if WORKFLOW_PLURAL not in names:
            return WorkflowResult.failure(FailureKind.UNAVAILABLE, missing)
        git_version = version.get("gitVersion") or "(unknown version)"
        return WorkflowResult.success(f"Kubernetes {git_version} at {host}, with Argo's Workflow CRD")

    # --- namespace and what a workflow needs in it -------------------------------------------------

    def ensure_namespace(self, labels: Mapping[str, str] | None = None) -> WorkflowResult[bool]:
        """Create the namespace; True when created, False when it was there already."""
        body = {"metadata": {"name": self.namespace, "labels": {**rbac.MANAGED_BY, **(labels or {})}}}
        return self._create(
            f"creating namespace {self.namespace}", lambda core: core.create_namespace(body=body, **self._timeout())
        )

    def delete_namespace(self) -> WorkflowResult[None]:
        """Delete the namespace and everything in it (in the background); absent is fine."""

        def delete(api: Any) -> None:
            _core(api).delete_namespace(self.namespace, propagation_policy="Background", **self._timeout())

        result = self._call(f"deleting namespace {self.namespace}", delete)
        if result.kind is FailureKind.NOT_FOUND:
            return WorkflowResult.success(None)
        return result

    def ensure_service_account(self, name: str = "default") -> WorkflowResult[bool]:
        """The service account, Argo's executor role (``rbac.EXECUTOR_RULES``) and its binding.

        True when the account was created, False when it existed (every namespace gets ``default``
        from Kubernetes soon after it is made).
        """
        body = {"metadata": {"name": name, "labels": dict(rbac.MANAGED_BY)}}
        account = self._create(
            f"creating service account {name}",
            lambda core: core.create_namespaced_service_account(self.namespace, body=body, **self._timeout()),
        )
        if not account.ok:
            return account
        role = rbac.executor_role(self.namespace)
        binding = rbac.executor_role_binding(self.namespace, name)

        def apply(api: Any) -> None:
            authorization = _kubernetes_client().RbacAuthorizationV1Api(api)
            _create_or_replace(
                lambda: authorization.create_namespaced_role(self.namespace, body=role, **self._timeout()),
                lambda: authorization.replace_namespaced_role(
                    rbac.EXECUTOR_ROLE, self.namespace, body=role, **self._timeout()
                ),
            )
            _create_or_replace(
                lambda: authorization.create_namespaced_role_binding(self.namespace, body=binding, **self._timeout()),
                lambda: authorization.replace_namespaced_role_binding(
                    binding["metadata"]["name"], self.namespace, body=binding, **self._timeout()
                ),
            )

        granted = self._call(f"granting service account {name} the executor role", apply)
        return account if granted.ok else granted

    def ensure_pvc(
        self,
        name: str,
        *,
        size: str = "1Gi",
        storage_class: str | None = None,
        access_modes: tuple[str, ...] = ("ReadWriteOnce",),
    ) -> WorkflowResult[bool]:
        """A claim on the cluster's default (or the given) storage class; True when created."""
        spec: dict[str, Any] = {"accessModes": list(access_modes), "resources": {"requests": {"storage": size}}}
        if storage_class:
            spec["storageClassName"] = storage_class
        body = {"metadata": {"name": name, "labels": dict(rbac.MANAGED_BY)}, "spec": spec}
        return self._create(
            f"creating persistent volume claim {name}",
            lambda core: core.create_namespaced_persistent_volume_claim(self.namespace, body=body, **self._timeout()),
        )

    def ensure_secret(self, name: str, data: Mapping[str, str]) -> WorkflowResult[bool]:
        """An Opaque Secret holding exactly ``data`` (replaced when it exists); True when created."""
        body = {
            "metadata": {"name": name, "labels": dict(rbac.MANAGED_BY)},
            "type": "Opaque",
            "stringData": dict(data),
        }

        def apply(api: Any) -> bool:
            core = _core(api)
            return _create_or_replace(
                lambda: core.create_namespaced_secret(self.namespace, body=body, **self._timeout()),
                lambda: core.replace_namespaced_secret(name, self.namespace, body=body, **self._timeout()),
            )

        return self._call(f"creating secret {name}", apply)

    # --- workflows ----------------------------------------------------------------------------------

    def submit(self, workflow: Mapping[str, Any]) -> WorkflowResult[dict[str, Any]]:
        """Create the Workflow in this service's namespace; the value is the object as created
        (``metadata.name`` is the generated name when the manifest had ``generateName``)."""
        body = json.loads(json.dumps(workflow))  # a private copy, JSON-ready
        metadata = body.setdefault("metadata", {})
        metadata["namespace"] = self.namespace

        def create(api: Any) -> dict[str, Any]:
            created = _custom(api).create_namespaced_custom_object(
                ARGO_GROUP, ARGO_API_VERSION, self.namespace, WORKFLOW_PLURAL, body, **self._timeout()
            )
            return dict(created)

        shown = metadata.get("name") or f"{metadata.get('generateName', '')}*"
        return self._call(f"submitting workflow {shown} to {self.namespace}", create)

    def get_workflow(self, name: str) -> WorkflowResult[dict[str, Any]]:
        """The Workflow object as the API returns it."""

        def read(api: Any) -> dict[str, Any]:
            found = _custom(api).get_namespaced_custom_object(
                ARGO_GROUP, ARGO_API_VERSION, self.namespace, WORKFLOW_PLURAL, name, **self._timeout()
            )
            return dict(found)

        return self._call(f"reading workflow {self.namespace}/{name}", read)

    def get(self, name: str) -> WorkflowResult[WorkflowStatus]:
        """The workflow's status, typed."""
        return self.get_workflow(name).map(WorkflowStatus.from_workflow)

    def wait(
        self,
        name: str,
        timeout_s: float,
        *,
        check: Callable[[WorkflowStatus], WorkflowResult[Any] | None] | None = None,
        check_interval_s: float = 10.0,
    ) -> WorkflowResult[WorkflowStatus]:
        """Wait until the workflow is Succeeded, Failed or Error (its final status is the value).

        A failure of kind ``timeout`` says where it was when time ran out: still pending with no
        status means Argo's controller never picked it up. Reads that fail for a passing reason
        (kind ``unavailable`` or ``timeout``: 429, 502/503/504, a reset, a slow answer) are tried
        again with a capped backoff until the deadline; the last such failure is returned then.

        ``check`` sees the status of the unfinished workflow at least every ``check_interval_s``
        and may end the wait early by returning a failure (a pod that can never start).
        """
        deadline = time.monotonic() + timeout_s
        watching = True
        failures = 0
        while True:
            current = self.get(name)
            remaining = deadline - time.monotonic()
            if not current.ok:
                if current.kind not in _PASSING or self._client_failure is not None:
                    return current
                if remaining <= 0:
                    tries = f" (tried {failures + 1} times until the deadline)" if failures else ""
                    return WorkflowResult.failure(
                        current.kind or FailureKind.UNAVAILABLE, f"{current.reason}{tries}", status=current.status
                    )
                failures += 1
                time.sleep(min(self._backoff(failures), remaining))
                continue
            failures = 0
            status = current.value
            if status is None or status.is_finished:
                return current
            if check is not None:
                stopped = check(status)
                if stopped is not None:
                    return stopped
            if remaining <= 0:
                return WorkflowResult.failure(
                    FailureKind.TIMEOUT, _not_finished(f"{self.namespace}/{name}", status, timeout_s)
                )
            window = min(remaining, check_interval_s) if check is not None else remaining
            if watching:
                opened = time.monotonic()
                outcome = self._watch(name, status.resource_version, window)
                if isinstance(outcome, WorkflowResult):
                    return outcome
                watching = outcome  # False: watching failed, poll from now on
                if watching and time.monotonic() - opened < 1.0:
                    # A stream cut at once (a proxy) would otherwise make this loop spin.
                    time.sleep(min(self.poll_interval_s, window, max(0.0, deadline - time.monotonic())))
            else:
                time.sleep(min(self.poll_interval_s, window))

    def _backoff(self, failures: int) -> float:
        """Seconds before read number ``failures + 1``: doubling from the poll interval (at most
        1 s to start with), capped at 10 s."""
        start = max(0.01, min(self.poll_interval_s, 1.0))
        return float(min(_MAX_BACKOFF_S, start * 2 ** min(failures - 1, 16)))

    def terminate(self, name: str) -> WorkflowResult[None]:
        """Stop the workflow now (``spec.shutdown: Terminate``: no exit handlers run)."""

        def patch(api: Any) -> None:
            _custom(api).patch_namespaced_custom_object(
                ARGO_GROUP,
                ARGO_API_VERSION,
                self.namespace,
                WORKFLOW_PLURAL,
                name,
                {"spec": {"shutdown": "Terminate"}},
                _content_type="application/merge-patch+json",
                **self._timeout(),
            )

        return self._call(f"terminating workflow {self.namespace}/{name}", patch)

    # --- pods -----------------------------------------------------------------------------------------

    def stream_pod_logs(
        self, pod_name: str, write: Callable[[bytes], object], *, container: str = "main"
    ) -> WorkflowResult[int]:
        """Hand the container's log to ``write`` chunk by chunk; the value is its size in bytes.

        Kubernetes keeps one log per container, stdout and stderr interleaved as written.
        """

        def stream(api: Any) -> int:
            response = _core(api).read_namespaced_pod_log(
                pod_name, self.namespace, container=container, _preload_content=False, **self._timeout()
            )
            size = 0
            try:
                for chunk in response.stream(_CHUNK, decode_content=True):
                    size += len(chunk)
                    write(chunk)
            except BaseException:
                response.close()  # unread data: the connection cannot go back to the pool
                raise
            finally:
                response.release_conn()
            return size

        return self._call(f"reading the log of {self.namespace}/{pod_name} ({container})", stream)

    def pod_logs(self, pod_name: str, container: str = "main") -> WorkflowResult[str]:
        """The container's whole log as text (use ``stream_pod_logs`` to bound the memory)."""
        chunks: list[bytes] = []
        return self.stream_pod_logs(pod_name, chunks.append, container=container).map(
            lambda _: b"".join(chunks).decode("utf-8", errors="replace")
        )

    def list_pods(self, label_selector: str | None = None) -> WorkflowResult[list[dict[str, Any]]]:
        """The namespace's pods (those matching ``label_selector``), as the API's JSON objects."""

        def read(api: Any) -> list[dict[str, Any]]:
            response = _core(api).list_namespaced_pod(
                self.namespace, label_selector=label_selector, _preload_content=False, **self._timeout()
            )
            return [item for item in _json(response).get("items") or [] if isinstance(item, dict)]

        return self._call(f"listing the pods of {self.namespace}", read)

    def run_pod(self, pod: Mapping[str, Any], timeout_s: float, *, container: str | None = None) -> WorkflowResult[str]:
        """Create a pod that runs to completion and return its log (the first container's, or
        ``container``'s). A pod that fails, or does not finish in time, is a failure whose reason
        carries the end of its log or why it is still waiting (an image that cannot be pulled)."""
        name = pod["metadata"]["name"]
        log_container = container or pod["spec"]["containers"][0]["name"]
        created = self._call(
            f"creating pod {self.namespace}/{name}",
            lambda api: _core(api).create_namespaced_pod(self.namespace, body=dict(pod), **self._timeout()),
        )
        if not created.ok:
            return created
        deadline = time.monotonic() + timeout_s
        while True:
            read = self._call(
                f"reading pod {self.namespace}/{name}",
                lambda api: _core(api).read_namespaced_pod(name, self.namespace, **self._timeout()),
            )
            if not read.ok:
                return read
            found: Any = read.value
            phase = getattr(found.status, "phase", None)
            if phase in ("Succeeded", "Failed"):
                break
            if time.monotonic() >= deadline:
                waiting = _waiting_reason(found)
                return WorkflowResult.failure(
                    FailureKind.TIMEOUT,
                    f"pod {self.namespace}/{name} did not finish within {timeout_s:.0f} s (phase {phase}{waiting})",
                )
            time.sleep(self.poll_interval_s)
        logs = self.pod_logs(name, log_container)
        if phase == "Failed":
            tail = (logs.value or "").strip().splitlines()[-3:] if logs.ok else [logs.reason or ""]
            return WorkflowResult.failure(
                FailureKind.API_ERROR, f"pod {self.namespace}/{name} failed: {' | '.join(tail)}"
            )
        return logs

    # --- plumbing -------------------------------------------------------------------------------------

    def _timeout(self) -> dict[str, float]:
        return {"_request_timeout": self.request_timeout_s}

    def _call(self, doing: str, operation: Callable[[Any], Any]) -> WorkflowResult[Any]:
        loaded = self.api_client()
        if not loaded.ok:
            return loaded
        try:
            return WorkflowResult.success(operation(loaded.value))
        except ImportError:  # an injected client, but no kubernetes package to call it with
            self._client_failure = WorkflowResult.failure(FailureKind.UNAVAILABLE, KUBERNETES_PACKAGE_HINT)
            return WorkflowResult.failure(FailureKind.UNAVAILABLE, f"{doing}: {KUBERNETES_PACKAGE_HINT}")
        except Exception as exc:  # every API or connection error becomes a typed failure
            return WorkflowResult.from_exception(exc, doing)

    def _create(self, doing: str, create: Callable[[Any], Any]) -> WorkflowResult[bool]:
        """True when created; False when it exists already (409), which ``ensure_*`` accepts."""
        result = self._call(doing, lambda api: create(_core(api)))
        if result.kind is FailureKind.CONFLICT:
            return WorkflowResult.success(False)
        return result.map(lambda _: True)

    def _watch(self, name: str, resource_version: str | None, remaining_s: float) -> WorkflowResult[Any] | bool:
        """Follow the workflow from ``resource_version``.

        Returns a result when it finished or was deleted; True to read it again and keep
        watching (the stream ended, the version expired, or time is up); False when watching
        does not work here and the caller should poll instead.
        """
        loaded = self.api_client()
        if not loaded.ok:
            return loaded
        window = max(1, min(int(remaining_s), _WATCH_WINDOW_S))
        connect_timeout = min(self.request_timeout_s, 30.0)
        try:
            response = _custom(loaded.value).list_namespaced_custom_object(
                ARGO_GROUP,
                ARGO_API_VERSION,
                self.namespace,
                WORKFLOW_PLURAL,
                field_selector=f"metadata.name={name}",
                resource_version=resource_version,
                allow_watch_bookmarks=True,
                timeout_seconds=window,
                watch=True,
                _preload_content=False,
                _request_timeout=(connect_timeout, window + 30.0),
            )
        except Exception as exc:
            # Expired (410), or the server busy for a moment: read again and watch; else poll.
            return getattr(exc, "status", None) == 410 or classify_failure(exc)[0] in _PASSING
        deadline = time.monotonic() + remaining_s
        try:
            for event in _events(response):
                kind, obj = event.get("type"), event.get("object")
                if kind == "ERROR":
                    return isinstance(obj, Mapping) and obj.get("code") == 410
                if kind == "DELETED":
                    return WorkflowResult.failure(
                        FailureKind.NOT_FOUND, f"workflow {self.namespace}/{name} was deleted while waiting for it"
                    )
                if kind in ("ADDED", "MODIFIED") and isinstance(obj, Mapping):
                    status = WorkflowStatus.from_workflow(obj)
                    if status.is_finished:
                        return WorkflowResult.success(status)
                if time.monotonic() >= deadline:
                    return True
        except Exception:  # the stream broke (a proxy, a reset): polling still works
            return False
        finally:
            response.close()
            response.release_conn()
        return True


# --- helpers ------------------------------------------------------------------------------------------


class _NoConfiguration(Exception):
    """No kubeconfig to load and not inside a cluster."""


def _kubernetes_client() -> Any:
    """``kubernetes.client``, untyped on purpose: its results become WorkflowResults right here."""
    import kubernetes.client

    return kubernetes.client


def _core(api: Any) -> Any:
    """``CoreV1Api`` on ``api``; imported here, inside ``_call``, so an ImportError is a failure."""
    return _kubernetes_client().CoreV1Api(api)


def _custom(api: Any) -> Any:
    """``CustomObjectsApi`` on ``api`` (see ``_core``)."""
    return _kubernetes_client().CustomObjectsApi(api)


def _load_client(kubeconfig: str | None, context: str | None) -> Any:
    import kubernetes.config

    client = _kubernetes_client()
    config: Any = kubernetes.config

    if _uses_in_cluster(kubeconfig):
        configuration = client.Configuration()
        config.load_incluster_config(client_configuration=configuration)
        return client.ApiClient(configuration)
    paths = _kubeconfig_paths(kubeconfig)
    files = [path for path in paths if Path(path).is_file()]
    shown = os.pathsep.join(paths) or "(empty KUBECONFIG)"
    if not files:
        raise _NoConfiguration(f"no Kubernetes configuration: {shown} does not exist")
    if all(Path(path).stat().st_size == 0 for path in files):
        raise _NoConfiguration(f"no Kubernetes configuration: {shown} is empty")
    return config.new_client_from_config(config_file=os.pathsep.join(files), context=context, persist_config=False)


def _kubeconfig_paths(kubeconfig: str | None) -> list[str]:
    """The kubeconfig files kubectl would read: ``kubeconfig``, else ``$KUBECONFIG`` (a list), else
    ``~/.kube/config``. The raw value, not kubernetes' own default: that one is read once, when
    kubernetes is imported."""
    explicit = kubeconfig or os.environ.get("KUBECONFIG")
    return [str(Path(path).expanduser()) for path in (explicit or DEFAULT_KUBECONFIG).split(os.pathsep) if path]


def _uses_in_cluster(kubeconfig: str | None) -> bool:
    """No kubeconfig named or at the default place, inside a pod: its service account is used."""
    explicit = kubeconfig or os.environ.get("KUBECONFIG")
    return not explicit and not Path(DEFAULT_KUBECONFIG).expanduser().is_file() and _in_cluster()


def kubeconfig_contexts(kubeconfig: str | None = None) -> tuple[str, ...] | None:
    """The context names in the kubeconfig files kubectl would read (see ``_kubeconfig_paths``).

    None only when there is no kubeconfig to read: inside a pod (its service account is used), or
    none of the files exists or has content (connecting then says so). A file that cannot be read
    as a kubeconfig raises ``ValueError``: a caller choosing a context must not guess then.
    """
    import yaml

    if _uses_in_cluster(kubeconfig):
        return None
    names: list[str] = []
    found = False
    for path in _kubeconfig_paths(kubeconfig):
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"the kubeconfig {path} cannot be read: {exc}") from None
        except yaml.YAMLError as exc:
            problem = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ValueError(f"the kubeconfig {path} is not valid YAML: {problem}") from None
        if data is None:
            continue
        if not isinstance(data, Mapping):
            raise ValueError(f"the kubeconfig {path} is not a mapping but a {type(data).__name__}")
        found = True
        for context in data.get("contexts") or []:
            if isinstance(context, Mapping) and isinstance(context.get("name"), str):
                names.append(context["name"])
    return tuple(dict.fromkeys(names)) if found else None


def _in_cluster() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and Path(_IN_CLUSTER_TOKEN).is_file()


def _create_or_replace(create: Callable[[], Any], replace: Callable[[], Any]) -> bool:
    """True when created; on 409 replaces it with the wanted content and returns False."""
    try:
        create()
    except Exception as exc:
        if getattr(exc, "status", None) != 409:
            raise
        replace()
        return False
    return True


def _json(response: Any) -> dict[str, Any]:
    """The JSON object of a raw (``_preload_content=False``) response."""
    try:
        decoded = json.loads(response.data)
    finally:
        response.release_conn()
    return decoded if isinstance(decoded, dict) else {}


def _events(response: Any) -> Iterator[dict[str, Any]]:
    """Watch events from a raw response: one JSON object per line."""
    buffer = b""
    for chunk in response.stream(_CHUNK, decode_content=True):
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if line.strip():
                yield json.loads(line)
    if buffer.strip():
        yield json.loads(buffer)


def _not_finished(name: str, status: WorkflowStatus, timeout_s: float) -> str:
    where = f"workflow {name}"
    if status.phase is None:
        return (
            f"{where} did not finish within {timeout_s:.0f} s: Argo's controller never picked it up "
            "(no status): is the workflow-controller running?"
        )
    progress = f", progress {status.progress}" if status.progress else ""
    return f"{where} did not finish within {timeout_s:.0f} s (phase {status.phase_text}{progress})"


def _waiting_reason(pod: Any) -> str:
    """Why a pod's containers are waiting (ImagePullBackOff: ...), for a timeout's message."""
    statuses = getattr(getattr(pod, "status", None), "container_statuses", None) or []
    for status in statuses:
        waiting = getattr(getattr(status, "state", None), "waiting", None)
        if waiting is not None and getattr(waiting, "reason", None):
            message = getattr(waiting, "message", None)
            return f"; {waiting.reason}: {message}" if message else f"; {waiting.reason}"
    return ""
