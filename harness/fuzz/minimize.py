"""A last, input-aware shrinking pass over a counterexample Hypothesis has already shrunk.

Hypothesis shrinks the choices that generated an input and stops after 500 successful steps; a
large first example (a long program, many env vars, several volumes) can use them up before the
part that matters is small. This pass works on the input itself: it resets an input to its
default, drops one env var, one volume, one requirement, one line, and keeps each change that
still shows exactly the same failure, until no change helps. It costs a few dozen builds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from harness.fuzz.code import compiles
from harness.fuzz.inputs import DEFAULT_INPUTS
from harness.fuzz.property import Divergence

SIMPLEST_INPUTS: dict[str, Any] = {"python_code": "pass", **DEFAULT_INPUTS}
_MAX_ROUNDS = 200
_WORD = re.compile(r"[^\s,]+[\s,]*")


def minimize(divergence: Divergence, check: Callable[[dict[str, Any]], Any]) -> Divergence:
    """The smallest variant of ``divergence.inputs`` that ``check`` (the parity property) still finds
    failing with the same signature; ``divergence`` itself when nothing smaller does."""
    best = divergence
    for _ in range(_MAX_ROUNDS):
        for candidate in simpler(best.inputs):
            outcome = check(candidate)
            if (
                isinstance(outcome, Divergence)
                and outcome.kind is best.kind
                and outcome.signature_parts == divergence.signature_parts
            ):
                best = outcome
                break
        else:
            return best
    return best


def simpler(inputs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One-step simplifications of ``inputs``, roughly biggest first."""
    for key, default in SIMPLEST_INPUTS.items():
        if key in inputs and inputs[key] != default:
            yield {**inputs, key: default}
    env = inputs.get("env")
    if isinstance(env, dict):
        for name in env:
            yield {**inputs, "env": {k: v for k, v in env.items() if k != name}}
    volumes = inputs.get("volumes")
    if isinstance(volumes, list):
        for index in range(len(volumes)):
            yield {**inputs, "volumes": volumes[:index] + volumes[index + 1 :]}
    dependencies = inputs.get("dependencies")
    if isinstance(dependencies, str):
        for shorter in _fewer_words(dependencies):
            yield {**inputs, "dependencies": shorter}
    requirements_file = inputs.get("requirements_file")
    if isinstance(requirements_file, str):
        for shorter in _fewer_lines(requirements_file):
            yield {**inputs, "requirements_file": shorter}
    code = inputs.get("python_code")
    if isinstance(code, str):
        for shorter in _fewer_lines(code):
            if shorter.strip() and compiles(shorter):
                yield {**inputs, "python_code": shorter}


def _fewer_words(text: str) -> Iterator[str]:
    stripped = text.strip(" ,\t\n")
    if stripped != text:
        yield stripped
    words = [match.group() for match in _WORD.finditer(stripped)]
    for index in range(len(words)):
        yield "".join(words[:index] + words[index + 1 :]).strip(" ,\t\n")


def _fewer_lines(text: str) -> Iterator[str]:
    lines = text.split("\n")
    for index in range(len(lines)):
        yield "\n".join(lines[:index] + lines[index + 1 :])
