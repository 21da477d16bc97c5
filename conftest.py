"""Project-level pytest wiring for argo-parity's own tests (the user-facing plugin is
``harness.pytest_plugin``, loaded through its entry point)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.requirements import CORPORA, corpus_absent, skip_without_corpus

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before fixtures: a skip from a fixture is reported at each test's line, one summary line
    # per test; from here, one line per missing corpus.
    skip_without_corpus(item)


@pytest.fixture(scope="session")
def corpora() -> Path:
    if not CORPORA.is_dir():  # a test that reads the corpus without the `corpus` mark
        pytest.skip(corpus_absent(CORPORA))
    return CORPORA
