"""What a test needs from the machine, and what happens when it is missing.

On a developer's machine a missing tool skips the tests that need it, and the skip names the tool
and the step that installs it. In CI (the environment variable CI is "true": .ci/run installs
every tool with scripts/install-system-deps.sh) a missing tool FAILS those tests instead, so a
broken install step can never pass as a row of skipped tests. PARITY_ALLOW_SKIP=1 lets them skip
in CI too, for a CI that deliberately goes without a tool (SKIP_DOCKER=1, say).

Two things are not tools and skip everywhere, CI included, each saying why: a Kubernetes cluster
with Argo Workflows (no CI machine here has one: tests/test_execute_cluster.py) and the public
corpus beside the clone (``corpus_absent``).
"""

from __future__ import annotations

import importlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import pytest

INSTALL_SYSTEM_DEPS = "scripts/install-system-deps.sh"


@dataclass(frozen=True)
class Need:
    """Something tests need from the machine: what it is, and the step that installs it."""

    what: str
    install: str

    def require(self, problem: str | None) -> None:
        """Nothing when ``problem`` is None; else skip (locally) or fail (in CI) saying why."""
        __tracebackhide__ = True  # a skip is reported at the test's line, not here
        if problem is not None:
            skip_or_fail(self, problem)


LOCAL_EXECUTOR = Need(
    "the local executor (bubblewrap's bwrap and uv)",
    f"{INSTALL_SYSTEM_DEPS} installs bubblewrap; `make install` installs uv (the dev extra)",
)
PIDS_LIMIT = Need(
    "the sandbox's pids limit (a writable cgroup pids controller)",
    "run as root on a cgroup v2 machine (CI machines are), or delegate the pids controller to this user",
)
DOCKER = Need(
    "the docker executor (a running Docker engine)",
    f"{INSTALL_SYSTEM_DEPS} installs docker.io and starts dockerd",
)
PYTHON_IMAGE = Need(
    "the local python:3.11-slim image",
    f"{INSTALL_SYSTEM_DEPS} builds it (scripts/build-python-image.sh: no registry is reachable)",
)
CHROMIUM = Need("chromium (the HTML report's browser test)", f"{INSTALL_SYSTEM_DEPS} installs Debian's chromium")
HTTPX = Need("httpx (Hera's async WorkflowsService)", "`make install` installs it (the dev extra)")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def skip_or_fail(need: Need, problem: str) -> NoReturn:
    """Skip the test because ``need`` is missing; in CI, fail it (unless PARITY_ALLOW_SKIP=1)."""
    __tracebackhide__ = True  # a skip is reported at the test's line, not here
    if in_ci() and os.environ.get("PARITY_ALLOW_SKIP") != "1":
        pytest.fail(
            f"{need.what} is missing in CI, where it must run: {problem}. Install step: {need.install} "
            "(.ci/run runs it; PARITY_ALLOW_SKIP=1 lets these tests skip instead).",
            pytrace=False,
        )
    pytest.skip(f"{need.what} unavailable here: {problem} (to run these tests: {need.install})")


def require_tool(need: Need, *programs: str) -> str:
    """The path of the first of ``programs`` on PATH; else skip or fail as ``skip_or_fail``."""
    __tracebackhide__ = True  # a skip is reported at the test's line, not here
    for program in programs:
        path = shutil.which(program)
        if path is not None:
            return path
    skip_or_fail(need, f"no {' or '.join(programs)} on PATH")


def require_module(need: Need, name: str) -> ModuleType:
    """The module ``name``, imported; else skip or fail as ``skip_or_fail``."""
    __tracebackhide__ = True  # a skip is reported at the test's line, not here
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        skip_or_fail(need, f"cannot import {name} ({exc})")


# --- the public corpus beside the clone ---------------------------------------------------------

# In this workplace the public corpora sit beside the clone (../shared/corpora); a user's clone and
# CI's clone have none. PARITY_CORPORA points elsewhere.
CORPORA = Path(os.environ.get("PARITY_CORPORA", Path(__file__).resolve().parents[2] / "shared" / "corpora"))


def corpus_absent(corpus: Path, compares: str) -> str:
    """The skip reason of the tests that read ``corpus``, in words a user understands."""
    return (
        f"the public corpus at {corpus} is not beside this clone (it is not part of the repository; "
        f"PARITY_CORPORA can point at a copy); these tests compare {compares} when it is"
    )
