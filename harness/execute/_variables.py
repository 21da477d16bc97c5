"""The two substitutions a pod's fields go through before it runs.

1. Argo replaces ``{{tag}}`` variables in the template (inputs, workflow fields, outputs of earlier
   steps and tasks, loop items). A tag whose prefix Argo does not know is left as written, so a
   Jinja template inside a user's program survives; a known-prefix tag it cannot resolve fails the
   workflow ("failed to resolve {{inputs.parameters.x}}").
2. Kubernetes expands ``$(VAR)`` in env values (from the vars defined before it), command and args
   (from all the container's vars); ``$$`` becomes ``$`` and an unknown ``$(NAME)`` stays as is
   (k8s.io/kubernetes third_party/forked/golang/expansion). It reaches programs passed as
   ``bash -c`` args: ``echo $$`` runs as ``echo $``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from harness.execute._argo import VARIABLE_PREFIXES
from harness.normalize._kubernetes_vars import expand_with

_TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_NAME = r"[A-Za-z0-9_-]+"
# The variables the executors resolve; any other known-prefix tag is reported as unsupported.
SUPPORTED_TAG = re.compile(
    rf"inputs\.parameters\.{_NAME}"
    rf"|workflow\.(name|namespace|serviceAccountName|parameters\.{_NAME})"
    r"|pod\.name"
    rf"|item(\.{_NAME})?"
    rf"|(steps|tasks)\.{_NAME}\.(outputs\.result|exitCode)"
)


class UnresolvedVariable(Exception):
    def __init__(self, tag: str) -> None:
        super().__init__(f"failed to resolve {{{{{tag}}}}}")
        self.tag = tag


def is_variable(tag: str) -> bool:
    return tag.strip().startswith(VARIABLE_PREFIXES)


def tags(value: Any) -> Iterator[str]:
    """Every ``{{tag}}`` Argo would try to resolve in ``value`` (strings anywhere inside it)."""
    for text in _strings(value):
        for match in _TAG.finditer(text):
            if is_variable(match.group(1)):
                yield match.group(1).strip()


def substitute(value: Any, scope: Mapping[str, str]) -> Any:
    """A copy of ``value`` with every variable replaced; raises UnresolvedVariable."""
    if isinstance(value, str):
        return _TAG.sub(lambda match: _resolve(match, scope), value) if "{{" in value else value
    if isinstance(value, list):
        return [substitute(item, scope) for item in value]
    if isinstance(value, Mapping):
        return {key: substitute(item, scope) for key, item in value.items()}
    return value


def _resolve(match: re.Match[str], scope: Mapping[str, str]) -> str:
    tag = match.group(1).strip()
    if not is_variable(tag):
        return match.group(0)
    if tag in scope:
        return scope[tag]
    raise UnresolvedVariable(tag)


def _strings(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, Mapping):
            stack.extend(item.values())


# The kubelet's $(VAR) expansion lives with the differ, which needs it first (the pipeline flows
# normalize -> execute); the executor expands with the very same function.
expand_env_refs = expand_with
