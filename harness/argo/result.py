"""``WorkflowResult[T]``: the outcome of one Argo or Kubernetes operation, as a value.

Every ``ArgoService`` method returns one (the contract of the ArgoService improvement plan:
``success``, ``data``, ``error``, ``success_result``, ``error_result``): either the data, or a
failure whose ``error`` is a one-line text a person can act on, with a ``kind`` a caller can
branch on (``not-found``, ``forbidden``, ``conflict``, ``invalid``, ``timeout``, ``unavailable``,
``api-error``). Callers never see a kubernetes ``ApiException``, a urllib3 traceback or kubectl's
exit status; ``unwrap()`` turns a failure back into an exception (``ArgoError``) where raising is
what the caller wants.

Nothing here imports kubernetes: exceptions are recognised by their class names, so this module
costs nothing to import.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

_T = TypeVar("_T")
_U = TypeVar("_U")


class FailureKind(StrEnum):
    NOT_FOUND = "not-found"  # 404: the object (or the API: a CRD that is not installed) is not there
    FORBIDDEN = "forbidden"  # 401/403: the credentials may not do this
    CONFLICT = "conflict"  # 409: it already exists, or changed under us
    INVALID = "invalid"  # 400/422: the API server refused the object
    TIMEOUT = "timeout"  # the operation (or the wait) took longer than allowed
    UNAVAILABLE = "unavailable"  # no configuration, no package, the API unreachable or overloaded
    API_ERROR = "api-error"  # anything else the API answered


class ArgoError(RuntimeError):
    """A failed ``WorkflowResult`` raised by ``unwrap()``."""

    def __init__(self, kind: FailureKind, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class WorkflowResult(Generic[_T]):
    """The data of a successful operation, or why it failed (the plan's contract, with extras).

    ``success`` is True exactly when ``error`` is None; ``data`` may be None for operations that
    return nothing (a deletion). Extras: ``kind`` (a ``FailureKind`` for a failure, None for a
    success) and ``status``, the HTTP status the API answered with, when it answered.
    """

    success: bool
    data: _T | None = None
    error: str | None = None
    kind: FailureKind | None = None
    status: int | None = None

    def __post_init__(self) -> None:
        if self.success and (self.error is not None or self.kind is not None):
            raise ValueError("a successful WorkflowResult has no error")
        if not self.success:
            if not self.error:
                raise ValueError("a failed WorkflowResult needs an error")
            if self.kind is None:  # the plan's error_result(error) names no kind
                object.__setattr__(self, "kind", FailureKind.API_ERROR)

    @classmethod
    def success_result(cls, data: _T) -> WorkflowResult[_T]:
        return cls(success=True, data=data)

    @staticmethod
    def error_result(
        error: str, kind: FailureKind = FailureKind.API_ERROR, *, status: int | None = None
    ) -> WorkflowResult[Any]:
        return WorkflowResult(success=False, error=error, kind=kind, status=status)

    @staticmethod
    def from_exception(exc: BaseException, doing: str) -> WorkflowResult[Any]:
        """The failure an exception stands for, its error prefixed with what was being done."""
        kind, reason, status = classify_failure(exc)
        return WorkflowResult(success=False, error=f"{doing}: {reason}", kind=kind, status=status)

    def failed_as(self, doing: str) -> WorkflowResult[Any]:
        """This failure, its error prefixed with what was being done (kind and status kept)."""
        return WorkflowResult(success=False, error=f"{doing}: {self.error}", kind=self.kind, status=self.status)

    def unwrap(self) -> _T:
        """The data; raises ``ArgoError`` for a failure."""
        if not self.success:
            raise ArgoError(self.kind or FailureKind.API_ERROR, self.error or "failed", self.status)
        return self.data  # type: ignore[return-value]  # None only where _T admits it

    def data_or(self, default: _U) -> _T | _U:
        return default if not self.success or self.data is None else self.data

    def map(self, function: Callable[[_T], _U]) -> WorkflowResult[_U]:
        """Apply ``function`` to the data of a success; a failure passes through unchanged."""
        if not self.success:
            return WorkflowResult(success=False, error=self.error, kind=self.kind, status=self.status)
        return WorkflowResult(success=True, data=function(self.data))  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"ok: {self.data!r}" if self.success else f"{self.kind}: {self.error}"


# --- exceptions -> failures -----------------------------------------------------------------------

_BY_STATUS = {
    400: FailureKind.INVALID,
    401: FailureKind.FORBIDDEN,
    403: FailureKind.FORBIDDEN,
    404: FailureKind.NOT_FOUND,
    408: FailureKind.TIMEOUT,
    409: FailureKind.CONFLICT,
    422: FailureKind.INVALID,
    429: FailureKind.UNAVAILABLE,
    502: FailureKind.UNAVAILABLE,
    503: FailureKind.UNAVAILABLE,
    504: FailureKind.TIMEOUT,
}
_TIMEOUT_CLASSES = {"TimeoutError", "ReadTimeoutError", "ConnectTimeoutError", "timeout", "TimeoutExpired"}
_UNREACHABLE_CLASSES = {
    "NewConnectionError",
    "ConnectionError",
    "ProtocolError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "NameResolutionError",
    "SSLError",
}
_ERRNO = re.compile(r"\[Errno -?\d+\] [^'\")]+")


def classify_failure(exc: BaseException) -> tuple[FailureKind, str, int | None]:
    """(kind, one-line reason, HTTP status) for an exception the kubernetes client raised."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    if "ApiException" in names or "OpenApiException" in names:
        status = getattr(exc, "status", None)
        status = status if isinstance(status, int) and status > 0 else None
        if status is None:  # the client raised it without an answer: nothing was reached
            return FailureKind.UNAVAILABLE, _api_message(exc, None), None
        return _BY_STATUS.get(status, FailureKind.API_ERROR), _api_message(exc, status), status
    if "ConfigException" in names:
        return FailureKind.UNAVAILABLE, _first_line(exc), None
    if isinstance(exc, ImportError):
        return FailureKind.UNAVAILABLE, f"a Python package is missing ({_first_line(exc)})", None
    if "MaxRetryError" in names:
        inner = getattr(exc, "reason", None)
        if isinstance(inner, BaseException):
            kind, reason, _ = classify_failure(inner)
            return kind, reason, None
        return FailureKind.UNAVAILABLE, _connection_reason(exc), None
    # Before the timeouts: urllib3's NewConnectionError subclasses ConnectTimeoutError, but a
    # refused connection is a server that is not there, not a slow one.
    if names & _UNREACHABLE_CLASSES or isinstance(exc, ConnectionError):
        return FailureKind.UNAVAILABLE, f"cannot connect ({_connection_reason(exc)})", None
    if names & _TIMEOUT_CLASSES:
        return FailureKind.TIMEOUT, f"timed out ({_connection_reason(exc)})", None
    return FailureKind.API_ERROR, f"{type(exc).__name__}: {_first_line(exc)}", None


def _api_message(exc: BaseException, status: int | None) -> str:
    """The API server's own message (a ``Status`` object's ``message``), else the HTTP reason."""
    body = getattr(exc, "body", None)
    message = None
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if isinstance(body, str) and body.strip():
        try:
            decoded = json.loads(body)
        except ValueError:
            message = body.strip().splitlines()[0]
        else:
            if isinstance(decoded, dict) and decoded.get("message"):
                message = str(decoded["message"])
    if not message:
        message = str(getattr(exc, "reason", None) or "no reason given")
    return f"{message} (HTTP {status})" if status else message


def _connection_reason(exc: BaseException) -> str:
    text = str(exc)
    match = _ERRNO.search(text)
    if match:
        return match.group(0).strip()
    return _first_line(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


# --- kubectl's error output -> failures -------------------------------------------------------------

# kubectl prints an API error as "Error from server (<StatusReason>): <message>"
# (k8s.io/kubectl/pkg/cmd/util/helpers.go, StandardErrorMessage); the reasons are the API's
# StatusReason values (k8s.io/apimachinery/pkg/apis/meta/v1/types.go), mapped to their HTTP codes.
_STATUS_OF_REASON = {
    "BadRequest": 400,
    "Unauthorized": 401,
    "Forbidden": 403,
    "NotFound": 404,
    "MethodNotAllowed": 405,
    "AlreadyExists": 409,
    "Conflict": 409,
    "Gone": 410,
    "Expired": 410,
    "Invalid": 422,
    "TooManyRequests": 429,
    "InternalError": 500,
    "ServiceUnavailable": 503,
    "Timeout": 504,
    "ServerTimeout": 504,
}
_FROM_SERVER = re.compile(r"^Error from server \((\w+)\): (.*)$")
# An Invalid status (422): "The Workflow "x" is invalid: spec.entrypoint: Required value" when
# the server names the object in its details, else "The request is invalid: ...".
_INVALID = re.compile(r'^The (\S+ "[^"]*"|request) is invalid')
# klog lines kubectl writes before its message: "E1202 03:13:00.095187   22399 memcache.go:265] ..."
_KLOG = re.compile(r"^[IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d+ +\d+ \S+:\d+\] ")
_CLIENT_TIMEOUTS = ("i/o timeout", "Client.Timeout", "context deadline exceeded", "TLS handshake timeout")


def classify_kubectl_error(stderr: str, stdout: str = "") -> tuple[FailureKind, str, int | None]:
    """(kind, one-line reason, HTTP status) for what a failed kubectl command wrote."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip() and not _KLOG.match(line.strip())]
    if not lines:
        lines = [line.strip() for line in stdout.splitlines() if line.strip()]
    if not lines:
        return FailureKind.API_ERROR, "kubectl failed without a message", None
    message = lines[-1]
    for line in lines:  # the server's answer, when there is one, says the most
        found = _FROM_SERVER.match(line)
        if found:
            status = _STATUS_OF_REASON.get(found.group(1))
            kind = _BY_STATUS.get(status, FailureKind.API_ERROR) if status else FailureKind.API_ERROR
            return kind, found.group(2), status
        if _INVALID.match(line):
            return FailureKind.INVALID, line, 422
    if "You must be logged in to the server" in message or "(Unauthorized)" in message:
        return FailureKind.FORBIDDEN, message, 401
    if message.startswith("Unable to connect to the server"):
        if any(marker in message for marker in _CLIENT_TIMEOUTS):
            return FailureKind.TIMEOUT, message, None
        return FailureKind.UNAVAILABLE, message, None
    if message.startswith("The connection to the server") or "connection refused" in message:
        return FailureKind.UNAVAILABLE, message, None
    if "the server doesn't have a resource type" in message:  # the Workflow CRD is not installed
        return FailureKind.UNAVAILABLE, f"{message} (is Argo Workflows installed?)", None
    return FailureKind.API_ERROR, message.removeprefix("error: "), None
