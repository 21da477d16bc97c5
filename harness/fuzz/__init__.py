"""Property-based search for inputs on which two builders disagree.

- Strategies for every builder input, composed into :func:`builder_inputs`
  (:mod:`harness.fuzz.strategies` lists them all; each documents what it generates and how it shrinks).
- For a team's input model (:mod:`harness.input_models`): :func:`model_inputs`, derived from the
  model's JSON Schema, with per-field strategies (:func:`register_field_strategy`).
- The property: :func:`check_parity` / :func:`assert_parity` (both build with no semantic
  difference, or both refuse with a ``ValueError``).
- The search: :func:`run_fuzz` -> :class:`FuzzResult` (``parity fuzz``), with profiles
  (:func:`settings_for`: ``ci``, ``dev``, ``nightly``), and :func:`promote` to turn a minimal
  counterexample into a scenario fixture.
- :func:`measure_throughput` for benchmarks.

In a test suite::

    from hypothesis import given
    from harness.fuzz import assert_parity, builder_inputs, settings_for

    @settings_for()  # the profile named by $PARITY_FUZZ_PROFILE, default "ci"
    @given(builder_inputs())
    def test_builders_agree(inputs):
        assert_parity(legacy.build, my_new_builder, inputs)
"""

from harness.fuzz.model_strategies import (
    model_inputs,
    register_field_strategy,
    resolve_field_strategies,
    unregister_field_strategy,
)
from harness.fuzz.profiles import PROFILE_ENV, PROFILES, settings_for
from harness.fuzz.promote import PromotionError, fixture_text, promote, scenario_kind
from harness.fuzz.property import (
    Agreement,
    Divergence,
    DivergenceKind,
    ParityPropertyError,
    Side,
    assert_parity,
    check_parity,
)
from harness.fuzz.search import Failure, FuzzConfig, FuzzResult, Round, run_fuzz
from harness.fuzz.strategies import (
    argo_template_tags,
    builder_inputs,
    comments,
    dependency_strings,
    direct_urls,
    dns_labels,
    dns_subdomains,
    empty_programs,
    env_maps,
    env_names,
    env_values,
    extras,
    invalid_python_code,
    long_lines,
    markers,
    mount_paths,
    namespaces,
    package_names,
    python_code,
    python_code_with_argo_tags,
    python_code_with_dollar_escapes,
    requirements,
    requirements_file_lines,
    requirements_files,
    secret_refs,
    specifier_sets,
    string_literals,
    template_kinds,
    tricky_text,
    version_specifiers,
    versions,
    volume_lists,
    volumes,
    yaml_special_strings,
)
from harness.fuzz.throughput import measure_throughput

__all__ = [
    "PROFILES",
    "PROFILE_ENV",
    "Agreement",
    "Divergence",
    "DivergenceKind",
    "Failure",
    "FuzzConfig",
    "FuzzResult",
    "ParityPropertyError",
    "PromotionError",
    "Round",
    "Side",
    "argo_template_tags",
    "assert_parity",
    "builder_inputs",
    "check_parity",
    "comments",
    "dependency_strings",
    "direct_urls",
    "dns_labels",
    "dns_subdomains",
    "empty_programs",
    "env_maps",
    "env_names",
    "env_values",
    "extras",
    "fixture_text",
    "invalid_python_code",
    "long_lines",
    "markers",
    "measure_throughput",
    "model_inputs",
    "mount_paths",
    "namespaces",
    "package_names",
    "promote",
    "python_code",
    "python_code_with_argo_tags",
    "python_code_with_dollar_escapes",
    "register_field_strategy",
    "requirements",
    "requirements_file_lines",
    "requirements_files",
    "resolve_field_strategies",
    "run_fuzz",
    "scenario_kind",
    "secret_refs",
    "settings_for",
    "specifier_sets",
    "string_literals",
    "template_kinds",
    "tricky_text",
    "unregister_field_strategy",
    "version_specifiers",
    "versions",
    "volume_lists",
    "volumes",
    "yaml_special_strings",
]
