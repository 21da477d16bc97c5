"""The closing summary of `parity run`: every status shown, values in the one style (JSON) every
non-HTML output uses."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from harness.cli import _summary
from harness.diff import Category, Difference
from harness.outcomes import ScenarioOutcome, Status
from harness.phases import Phase, Verdict
from harness.redact import Redactor
from harness.rollout.gates import PhaseVerdict


def _outcome(status: Status, differences: tuple[Difference, ...] = ()) -> ScenarioOutcome:
    return ScenarioOutcome("s", "plain", "", "f.yaml", status, differences=differences)


def _print(capsys: pytest.CaptureFixture[str], *outcomes: ScenarioOutcome) -> str:
    verdict = PhaseVerdict(next(iter(Phase)), Verdict.NOT_READY)
    result = SimpleNamespace(outcomes=outcomes, verdict=verdict, redactor=Redactor())
    _summary.print_summary(cast(Any, result), [])
    return capsys.readouterr().out


@pytest.mark.parametrize("status", list(Status))
def test_every_status_is_printed(status: Status, capsys: pytest.CaptureFixture[str]) -> None:
    assert f"{status.value}" in _print(capsys, _outcome(status))


def test_the_first_semantic_difference_says_what_changes_in_json_style(capsys: pytest.CaptureFixture[str]) -> None:
    difference = Difference(
        "spec.templates[main].script.volumeMounts[data].readOnly",
        Category.SEMANTIC,
        "typed-scalar",
        True,
        None,
        "the mount becomes writable in template main, mount data (was read-only): readOnly true -> unset",
    )
    out = _print(capsys, _outcome(Status.DIFFERENT, (difference,)))
    assert "1 semantic, first: spec.templates[main].script.volumeMounts[data].readOnly" in out
    assert "the mount becomes writable" in out
    assert "True" not in out and "None" not in out
