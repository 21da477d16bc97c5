"""Every public strategy of :mod:`harness.fuzz`, in one namespace (like ``hypothesis.strategies``).

Small strategies for each builder input compose into :func:`builder_inputs`; compose them the same
way for your own builder's inputs::

    from harness.fuzz import strategies as ps
    from hypothesis import given, strategies as st

    @given(st.fixed_dictionaries({"code": ps.python_code(), "deps": ps.dependency_strings()}))
    def test_my_builder(inputs): ...

Each strategy's docstring says what it generates and how it shrinks.
"""

from harness.fuzz.code import (
    argo_template_tags,
    comments,
    long_lines,
    python_code,
    python_code_with_argo_tags,
    python_code_with_dollar_escapes,
    string_literals,
    tricky_text,
)
from harness.fuzz.dependencies import (
    dependency_strings,
    direct_urls,
    extras,
    markers,
    package_names,
    requirements,
    requirements_file_lines,
    requirements_files,
    specifier_sets,
    version_specifiers,
    versions,
)
from harness.fuzz.env import env_maps, env_names, env_values, secret_refs, yaml_special_strings
from harness.fuzz.inputs import builder_inputs, empty_programs, invalid_python_code
from harness.fuzz.names import dns_labels, dns_subdomains, namespaces, template_kinds
from harness.fuzz.volumes import mount_paths, volume_lists, volumes

__all__ = [
    "argo_template_tags",
    "builder_inputs",
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
    "invalid_python_code",
    "long_lines",
    "markers",
    "mount_paths",
    "namespaces",
    "package_names",
    "python_code",
    "python_code_with_argo_tags",
    "python_code_with_dollar_escapes",
    "requirements",
    "requirements_file_lines",
    "requirements_files",
    "secret_refs",
    "specifier_sets",
    "string_literals",
    "template_kinds",
    "tricky_text",
    "version_specifiers",
    "versions",
    "volume_lists",
    "volumes",
    "yaml_special_strings",
]
