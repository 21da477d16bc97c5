"""A last, input-aware shrinking pass over a counterexample Hypothesis has already shrunk.

Hypothesis shrinks the choices that generated an input and stops after 500 successful steps; a
large first example (a long program, many env vars, several volumes) can use them up before the
part that matters is small. This pass works on the input itself: it resets an input to its
default, drops one env var, one volume, one requirement, one line, and keeps each change that
still shows exactly the same failure, until no change helps. It costs a few dozen builds.

For a team's input model (:mod:`harness.input_models`) the pass knows only the model: it resets a
field to its default, drops a key or a list item, and shortens a string or a number towards its
simplest, keeping only candidates the model accepts (in the model's plain shape).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from harness.fuzz.code import compiles
from harness.fuzz.property import Divergence
from harness.input_models.model import InputModel, InputsInvalid
from harness.input_models.python_job import SIMPLEST_INPUTS

_MAX_ROUNDS = 200
_WORD = re.compile(r"[^\s,]+[\s,]*")


def minimize(
    divergence: Divergence, check: Callable[[dict[str, Any]], Any], *, model: InputModel | None = None
) -> Divergence:
    """The smallest variant of ``divergence.inputs`` that ``check`` (the parity property) still finds
    failing with the same signature; ``divergence`` itself when nothing smaller does. ``model``: the
    input model (None or the built-in one: the python job's own simplifications)."""
    steps: Callable[[dict[str, Any]], Iterator[dict[str, Any]]] = (
        simpler if model is None or model.is_builtin else lambda inputs: simpler_for_model(inputs, model)
    )
    best = divergence
    for _ in range(_MAX_ROUNDS):
        for candidate in steps(best.inputs):
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


def simpler_for_model(inputs: dict[str, Any], model: InputModel) -> Iterator[dict[str, Any]]:
    """One-step simplifications of ``inputs`` that ``model`` accepts, as its plain data, roughly
    biggest first: a top-level field back to its default, then anything smaller anywhere inside."""
    seen = {_key(inputs)}
    for candidate in _raw_steps(inputs):
        try:
            plain = model.validate(candidate)
        except (InputsInvalid, ValueError, TypeError):
            continue
        key = _key(plain)
        if key not in seen:
            seen.add(key)
            yield plain


def _raw_steps(inputs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for name in inputs:  # dropped: the field's default, when it has one
        yield {key: value for key, value in inputs.items() if key != name}
    for path, smaller in _smaller_values(inputs, ()):
        if path:
            yield _replaced(inputs, path, smaller)


def _smaller_values(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(where, a smaller value) for ``value`` and everything inside it."""
    if isinstance(value, dict):
        if path:
            for name in value:
                yield path, {key: item for key, item in value.items() if key != name}
        for name, item in value.items():
            yield from _smaller_values(item, (*path, name))
    elif isinstance(value, list):
        for index in range(len(value)):
            yield path, value[:index] + value[index + 1 :]
        for index, item in enumerate(value):
            yield from _smaller_values(item, (*path, index))
    elif isinstance(value, bool):
        if value:
            yield path, False
    elif isinstance(value, int):
        for smaller in dict.fromkeys((0, value // 2, value - 1 if value > 0 else value + 1)):
            if abs(smaller) < abs(value):
                yield path, smaller
    elif isinstance(value, float):
        if value != 0.0:
            yield path, 0.0
            yield path, float(int(value))
    elif isinstance(value, str) and value:
        for shorter in dict.fromkeys(("", value[: len(value) // 2], value[:-1], value[1:])):
            yield path, shorter


def _replaced(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        return {**data, head: _replaced(data[head], rest, value)}
    items = list(data)
    items[head] = _replaced(items[head], rest, value)
    return items


def _key(data: Any) -> str:
    return json.dumps(data, sort_keys=True, default=str)
