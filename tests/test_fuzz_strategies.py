"""The public strategies of ``harness.fuzz``: each generates what its docstring promises and shrinks
to the documented minimal value."""

from __future__ import annotations

import copy
import inspect
import re
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample
from packaging.requirements import Requirement

from harness.builders import hera, legacy
from harness.errors import BuilderInputError
from harness.fuzz import settings_for
from harness.fuzz import strategies as ps
from harness.fuzz.code import compiles, looks_like_argo_tag
from harness.fuzz.env import YAML_SPECIAL_STRINGS
from harness.scenarios import Inputs

PROFILE = settings_for()
# Strategy checks are cheap; a tenth of the profile (at least 100) keeps `make test` fast while the
# nightly profile still looks hard.
CHECK = settings(PROFILE, max_examples=max(100, PROFILE.max_examples // 10))
BUILDERS = (legacy.build, hera.build)


def find(strategy: st.SearchStrategy[Any], condition: Any) -> Any:
    """The minimal example satisfying ``condition`` (like ``hypothesis.find``, without the database)."""
    from hypothesis import find as hypothesis_find

    return hypothesis_find(strategy, condition, settings=settings(database=None, max_examples=2000))


class _Reached(Exception):
    def __init__(self, example: Any) -> None:
        self.example = example


def reaches(strategy: st.SearchStrategy[Any], condition: Any, *, examples: int = 2000) -> Any:
    """Some generated example satisfying ``condition`` (not shrunk: cheap), or fail the test."""

    @settings(database=None, max_examples=examples, phases=(Phase.generate,), deadline=None)
    @given(strategy)
    def search(example: Any) -> None:
        if condition(example):
            raise _Reached(example)

    try:
        search()
    except _Reached as reached:
        return reached.example
    pytest.fail(f"no example in {examples} satisfies the condition")


# --- documentation --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ps.__all__)
def test_every_public_strategy_says_what_it_generates_and_how_it_shrinks(name: str) -> None:
    doc = inspect.getdoc(getattr(ps, name)) or ""
    assert len(doc) > 40, f"{name} has no real docstring"
    assert "Shrinks towards" in doc, f"{name} does not say how it shrinks"


# --- python code ----------------------------------------------------------------------------------


@CHECK
@given(ps.python_code())
def test_python_code_always_compiles_and_never_holds_an_argo_tag(code: str) -> None:
    assert compiles(code)
    assert not looks_like_argo_tag(code)


@pytest.mark.parametrize(
    "feature",
    [
        lambda c: "'" in c and '"' in c,
        lambda c: "\\" in c,
        lambda c: "$" in c,
        lambda c: "`" in c,
        lambda c: "{{" in c,
        lambda c: any(ord(ch) > 127 for ch in c),
        lambda c: any(len(line) >= 200 for line in c.splitlines()),
        lambda c: "\r\n" in c,
        lambda c: "\t" in c.split("\n", 1)[-1],
    ],
    ids=["quotes", "backslash", "dollar", "backtick", "braces", "unicode", "long-line", "crlf", "tabs"],
)
def test_python_code_reaches_every_hostile_feature(feature: Any) -> None:
    assert compiles(reaches(ps.python_code(), feature))


def test_python_code_shrinks_to_pass() -> None:
    assert find(ps.python_code(), lambda code: True) == "pass"


@CHECK
@given(ps.python_code_with_argo_tags())
def test_argo_tags_in_code_are_refused_by_both_builders(code: str) -> None:
    for build in BUILDERS:
        with pytest.raises(BuilderInputError, match="Argo template tag"):
            build({"python_code": code})


# --- dependencies ---------------------------------------------------------------------------------


@CHECK
@given(ps.requirements())
def test_requirements_are_pep508(text: str) -> None:
    Requirement(text)


@pytest.mark.parametrize(
    ("strategy", "feature", "minimal"),
    [
        (ps.specifier_sets(), lambda s: "," in s, "==0,==0"),
        (ps.requirements(), lambda r: "[" in r, "six[socks]"),
        (ps.requirements(), lambda r: ";" in r, 'six;python_version == "3.8"'),
        (ps.requirements(), lambda r: "@" in r, "six @ https://example.com/pkg-1.0-py3-none-any.whl"),
        (ps.markers(), lambda m: " or " in m, 'python_version == "3.8" or python_version == "3.8"'),
    ],
    ids=["comma-in-specifier-set", "extras", "marker", "direct-url", "combined-marker"],
)
def test_pep508_features_are_generated_and_shrink(strategy: Any, feature: Any, minimal: str) -> None:
    assert find(strategy, feature) == minimal


@pytest.mark.slow  # ~12 s: searches for rare examples
def test_dependency_strings_mix_separators_and_stray_whitespace() -> None:
    strings = ps.dependency_strings()
    assert find(strings, lambda s: s is not None) == ""
    assert reaches(strings, lambda s: bool(s) and "," in s and " " in s.strip(" ,"))
    assert reaches(strings, lambda s: bool(s) and s != s.strip(" ,\t\n"))


@CHECK
@given(ps.dependency_strings(valid=False))
def test_invalid_dependency_strings_are_refused_by_both_builders(dependencies: str) -> None:
    for build in BUILDERS:
        with pytest.raises(BuilderInputError):
            build({"python_code": "pass", "dependencies": dependencies})


@pytest.mark.parametrize(
    "line",
    ["", "# ", "-r other-requirements.txt", "-c constraints.txt", "--index-url https://pypi.example.org/simple"],
)
def test_requirements_files_hold_comments_blank_lines_includes_and_options(line: str) -> None:
    reaches(ps.requirements_files(), lambda text: text is not None and line in text.splitlines())


def test_requirements_files_hold_hashes_and_continuations() -> None:
    assert "--hash=sha256:" in reaches(ps.requirements_files(), lambda t: t is not None and "--hash" in t)
    reaches(ps.requirements_files(), lambda t: t is not None and "\\\n" in t)


# --- env, volumes, namespaces -----------------------------------------------------------------------


def test_env_values_cover_the_yaml_special_strings() -> None:
    for value in ("yes", "no", "null", "~", "0x10", "1e3", "010", ""):
        assert value in YAML_SPECIAL_STRINGS
        reaches(ps.env_values(), lambda v, value=value: v == value)


def test_env_maps_hold_secrets_and_shrink_to_empty() -> None:
    assert find(ps.env_maps(), lambda env: True) == {}
    secret = find(ps.env_maps(), lambda env: any(isinstance(v, dict) for v in env.values()))
    assert secret == {"TASK_ID": {"secretKeyRef": {"name": "api-credentials", "key": "token"}}}
    reaches(ps.env_maps(), lambda env: sum(isinstance(v, dict) for v in env.values()) >= 2)


@CHECK
@given(ps.env_names())
def test_valid_env_names_are_variable_names(name: str) -> None:
    assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and name != "PYTHON_CODE"


@CHECK
@given(ps.namespaces(valid=True))
def test_valid_namespaces_are_rfc1123_labels(namespace: str) -> None:
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", namespace) and len(namespace) <= 63


@CHECK
@given(ps.namespaces(valid=False))
def test_invalid_namespaces_are_refused_by_both_builders(namespace: str) -> None:
    for build in BUILDERS:
        with pytest.raises(BuilderInputError, match="namespace"):
            build({"python_code": "pass", "namespace": namespace})


@CHECK
@given(ps.volume_lists(valid=False))
def test_invalid_volume_lists_are_refused_by_both_builders(volumes: list[dict[str, Any]]) -> None:
    for build in BUILDERS:
        with pytest.raises(BuilderInputError, match="volumes"):
            build({"python_code": "pass", "volumes": volumes})


# --- whole inputs ---------------------------------------------------------------------------------


def test_builder_inputs_shrink_to_the_smallest_valid_job() -> None:
    assert find(ps.builder_inputs(), lambda inputs: True) == {
        "python_code": "pass",
        "dependencies": None,
        "requirements_file": None,
        "volumes": None,
        "env": {},
        "namespace": "argo",
        "template": "script",
    }


@CHECK
@given(ps.builder_inputs())
def test_builder_inputs_are_what_a_scenario_fixture_gives_a_builder(inputs: dict[str, Any]) -> None:
    assert Inputs.model_validate(inputs).for_builder() == inputs


@CHECK
@given(ps.builder_inputs(valid=True))
def test_valid_builder_inputs_build_on_both_sides(inputs: dict[str, Any]) -> None:
    for build in BUILDERS:
        build(copy.deepcopy(inputs))


@CHECK
@given(ps.builder_inputs(valid=False))
def test_invalid_builder_inputs_are_refused_on_both_sides(inputs: dict[str, Any]) -> None:
    for build in BUILDERS:
        with pytest.raises(BuilderInputError):
            build(copy.deepcopy(inputs))


def test_a_strategy_with_nothing_to_find_says_so() -> None:
    with pytest.raises(NoSuchExample):
        find(ps.namespaces(valid=True), lambda namespace: namespace.startswith("-"))
