"""Project-level pytest wiring for argo-parity's own tests (the user-facing plugin is
``harness.pytest_plugin``, loaded through its entry point)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.requirements import CORPORA, corpus_absent

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.skip(corpus_absent(CORPORA, "real Argo Workflow objects from Argo's own tests"))
    return CORPORA
