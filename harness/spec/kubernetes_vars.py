"""Kubernetes' ``$(VAR)`` expansion: what the kubelet does to a container's env, command and args.

Where it comes from: k8s.io/kubernetes ``third_party/forked/golang/expansion`` (``Expand``,
``MappingFuncFor``) as used by ``pkg/kubelet/kuberuntime`` (env values, then command and args),
and ``pkg/kubelet/envvars`` (service link variables). Before a container starts, the kubelet
expands ``$(NAME)`` in three places:

- an env var's ``value``: NAME is a var defined *earlier* in the container's env (or by
  ``envFrom``, or a service link var);
- ``command`` and ``args``: NAME is any of the container's env vars;
- everywhere, ``$$`` becomes ``$`` and a reference to a name that is not defined stays as written
  (``$(date)`` reaches ``bash -c`` as a command substitution).

So ``print('$$')`` in an env value runs as ``print('$')``, and ``args: ["echo $(TASK_ID)"]`` with
``TASK_ID=42`` runs as ``echo 42``. :func:`expand` / :func:`expand_with` are the rule itself (the
executors run a container's command, args and env through them); :func:`container_expansion`
is what a manifest alone tells of it (the differ compares these fields after expansion). What a
manifest cannot tell is replaced by a placeholder that equals nothing but itself:

- a reference to a var set with ``valueFrom`` (a secret, a field): its value is unknown, but it is
  the same on both sides when that var is (the env var itself is compared where it is defined);
- a reference that is not resolved but might be at run time: with ``envFrom`` any name may be
  defined; service link vars (``X_SERVICE_HOST``, ``X_PORT``...) and Argo's own ``ARGO_*`` vars
  are added to the pod by the cluster and by Argo. Such a reference is not the literal text
  ``$(NAME)`` that ``$$(NAME)`` gives, so the two are not confused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Placeholders (Unicode private use characters: no manifest writes them).
_OPAQUE = "\ue000"  # a var defined with valueFrom: \ue000NAME\ue001
_MAYBE = "\ue002"  # a name that may be defined at run time: \ue002NAME\ue001
_CLOSE = "\ue001"
_PLACEHOLDER = re.compile(f"[{_OPAQUE}{_MAYBE}]([^{_CLOSE}]*){_CLOSE}")
# Vars the cluster or Argo add to a pod: service links (enableServiceLinks, on by default, and the
# `kubernetes` service always), and the ARGO_* vars Argo appends to a template's containers.
_INJECTED = re.compile(
    r"ARGO_\w*"
    r"|[A-Z0-9_]+_(?:SERVICE_HOST|SERVICE_PORT(?:_[A-Z0-9_]+)?|PORT(?:_[0-9]+_(?:TCP|UDP|SCTP)(?:_(?:PROTO|PORT|ADDR))?)?)"
)


def expand(text: str, mapping: Callable[[str], str]) -> str:
    """The kubelet's expansion of ``text``: ``$(NAME)`` -> ``mapping(NAME)``, ``$$`` -> ``$``;
    an incomplete ``$(`` and a ``$`` before any other character are kept as written."""
    out: list[str] = []
    checkpoint = 0
    n = len(text)
    cursor = text.find("$")
    while 0 <= cursor < n - 1:  # a `$` that ends the text is kept
        out.append(text[checkpoint:cursor])
        following = text[cursor + 1]
        checkpoint = cursor + 2
        if following == "$":  # escaped operator
            out.append("$")
        elif following == "(":
            close = text.find(")", cursor + 2)
            if close < 0:  # incomplete reference: kept
                out.append("$(")
            else:
                out.append(mapping(text[cursor + 2 : close]))
                checkpoint = close + 1
        else:  # not a reference: the `$` and the character after it, as written
            out.append("$" + following)
        cursor = text.find("$", checkpoint)
    out.append(text[checkpoint:])
    return "".join(out)


def expand_with(text: str, defined: Mapping[str, str]) -> str:
    """:func:`expand` with a mapping of names to values; an undefined name stays ``$(NAME)``."""
    return expand(text, lambda name: defined.get(name, f"$({name})"))


def references(text: str) -> list[str]:
    """The names ``text`` references as ``$(NAME)``, in order, as the kubelet reads them (``$$(A)``
    is an escaped ``$`` and then text, not a reference)."""
    found: list[str] = []

    def record(name: str) -> str:
        found.append(name)
        return ""

    expand(text, record)
    return found


# A word that is one reference and nothing else: `$(PYTHON_CODE)`.
_WHOLE_REFERENCE = re.compile(r"^\$\((?P<name>[A-Za-z_][A-Za-z0-9_]*)\)$")


def whole_reference(text: str) -> str | None:
    """NAME when ``text`` is one ``$(NAME)`` reference (NAME an identifier) and nothing else:
    the process gets NAME's value as that whole word (``["python", "-c", "$(PYTHON_CODE)"]``)."""
    match = _WHOLE_REFERENCE.match(text)
    return match["name"] if match else None


def readable(text: str) -> str:
    """Placeholders shown for people: ``<value of NAME>`` (a valueFrom var), ``<NAME if defined>``
    (a name that may be defined at run time)."""
    if _CLOSE not in text:
        return text
    return _PLACEHOLDER.sub(
        lambda m: f"<value of {m[1]}>" if m[0].startswith(_OPAQUE) else f"<{m[1]} if defined>",
        text,
    )


@dataclass
class _Scope:
    """The vars a reference can see at one point of a container's env."""

    open_world: bool  # envFrom: any name may be defined
    values: dict[str, str] = field(default_factory=dict)  # name -> expanded literal value
    opaque: set[str] = field(default_factory=set)  # names defined by valueFrom
    unresolved: list[str] = field(default_factory=list)  # names looked up and not found (last expansion)

    def lookup(self, name: str) -> str:
        if name in self.values:
            return self.values[name]
        if name in self.opaque:
            return f"{_OPAQUE}{name}{_CLOSE}"
        self.unresolved.append(name)
        if self.open_world or _INJECTED.fullmatch(name):
            return f"{_MAYBE}{name}{_CLOSE}"
        return f"$({name})"

    def expand(self, text: str) -> tuple[str, tuple[str, ...]]:
        self.unresolved = []
        return expand(text, self.lookup), tuple(dict.fromkeys(self.unresolved))

    def define(self, name: str, value: str | None) -> None:
        if value is None:
            self.opaque.add(name)
            self.values.pop(name, None)
        else:
            self.values[name] = value
            self.opaque.discard(name)


@dataclass(frozen=True)
class Expanded:
    """One field after expansion; ``unresolved`` names references left unexpanded, ``later``
    those of them the env defines after this var (Kubernetes only looks backwards)."""

    raw: str
    text: str
    unresolved: tuple[str, ...] = ()
    later: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContainerExpansion:
    env: tuple[Expanded | None, ...]  # per env item: its value after expansion (None: no string value)
    argv: tuple[Expanded | None, ...]  # per command word then args word (None: not a string)
    n_command: int


def container_expansion(container: Mapping[str, Any]) -> ContainerExpansion:
    """What the kubelet makes of a container's env values, command and args."""
    env = container.get("env")
    items: Sequence[Any] = env if isinstance(env, list) else ()
    names = [item.get("name") if isinstance(item, dict) else None for item in items]
    scope = _Scope(open_world=bool(container.get("envFrom")))
    expanded_env: list[Expanded | None] = []
    for index, item in enumerate(items):
        name = names[index]
        value = item.get("value") if isinstance(item, dict) else None
        if not isinstance(name, str):
            expanded_env.append(None)
            continue
        if isinstance(value, str) and value:
            text, unresolved = scope.expand(value)
            later = tuple(n for n in unresolved if n in names[index + 1 :])
            expanded_env.append(Expanded(value, text, unresolved, later))
            scope.define(name, text)
        elif isinstance(item, dict) and item.get("valueFrom") is not None:
            expanded_env.append(None)
            scope.define(name, None)  # a secret, a config map key, a field: unknown here
        else:
            expanded_env.append(Expanded(value, value) if isinstance(value, str) else None)
            scope.define(name, "")
    command = container.get("command")
    args = container.get("args")
    words = [*(command if isinstance(command, list) else ()), *(args if isinstance(args, list) else ())]
    argv: list[Expanded | None] = []
    for word in words:
        if isinstance(word, str):
            text, unresolved = scope.expand(word)
            argv.append(Expanded(word, text, unresolved))
        else:
            argv.append(None)
    return ContainerExpansion(tuple(expanded_env), tuple(argv), len(command) if isinstance(command, list) else 0)
