"""The evidence step: each gatherer says what it gathered or why it gathered nothing, and an
interrupted run gathers nothing that runs builders."""

from __future__ import annotations

from typing import Any

from harness.evidence import EvidenceStep
from harness.outcomes import ScenarioOutcome, Status
from harness.phases import Phase
from harness.run_config import RunConfig


class NoBuilders:
    """A builder host for evidence that needs no build: asking it for a builder is a test failure."""

    confinement_problems = ()
    sources: dict[str, Any] = {}

    def callable(self, side: str) -> Any:
        raise AssertionError(f"the evidence step asked for the {side} builder")


def outcome(name: str) -> ScenarioOutcome:
    return ScenarioOutcome(name=name, kind="plain", description="", source="", status=Status.EQUIVALENT)


def test_a_dev_run_gathers_neither_router_nor_fuzz_evidence_and_says_why() -> None:
    evidence = EvidenceStep(RunConfig(phase=Phase.DEV)).gather(
        [outcome("b"), outcome("a")], NoBuilders(), expected=["a", "b"]
    )
    assert [o.name for o in evidence.outcomes] == ["a", "b"]
    assert evidence.router is None and evidence.fuzz is None and not evidence.interrupted
    assert evidence.notes == (
        "waivers: no waiver file",
        "router probe: the dev gate routes no canary steps",
        "fuzz: the dev gate asks for no fuzzing and no report was given",
    )


def test_an_interrupted_canary_run_runs_no_builder_for_its_evidence() -> None:
    evidence = EvidenceStep(RunConfig(phase=Phase.CANARY)).gather(
        [outcome("a")], NoBuilders(), expected=["a", "b"], interrupted=True
    )
    assert evidence.router is None and evidence.fuzz is None and evidence.interrupted
    assert evidence.expected == ("a", "b")
    assert evidence.notes[1:] == ("router probe: the run was interrupted", "fuzz: the run was interrupted")
