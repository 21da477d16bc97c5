"""The engine behind both front doors: scenarios x builders -> outcomes -> verdict.

``parity run`` and the pytest plugin each create one ``ParitySession`` and feed it scenarios;
the session never raises for a scenario: whatever goes wrong is recorded in that scenario's
outcome, so one crash never hides the others.
"""

from __future__ import annotations

import datetime
import gc
import json
import logging
import multiprocessing
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.builders import HERA_REF, LEGACY_REF, Builder, coerce_manifest, resolve_builder
from harness.diff import Category, Comparison, Difference, calibrate_noise, compare
from harness.diff.waivers import WaiverSet, load_waivers
from harness.errors import ParityInputError
from harness.execute import EXECUTORS, executes, get_executor
from harness.normalize import canonicalize
from harness.outcomes import BuilderError, ScenarioOutcome, SideResult, Status
from harness.phases import Phase
from harness.redact import Redactor
from harness.rollout import Evidence, FuzzEvidence, PhaseVerdict, evaluate_all
from harness.rollout.config import RolloutConfig
from harness.rollout.router_probe import StepEvidence, probe_router
from harness.scenarios import Scenario

if TYPE_CHECKING:
    from harness.execute.base import Executor
    from harness.execute.parity import ExecutionOutcome

log = logging.getLogger(__name__)

DEFAULT_WAIVERS = Path("scenarios/waivers.yaml")
INLINE_FUZZ_SEED = 20_261_123


@dataclass(frozen=True)
class RunConfig:
    legacy: str = LEGACY_REF
    new: str = HERA_REF
    phase: Phase = Phase.DEV
    execute: str = "none"
    jobs: int = 1
    waivers: Path | None = None
    rules: Path | None = None
    # Build the legacy side twice and treat what differs between its own builds as noise.
    calibrate_noise: bool = True
    rollout: RolloutConfig = field(default_factory=RolloutConfig)
    # A saved `parity fuzz --report` result, the fuzz evidence canary and later phases need.
    fuzz_report: Path | None = None
    today: datetime.date = field(default_factory=datetime.date.today)


@dataclass(frozen=True)
class RunResult:
    config: RunConfig
    outcomes: tuple[ScenarioOutcome, ...]
    verdict: PhaseVerdict  # the requested phase's
    phases: tuple[PhaseVerdict, ...]  # every phase's, on the same evidence
    router: tuple[StepEvidence, ...] | None
    fuzz: FuzzEvidence | None
    waivers_used: tuple[str, ...]
    waivers_stale: tuple[str, ...]
    waivers_expired: tuple[str, ...]
    started_at: datetime.datetime
    duration_s: float
    redactor: Redactor


ProgressCallback = Callable[[ScenarioOutcome], None]


class ParitySession:
    """Owns the builders, waivers and rules for one run; turns scenarios into outcomes."""

    def __init__(self, config: RunConfig) -> None:
        if config.execute not in EXECUTORS:
            raise ParityInputError(f"unknown executor {config.execute!r}; choose from {', '.join(EXECUTORS)}")
        self.config = config
        self.legacy: Builder = resolve_builder(config.legacy, option="--legacy")
        self.new: Builder = resolve_builder(config.new, option="--new")
        self.waivers: WaiverSet | None = _load_waivers(config.waivers)
        # An expired waiver accepts nothing: its differences show as what they are, and the gate
        # separately fails on the expiry itself.
        self.active_waivers = self.waivers.active(config.today) if self.waivers else None
        self.rules = _load_rules(config.rules)
        self.executor = _executor(config.execute)

    def run_scenario(self, scenario: Scenario) -> ScenarioOutcome:
        blank = ScenarioOutcome(
            name=scenario.name,
            kind=scenario.kind,
            description=scenario.description,
            source=scenario.source,
            status=Status.CRASHED,
            inputs=scenario.inputs.for_builder(),
        )
        try:
            return self._run_scenario(scenario, blank)
        except Exception as exc:  # a harness bug must cost one scenario, not the run
            log.exception("scenario %s crashed", scenario.name)
            return replace(blank, crash="".join(traceback.format_exception_only(exc)).strip())

    def _run_scenario(self, scenario: Scenario, blank: ScenarioOutcome) -> ScenarioOutcome:
        legacy = _build(self.legacy, self.config.legacy, scenario)
        new = _build(self.new, self.config.new, scenario)
        outcome = replace(blank, legacy=legacy, new=new)
        if legacy.manifest is None or new.manifest is None:
            status = Status.BOTH_REJECTED if legacy.error and new.error else Status.BUILDER_ERROR
            return replace(outcome, status=status, problems=_expectation_problems(scenario, ()))

        comparison = self._compare(scenario, legacy.manifest, new.manifest)
        execution = self._execute(scenario, legacy.manifest, new.manifest)
        used = tuple(sorted({*comparison.waivers_used, *(execution.waivers_used if execution else ())}))
        return replace(
            outcome,
            status=_parity_status(comparison.differences),
            differences=tuple(comparison.differences),
            waivers_used=used,
            problems=_expectation_problems(scenario, used),
            execution=execution,
            expected_exit_code=scenario.expect.execution.exit_code if scenario.expect.execution else None,
        )

    def _compare(self, scenario: Scenario, legacy: dict[str, Any], new: dict[str, Any]) -> Comparison:
        if legacy == new:
            # Identical data has identical canonical forms: the common case of a faithful
            # migration costs one dict comparison instead of two canonicalisations.
            return Comparison((), True)
        # Canonical forms are computed once: the comparison may run twice (with noise paths).
        left, right = canonicalize(legacy), canonicalize(new)
        options: dict[str, Any] = {"rules": self.rules, "waivers": self.active_waivers, "scenario": scenario.name}
        comparison = compare(left, right, **options)
        if self.config.calibrate_noise and _could_be_noise(comparison):
            # A second legacy build costs a third of the scenario; noise can only reclassify a
            # difference, so it is paid for only where there is one to reclassify.
            noise = self._noise_paths(scenario, legacy)
            if noise:
                comparison = compare(left, right, noise_paths=noise, **options)
        return comparison

    def _execute(self, scenario: Scenario, legacy: dict[str, Any], new: dict[str, Any]) -> ExecutionOutcome | None:
        """Run both manifests when an executor was asked for and the scenario executes (it has
        an ``expect.execution``; the others are manifest-only by design)."""
        if self.executor is None or not executes(scenario):
            return None
        from harness.execute.parity import execute_pair

        return execute_pair(
            self.executor,
            legacy_manifest=legacy,
            new_manifest=new,
            expectation=scenario.expect.execution,
            scenario=scenario.name,
            calibrate_noise=self.config.calibrate_noise,
            waivers=self.active_waivers,
        )

    def _noise_paths(self, scenario: Scenario, first: dict[str, Any]) -> frozenset[str]:
        second = _build(self.legacy, self.config.legacy, scenario)
        if second.manifest is None:
            return frozenset()
        return calibrate_noise(first, second.manifest)

    def run(self, scenarios: Sequence[Scenario], progress: ProgressCallback | None = None) -> RunResult:
        started_at = datetime.datetime.now(datetime.UTC)
        clock = time.perf_counter()
        outcomes = list(self._outcomes(scenarios, progress))
        return self.finish(outcomes, started_at=started_at, duration_s=time.perf_counter() - clock)

    def _outcomes(self, scenarios: Sequence[Scenario], progress: ProgressCallback | None) -> Iterable[ScenarioOutcome]:
        jobs = min(max(1, self.config.jobs), len(scenarios) or 1)
        if jobs == 1:
            for scenario in scenarios:
                outcome = self.run_scenario(scenario)
                if progress:
                    progress(outcome)
                yield outcome
            return
        # Forked workers inherit the imported builders (importing hera and kubernetes again would
        # cost each worker a second). The inherited objects stay shared only while nothing writes
        # to them, and a garbage collection in a worker writes to every one of them: frozen, the
        # parent's objects are left out of the workers' collections (832 scenarios, two workers:
        # 0.57 s -> 0.30 s of work; gc.freeze's documentation describes this use). They stay
        # frozen: they are the imported modules, the session and the scenarios, alive until the
        # run ends anyway, and unfreezing them made the parent's next full collection, while it
        # builds the report, cost 0.2 s. Reference counting still frees them.
        gc.freeze()
        with ProcessPoolExecutor(
            max_workers=jobs, mp_context=_worker_context(), initializer=_init_worker, initargs=(self.config,)
        ) as pool:
            for outcome in pool.map(_run_in_worker, scenarios, chunksize=max(1, len(scenarios) // (jobs * 4))):
                if progress:
                    progress(outcome)
                yield outcome

    def finish(
        self,
        outcomes: Sequence[ScenarioOutcome],
        *,
        started_at: datetime.datetime | None = None,
        duration_s: float = 0.0,
    ) -> RunResult:
        """Gate and summarise outcomes gathered by ``run`` or one by one (the pytest plugin)."""
        ordered = tuple(sorted(outcomes, key=lambda outcome: outcome.name))
        used = tuple(sorted({waiver for outcome in ordered for waiver in outcome.waivers_used}))
        expired = tuple(sorted(w.id for w in self.waivers.expired(self.config.today))) if self.waivers else ()
        stale = tuple(sorted(w.id for w in self.waivers.stale(used))) if self.waivers else ()
        evidence = Evidence(
            outcomes=ordered,
            execute=self.config.execute,
            expired_waivers=expired,
            stale_waivers=stale,
            router=self._probe_router(ordered),
            fuzz=self._fuzz_evidence(),
        )
        phases = evaluate_all(evidence, self.config.rollout)
        return RunResult(
            config=self.config,
            outcomes=ordered,
            verdict=next(p for p in phases if p.phase is self.config.phase),
            phases=phases,
            router=evidence.router,
            fuzz=evidence.fuzz,
            waivers_used=used,
            waivers_stale=stale,
            waivers_expired=expired,
            started_at=started_at or datetime.datetime.now(datetime.UTC),
            duration_s=duration_s,
            redactor=redactor_for(ordered),
        )

    def _fuzz_evidence(self) -> FuzzEvidence | None:
        """A saved `parity fuzz --report` when given; otherwise, when the requested phase's gate
        asks for fuzzing, a fuzz run of the required size here and now (fixed seed, so two runs
        on the same builders give the same evidence)."""
        if self.config.fuzz_report is not None:
            return _load_fuzz_evidence(self.config.fuzz_report, self.config.legacy, self.config.new)
        needed = self.config.rollout.criteria(self.config.phase).min_fuzz_examples
        if needed is None:
            return None
        from harness.fuzz import FuzzConfig, run_fuzz

        result = run_fuzz(
            FuzzConfig(
                legacy=self.config.legacy,
                new=self.config.new,
                profile="ci",
                examples=needed,
                seed=INLINE_FUZZ_SEED,
                use_database=False,
            )
        )
        return FuzzEvidence(
            examples=result.clean_examples if not result.found else result.examples,
            failures=len(result.failures),
            source=f"inline fuzz run, seed {result.seed}",
        )

    def _probe_router(self, outcomes: Sequence[ScenarioOutcome]) -> tuple[StepEvidence, ...] | None:
        """Route the scenarios through the feature-flag router, but only when the requested
        phase's gate asks for it: other phases then show the probe as not gathered."""
        criteria = self.config.rollout.criteria(self.config.phase)
        if criteria.steps is None:
            return None
        inputs = {outcome.name: outcome.inputs for outcome in outcomes if outcome.status is not Status.CRASHED}
        return probe_router(
            self.legacy, self.new, inputs, steps=criteria.steps, requests_per_scenario=criteria.requests_per_scenario
        )


def redactor_for(outcomes: Iterable[ScenarioOutcome]) -> Redactor:
    """A redactor that knows every secret value in these outcomes' inputs and manifests."""
    redactor = Redactor()
    for outcome in outcomes:
        manifests = [side.manifest for side in (outcome.legacy, outcome.new) if side and side.manifest]
        if len(manifests) == 2 and manifests[0] == manifests[1]:
            # A faithful migration's usual case: the second walk could find nothing new.
            manifests.pop()
        redactor.learn_from(outcome.inputs, *manifests)
        if outcome.execution:
            # values the executor injected for secretKeyRef env vars: scrubbed from stdout too
            for value in outcome.execution.secret_values:
                redactor.learn(value)
    return redactor


def _build(builder: Builder, reference: str, scenario: Scenario) -> SideResult:
    clock = time.perf_counter()
    try:
        manifest = coerce_manifest(builder(scenario.inputs.for_builder()))
    except Exception as exc:  # any builder failure is a result to report, not a harness error
        return SideResult(
            builder=reference, error=BuilderError.from_exception(exc), duration_s=time.perf_counter() - clock
        )
    return SideResult(builder=reference, manifest=manifest, duration_s=time.perf_counter() - clock)


def _could_be_noise(comparison: Comparison) -> bool:
    return any(d.category is not Category.COSMETIC for d in comparison.differences)


def _parity_status(differences: Sequence[Difference]) -> Status:
    categories = {d.category for d in differences}
    if Category.SEMANTIC in categories:
        return Status.DIFFERENT
    if Category.WAIVED in categories:
        return Status.WAIVED
    return Status.EQUIVALENT


def _expectation_problems(scenario: Scenario, used: Sequence[str]) -> tuple[str, ...]:
    missing = [waiver for waiver in scenario.expect.waiver_ids if waiver not in used]
    return tuple(f"expected waiver {waiver!r} matched no difference" for waiver in missing)


def _load_waivers(path: Path | None) -> WaiverSet | None:
    if path is None:
        return load_waivers(DEFAULT_WAIVERS) if DEFAULT_WAIVERS.is_file() else None
    if not path.is_file():
        raise ParityInputError("waiver file not found", file=str(path), field="--waivers")
    return load_waivers(path)


def _executor(name: str) -> Executor | None:
    if name == "none":
        return None
    try:
        return get_executor(name)
    except ValueError as exc:
        raise ParityInputError(str(exc), field="--execute") from None


def _load_fuzz_evidence(path: Path, legacy: str, new: str) -> FuzzEvidence:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        examples, failures = data["examples"], data["failures"]
    except FileNotFoundError:
        raise ParityInputError("fuzz report not found", file=str(path), field="--fuzz-report") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ParityInputError(f"not a `parity fuzz --report` file ({exc})", file=str(path)) from None
    fuzzed = (data.get("legacy", legacy), data.get("new", new))
    if fuzzed != (legacy, new):
        # Evidence about other builders is no evidence about these: counted as zero examples.
        return FuzzEvidence(0, 0, f"{path} fuzzed {fuzzed[0]} vs {fuzzed[1]}, not this run's builders")
    failure_count = len(failures) if isinstance(failures, list) else int(failures)
    # Only the examples of the last clean round count: shrinking a failure is not clean evidence.
    clean = data.get("clean_examples", examples) if not failure_count else examples
    return FuzzEvidence(examples=int(clean), failures=failure_count, source=str(path))


def _load_rules(path: Path | None) -> Any:
    if path is None:
        return None
    from harness.diff.rules import load_rules

    return load_rules(path)


_worker_session: ParitySession | None = None


def _worker_context() -> multiprocessing.context.BaseContext:
    """``fork`` where the platform has it (Python 3.14 defaults to ``forkserver`` on Linux, whose
    workers would import the builders again); the platform's default elsewhere."""
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _init_worker(config: RunConfig) -> None:
    global _worker_session  # noqa: PLW0603 - one session per worker process, built once
    _worker_session = ParitySession(config)


def _run_in_worker(scenario: Scenario) -> ScenarioOutcome:
    assert _worker_session is not None, "worker used before its initializer ran"
    return _worker_session.run_scenario(scenario)
