"""Capture the workflows a function would submit, so build-and-submit code needs no refactor.

Inside ``capturing()`` the submission calls are replaced: the kubernetes
``CustomObjectsApi.create_*_custom_object`` family, Hera's ``WorkflowsService.create_workflow``
(which ``Workflow.create()`` goes through; the host it names is never called) and its
template and cron-workflow creates, and ``kubectl create|apply -f`` or ``argo submit`` run through
``subprocess`` or ``os.system`` (``harness.builders.capture_commands``). Each records the exact
body it would have sent, with the namespace, and answers like the server would (the object back,
with a generated name). Kubernetes configuration loading (``config.load_kube_config()``,
``load_incluster_config()``, ``new_client_from_config()``) succeeds with no kubeconfig, pre-flight
reads of PersistentVolumeClaims are answered (every claim exists, or only ``existing_claims``),
and any other request to a cluster or Argo server raises ``CaptureError`` naming the call:
nothing reaches the network. A create the API server would reject (a resource other than
Argo's workflow kinds under argoproj.io/v1alpha1, a body of another kind) is refused; with
``require_configuration`` (``capture:`` references) so is a kubernetes call with no configuration
loaded and a Hera create with no Argo host, as the real calls would fail.

The replacements are process-wide while active (that is how the user's unmodified code sees
them), so captures are serialised with a lock and a submission from another thread during a
capture is captured as well instead of being sent.

``capture:package.module:attr`` as a builder reference (``harness.builders.resolve_builder``)
stands for :func:`reference_builder` over that function.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import importlib
import inspect
import itertools
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, NoReturn
from unittest import mock

from hera.workflows import models as hera_models
from hera.workflows.async_service import AsyncWorkflowsService
from hera.workflows.service import WorkflowsService
from kubernetes.client import (
    ApiClient,
    Configuration,
    CoreV1Api,
    CustomObjectsApi,
    V1ObjectMeta,
    V1PersistentVolumeClaim,
)
from kubernetes.client.exceptions import ApiException
from kubernetes.client.rest import RESTClientObject
from kubernetes.config import kube_config
from kubernetes.config.incluster_config import InClusterConfigLoader

from harness.builders import capture_commands
from harness.spec.fields import ARGO_API_VERSION, ARGO_GROUP, WORKFLOW_API_VERSION, WORKFLOW_PLURAL

KUBERNETES_CREATE = "kubernetes.CustomObjectsApi.create_namespaced_custom_object"
KUBERNETES_CREATE_CLUSTER = "kubernetes.CustomObjectsApi.create_cluster_custom_object"
HERA_CREATE = "hera.WorkflowsService.create_workflow"
HERA_CREATE_TEMPLATE = "hera.WorkflowsService.create_workflow_template"
HERA_CREATE_CLUSTER_TEMPLATE = "hera.WorkflowsService.create_cluster_workflow_template"
HERA_CREATE_CRON = "hera.WorkflowsService.create_cron_workflow"
KUBECTL_CREATE = "kubectl create"
KUBECTL_APPLY = "kubectl apply"
ARGO_SUBMIT = "argo submit"
CAPTURE_PREFIX = "capture:"
# Where a stubbed kubernetes configuration points: a name that never resolves.
CAPTURE_HOST = "https://kubernetes.capture.invalid"
# The host of a kubernetes Configuration nobody configured (client versions differ): such a
# client would call http://localhost.
_UNCONFIGURED_HOSTS = frozenset({"", "http://localhost", Configuration().host})
# Argo's workflow resources the API server serves under argoproj.io/v1alpha1: plural -> kind.
NAMESPACED_ARGO_PLURALS: dict[str, str] = {
    WORKFLOW_PLURAL: "Workflow",
    "workflowtemplates": "WorkflowTemplate",
    "cronworkflows": "CronWorkflow",
}
CLUSTER_ARGO_PLURALS: dict[str, str] = {"clusterworkflowtemplates": "ClusterWorkflowTemplate"}
ARGO_KINDS = frozenset({*NAMESPACED_ARGO_PLURALS.values(), *CLUSTER_ARGO_PLURALS.values()})
NO_ARGO_SERVER = "has no Argo server: set workflows_service or global_config.host"
NO_KUBERNETES_CONFIGURATION = (
    "the kubernetes client was used with no configuration loaded (it would call http://localhost)"
)

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
    """Context manager that records submissions; see ``capturing``.

    ``refusals`` are the calls refused during the capture (each also raised ``CaptureError``
    where it was made, but code may have caught it); ``failures`` are kubectl or argo commands
    that failed the way the real tool would have (exit status 1).

    ``require_configuration``: a kubernetes call with no configuration loaded (nor a host set)
    and a Hera create with no Argo host are refused, as the real calls would fail. Off for the
    library (the caller may stand for a process that configured both at startup); on for
    ``capture:`` references, where the function and its module are all there is.
    """

    existing_claims: Collection[str] | None = None
    require_configuration: bool = False
    submissions: list[CapturedSubmission] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack, repr=False)

    def __enter__(self) -> SubmissionCapture:
        _CAPTURE_LOCK.acquire()
        try:
            # A stubbed configuration loader sets the process default: put the caller's back.
            self._stack.callback(setattr, Configuration, "_default", Configuration._default)
            for owner, attribute, replacement in self._replacements():
                self._stack.enter_context(mock.patch.object(owner, attribute, _as_method(replacement)))
            for module, attribute, value in self._module_replacements():
                self._stack.enter_context(mock.patch.object(module, attribute, value))
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
        yield InClusterConfigLoader, "load_and_set", _stub_incluster_load
        for service in (WorkflowsService, AsyncWorkflowsService):
            sync = service is WorkflowsService
            for attribute, replacement in self._hera_creates():
                yield service, attribute, replacement if sync else _async(replacement)
            yield service, "submit_workflow", self._hera_submit if sync else _async(self._hera_submit)
        # Guards: anything not answered above would otherwise open a connection.
        yield RESTClientObject, "request", self._refuse_kubernetes_request
        yield WorkflowsService, "_request", self._refuse_argo_request
        yield AsyncWorkflowsService, "_request", self._refuse_argo_request
        yield capture_commands.ORIGINAL_POPEN, "_execute_child", capture_commands.guard_execute_child(self)

    def _module_replacements(self) -> Iterator[tuple[Any, str, Any]]:
        # The loader every kube_config entry point goes through, so a `from kubernetes.config
        # import load_kube_config` made before the capture is stubbed too.
        yield kube_config, "_get_kube_config_loader", _stub_kube_config_loader
        yield subprocess, "Popen", capture_commands.popen_class(self)
        yield os, "system", capture_commands.system_function(self)

    def _hera_creates(self) -> Iterator[tuple[str, Callable[..., Any]]]:
        send = self._hera_send
        yield "create_workflow", functools.partial(send, field="workflow", api=HERA_CREATE, model="Workflow")
        yield (
            "create_workflow_template",
            functools.partial(send, field="template", api=HERA_CREATE_TEMPLATE, model="WorkflowTemplate"),
        )
        yield (
            "create_cron_workflow",
            functools.partial(send, field="cronWorkflow", api=HERA_CREATE_CRON, model="CronWorkflow"),
        )
        yield (
            "create_cluster_workflow_template",
            functools.partial(
                send, field="template", api=HERA_CREATE_CLUSTER_TEMPLATE, model="ClusterWorkflowTemplate", cluster=True
            ),
        )

    # --- the session capture_commands reports to ----------------------------------------------

    def record(self, body: dict[str, Any], namespace: str | None, api: str, plural: str) -> dict[str, Any]:
        return self._record(body, namespace, api, plural)

    def refuse(self, message: str) -> NoReturn:
        self.refusals.append(message)
        raise CaptureError(message)

    def failed(self, message: str) -> None:
        self.failures.append(message)

    # --- kubernetes --------------------------------------------------------------------------

    def _k8s_create_namespaced(
        self, api: Any, group: str, version: str, namespace: str, plural: str, body: Any, **_: Any
    ) -> dict[str, Any]:
        self._check_configured(api)
        sent = _kubernetes_json(body)
        self._check_resource(KUBERNETES_CREATE, group, version, plural, sent, NAMESPACED_ARGO_PLURALS)
        return self._record(sent, namespace, KUBERNETES_CREATE, plural)

    def _k8s_namespaced_http(self, api: Any, *args: Any, **kwargs: Any) -> tuple[dict[str, Any], int, dict[str, str]]:
        return self._k8s_create_namespaced(api, *args, **kwargs), 201, {}

    def _k8s_create_cluster(
        self, api: Any, group: str, version: str, plural: str, body: Any, **_: Any
    ) -> dict[str, Any]:
        self._check_configured(api)
        sent = _kubernetes_json(body)
        self._check_resource(KUBERNETES_CREATE_CLUSTER, group, version, plural, sent, CLUSTER_ARGO_PLURALS)
        return self._record(sent, None, KUBERNETES_CREATE_CLUSTER, plural)

    def _k8s_cluster_http(self, api: Any, *args: Any, **kwargs: Any) -> tuple[dict[str, Any], int, dict[str, str]]:
        return self._k8s_create_cluster(api, *args, **kwargs), 201, {}

    def _read_claim(self, api: Any, name: str, namespace: str, **_: Any) -> V1PersistentVolumeClaim:
        self._check_configured(api)
        if self.existing_claims is not None and name not in self.existing_claims:
            raise ApiException(status=404, reason=f'persistentvolumeclaims "{name}" not found')
        return V1PersistentVolumeClaim(metadata=V1ObjectMeta(name=name, namespace=namespace))

    def _check_configured(self, api: Any) -> None:
        """A client whose configuration nobody loaded or gave a host would call http://localhost."""
        host = getattr(getattr(getattr(api, "api_client", None), "configuration", None), "host", None)
        if self.require_configuration and host in _UNCONFIGURED_HOSTS:
            self.refuse(NO_KUBERNETES_CONFIGURATION)

    def _check_resource(
        self, api: str, group: str, version: str, plural: str, body: Mapping[str, Any], served: Mapping[str, str]
    ) -> None:
        """What the API server would reject: a resource it does not serve (404), a body whose
        apiVersion or kind is not the resource's (400)."""
        call = f"{api.rpartition('.')[2]}({group!r}, {version!r}, plural={plural!r})"
        if group != ARGO_GROUP or version != ARGO_API_VERSION or plural not in served:
            self.refuse(
                f"kubernetes {call}: the API server would answer 404 NotFound (the server could not find "
                f"the requested resource); Argo serves {', '.join(served)} under {ARGO_GROUP}/{ARGO_API_VERSION}"
            )
        kind = served[plural]
        if body.get("apiVersion") != WORKFLOW_API_VERSION:
            self.refuse(
                f"kubernetes {call}: the API server would answer 400 BadRequest: the API version in the body "
                f"({body.get('apiVersion')}) does not match the expected API version ({WORKFLOW_API_VERSION})"
            )
        if body.get("kind") != kind:
            self.refuse(
                f"kubernetes {call}: the API server would answer 400 BadRequest: the kind in the body "
                f"({body.get('kind')}) does not match the expected kind ({kind})"
            )

    def _refuse_kubernetes_request(self, _client: Any, method: str, url: str, *args: Any, **kwargs: Any) -> NoReturn:
        call = _api_call("/kubernetes/client/api/")
        named = f"kubernetes {call} ({method} {url})" if call else f"kubernetes request {method} {url}"
        self.refuse(
            f"{named} would have reached a cluster during capture; only CustomObjectsApi creates "
            "and PersistentVolumeClaim reads are answered"
        )

    # --- hera --------------------------------------------------------------------------------

    def _hera_send(
        self,
        service: WorkflowsService | AsyncWorkflowsService,
        req: Any,
        namespace: str | None = None,
        *,
        field: str,
        api: str,
        model: str,
        cluster: bool = False,
    ) -> Any:
        if self.require_configuration and not service.host:
            # hera fails here too: valid_host_scheme(None) -> AttributeError on None.startswith.
            call = _api_call("/hera/workflows/")
            self.refuse(f"{call or type(service).__name__ + '.' + api.rpartition('.')[2]}() {NO_ARGO_SERVER}")
        # The same serialisation WorkflowsService puts on the wire.
        sent = req.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_unset=True, exclude_defaults=True)
        target = None if cluster else (namespace if namespace is not None else service.namespace)
        plural = {"Workflow": "workflows", "CronWorkflow": "cronworkflows"}.get(model, model.lower() + "s")
        created = self._record(sent[field], target, api, plural)
        return getattr(hera_models, model).model_validate(created)

    def _hera_submit(self, _service: Any, req: Any, namespace: str | None = None) -> NoReturn:
        self.refuse(
            f"hera WorkflowsService.submit_workflow submits the stored {req.resource_kind} "
            f"{req.resource_name!r}, which the capture cannot see; only workflows sent in full are captured"
        )

    def _refuse_argo_request(self, _service: Any, method: str, **kwargs: Any) -> NoReturn:
        call = _api_call("/hera/workflows/")
        named = f" (hera {call})" if call else ""
        self.refuse(
            f"Argo server request {method.upper()} {kwargs.get('url')}{named} during capture; "
            "only workflow, template and cron-workflow creates are answered"
        )

    def _record(self, body: dict[str, Any], namespace: str | None, api: str, plural: str) -> dict[str, Any]:
        self.submissions.append(CapturedSubmission(body=body, namespace=namespace, api=api, plural=plural))
        return _as_created(body, namespace)


def capturing(
    *, existing_claims: Collection[str] | None = None, require_configuration: bool = False
) -> SubmissionCapture:
    """``with capturing() as cap: submit(...)``, then ``cap.submissions``.

    ``existing_claims``: the PVC names a pre-flight read finds; None means every claim exists.
    ``require_configuration``: see :class:`SubmissionCapture`.
    """
    return SubmissionCapture(existing_claims=existing_claims, require_configuration=require_configuration)


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


def _api_call(marker: str) -> str | None:
    """The outermost function of ``marker``'s files on the stack: the API call user code made
    (``CoreV1Api.list_namespaced_pod``), for a refusal that names it."""
    found = None
    frame = sys._getframe(1)
    while frame is not None:
        if marker in frame.f_code.co_filename.replace(os.sep, "/"):
            found = frame.f_code.co_qualname
        frame = frame.f_back  # type: ignore[assignment]
    return found


def _async(replacement: Callable[..., Any]) -> Callable[..., Any]:
    async def method(*args: Any, **kwargs: Any) -> Any:
        return replacement(*args, **kwargs)

    return method


class _CapturedKubeConfig:
    """What a kubeconfig loader answers during a capture: one context, a host that never resolves."""

    context = {"name": "capture", "context": {"cluster": "capture", "user": "capture"}}

    def load_and_set(self, client_configuration: Any) -> None:
        client_configuration.host = CAPTURE_HOST

    def list_contexts(self) -> list[dict[str, Any]]:
        return [self.context]

    @property
    def current_context(self) -> dict[str, Any]:
        return self.context


def _stub_kube_config_loader(*_: Any, **__: Any) -> _CapturedKubeConfig:
    return _CapturedKubeConfig()


def _stub_incluster_load(_loader: Any, client_configuration: Any = None) -> None:
    if client_configuration is None:
        client_configuration = Configuration()
        client_configuration.host = CAPTURE_HOST
        Configuration.set_default(client_configuration)
    else:
        client_configuration.host = CAPTURE_HOST


def reference_builder(fn: Callable[..., Any], reference: str) -> Callable[..., Any]:
    """The builder ``capture:package.module:attr`` stands for: ``fn`` called with its arguments
    passed through (so any call mode applies) under :func:`capturing`.

    It returns the workflow submitted, placed in the namespace it was sent to; several
    submissions come back as one ``kind: List`` of them, matched by kind and name when compared.
    A function that submits nothing, or that made a call the capture refused (even one it then
    caught), raises ``CaptureError``: a crash of that side. An ``async`` function is run to the end.
    """

    @functools.wraps(fn)
    def build(*args: Any, **kwargs: Any) -> dict[str, Any]:
        with capturing(require_configuration=True) as cap:
            try:
                result = fn(*args, **kwargs)
                if inspect.isawaitable(result):
                    asyncio.run(_awaited(result))
            except Exception as exc:
                explained = _explained(reference, cap, exc)
                if explained is exc:
                    raise
                raise explained from exc
        if cap.refusals:
            raise CaptureError(f"{reference}: {cap.refusals[0]} (refused during capture; the function went on)")
        if not cap.submissions:
            failed = f" ({'; '.join(cap.failures)})" if cap.failures else ""
            raise CaptureError(f"{reference} submitted no workflow{failed}")
        kinds = [submission.body.get("kind") for submission in cap.submissions]
        if not ARGO_KINDS.intersection(kinds):
            raise CaptureError(
                f"{reference} submitted no Argo workflow object (sent: {', '.join(map(str, kinds))}; "
                f"expected one of {', '.join(sorted(ARGO_KINDS))})"
            )
        manifests = [_in_namespace(submission) for submission in cap.submissions]
        if len(manifests) == 1:
            return manifests[0]
        return {"apiVersion": "v1", "kind": "List", "items": manifests}

    build.__capture_reference__ = reference  # type: ignore[attr-defined]
    return build


async def _awaited(result: Any) -> Any:
    return await result


def _explained(reference: str, cap: SubmissionCapture, exc: Exception) -> Exception:
    """The error a captured function's exception becomes: a refused call or a failed command is
    why, when there was one; a refusal of the input (``ValueError``) otherwise stays one."""
    if cap.refusals:
        return CaptureError(f"{reference}: {cap.refusals[0]}")
    if isinstance(exc, CaptureError):
        return exc
    if cap.failures and not isinstance(exc, ValueError):
        return CaptureError(f"{reference}: {cap.failures[-1]}; then {type(exc).__name__}: {exc}")
    return exc


# Ready-made builders over the reference submit functions (``--legacy harness.builders.capture:legacy_submit``):
# comparing them with the plain builders proves the submit path sends what the builder builds.
legacy_submit = as_builder("harness.builders.legacy:submit")
hera_submit = as_builder("harness.builders.hera:submit")
