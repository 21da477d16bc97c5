"""Kubernetes' `$(VAR)` / `$$` expansion as the differ models it (harness.spec.kubernetes_vars)."""

from __future__ import annotations

import operator
from typing import Any

import pytest

from harness.normalize.excerpt import clip, excerpt_pair
from harness.normalize.programs import ExpandedText
from harness.spec import kubernetes_vars as k8s

DEFINED = {"A": "1", "B": "two words", "EMPTY": ""}

# (text, expanded with DEFINED) — the kubelet's rules (third_party/forked/golang/expansion).
EXPANSIONS = [
    ("plain", "plain"),
    ("$(A)", "1"),
    ("x$(A)y$(B)z", "x1ytwo wordsz"),
    ("$$", "$"),
    ("$$(A)", "$(A)"),  # escaped: the reference is not expanded
    ("$$$(A)", "$1"),
    ("$$$$", "$$"),
    ("$(UNDEFINED)", "$(UNDEFINED)"),  # unknown names stay as written
    ("$(EMPTY)", ""),
    ("$()", "$()"),
    ("$(A", "$(A"),  # incomplete reference
    ("$A ${A}", "$A ${A}"),  # shell syntax: not Kubernetes'
    ("trailing $", "trailing $"),
    ("$(date) $(A)", "$(date) 1"),  # a command substitution for bash -c survives
    ("$(A)(A)", "1(A)"),
    ("é$(A)ü$", "é1ü$"),
]


@pytest.mark.parametrize(("text", "expected"), EXPANSIONS, ids=[e[0] for e in EXPANSIONS])
def test_expansion_follows_the_kubelet(text: str, expected: str) -> None:
    assert k8s.expand_with(text, DEFINED) == expected


def container(env: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {"image": "alpine:3", "env": env, **fields}


def env_texts(c: dict[str, Any]) -> list[str | None]:
    return [e.text if e is not None else None for e in k8s.container_expansion(c).env]


def argv_texts(c: dict[str, Any]) -> list[str | None]:
    return [e.text if e is not None else None for e in k8s.container_expansion(c).argv]


def test_env_values_see_only_earlier_vars() -> None:
    env = [{"name": "A", "value": "1"}, {"name": "B", "value": "$(A)-$(C)"}, {"name": "C", "value": "3"}]
    assert env_texts(container(env)) == ["1", "1-$(C)", "3"]
    expansion = k8s.container_expansion(container(env))
    assert expansion.env[1] is not None and expansion.env[1].later == ("C",)


def test_env_value_sees_the_expanded_value_of_an_earlier_var() -> None:
    env = [{"name": "A", "value": "$$x"}, {"name": "B", "value": "[$(A)]"}]
    assert env_texts(container(env)) == ["$x", "[$x]"]


def test_command_and_args_see_every_var() -> None:
    env = [{"name": "A", "value": "1"}]
    c = container(env, command=["echo", "$(A)", "$(B)"], args=["$$(A)", 7])
    c["env"].append({"name": "B", "value": "2"})
    assert argv_texts(c) == ["echo", "1", "2", "$(A)", None]
    assert k8s.container_expansion(c).n_command == 3


def test_a_var_set_with_value_from_is_a_placeholder_not_its_name() -> None:
    env = [{"name": "S", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}, {"name": "B", "value": "$(S)"}]
    resolved = env_texts(container(env))[1]
    not_yet = env_texts(container(env[::-1]))[0]
    assert resolved is not None and not_yet == "$(S)"
    assert resolved != not_yet  # the secret's value is not the literal text "$(S)"
    assert k8s.readable(resolved) == "<value of S>"


@pytest.mark.parametrize("name", ["KUBERNETES_SERVICE_HOST", "DB_PORT_5432_TCP_ADDR", "ARGO_CONTAINER_NAME"])
def test_names_the_cluster_or_argo_may_define_are_not_literal(name: str) -> None:
    c = container([], command=["echo", f"$({name})", f"$$({name})"])
    maybe, literal = argv_texts(c)[1:]
    assert literal == f"$({name})" and maybe != literal
    assert maybe is not None and k8s.readable(maybe) == f"<{name} if defined>"


def test_with_env_from_any_unresolved_name_may_be_defined() -> None:
    c = container([{"name": "A", "value": "1"}], command=["$(A)", "$(X)", "$$(X)"])
    assert argv_texts(c) == ["1", "$(X)", "$(X)"]
    c["envFrom"] = [{"configMapRef": {"name": "settings"}}]
    one, maybe, literal = argv_texts(c)
    assert one == "1" and literal == "$(X)" and maybe != literal  # env still wins over envFrom for A


def test_expanded_text_equals_the_plain_string_it_expands_to() -> None:
    leaf = ExpandedText(k8s.Expanded("$(A)", "1"))
    assert leaf == "1" and leaf != "$(A)"
    # str.__eq__ gives up on a leaf, so `"1" == leaf` (and dicts/lists holding them) ask the leaf
    assert operator.eq("1", leaf) and operator.eq({"value": "1"}, {"value": leaf})
    assert hash(leaf) == hash("1")
    assert [leaf, "x"] == ["1", "x"]
    assert leaf == ExpandedText(k8s.Expanded("$(B)", "1"))  # same text after expansion


def test_excerpt_is_centred_on_the_first_difference() -> None:
    a = "set -euo pipefail pip install --no-cache-dir " + "six " * 20 + "six==0,==0 && run"
    b = a.replace("six==0,==0", "six==0 ==0")
    ea, eb = excerpt_pair(a, b, limit=40)
    assert "six==0,==0" in ea and "six==0 ==0" in eb
    assert ea.startswith("…") and len(ea) <= 40 and len(eb) <= 40
    # short texts and texts that differ early are shown from the start
    assert excerpt_pair("a  b", "a c") == ("a b", "a c")
    assert excerpt_pair("x" + "y" * 100, "z" + "y" * 100, limit=20)[0] == "x" + "y" * 18 + "…"
    assert clip("a\n b", 70) == "a b"
