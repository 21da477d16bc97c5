"""Project-level pytest wiring for argo-parity's own tests (the user-facing plugin is
``harness.pytest_plugin``, loaded through its entry point)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent
# The shared corpora sit beside the clone in this workplace; a user's clone has none, and the
# tests that read them skip. PARITY_CORPORA points elsewhere when needed.
CORPORA = Path(os.environ.get("PARITY_CORPORA", ROOT.parent / "shared" / "corpora"))


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.skip(f"shared corpora not found at {CORPORA} (set PARITY_CORPORA to run these tests)")
    return CORPORA
