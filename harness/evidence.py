"""The evidence step, between the engine and the gates: outcomes in, :class:`Evidence` out.

The engine turns scenarios into outcomes; this step gathers what a gate looks at besides them;
the gates (:mod:`harness.rollout.gates`) judge. Each gatherer is named and says what it gathered,
or why it gathered nothing:

- ``gather_waivers``: the waivers used, expired, and (after a complete run) matching nothing;
- ``gather_router``: the scenarios routed through the feature-flag router at each canary step,
  only when the requested phase's gate asks for it;
- ``gather_fuzz``: a saved ``parity fuzz --report`` (read by :mod:`harness.fuzz.saved_report`),
  else, when the gate asks for fuzzing, a fuzz run of the required size here and now.

The router probe and fuzzing cover the default suite (the run's own builders and input model)
only; other suites are judged on their scenarios alone, and the router and fuzz criteria say
which suites they left out (``Evidence.unprobed_suites``).

An interrupted run gathers nothing more: what was still to come gave no evidence. The router
probe and the inline fuzz run builders, so they take time and may be interrupted themselves; the
caller (``ParitySession.run``) then gathers again as an interrupted run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from harness.outcomes import ScenarioOutcome, Status
from harness.rollout.evidence import Evidence, FuzzEvidence

if TYPE_CHECKING:
    from harness.builders.isolation import BuilderHost
    from harness.diff.waivers import WaiverSet
    from harness.fuzz.saved_report import SavedFuzzReport
    from harness.rollout.router_probe import StepEvidence
    from harness.run_config import RunConfig

_log = logging.getLogger(__name__)

# The inline fuzz run's seed: two runs on the same builders give the same evidence.
INLINE_FUZZ_SEED = 20_261_123

_T = TypeVar("_T")


@dataclass(frozen=True)
class Gathered(Generic[_T]):
    """One gatherer's evidence (``None``: nothing gathered) and what it gathered or why not."""

    value: _T | None
    note: str


@dataclass(frozen=True)
class WaiverEvidence:
    """Always gathered: the note says how much of it could be judged."""

    used: tuple[str, ...]
    expired: tuple[str, ...]
    stale: tuple[str, ...]
    note: str


class EvidenceStep:
    """Gathers one run's evidence. Created with the session, before any scenario runs: a saved
    fuzz report that is no fuzz report is bad input, found then."""

    def __init__(
        self,
        config: RunConfig,
        *,
        suite_waivers: Mapping[str, WaiverSet | None] | None = None,
    ) -> None:
        self.config = config
        # Each suite's waivers under its name, the run's own suite's included (harness.suites).
        self.suite_waivers = dict(suite_waivers or {})
        self.saved_fuzz: SavedFuzzReport | None = None
        if config.fuzz_report is not None:
            from harness.fuzz.saved_report import load_saved_report

            self.saved_fuzz = load_saved_report(config.fuzz_report)

    def gather(
        self,
        outcomes: Sequence[ScenarioOutcome],
        host: BuilderHost,
        *,
        expected: Sequence[str] | None = None,
        interrupted: bool = False,
        stopped: Callable[[], bool] | None = None,
        confinement_problems: Sequence[str] | None = None,
    ) -> Evidence:
        """The evidence on ``outcomes``, gathered with the run's builders (``host``).

        ``expected`` names every scenario the run was meant to cover: one that has no outcome
        (deselected, interrupted, lost) is missing evidence. ``stopped`` says whether the run has
        been interrupted since: inline fuzzing asks it before every build.
        ``confinement_problems``: what kept any of the run's builder hosts (one per suite) from
        confining its builds; ``host``'s own when not given.
        """
        ordered = tuple(sorted(outcomes, key=lambda outcome: outcome.name))
        # A waiver is stale only when the whole suite ran without needing it.
        complete = not interrupted and (expected is None or set(expected) <= {o.name for o in ordered})
        waivers = gather_waivers(ordered, self.config, complete=complete, suite_waivers=self.suite_waivers)
        if interrupted:
            router: Gathered[tuple[StepEvidence, ...]] = Gathered(None, "router probe: the run was interrupted")
            fuzz: Gathered[FuzzEvidence] = Gathered(None, "fuzz: the run was interrupted")
        else:
            router = gather_router(ordered, host, self.config)
            fuzz = gather_fuzz(self.saved_fuzz, host, self.config, stopped)
        notes = (waivers.note, router.note, fuzz.note)
        for note in notes:
            _log.debug("evidence: %s", note)
        return Evidence(
            outcomes=ordered,
            execute=self.config.execute,
            expired_waivers=waivers.expired,
            stale_waivers=waivers.stale,
            router=router.value,
            fuzz=fuzz.value,
            expected=tuple(sorted(set(expected))) if expected is not None else None,
            interrupted=interrupted,
            confinement_problems=tuple(
                host.confinement_problems if confinement_problems is None else confinement_problems
            ),
            demoted_by_rules=_demotions(ordered),
            used_waivers=waivers.used,
            notes=notes,
            unprobed_suites=tuple(suite.name for suite in self.config.suites),
        )


def gather_waivers(
    outcomes: Sequence[ScenarioOutcome],
    config: RunConfig,
    *,
    complete: bool,
    suite_waivers: Mapping[str, WaiverSet | None] | None = None,
) -> WaiverEvidence:
    """Which waivers the outcomes used, which have expired, and, after a complete run only,
    which matched nothing (an interrupted or partial run cannot tell a stale waiver from one
    whose scenario did not run). ``suite_waivers`` are each suite's, by suite name; each set is
    judged on its own suite's outcomes only."""
    used = tuple(sorted({waiver for outcome in outcomes for waiver in outcome.waivers_used}))
    sets = {name: found for name, found in (suite_waivers or {}).items() if found}
    if not sets:
        return WaiverEvidence(used, (), (), "waivers: no waiver file")
    expired: set[str] = set()
    stale: set[str] = set()
    for name, waiver_set in sets.items():
        expired.update(waiver.id for waiver in waiver_set.expired(config.today))
        if complete:
            used_here = {waiver for outcome in outcomes if outcome.suite == name for waiver in outcome.waivers_used}
            stale.update(waiver.id for waiver in waiver_set.stale(tuple(sorted(used_here))))
    note = f"waivers: {len(used)} used, {len(expired)} expired, " + (
        f"{len(stale)} stale" if complete else "staleness not judged (the run did not cover the suite)"
    )
    return WaiverEvidence(used, tuple(sorted(expired)), tuple(sorted(stale)), note)


def gather_router(
    outcomes: Sequence[ScenarioOutcome], host: BuilderHost, config: RunConfig
) -> Gathered[tuple[StepEvidence, ...]]:
    """Route the scenarios through the feature-flag router, but only when the requested phase's
    gate asks for it: other phases then show the probe as not gathered. The router runs here;
    each build it asks for runs isolated like any other."""
    criteria = config.rollout.criteria(config.phase)
    if criteria.steps is None:
        return Gathered(None, f"router probe: the {config.phase.value} gate routes no canary steps")
    from harness.rollout.router_probe import probe_router

    # The run's own suite's builders sit behind the router (named "default", or a suite folder's
    # name when that folder is the run); the other suites' scenarios are another input model's,
    # so they are not routed (the gate's message says so).
    inputs = {
        outcome.name: outcome.inputs
        for outcome in outcomes
        if outcome.status is not Status.CRASHED and outcome.suite == config.suite_name
    }
    steps = probe_router(
        host.callable("legacy"),
        host.callable("new"),
        inputs,
        steps=criteria.steps,
        requests_per_scenario=criteria.requests_per_scenario,
    )
    at = ", ".join(f"{step.percent}%" for step in steps)
    return Gathered(steps, f"router probe: {len(inputs)} scenarios routed at {at}{_default_only(config, 'probed')}")


def gather_fuzz(
    saved: SavedFuzzReport | None, host: BuilderHost, config: RunConfig, stopped: Callable[[], bool] | None = None
) -> Gathered[FuzzEvidence]:
    """The saved `parity fuzz --report` when given (evidence only about the builders it
    fuzzed, at the source it fuzzed); otherwise, when the requested phase's gate asks for
    fuzzing, a fuzz run of the required size here and now (fixed seed, so two runs on the
    same builders give the same evidence)."""
    if saved is not None:
        source = str(config.fuzz_report)
        why_not = saved.mismatch(host.sources)
        if why_not is not None:
            evidence = FuzzEvidence(0, 0, f"{source} is no evidence for this run: {why_not}")
            return Gathered(evidence, f"fuzz: {evidence.source}")
        # Only the examples of the last clean round count: shrinking a failure is not clean evidence.
        evidence = FuzzEvidence(examples=saved.clean_examples, failures=len(saved.failures), source=source)
        return Gathered(evidence, f"fuzz: read {source}")
    needed = config.rollout.criteria(config.phase).min_fuzz_examples
    if needed is None:
        return Gathered(None, f"fuzz: the {config.phase.value} gate asks for no fuzzing and no report was given")
    from harness.fuzz import FuzzConfig, run_fuzz

    result = run_fuzz(
        FuzzConfig(
            legacy=config.legacy,
            new=config.new,
            profile="ci",
            examples=needed,
            seed=INLINE_FUZZ_SEED,
            use_database=False,
            build_timeout_s=config.build_timeout_s,
            inputs_model=config.inputs_model,
            call=config.call,
        ),
        host=host,
        stopped=stopped,
    )
    evidence = FuzzEvidence(
        examples=result.clean_examples if not result.found else result.examples,
        failures=len(result.failures),
        source=f"inline fuzz run, seed {result.seed}",
    )
    return Gathered(evidence, f"fuzz: {evidence.source}, {needed} examples asked for{_default_only(config, 'fuzzed')}")


def _default_only(config: RunConfig, done: str) -> str:
    """What a note adds when the run has suites the router probe and fuzzing leave out."""
    if not config.suites:
        return ""
    return f" (default suite only; not {done}: {', '.join(suite.name for suite in config.suites)})"


def _demotions(outcomes: Sequence[ScenarioOutcome]) -> tuple[tuple[str, int], ...]:
    """User rule id -> how many differences it turned from semantic into something that passes."""
    counts: dict[str, int] = {}
    for outcome in outcomes:
        for difference in outcome.differences:
            if difference.demoted_from is not None:
                counts[difference.rule] = counts.get(difference.rule, 0) + 1
    return tuple(sorted(counts.items()))
