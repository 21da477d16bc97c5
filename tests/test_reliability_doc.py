"""docs/reliability.md lists every fault case the tests reproduce, and none of them failed.

The page is generated (``make fault-matrix``); this test keeps it from drifting away from the
tests it summarises: a new ``@pytest.mark.fault`` test without a row, a row whose test is gone,
or a row recorded as failed all fail here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "reliability.md"
_ROW = re.compile(r"^\| \d+ \| .* \| `(?P<nodeid>[^`]+)` \|$")


def marked_cases() -> set[str]:
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "fault", "-p", "no:cacheprovider", "tests"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        timeout=300,
    )
    return {line.strip() for line in collected.stdout.splitlines() if "::" in line}


@pytest.mark.slow  # ~25 s: collects the whole suite in a subprocess
def test_every_fault_case_has_a_row_and_none_failed() -> None:
    text = DOC.read_text(encoding="utf-8")
    rows = {match["nodeid"]: line for line in text.splitlines() if (match := _ROW.match(line))}
    cases = marked_cases()
    assert cases, "no test is marked @pytest.mark.fault"
    assert sorted(cases - set(rows)) == [], "fault cases without a row: run `make fault-matrix`"
    assert sorted(set(rows) - cases) == [], "rows whose test is gone: run `make fault-matrix`"
    failed = [nodeid for nodeid, line in rows.items() if "FAILED" in line]
    assert failed == []
    count = re.search(r"\*\*(\d+) cases: (\d+) as expected, (\d+) failed", text)
    assert count is not None and int(count[1]) == len(rows) and int(count[3]) == 0
