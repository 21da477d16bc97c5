"""The systems under test, and how the harness reaches any builder by ``package.module:attr``.

A builder is a plain callable ``build(inputs) -> manifest``. It may return a dict, a Hera
``Workflow``, a YAML string or a kubernetes model; ``coerce_manifest`` turns each into plain
JSON-ready data so that everything after this stage sees one shape.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Mapping
from typing import Any

from harness.errors import ParityInputError
from harness.references import import_reference
from harness.yaml_input import MAX_NESTING, load_yaml, nesting_depth

Builder = Callable[[dict[str, Any]], Any]
Manifest = dict[str, Any]
# A builder that returns the manifest itself (the reference builders, the feature-flag router).
ManifestBuilder = Callable[[Mapping[str, Any]], Manifest]

LEGACY_REF = "harness.builders.legacy:build"
HERA_REF = "harness.builders.hera:build"


CAPTURE_PREFIX = "capture:"


def resolve_builder(reference: str, *, option: str = "builder") -> Builder:
    """Import ``package.module:attr`` (attr may be dotted) and check that it is callable.

    ``capture:package.module:attr`` is a build-and-submit function: the builder is that function
    run with every submission intercepted (``harness.builders.capture.reference_builder``), its
    arguments passed through, returning the manifest it would have submitted.
    """
    if reference.startswith(CAPTURE_PREFIX):
        target = _import_callable(reference.removeprefix(CAPTURE_PREFIX), option=option, shown=reference)
        from harness.builders.capture import reference_builder  # hera and kubernetes: only then

        return reference_builder(target, reference)
    return _import_callable(reference, option=option, shown=reference)


def _import_callable(reference: str, *, option: str, shown: str) -> Builder:
    target = import_reference(
        reference,
        what="builder reference",
        form="'package.module:function' (or 'capture:package.module:function' for a build-and-submit function)",
        option=option,
        shown=shown,
        contain=False,
    )
    if not callable(target):
        raise ParityInputError(f"{shown!r} is not callable", field=option)
    return target  # type: ignore[no-any-return]


class NotAManifestError(TypeError):
    """A builder returned something that is not a Kubernetes object."""


def coerce_manifest(obj: Any) -> Manifest:
    """Plain JSON-ready dict from whatever a builder returned."""
    if isinstance(obj, str | bytes):
        return _from_yaml(obj)
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict) and type(obj).__module__.startswith("hera."):
        # Hera's Workflow.to_dict() already produces Argo's camelCase with empties dropped.
        return _json_ready(to_dict())
    if type(obj).__module__.startswith("kubernetes.") and hasattr(obj, "openapi_types"):
        from kubernetes.client import ApiClient  # a kubernetes model: only then pay the import

        return _json_ready(ApiClient().sanitize_for_serialization(obj))  # type: ignore[no-untyped-call]
    if isinstance(obj, Mapping):
        return _json_ready(obj)
    raise NotAManifestError(
        f"builder returned {type(obj).__name__}; expected a dict, a Hera Workflow, YAML text or a kubernetes model"
    )


def _from_yaml(text: str | bytes) -> Manifest:
    # The same safe reader as for a user's manifest (duplicate keys, alias bombs, deep nesting,
    # NaN), but here a refusal is the builder's fault, not bad input to the CLI: it stays a
    # NotAManifestError, which the run reports as that builder's error.
    try:
        data = load_yaml(text, source="builder output")
    except ParityInputError as exc:
        raise NotAManifestError(f"builder returned YAML text the harness refuses: {exc.message}") from None
    if not isinstance(data, Mapping):
        raise NotAManifestError(f"builder returned YAML holding a {type(data).__name__}, not a mapping")
    return _json_ready(data)


def _json_ready(data: Any) -> Manifest:
    """A deep copy through JSON: the harness must never hold a reference into a builder's own
    state, and non-JSON values (dates, sets, objects) must surface here rather than in a report.
    What comes out must be a Kubernetes object: ``{}`` or ``{"x": 1}`` compared with ``{}`` is
    no evidence about any workflow."""
    try:
        # allow_nan=False: NaN and Infinity have no JSON form, so no Kubernetes object holds
        # them, and letting one through would make the JSON report invalid.
        result: Manifest = json.loads(json.dumps(data, default=_reject, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise NotAManifestError(f"manifest is not JSON-serialisable: {exc}") from None
    except RecursionError:
        raise NotAManifestError("manifest is nested too deeply to be a Kubernetes object") from None
    missing = [key for key in ("apiVersion", "kind") if not isinstance(result.get(key), str) or not result[key]]
    if missing:
        raise NotAManifestError(f"manifest has no {' or '.join(missing)}: not a Kubernetes object")
    if nesting_depth(result) > MAX_NESTING:
        raise NotAManifestError(f"manifest is nested deeper than {MAX_NESTING} levels")
    return result


def _reject(value: Any) -> Any:
    # YAML 1.1 reads unquoted timestamps (creationTimestamp in a live object) as datetimes.
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} value {value!r}")
