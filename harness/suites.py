"""Suites: a folder of scenarios, the builders they run through and their input model.

The scenarios folder is the default suite (the run's own builders and input model); each
sub-folder of it holding a ``suite.toml`` is a suite of its own, read by
:func:`harness.project_config.discover_suites`. A scenarios folder that itself holds a
``suite.toml`` is that suite run on its own: the default suite then takes the file's name and
settings (:func:`harness.project_config.read_root_suite`). Plain data: importing it loads nothing else of
the harness but the builders' reference names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.builders import HERA_REF, LEGACY_REF
from harness.builders.isolation import DEFAULT_BUILD_TIMEOUT_S

# The suite of the scenarios folder itself (its builders and input model are the run's own); every
# sub-folder holding a suite.toml is a suite of its own (harness.project_config.discover_suites).
DEFAULT_SUITE = "default"
SUITE_FILE = "suite.toml"


@dataclass(frozen=True)
class SuiteConfig:
    """One suite: a folder of scenarios, the builders they run through and their input model.

    ``folder`` holds the suite's scenarios (those of a suite folder nested in it excepted);
    ``waivers`` and ``rules`` are its own (None: ``waivers.yaml``/``rules.yaml`` in ``folder``,
    when present). ``file`` is its ``suite.toml`` (None for a default suite without one).
    """

    name: str
    folder: Path | None
    legacy: str = LEGACY_REF
    new: str = HERA_REF
    inputs_model: str | None = None
    call: str = "dict"
    waivers: Path | None = None
    rules: Path | None = None
    build_timeout_s: float = DEFAULT_BUILD_TIMEOUT_S
    file: Path | None = None
    # How an error names where each builder reference came from.
    legacy_option: str = "--legacy"
    new_option: str = "--new"
    inputs_model_option: str = "--inputs-model"
    build_timeout_option: str = "--build-timeout"
