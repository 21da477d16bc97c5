"""``builder_inputs()``: the whole input dict a builder receives (docs/architecture.md).

Generated dicts have exactly the shape ``Scenario.inputs.for_builder()`` gives a builder during
``parity run`` (every key present, defaults spelled out), so a counterexample written as a scenario
fixture reaches the builders unchanged and reproduces the divergence.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from hypothesis import strategies as st

from harness.fuzz.code import python_code, python_code_with_argo_tags, python_code_with_dollar_escapes
from harness.fuzz.dependencies import dependency_strings, requirements_files
from harness.fuzz.env import env_maps
from harness.fuzz.names import namespaces, template_kinds
from harness.fuzz.volumes import volume_lists

# Every input but the program, at the value a scenario fixture gives a builder when it says nothing
# (the built-in input model's, harness.input_models.python_job).
from harness.input_models.python_job import DEFAULT_INPUTS

__all__ = ["BREAKABLE_INPUTS", "DEFAULT_INPUTS", "builder_inputs", "empty_programs", "invalid_python_code"]
# The inputs a generated example may get wrong (``template`` is a closed choice in a fixture).
BREAKABLE_INPUTS = ("python_code", "namespace", "env", "volumes", "dependencies")
# One example in eight breaks one input when validity is left to chance: enough to keep the
# refusal paths under test, few enough that most examples build a manifest on both sides.
_CHANCES = 40


@cache
def empty_programs() -> st.SearchStrategy[str]:
    """``python_code`` with no program in it (empty or only blanks). Shrinks towards ``""``."""
    return st.sampled_from(("", " ", "\n", " \t\n  \r\n"))


@cache
def invalid_python_code() -> st.SearchStrategy[str]:
    """``python_code`` both builders must refuse: no program, a program holding an Argo template tag
    Argo would substitute, or ``$$`` Kubernetes would halve, before Python runs. Shrinks towards ``""``."""
    return st.one_of(empty_programs(), python_code_with_argo_tags(), python_code_with_dollar_escapes())


@cache
def builder_inputs(*, valid: bool | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """A complete builder input dict (``python_code``, ``dependencies``, ``requirements_file``,
    ``volumes``, ``env``, ``namespace``, ``template``), composed from the strategies in
    :mod:`harness.fuzz`.

    ``valid=True``: every input valid, so both builders must build. ``valid=False``: exactly one of
    :data:`BREAKABLE_INPUTS` is invalid, so both must refuse. ``None`` (default): one example in
    eight has one invalid input. Every dict is representable as a scenario fixture.

    Shrinks towards the smallest valid job: ``{"python_code": "pass", "dependencies": None,
    "requirements_file": None, "volumes": None, "env": {}, "namespace": "argo", "template": "script"}``;
    an input that does not matter to a failure shrinks to its default.
    """
    return _builder_inputs(valid=valid)


_INVALID: dict[str, st.SearchStrategy[Any]] = {}


def _invalid(field: str) -> st.SearchStrategy[Any]:
    if not _INVALID:
        _INVALID.update(
            python_code=invalid_python_code(),
            namespace=namespaces(valid=False),
            env=env_maps(valid=False),
            volumes=volume_lists(valid=False),
            dependencies=dependency_strings(valid=False),
        )
    return _INVALID[field]


@st.composite
def _builder_inputs(draw: st.DrawFn, *, valid: bool | None) -> dict[str, Any]:
    inputs = {
        "python_code": draw(python_code()),
        "dependencies": draw(dependency_strings()),
        "requirements_file": draw(requirements_files()),
        "volumes": draw(volume_lists()),
        "env": draw(env_maps()),
        "namespace": draw(namespaces()),
        "template": draw(template_kinds()),
    }
    if inputs["template"] == "container" and "$" in (inputs["requirements_file"] or ""):
        # Kubernetes expands $(NAME) and $$ in a container's args: builders refuse those (unit-tested
        # in the builder tests); keep a valid example valid by running the file as a script.
        inputs["template"] = "script"
    # The invalid input is drawn *after* a valid one and replaces it: an invalid example always
    # takes more choices than its valid twin, so Hypothesis shrinks towards valid inputs and keeps an
    # invalid one only when the failure needs it.
    if valid is None:
        chance = draw(st.integers(0, _CHANCES - 1))
        first_broken = _CHANCES - len(BREAKABLE_INPUTS)
        broken = BREAKABLE_INPUTS[chance - first_broken] if chance >= first_broken else None
    elif valid:
        broken = None
    else:
        broken = draw(st.sampled_from(BREAKABLE_INPUTS))
    if broken is not None:
        inputs[broken] = draw(_invalid(broken))
    return inputs
