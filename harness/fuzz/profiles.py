"""Fuzzing profiles: how hard to search, and where Hypothesis remembers failing examples.

=========  =============  ===================================================================
profile    examples       for
=========  =============  ===================================================================
``ci``     300            ``make test``: fast, part of every run (also the pytest default)
``dev``    1,000          ``parity fuzz`` by hand while changing a builder
``nightly`` 10,000        ``make fuzz``: the long search a nightly job runs
=========  =============  ===================================================================

Each is registered with Hypothesis as ``parity-<name>`` (so that it cannot clash with a project's
own ``ci`` profile) and can be loaded with ``pytest --hypothesis-profile=parity-ci``. Tests pick
theirs with :func:`settings_for`, which reads ``PARITY_FUZZ_PROFILE`` when no name is given.

All profiles: no deadline (a builder's first call imports Hera and kubernetes, and a loaded CI
machine makes timing meaningless); the example database under ``.hypothesis/examples`` in the
working directory (``DirectoryBasedExampleDatabase``, safe for concurrent pytest-xdist workers),
so a failure found once is replayed first next time until it is fixed.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase

from harness.errors import ParityInputError

PROFILE_ENV = "PARITY_FUZZ_PROFILE"
DEFAULT_PROFILE = "ci"
DATABASE_DIR = Path(".hypothesis") / "examples"
EXAMPLES = {"ci": 300, "dev": 1_000, "nightly": 10_000}
PROFILES = tuple(EXAMPLES)
# Some examples are large (long programs, many requirements) and two xdist workers share a core:
# "too slow" and "too large" would report the machine, not the strategies.
_SUPPRESSED = (HealthCheck.too_slow, HealthCheck.data_too_large)


def hypothesis_name(profile: str) -> str:
    return f"parity-{profile}"


def database() -> ExampleDatabase:
    """The example database shared by ``parity fuzz`` and the tests: ``.hypothesis/examples``."""
    return DirectoryBasedExampleDatabase(str(DATABASE_DIR))


def _register() -> None:
    for name, examples in EXAMPLES.items():
        settings.register_profile(
            hypothesis_name(name),
            max_examples=examples,
            deadline=None,
            database=database(),
            suppress_health_check=_SUPPRESSED,
            # The explain phase re-runs every failing example many times to point at lines; the
            # parity report already says what differs.
            phases=tuple(phase for phase in Phase if phase is not Phase.explain),
            print_blob=True,
            verbosity=Verbosity.normal,
        )


def settings_for(profile: str | None = None) -> settings:
    """Hypothesis settings of a fuzzing profile; ``None`` reads ``$PARITY_FUZZ_PROFILE`` (default ``ci``)."""
    name = profile or os.environ.get(PROFILE_ENV) or DEFAULT_PROFILE
    if name not in EXAMPLES:
        raise ParityInputError(f"unknown fuzz profile {name!r}; choose from {', '.join(PROFILES)}", field="--profile")
    return settings.get_profile(hypothesis_name(name))


_register()
