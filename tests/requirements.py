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

# Each corpus (a folder of CORPORA) by what it holds, in a user's words. A test that reads one
# requests the `corpora` fixture and is marked `@pytest.mark.corpus("folder")`.
CORPUS_CONTENTS: dict[str, str] = {
    "argo-status": "Argo's own test Workflow objects (status, nodes, outputs)",
    "hera-upstream-pairs": "the public Argo example workflows and Hera's ports of them",
}


def corpus_absent(corpus: Path, compares: str | None = None) -> str:
    """The skip reason of the tests that read ``corpus``, in words a user understands."""
    what = compares or CORPUS_CONTENTS.get(corpus.name, "the public Argo/Hera example manifests")
    return (
        f"{what}: public data, not part of this repository; looked in {corpus} "
        "(PARITY_CORPORA can point at a copy). The tests that read it run where it is"
    )


def skip_without_corpus(item: pytest.Item) -> None:
    """Skip ``item``, a test that reads the corpus (it requests the ``corpora`` fixture), when
    the folder its ``corpus`` mark names (none: the corpora themselves) is not there; CI
    included: the corpus is not a tool CI installs. Called from conftest.py's
    pytest_runtest_setup, before any fixture. Raised here, not at the test's line (no
    __tracebackhide__), so pytest's summary folds every test that needs one missing corpus into
    one line: `SKIPPED [23] ...`."""
    if "corpora" not in getattr(item, "fixturenames", ()):
        return
    marker = item.get_closest_marker("corpus")
    folder = CORPORA / marker.args[0] if marker is not None and marker.args else CORPORA
    if not folder.is_dir():
        pytest.skip(corpus_absent(folder))
