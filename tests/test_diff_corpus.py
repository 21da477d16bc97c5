"""The differ over real Argo examples and Hera's ports of them (../shared/corpora/hera-upstream-pairs).

Hera's CI asserts each pair with a Python module is equivalent after its own normalisation;
every such pair not marked NOT-EQUAL must come out equivalent here, through `parity diff` itself
(exit 0), and `loops-param-argument` (annotations placed where Argo ignores them) must be found
different (exit 1).
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from harness.cli import cli
from harness.diff import compare
from tests.requirements import CORPORA

CORPUS = CORPORA / "hera-upstream-pairs"

# Without the corpus each test is one case, skipped (conftest.py) with the one reason for all.
pytestmark = pytest.mark.corpus(CORPUS.name)


@pytest.fixture(autouse=True)
def _reads_the_corpus(corpora: Path) -> None:
    """Every test here reads the corpus: requesting it is what skips them where it is absent."""


def _rows() -> list[dict[str, str]]:
    if not (CORPUS / "INDEX.tsv").is_file():
        return []
    with (CORPUS / "INDEX.tsv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


ROWS = _rows()
MUST_BE_EQUIVALENT = [r for r in ROWS if r["hera_python_module"] == "True" and r["equal_after"] != "NOT-EQUAL"]


def _docs(path: Path) -> list[dict[str, object]]:
    return [d for d in yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) if d is not None]


def _diff_exit(name: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["diff", str(CORPUS / f"{name}.upstream.yaml"), str(CORPUS / f"{name}.yaml"), "--format", "json"]
    )
    return result.exit_code, result.output


# Without the corpus: one case (skipped with the reason), not pytest's "got empty parameter set".
@pytest.mark.parametrize("name", [r["name"] for r in MUST_BE_EQUIVALENT] or [""])
def test_hera_port_is_equivalent(name: str) -> None:
    code, output = _diff_exit(name)
    assert code == 0, output


def test_loops_param_argument_is_different() -> None:
    code, output = _diff_exit("loops-param-argument")
    assert code == 1, output
    comparison = compare(
        _docs(CORPUS / "loops-param-argument.upstream.yaml"), _docs(CORPUS / "loops-param-argument.yaml")
    )
    semantic = [d.path for d in comparison.differences if d.category == "semantic"]
    assert semantic == ['spec.templates[cat-os-release].annotations["workflows.argoproj.io/display-name"]']


def test_corpus_counts(capsys: pytest.CaptureFixture[str]) -> None:
    """Every pair compared; prints equivalent/total per equal_after category (for the record)."""
    totals: Counter[str] = Counter()
    equivalent: Counter[str] = Counter()
    for row in ROWS:
        category = row["equal_after"] + ("" if row["hera_python_module"] == "True" else " (no hera module)")
        comparison = compare(_docs(CORPUS / f"{row['name']}.upstream.yaml"), _docs(CORPUS / f"{row['name']}.yaml"))
        totals[category] += 1
        equivalent[category] += comparison.equivalent
    with capsys.disabled():
        print()
        for category in sorted(totals):
            print(f"  corpus {category:<30} {equivalent[category]:>3} / {totals[category]:<3} equivalent")
    assert sum(totals.values()) == len(ROWS) > 0
    assert len(MUST_BE_EQUIVALENT) > 80
