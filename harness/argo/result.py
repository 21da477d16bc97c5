"""``WorkflowResult[T]``: the outcome of one Argo or Kubernetes operation, as a value.

Every ``ArgoService`` method returns one: either the value, or a failure with a ``kind`` a caller
can branch on (``not-found``, ``forbidden``, ``conflict``, ``invalid``, ``timeout``,
``unavailable``, ``api-error``) and a one-line ``reason`` a person can act on. Callers never see
a kubernetes ``ApiException`` or a urllib3 traceback; ``unwrap()`` turns a failure back into an
exception (``ArgoError``) where raising is what the caller wants.

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
    """The value of a successful operation, or why it failed.

    ``ok`` is True exactly when ``kind`` is None; ``value`` may be None for operations that return
    nothing (a deletion). ``status`` is the HTTP status the API answered with, when it answered.
    """

    value: _T | None = None
    kind: FailureKind | None = None
    reason: str | None = None
    status: int | None = None

    def __post_init__(self) -> None:
        if self.kind is None and self.reason is not None:
            raise ValueError("a successful WorkflowResult has no reason")
        if self.kind is not None and not self.reason:
            raise ValueError("a failed WorkflowResult needs a reason")

    @classmethod
    def success(cls, value: _T) -> WorkflowResult[_T]:
        return cls(value=value)

    @staticmethod
    def failure(kind: FailureKind, reason: str, *, status: int | None = None) -> WorkflowResult[Any]:
        return WorkflowResult(kind=kind, reason=reason, status=status)

    @staticmethod
    def from_exception(exc: BaseException, doing: str) -> WorkflowResult[Any]:
        """The failure an exception stands for, its reason prefixed with what was being done."""
        kind, reason, status = classify_failure(exc)
        return WorkflowResult(kind=kind, reason=f"{doing}: {reason}", status=status)

    @property
    def ok(self) -> bool:
        return self.kind is None

    def unwrap(self) -> _T:
        """The value; raises ``ArgoError`` for a failure."""
        if self.kind is not None:
            raise ArgoError(self.kind, self.reason or self.kind.value, self.status)
        return self.value  # type: ignore[return-value]  # None only where _T admits it

    def value_or(self, default: _U) -> _T | _U:
        return default if self.kind is not None or self.value is None else self.value

    def map(self, function: Callable[[_T], _U]) -> WorkflowResult[_U]:
        """Apply ``function`` to the value of a success; a failure passes through unchanged."""
        if self.kind is not None:
            return WorkflowResult(kind=self.kind, reason=self.reason, status=self.status)
        return WorkflowResult(value=function(self.value))  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"ok: {self.value!r}" if self.ok else f"{self.kind}: {self.reason}"


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
