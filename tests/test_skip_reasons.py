"""A missing public corpus is one skip line per corpus, in words a user of a fresh clone
understands (not one line per parametrized case about "shared corpora")."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_each_missing_corpus_is_one_skip_line_that_says_where_it_looked(tmp_path: Path) -> None:
    missing = tmp_path / "no-corpora"
    env = {**os.environ, "PARITY_CORPORA": str(missing), "CI": "true"}  # corpora skip in CI too
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/test_diff_corpus.py", "tests/test_argo_status.py", "-q", "-rs"],
        check=False,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    skipped = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skipped) == 2, "\n".join(skipped)
    for line, folder in zip(sorted(skipped), ["argo-status", "hera-upstream-pairs"], strict=True):
        count = re.match(r"SKIPPED \[(\d+)\]", line)
        assert count is not None and int(count.group(1)) > 1, line  # many tests, one line
        assert f"looked in {missing / folder}" in line, line
        assert "not part of this repository" in line and "PARITY_CORPORA" in line, line
        assert "shared corpora" not in line, line
