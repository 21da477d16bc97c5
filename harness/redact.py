"""Keep secrets out of everything the harness writes.

Two layers, because either alone leaks. By *name*: an env var or a mapping key that looks
secret (``DB_PASSWORD``, ``apiToken``) has its value replaced wherever it appears as a value.
By *value*: every secret value learned that way (and any value an executor resolved from a
``secretKeyRef``) is scrubbed from every string in the report, so it cannot escape through a
script body, a diff message, stdout, or a difference's left/right.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

from harness._walk import iter_mappings

REDACTED = "<redacted>"

# Matched against env var names and mapping keys. "key" alone is matched only as a whole word
# so that MONKEY or KEYBOARD_LAYOUT are left alone.
_SECRET_NAME = re.compile(
    r"passw(or)?d|passphrase|(^|[-_.])pass($|[-_.])|secret|token|credential|private|api[-_]?key|access[-_]?key|auth"
    r"|cookie|session[-_]?id|signature|(^|[-_.])key($|[-_.])",
    re.IGNORECASE,
)
# A secretKeyRef names a Secret and a key inside it; those names are not secret themselves.
_REFERENCE_KEYS = frozenset({"secretKeyRef", "secretRef", "secretName"})
# Shorter values would scrub innocent text everywhere ("1", "yes").
_MIN_SCRUB_LENGTH = 4


@functools.lru_cache(maxsize=4096)
def looks_secret(name: str) -> bool:
    # Cached: a report asks about the same few hundred keys tens of thousands of times.
    return bool(_SECRET_NAME.search(name))


class Redactor:
    """Learns secret values from inputs and manifests, then scrubs any JSON-like structure."""

    def __init__(self, secret_values: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        self._longest_first: list[str] | None = None
        for value in secret_values:
            self.learn(value)

    def learn(self, value: object) -> None:
        if isinstance(value, str) and len(value) >= _MIN_SCRUB_LENGTH and value not in self._values:
            self._values.add(value)
            self._longest_first = None

    def learn_from(self, *data: Any) -> None:
        """Find secret values anywhere in ``data``: values under secret-looking names, and values
        of env vars that any of the given objects takes from a Secret.

        Pass related objects together (a scenario's inputs and both manifests): a builder that
        inlines a Secret as a literal value betrays itself only next to the other side's
        ``secretKeyRef`` for the same variable.
        """
        from_secrets = {name for item in data for name in _names_from_secret_refs(item)}
        for item in data:
            for name, value in _named_values(item):
                if looks_secret(name) or name in from_secrets:
                    self.learn(value)

    def scrub(self, data: Any) -> Any:
        """A copy of ``data`` with secret-named values and every learned value replaced."""
        return self._scrub(data, inside_reference=False)

    def scrub_strings(self, data: Any) -> Any:
        """A copy of ``data`` with every learned value replaced inside every string; keys and
        structure untouched (for report documents, whose own field names must survive)."""
        if isinstance(data, str):
            return self.scrub_text(data)
        if isinstance(data, list):
            return [self.scrub_strings(item) for item in data]
        if isinstance(data, dict):
            return {key: self.scrub_strings(value) for key, value in data.items()}
        return data

    def scrub_text(self, text: str) -> str:
        if self._longest_first is None:
            # Longest first, so a value that contains another is replaced whole.
            self._longest_first = sorted(self._values, key=len, reverse=True)
        for value in self._longest_first:
            if value in text:
                text = text.replace(value, REDACTED)
        return text

    def _scrub(self, data: Any, *, inside_reference: bool) -> Any:
        if isinstance(data, str):
            return self.scrub_text(data)
        if isinstance(data, list):
            return [self._scrub(item, inside_reference=inside_reference) for item in data]
        if not isinstance(data, dict):
            return data
        env_name = data.get("name") if isinstance(data.get("name"), str) else None
        holds_secret_ref = isinstance(data.get("valueFrom"), dict) and "secretKeyRef" in data["valueFrom"]
        result: dict[Any, Any] = {}
        for key, value in data.items():
            is_env_value = key == "value" and (holds_secret_ref or (env_name and looks_secret(env_name)))
            is_secret_field = (
                not inside_reference
                and isinstance(key, str)
                and key not in _REFERENCE_KEYS
                and looks_secret(key)
                and _is_scalar(value)
            )
            if (is_env_value or is_secret_field) and value not in (None, ""):
                result[key] = REDACTED
            else:
                result[key] = self._scrub(value, inside_reference=inside_reference or key in _REFERENCE_KEYS)
        return result


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _named_values(data: Any) -> Iterable[tuple[str, Any]]:
    """(name, value) pairs: mapping entries, and env-style items ``{name: N, value: V}``."""
    for item in iter_mappings(data, skip=_REFERENCE_KEYS):
        if isinstance(item.get("name"), str) and "value" in item:
            yield item["name"], item["value"]
            value_from = item.get("valueFrom")
            if isinstance(value_from, dict) and "secretKeyRef" in value_from:
                # a value resolved from a Secret (an executor's or a live object's) is secret
                # whatever the variable is called
                yield "secretKeyRef", item["value"]
        for key, value in item.items():
            if key not in _REFERENCE_KEYS and isinstance(key, str) and _is_scalar(value):
                yield key, value


def _names_from_secret_refs(data: Any) -> Iterable[str]:
    """Env var names whose value comes from a Secret: ``valueFrom.secretKeyRef`` in a manifest,
    ``{secretKeyRef: ...}`` in scenario inputs."""
    for item in iter_mappings(data):
        value_from = item.get("valueFrom")
        if isinstance(item.get("name"), str) and isinstance(value_from, dict) and "secretKeyRef" in value_from:
            yield item["name"]
        for key, value in item.items():
            if isinstance(value, dict) and "secretKeyRef" in value and isinstance(key, str):
                yield key
