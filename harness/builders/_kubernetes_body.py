"""How the legacy builders make a body the kubernetes client sends: metadata through
``V1ObjectMeta`` and the whole body through ``ApiClient().sanitize_for_serialization``.

Both legacy reference builders (the python job and the multi-phase workflow) do it the way the
backend does, including its "serialization workaround": ``V1ObjectMeta`` takes snake_case
keyword arguments while a manifest's metadata uses camelCase keys.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, cast

from kubernetes.client import ApiClient, V1ObjectMeta

_SNAKE_BY_CAMEL = {camel: snake for snake, camel in V1ObjectMeta.attribute_map.items()}


@functools.cache
def _api_client() -> Any:
    # Only sanitize_for_serialization is used: it needs no cluster configuration.
    return ApiClient()


def object_metadata(template_metadata: Mapping[str, Any], namespace: str | None) -> dict[str, Any]:
    """A template's metadata as ``V1ObjectMeta`` gives it back (the namespace set when given)."""
    kwargs = {_SNAKE_BY_CAMEL[key]: value for key, value in template_metadata.items()}
    if namespace:
        kwargs["namespace"] = namespace
    # sanitize_for_serialization maps attribute names back to camelCase and drops unset fields.
    return cast(dict[str, Any], _api_client().sanitize_for_serialization(V1ObjectMeta(**kwargs)))


def json_ready(body: Mapping[str, Any]) -> dict[str, Any]:
    """The body as the kubernetes client serialises it before sending."""
    return cast(dict[str, Any], _api_client().sanitize_for_serialization(body))
