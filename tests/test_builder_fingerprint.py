"""A builder's fingerprint covers the code its output depends on, and only that."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.builders.fingerprint import source_of


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "__init__.py").write_text("")
    (tmp_path / "team" / "templates").mkdir()
    (tmp_path / "team" / "templates" / "job.yaml").write_text("kind: Workflow\n")
    (tmp_path / "team" / "builder.py").write_text(
        "import yaml\nfrom team import helper\n\ndef build(inputs):\n    from team.lazy import extra\n"
        "    return helper.make(inputs)\n"
    )
    (tmp_path / "team" / "helper.py").write_text("def make(inputs):\n    return {'image': 'python:3.11'}\n")
    (tmp_path / "team" / "lazy.py").write_text("extra = 1\n")
    (tmp_path / "unrelated.py").write_text("x = 1\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [name for name in sys.modules if name == "team" or name.startswith("team.")]:
        del sys.modules[name]


@pytest.mark.fault(
    group="false READY",
    case="a fuzz report, then a change to a helper module the new builder imports",
    expected="the fingerprint changes, so the report is no evidence for the changed builder",
)
def test_a_change_to_an_imported_helper_changes_the_fingerprint(project: Path) -> None:
    before = source_of("team.builder:build")
    (project / "team" / "helper.py").write_text("def make(inputs):\n    return {'image': 'python:2.7'}\n")
    assert source_of("team.builder:build").sha256 != before.sha256


@pytest.mark.parametrize(
    ("path", "changes"),
    [
        ("team/lazy.py", True),  # imported inside the function: still the builder's code
        ("team/templates/job.yaml", True),  # a template beside the builder
        ("unrelated.py", False),  # nothing imports it
    ],
)
def test_what_the_fingerprint_covers(project: Path, path: str, changes: bool) -> None:
    before = source_of("team.builder:build")
    (project / path).write_text((project / path).read_text() + "\n# edited\n")
    assert (source_of("team.builder:build").sha256 != before.sha256) is changes


def test_the_fingerprint_imports_nothing(project: Path) -> None:
    source_of("team.builder:build")
    assert "team.builder" not in sys.modules and "team" not in sys.modules


def test_the_same_code_in_two_places_has_one_fingerprint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sums = []
    for place in ("one", "two"):
        root = tmp_path / place
        (root / "pkg").mkdir(parents=True)
        (root / "pkg" / "__init__.py").write_text("")
        (root / "pkg" / "b.py").write_text("def build(inputs):\n    return {}\n")
        monkeypatch.chdir(root)
        monkeypatch.syspath_prepend(str(root))
        sums.append(source_of("pkg.b:build").sha256)
        sys.path.remove(str(root))
    assert sums[0] == sums[1]
