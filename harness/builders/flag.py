"""Route each build to the legacy or the new builder, the way the backend's feature flag does.

Routing rules:

- ``USE_HERA_SDK`` unset, empty or false: every request goes to the legacy builder, whatever the
  canary percentage says. The flag is the kill switch, so turning it off must always win.
- ``USE_HERA_SDK`` true: ``HERA_SDK_CANARY_PERCENT`` percent of request keys (default 100) go to
  the new builder. A key's bucket is ``sha256(key) mod 100`` and keys in buckets below the
  percentage take the new path, so a key keeps its path in every process, and raising the
  percentage only ever moves keys from legacy to new. Without a request key the key is the
  canonical JSON of the inputs: the same job always takes the same path.

Fallback: when the new builder raises, the request is retried on the legacy builder. If that
succeeds the user is served as today and the fallback is counted and logged, because it hides
a bug in the new builder. If the legacy builder raises too, the input is bad on both paths
(usually a ``BuilderInputError``), nothing is hidden, and the legacy error is raised as users
see it today, with the new builder's error attached as a note.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from harness.builders import ManifestBuilder
from harness.builders.hera import build as hera_build
from harness.builders.legacy import build as legacy_build

FLAG_ENV = "USE_HERA_SDK"
PERCENT_ENV = "HERA_SDK_CANARY_PERCENT"
BUCKETS = 100
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})
# Fallback reasons are keyed by message; the caps keep a misbehaving builder from growing them forever.
_REASON_MAX_CHARS = 200
_REASONS_MAX = 50
_OTHER_REASONS = "(other reasons)"

logger = logging.getLogger("harness.builders.flag")

Route = Literal["new", "legacy"]


class FlagConfigError(ValueError):
    """A flag or canary setting the router cannot interpret."""


def parse_flag(value: str | None, *, name: str = FLAG_ENV) -> bool:
    """``true/false/1/0/yes/no`` in any case; unset or empty means false."""
    if value is None or not value.strip():
        return False
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise FlagConfigError(f"{name}={value!r} is not a boolean; use one of true/false/1/0/yes/no")


def parse_percent(value: str | int | None, *, name: str = PERCENT_ENV) -> int:
    """An integer 0..100; unset or empty means 100 (the flag alone sends everything to new)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 100
    if isinstance(value, bool):
        raise FlagConfigError(f"{name}={value!r} is not a percentage; use an integer from 0 to 100")
    try:
        percent = int(value.strip()) if isinstance(value, str) else int(value)
    except ValueError:
        raise FlagConfigError(f"{name}={value!r} is not a percentage; use an integer from 0 to 100") from None
    if not 0 <= percent <= 100:
        raise FlagConfigError(f"{name}={value!r} is out of range; use an integer from 0 to 100")
    return percent


def bucket(key: str) -> int:
    """The key's canary bucket, 0..99; a hash that, unlike ``hash()``, is the same in every process."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def inputs_key(inputs: Mapping[str, Any]) -> str:
    """A request key derived from the inputs themselves (canonical JSON)."""
    return json.dumps(inputs, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass(frozen=True)
class RouterStats:
    """A snapshot of the router's counters."""

    requests: int = 0
    routed_new: int = 0
    routed_legacy: int = 0
    fallbacks: int = 0
    # Both builders refused the input: the legacy error was raised, nothing was hidden.
    rejected: int = 0
    fallback_reasons: Mapping[str, int] = field(default_factory=dict)

    @property
    def fallback_rate(self) -> float:
        """Fallbacks per request routed to the new builder (0.0 before any)."""
        return self.fallbacks / self.routed_new if self.routed_new else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "routed_new": self.routed_new,
            "routed_legacy": self.routed_legacy,
            "fallbacks": self.fallbacks,
            "rejected": self.rejected,
            "fallback_rate": self.fallback_rate,
            "fallback_reasons": dict(self.fallback_reasons),
        }


class _Counters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = {"requests": 0, "routed_new": 0, "routed_legacy": 0, "fallbacks": 0, "rejected": 0}
        self._reasons: dict[str, int] = {}

    def add(self, *names: str) -> None:
        with self._lock:
            for name in names:
                self._counts[name] += 1

    def fallback(self, reason: str) -> None:
        with self._lock:
            self._counts["fallbacks"] += 1
            if reason not in self._reasons and len(self._reasons) >= _REASONS_MAX:
                reason = _OTHER_REASONS
            self._reasons[reason] = self._reasons.get(reason, 0) + 1

    def snapshot(self) -> RouterStats:
        with self._lock:
            return RouterStats(**self._counts, fallback_reasons=dict(self._reasons))


class FlagRouter:
    """Routes ``build`` calls between two builders; any pair of builders can be routed."""

    def __init__(
        self,
        legacy: ManifestBuilder = legacy_build,
        new: ManifestBuilder = hera_build,
        *,
        enabled: bool | None = None,
        canary_percent: int | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        """``enabled``/``canary_percent`` default to ``USE_HERA_SDK``/``HERA_SDK_CANARY_PERCENT``."""
        env = os.environ if environ is None else environ
        self.legacy = legacy
        self.new = new
        self.enabled = parse_flag(env.get(FLAG_ENV)) if enabled is None else enabled
        self.canary_percent = parse_percent(env.get(PERCENT_ENV) if canary_percent is None else canary_percent)
        self._counters = _Counters()

    @property
    def stats(self) -> RouterStats:
        return self._counters.snapshot()

    def route(self, request_key: str) -> Route:
        """Which builder a request with this key goes to (pure: no counters)."""
        if self.enabled and bucket(request_key) < self.canary_percent:
            return "new"
        return "legacy"

    def build(self, inputs: Mapping[str, Any], *, request_key: str | None = None) -> dict[str, Any]:
        key = inputs_key(inputs) if request_key is None else request_key
        path = self.route(key)
        self._counters.add("requests", f"routed_{path}")
        if path == "legacy":
            return self.legacy(copy.deepcopy(inputs))
        try:
            # Each builder gets its own copy: a failed new build must not leave edits for legacy.
            return self.new(copy.deepcopy(inputs))
        except Exception as new_error:
            return self._fall_back(inputs, new_error)

    def _fall_back(self, inputs: Mapping[str, Any], new_error: Exception) -> dict[str, Any]:
        try:
            manifest = self.legacy(copy.deepcopy(inputs))
        except Exception as legacy_error:
            self._counters.add("rejected")
            legacy_error.add_note(f"the new builder refused it too: {_reason(new_error)}")
            raise
        reason = _reason(new_error)
        self._counters.fallback(reason)
        logger.warning("new builder failed, served by the legacy builder: %s", reason, exc_info=new_error)
        return manifest


def _reason(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:_REASON_MAX_CHARS]


def default_router() -> FlagRouter:
    """The router configured from the environment; rebuilt (with fresh stats) when the env changes."""
    return _router_for(os.environ.get(FLAG_ENV), os.environ.get(PERCENT_ENV))


@functools.lru_cache(maxsize=1)
def _router_for(flag: str | None, percent: str | None) -> FlagRouter:
    return FlagRouter(enabled=parse_flag(flag), canary_percent=parse_percent(percent))


def build(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A builder (``harness.builders.flag:build``) that routes like the backend's default configuration."""
    return default_router().build(inputs)
