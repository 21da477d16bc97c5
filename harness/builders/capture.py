"""Capture the workflows a function would submit, so build-and-submit code needs no refactor.

Inside ``capturing()`` the submission calls are replaced: the kubernetes
``CustomObjectsApi.create_*_custom_object`` family and Hera's ``WorkflowsService.create_workflow``
(which ``Workflow.create()`` goes through). Each records the exact body it would have sent, with
the namespace, and answers like the server would (the object back, with a generated name).
Pre-flight reads of PersistentVolumeClaims are answered too (every claim exists, or only
``existing_claims``), and any other request to a cluster or Argo server raises
``CaptureError``: nothing reaches the network.

The replacements are process-wide while active (that is how the user's unmodified code sees
them), so captures are serialised with a lock and a submission from another thread during a
capture is captured as well instead of being sent.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import itertools
import json
import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from unittest import mock

from hera.workflows import models as hera_models
from hera.workflows.async_service import AsyncWorkflowsService
from hera.workflows.service import WorkflowsService
from kubernetes.client import (
    ApiClient,
    CoreV1Api,
    CustomObjectsApi,
    V1ObjectMeta,
    V1PersistentVolumeClaim,
)
from kubernetes.client.exceptions import ApiException
from kubernetes.client.rest import RESTClientObject

KUBERNETES_CREATE = "kubernetes.CustomObjectsApi.create_namespaced_custom_object"
KUBERNETES_CREATE_CLUSTER = "kubernetes.CustomObjectsApi.create_cluster_custom_object"
HERA_CREATE = "hera.WorkflowsService.create_workflow"

_CAPTURE_LOCK = threading.RLock()
_names = itertools.count(1)


class CaptureError(RuntimeError):
    """The captured function did something a capture cannot answer, or not what was expected."""


@dataclass(frozen=True)
class CapturedSubmission:
    """One create call the function made: the JSON body exactly as it would have been sent."""

    body: dict[str, Any]
    namespace: str | None
    api: str
    plural: str = "workflows"


@dataclass(frozen=True)
class Captured:
    """What a captured call returned and every submission it made, in order."""

    return_value: Any
    submissions: tuple[CapturedSubmission, ...]

    @property
    def only(self) -> CapturedSubmission:
        """The single submission; a function that submitted none or several is an error."""
        if len(self.submissions) != 1:
            raise CaptureError(f"expected exactly one submission, the function made {len(self.submissions)}")
        return self.submissions[0]


@dataclass
class SubmissionCapture:
    """Context manager that records submissions; see ``capturing``."""

    existing_claims: Collection[str] | None = None
    submissions: list[CapturedSubmission] = field(default_factory=list)
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack, repr=False)

    def __enter__(self) -> SubmissionCapture:
        _CAPTURE_LOCK.acquire()
        try:
            for owner, attribute, replacement in self._replacements():
                self._stack.enter_context(mock.patch.object(owner, attribute, _as_method(replacement)))
        except BaseException:
            self._stack.close()
            _CAPTURE_LOCK.release()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            self._stack.close()
        finally:
            _CAPTURE_LOCK.release()

    def _replacements(self) -> Iterator[tuple[type[Any], str, Any]]:
        yield CustomObjectsApi, "create_namespaced_custom_object", self._k8s_create_namespaced
        yield CustomObjectsApi, "create_namespaced_custom_object_with_http_info", self._k8s_namespaced_http
        yield CustomObjectsApi, "create_cluster_custom_object", self._k8s_create_cluster
        yield CustomObjectsApi, "create_cluster_custom_object_with_http_info", self._k8s_cluster_http
        yield CoreV1Api, "read_namespaced_persistent_volume_claim", self._read_claim
        yield WorkflowsService, "create_workflow", self._hera_create
        yield AsyncWorkflowsService, "create_workflow", self._hera_create_async
        # Guards: anything not answered above would otherwise open a connection.
        yield RESTClientObject, "request", _refuse_kubernetes_request
        yield WorkflowsService, "_request", _refuse_argo_request
        yield AsyncWorkflowsService, "_request", _refuse_argo_request

    # --- kubernetes --------------------------------------------------------------------------

    def _k8s_create_namespaced(
        self, _api: Any, group: str, version: str, namespace: str, plural: str, body: Any, **_: Any
    ) -> dict[str, Any]:
        return self._record(_kubernetes_json(body), namespace, KUBERNETES_CREATE, plural)

    def _k8s_namespaced_http(self, api: Any, *args: Any, **kwargs: Any) -> tuple[dict[str, Any], int, dict[str, str]]:
        return self._k8s_create_namespaced(api, *args, **kwargs), 201, {}

    def _k8s_create_cluster(
        self, _api: Any, group: str, version: str, plural: str, body: Any, **_: Any
    ) -> dict[str, Any]:
        return self._record(_kubernetes_json(body), None, KUBERNETES_CREATE_CLUSTER, plural)

    def _k8s_cluster_http(self, api: Any, *args: Any, **kwargs: Any) -> tuple[dict[str, Any], int, dict[str, str]]:
        return self._k8s_create_cluster(api, *args, **kwargs), 201, {}

    def _read_claim(self, _api: Any, name: str, namespace: str, **_: Any) -> V1PersistentVolumeClaim:
        if self.existing_claims is not None and name not in self.existing_claims:
            raise ApiException(status=404, reason=f'persistentvolumeclaims "{name}" not found')
        return V1PersistentVolumeClaim(metadata=V1ObjectMeta(name=name, namespace=namespace))

    # --- hera --------------------------------------------------------------------------------

    def _hera_create(
        self, service: WorkflowsService | AsyncWorkflowsService, req: Any, namespace: str | None = None
    ) -> hera_models.Workflow:
        # The same serialisation WorkflowsService.create_workflow puts on the wire.
        sent = req.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_unset=True, exclude_defaults=True)
        target = namespace if namespace is not None else service.namespace
        created = self._record(sent["workflow"], target, HERA_CREATE, "workflows")
        return hera_models.Workflow.model_validate(created)

    async def _hera_create_async(
        self, service: AsyncWorkflowsService, req: Any, namespace: str | None = None
    ) -> hera_models.Workflow:
        return self._hera_create(service, req, namespace)

    def _record(self, body: dict[str, Any], namespace: str | None, api: str, plural: str) -> dict[str, Any]:
        self.submissions.append(CapturedSubmission(body=body, namespace=namespace, api=api, plural=plural))
        return _as_created(body, namespace)


def capturing(*, existing_claims: Collection[str] | None = None) -> SubmissionCapture:
    """``with capturing() as cap: submit(...)``, then ``cap.submissions``.

    ``existing_claims``: the PVC names a pre-flight read finds; None means every claim exists.
    """
    return SubmissionCapture(existing_claims=existing_claims)


def capture(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Captured:
    """Call ``fn(*args, **kwargs)`` with submission intercepted; every claim is taken to exist."""
    with capturing() as cap:
        result = fn(*args, **kwargs)
    return Captured(return_value=result, submissions=tuple(cap.submissions))


def as_builder(
    target: str | Callable[..., Any], *, existing_claims: Collection[str] | None = None
) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """Turn a build-and-submit function ``fn(inputs)`` into a builder ``build(inputs) -> dict``.

    ``target`` is the function or a ``package.module:attr`` reference, resolved on first use so a
    module can define ``build = as_builder("myapp.jobs:submit_job")`` without import cycles.
    The function must submit exactly one workflow; its body, placed in the namespace it was
    sent to (as the API server does), is the manifest.
    """

    def build(inputs: Mapping[str, Any]) -> dict[str, Any]:
        fn = _resolve(target) if isinstance(target, str) else target
        with capturing(existing_claims=existing_claims) as cap:
            fn(inputs)
        submission = Captured(return_value=None, submissions=tuple(cap.submissions)).only
        return _in_namespace(submission)

    build.__qualname__ = build.__name__ = f"as_builder({target if isinstance(target, str) else target.__name__})"
    return build


def _in_namespace(submission: CapturedSubmission) -> dict[str, Any]:
    body = copy.deepcopy(submission.body)
    metadata = body.setdefault("metadata", {})
    declared = metadata.get("namespace")
    if submission.namespace is None:
        return body
    if declared is not None and declared != submission.namespace:
        raise CaptureError(
            f"the body says namespace {declared!r} but was sent to {submission.namespace!r}; "
            "the API server would reject it"
        )
    metadata["namespace"] = submission.namespace
    return body


def _as_method(bound: Callable[..., Any]) -> Callable[..., Any]:
    # A plain function binds to the patched class's instance, so the replacement sees the api
    # or service object (and its namespace) the user's code called it on.
    def method(instance: Any, *args: Any, **kwargs: Any) -> Any:
        return bound(instance, *args, **kwargs)

    return method


def _resolve(reference: str) -> Callable[..., Any]:
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise CaptureError(f"{reference!r} is not a 'package.module:attr' reference")
    obj: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise CaptureError(f"{reference!r} is not callable")
    return obj  # type: ignore[no-any-return]


def _kubernetes_json(body: Any) -> dict[str, Any]:
    # What the kubernetes client does before sending: models to camelCase dicts, then JSON.
    client: Any = ApiClient()
    sanitized = client.sanitize_for_serialization(body)
    return json.loads(json.dumps(sanitized))  # type: ignore[no-any-return]


def _as_created(body: Mapping[str, Any], namespace: str | None) -> dict[str, Any]:
    created = copy.deepcopy(dict(body))
    metadata = created.setdefault("metadata", {})
    if namespace is not None:
        metadata.setdefault("namespace", namespace)
    if not metadata.get("name"):
        # Code often reads the generated name back from the response, as from a real server.
        metadata["name"] = f"{metadata.get('generateName', 'captured-')}capture{next(_names)}"
    return created


def _refuse_kubernetes_request(_client: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
    raise CaptureError(f"kubernetes request {method} {url} would have reached a cluster during capture")


def _refuse_argo_request(_service: Any, method: str, **kwargs: Any) -> Any:
    raise CaptureError(f"Argo server request {method.upper()} {kwargs.get('url')} during capture")


# Ready-made builders over the reference submit functions (``--legacy harness.builders.capture:legacy_submit``):
# comparing them with the plain builders proves the submit path sends what the builder builds.
legacy_submit = as_builder("harness.builders.legacy:submit")
hera_submit = as_builder("harness.builders.hera:submit")
