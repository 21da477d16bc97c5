"""A stand-in for the Kubernetes API server with Argo's Workflow resource, served over HTTP on
127.0.0.1, for the tests of harness.argo and of the cluster executor; and the kubeconfigs and
ports those tests need."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ARGO_API = "/apis/argoproj.io/v1alpha1"
Handler = Callable[["FakeKubernetes", str, str, dict[str, str], Any], "Response | None"]


@dataclass
class Response:
    status: int
    body: Any = None  # JSON-ready, bytes, or an iterator of bytes (a stream)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    content_type: str


@dataclass
class FakeKubernetes:
    """In-memory objects by path, a request log, and hooks that play the controller.

    ``workflow_statuses[(namespace, name)]`` is the list of statuses the "controller" gives a
    workflow, one per watch event (or per read when polling). ``watch`` is how watch requests are
    answered: "events", "gone" (410 once, then events), "broken" (500), "silent" (no event).
    ``pod_result(pod)`` decides how a created pod ends: (phase, log). ``failures`` answer every
    matching request with an error; ``failures_once`` each answer the first matching request only
    (a server busy for a moment). A GET of a namespace's ``pods`` lists them (``labelSelector``
    ``key=value`` honoured).
    """

    crd_installed: bool = True
    watch: str = "events"
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    workflow_statuses: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    controller: Callable[[dict[str, Any]], list[dict[str, Any]]] | None = None
    logs: dict[tuple[str, str, str], str] = field(default_factory=dict)
    pod_result: Callable[[dict[str, Any]], tuple[str, str]] | None = None
    failures: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)  # (method, path regex)
    failures_once: list[tuple[str, str, int, str]] = field(default_factory=list)  # method, path regex, status
    delays: dict[tuple[str, str], float] = field(default_factory=dict)  # (method, path regex) -> seconds
    version: int = 100
    lock: threading.Lock = field(default_factory=threading.Lock)
    _gone_sent: bool = False

    # --- bookkeeping ----------------------------------------------------------------------------

    def bump(self) -> str:
        self.version += 1
        return str(self.version)

    def sent(self, method: str, pattern: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and re.fullmatch(pattern, r.path)]

    def created(self, pattern: str) -> list[Any]:
        return [r.body for r in self.sent("POST", pattern)]

    # --- the API ---------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        for (method, pattern), seconds in self.delays.items():  # a server too slow to answer in time
            if method == request.method and re.fullmatch(pattern, request.path):
                time.sleep(seconds)
        with self.lock:
            self.requests.append(request)
            for (method, pattern), (status, message) in self.failures.items():
                if method == request.method and re.fullmatch(pattern, request.path):
                    return _status(status, message)
            for index, (method, pattern, status, message) in enumerate(self.failures_once):
                if method == request.method and re.fullmatch(pattern, request.path):
                    del self.failures_once[index]
                    return _status(status, message)
            return self._handle(request)

    def _handle(self, request: Request) -> Response:
        method, path, query = request.method, request.path.rstrip("/"), request.query
        if path == "/version":
            return Response(200, {"major": "1", "minor": "31", "gitVersion": "v1.31.0-fake"})
        discovery = self._discovery(path)
        if discovery is not None:
            return discovery
        if path == ARGO_API:
            if not self.crd_installed:
                return _status(404, "the server could not find the requested resource")
            resources = [
                {
                    "name": "workflows",
                    "singularName": "workflow",
                    "namespaced": True,
                    "kind": "Workflow",
                    "shortNames": ["wf"],
                    "verbs": _VERBS,
                }
            ]
            return Response(
                200, {"kind": "APIResourceList", "groupVersion": "argoproj.io/v1alpha1", "resources": resources}
            )
        log = re.fullmatch(r"/api/v1/namespaces/([^/]+)/pods/([^/]+)/log", path)
        if log:
            pod = (log.group(1), log.group(2), query.get("container", ""))
            if f"/api/v1/namespaces/{pod[0]}/pods/{pod[1]}" not in self.objects and pod not in self.logs:
                return _status(404, f'pods "{pod[1]}" not found')
            return Response(200, self.logs.get(pod, "").encode())
        if method == "GET" and query.get("watch") == "true":
            return self._watch(path, query)
        if method == "POST":
            return self._create(path, request.body)
        if method == "GET" and re.fullmatch(r"/api/v1/namespaces/[^/]+/pods", path):
            return Response(200, {"kind": "PodList", "items": self._list(path, query.get("labelSelector"))})
        if method == "GET" and re.fullmatch(rf"{ARGO_API}/namespaces/[^/]+/workflows", path):
            items = self._list(path, query.get("labelSelector"))
            return Response(200, {"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowList", "items": items})
        if path not in self.objects:
            if method == "DELETE" and path.startswith("/api/v1/namespaces/"):
                return _status(404, "namespace not found")
            workflow = re.fullmatch(rf"{ARGO_API}/namespaces/[^/]+/workflows/([^/]+)", path)
            if workflow:  # the API server's own wording for a custom object that is not there
                return _status(404, f'workflows.argoproj.io "{workflow.group(1)}" not found')
            return _status(404, f"{path.rsplit('/', 1)[-1]!r} not found")
        if method == "GET":
            workflow = re.fullmatch(rf"{ARGO_API}/namespaces/([^/]+)/workflows/([^/]+)", path)
            if workflow and self.watch in ("broken", "polling"):
                self._advance(workflow.group(1), workflow.group(2))  # polling: one step per read
            return Response(200, self.objects[path])
        if method == "PUT":
            body = dict(request.body)
            body.setdefault("metadata", {})["resourceVersion"] = self.bump()
            self.objects[path] = body
            return Response(200, body)
        if method == "PATCH":
            wanted = (request.body.get("metadata") or {}).get("resourceVersion")
            current = self.objects[path].get("metadata", {}).get("resourceVersion")
            if wanted is not None and wanted != current:  # optimistic concurrency, as the API server
                name = path.rsplit("/", 1)[-1]
                return _status(
                    409,
                    f'Operation cannot be fulfilled on workflows.argoproj.io "{name}": the object has been '
                    "modified; please apply your changes to the latest version and try again",
                )
            _merge(self.objects[path], request.body)
            self.objects[path]["metadata"]["resourceVersion"] = self.bump()
            return Response(200, self.objects[path])
        if method == "DELETE":
            for key in [key for key in self.objects if key == path or _namespace_prefix(path) in key]:
                del self.objects[key]
            return Response(200, {"kind": "Status", "status": "Success"})
        return _status(405, f"{method} not supported by the fake")

    def _discovery(self, path: str) -> Response | None:
        """The discovery documents kubectl reads before any request (``/api``, ``/apis``,
        ``/api/v1``), in the unaggregated form every API server still serves; Argo's group is
        listed only while its CRD is installed, as on a real server."""
        if path == "/api":
            return Response(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []})
        if path == "/apis":
            groups = [] if not self.crd_installed else [_ARGO_GROUP]
            return Response(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
        if path == "/openapi/v3":
            # kubectl create validates against the schemas the server publishes (OpenAPI v3).
            paths = {"apis/argoproj.io/v1alpha1": {"serverRelativeURL": "/openapi/v3/apis/argoproj.io/v1alpha1"}}
            return Response(200, {"paths": paths if self.crd_installed else {}})
        if path == "/openapi/v3/apis/argoproj.io/v1alpha1":
            return Response(200, _ARGO_OPENAPI)
        if path == "/api/v1":
            resources = [
                {"name": name, "singularName": singular, "namespaced": namespaced, "kind": kind, "verbs": _VERBS}
                for name, singular, namespaced, kind in _CORE_RESOURCES
            ]
            resources.append(
                {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]}
            )
            return Response(200, {"kind": "APIResourceList", "groupVersion": "v1", "resources": resources})
        return None

    def _create(self, collection: str, body: dict[str, Any]) -> Response:
        body = json.loads(json.dumps(body))
        metadata = body.setdefault("metadata", {})
        if not metadata.get("name") and metadata.get("generateName"):
            metadata["name"] = metadata["generateName"] + "x7k2p"
        path = f"{collection}/{metadata['name']}"
        if path in self.objects:
            return _status(409, f"{metadata['name']!r} already exists", reason="AlreadyExists")
        namespace = re.match(r".*/namespaces/([^/]+)/", collection + "/")
        if namespace and not collection.endswith("/namespaces"):
            if f"/api/v1/namespaces/{namespace.group(1)}" not in self.objects:
                return _status(404, f'namespaces "{namespace.group(1)}" not found')
            metadata["namespace"] = namespace.group(1)
        metadata["resourceVersion"] = self.bump()
        metadata["uid"] = f"uid-{self.version}"
        self.objects[path] = body
        if collection.endswith("/workflows") and self.controller is not None:
            self.workflow_statuses[(metadata["namespace"], metadata["name"])] = self.controller(body)
        if collection.endswith("/pods") and self.pod_result is not None:
            phase, text = self.pod_result(body)
            body["status"] = {"phase": phase}
            container = body["spec"]["containers"][0]["name"]
            self.logs[(metadata["namespace"], metadata["name"], container)] = text
        return Response(201, body)

    def _list(self, collection: str, selector: str | None) -> list[dict[str, Any]]:
        key, _, value = (selector or "").partition("=")
        items = []
        for path, obj in self.objects.items():
            if path.rsplit("/", 1)[0] != collection:
                continue
            if key and (obj.get("metadata", {}).get("labels") or {}).get(key) != value:
                continue
            items.append(obj)
        return items

    def _advance(self, namespace: str, name: str) -> dict[str, Any] | None:
        pending = self.workflow_statuses.get((namespace, name))
        if not pending:
            return None
        obj = self.objects[f"{ARGO_API}/namespaces/{namespace}/workflows/{name}"]
        obj["status"] = pending.pop(0)
        obj["metadata"]["resourceVersion"] = self.bump()
        copied: dict[str, Any] = json.loads(json.dumps(obj))
        return copied

    def _watch(self, path: str, query: dict[str, str]) -> Response:
        if self.watch == "broken":
            return _status(500, "watch is broken in this fake")
        if self.watch == "gone" and not self._gone_sent:
            self._gone_sent = True
            gone = {
                "type": "ERROR",
                "object": {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old resource version"},
            }
            return Response(200, iter([json.dumps(gone).encode() + b"\n"]))
        match = re.fullmatch(rf"{ARGO_API}/namespaces/([^/]+)/workflows", path)
        name = query.get("fieldSelector", "").removeprefix("metadata.name=")
        events: list[bytes] = []
        if match and self.watch != "silent":
            while (changed := self._advance(match.group(1), name)) is not None:
                events.append(json.dumps({"type": "MODIFIED", "object": changed}).encode() + b"\n")
        return Response(200, iter(events))


_VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]
_CORE_RESOURCES = (
    ("namespaces", "namespace", False, "Namespace"),
    ("pods", "pod", True, "Pod"),
    ("secrets", "secret", True, "Secret"),
    ("serviceaccounts", "serviceaccount", True, "ServiceAccount"),
    ("persistentvolumeclaims", "persistentvolumeclaim", True, "PersistentVolumeClaim"),
)
_ARGO_GROUP = {
    "name": "argoproj.io",
    "versions": [{"groupVersion": "argoproj.io/v1alpha1", "version": "v1alpha1"}],
    "preferredVersion": {"groupVersion": "argoproj.io/v1alpha1", "version": "v1alpha1"},
}


# What the API server publishes for Argo's CRDs: install.yaml's Workflow schema is open
# (x-kubernetes-preserve-unknown-fields), with the group, version and kind kubectl matches on.
_ARGO_OPENAPI = {
    "openapi": "3.0.0",
    "info": {"title": "Kubernetes CRD Swagger", "version": "v0.1.0"},
    # The PATCH operation with its fieldValidation parameter: kubectl then leaves validation to
    # the server (as against a real one) instead of downloading the whole OpenAPI v2 document
    # (k8s.io/kubectl/pkg/cmd/util/query_param_verifier_v3.go looks at PATCH only).
    "paths": {
        "/apis/argoproj.io/v1alpha1/namespaces/{namespace}/workflows/{name}": {
            "patch": {
                "parameters": [{"name": "fieldValidation", "in": "query", "schema": {"type": "string"}}],
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": {"group": "argoproj.io", "version": "v1alpha1", "kind": "Workflow"},
            }
        }
    },
    "components": {
        "schemas": {
            "io.argoproj.workflow.v1alpha1.Workflow": {
                "type": "object",
                "required": ["metadata", "spec"],
                "properties": {
                    "apiVersion": {"type": "string"},
                    "kind": {"type": "string"},
                    "metadata": {"type": "object"},
                    "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                    "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                },
                "x-kubernetes-group-version-kind": [
                    {"group": "argoproj.io", "kind": "Workflow", "version": "v1alpha1"}
                ],
            }
        }
    },
}


def _namespace_prefix(path: str) -> str:
    namespace = re.fullmatch(r"/api/v1/namespaces/([^/]+)", path)
    return f"/namespaces/{namespace.group(1)}/" if namespace else "\0"


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    """A JSON merge patch (RFC 7386): null removes a field, objects merge, the rest replaces."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        elif isinstance(value, dict):
            target[key] = {}
            _merge(target[key], value)
        else:
            target[key] = value


# The StatusReason the API server gives each code (k8s.io/apimachinery/pkg/apis/meta/v1/types.go);
# kubectl prints it as "Error from server (<reason>): <message>".
_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Expired",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


def _status(code: int, message: str, reason: str | None = None) -> Response:
    return Response(
        code,
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason or _REASONS.get(code, "Failure"),
            "code": code,
        },
    )


class FakeApiHandler(BaseHTTPRequestHandler):
    server: FakeApiServer

    def _serve(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        content_type = self.headers.get("Content-Type", "")
        response = self.server.fake.handle(Request(self.command, url.path, query, body, content_type))
        self.send_response(response.status)
        if isinstance(response.body, Iterator):
            self.send_header("Content-Type", "application/json")
            self.end_headers()  # no length: the stream ends when the connection closes
            for chunk in response.body:
                self.wfile.write(chunk)
                self.wfile.flush()
            return
        data = response.body if isinstance(response.body, bytes) else json.dumps(response.body).encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FakeApiServer(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeKubernetes

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout test) leaves a broken pipe behind: not worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def kubeconfig_for(path: Path, server: str) -> Path:
    """A kubeconfig with one context, ``fake`` (the current one), reaching ``server``."""
    return kubeconfig_with(path, {"fake": server}, current="fake")


def kubeconfig_with(path: Path, servers: dict[str, str], *, current: str) -> Path:
    """A kubeconfig with a context (and a cluster) of each name in ``servers``, reaching its URL."""
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": name, "cluster": {"server": url}} for name, url in servers.items()],
                "users": [{"name": "fake", "user": {"token": "fake-token"}}],
                "contexts": [{"name": name, "context": {"cluster": name, "user": "fake"}} for name in servers],
                "current-context": current,
            }
        )
    )
    return path


@contextlib.contextmanager
def running_fake(tmp_path: Path) -> Iterator[tuple[FakeKubernetes, Path]]:
    """A running fake API server and a kubeconfig pointing at it."""
    server = FakeApiServer(("127.0.0.1", 0), FakeApiHandler)
    server.fake = FakeKubernetes()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.fake, kubeconfig_for(tmp_path / "kubeconfig", f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
