"""The engine behind both front doors: scenarios x builders -> outcomes -> evidence -> verdict.

``parity run`` and the pytest plugin each create one ``ParitySession`` and feed it scenarios;
the session never raises for a scenario: whatever goes wrong is recorded in that scenario's
outcome, so one crash never hides the others. Builders, being user code, run in processes of
their own (:mod:`harness.builders.isolation`): a builder that exits, hangs or reaches for the
network costs one side of one scenario, and an interrupted run still gates what it has, as
INCONCLUSIVE.

Three steps, each of its own: the session turns scenarios into outcomes; the evidence step
(:mod:`harness.evidence`, ``ParitySession.gather``) gathers what the gates look at besides them
(waivers, the router probe, fuzzing); the gates (:mod:`harness.rollout.gates`,
``ParitySession.judge``) give every phase's verdict, as a :class:`~harness.run_result.RunResult`.
"""

from __future__ import annotations

import datetime
import gc
import logging
import multiprocessing
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.builders.isolation import BuilderHost, BuildTicket, check_build_timeout
from harness.diff import Category, Comparison, Difference, NoiseModel, calibrate_noise, compare
from harness.diff.paths import PathPattern
from harness.diff.waivers import WaiverSet, load_waivers
from harness.errors import ParityInputError
from harness.evidence import EvidenceStep
from harness.execute import EXECUTORS, executes, get_executor
from harness.normalize import CanonicalManifest, canonicalize
from harness.outcomes import PlantedDifference, ScenarioOutcome, SideResult, Status, decide_sides
from harness.rollout.evidence import Evidence
from harness.rollout.gates import evaluate_all
from harness.run_config import RunConfig
from harness.run_result import RunResult
from harness.scenarios import ExpectedDifferences, Scenario
from harness.suites import SuiteConfig

if TYPE_CHECKING:
    from harness.execute.base import Executor
    from harness.execute.parity import ExecutionOutcome

_log = logging.getLogger(__name__)

# Found beside the scenarios folder when no file is named: a team's waivers belong to its
# scenarios, wherever the run is started from.
WAIVERS_FILE_NAMES = ("waivers.yaml", "waivers.yml")
RULES_FILE_NAMES = ("rules.yaml", "rules.yml")


ProgressCallback = Callable[[ScenarioOutcome], None]
# A scenario's two builds, sent and not yet collected: (legacy, new).
_SubmittedBuilds = tuple[BuildTicket, BuildTicket]


class ParitySession:
    """Owns the builders, waivers and rules for one run; turns scenarios into outcomes, then
    has the evidence step gather on them (``gather``) and the gates judge (``judge``).

    Everything that can be wrong with the run's inputs (waivers, rules, the fuzz report, the
    executor, the builder modules themselves) is found here, before any scenario runs. Close the
    session (or use it as a context manager) to stop the builder processes.
    """

    def __init__(self, config: RunConfig) -> None:
        if config.execute not in EXECUTORS:
            raise ParityInputError(f"unknown executor {config.execute!r}; choose from {', '.join(EXECUTORS)}")
        self.config = config
        # Each suite's waivers, rules and builders (the default suite's first): every file is read
        # before any builder process starts, so bad input costs no fork.
        self.suites: dict[str, SuiteRuntime] = {}
        for suite in config.all_suites:
            check_build_timeout(suite.build_timeout_s, option=suite.build_timeout_option)
            self.suites[suite.name] = SuiteRuntime.load(suite, today=config.today)
        # Every suite's waivers under its own name, the default suite's included: a waiver is
        # judged stale on the outcomes of its own suite, and those carry the suite's real name.
        self.evidence = EvidenceStep(config, suite_waivers={name: suite.waivers for name, suite in self.suites.items()})
        self.executor = _executor(config)
        # Every suite's builder host is started now, not at its first scenario: a builder that
        # cannot be imported is bad input before any build, and the forked workers of a parallel
        # run (``_parallel_outcomes``) inherit started hosts, each worker asking each host for
        # builder processes of its own.
        try:
            for runtime in self.suites.values():
                runtime.host.start()
        except BaseException:
            self.close()
            raise
        # The run's own suite's host ("default", or the scenarios folder's suite.toml's name):
        # the router probe and inline fuzzing build through it.
        self.host = self.suites[config.default_suite.name].host

    def close(self) -> None:
        for runtime in self.suites.values():
            runtime.host.close()

    def __enter__(self) -> ParitySession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run_scenario(self, scenario: Scenario, builds: _SubmittedBuilds | None = None) -> ScenarioOutcome:
        """One scenario's outcome; ``builds`` are its two builds when already submitted (see
        ``outcomes``), else they are submitted here."""
        blank = ScenarioOutcome(
            name=scenario.name,
            kind=scenario.kind,
            description=scenario.description,
            source=scenario.source,
            status=Status.CRASHED,
            inputs=scenario.inputs.for_builder(),
            suite=scenario.suite,
            planted=_planted(scenario),
        )
        try:
            return self._run_scenario(scenario, blank, builds or self._submit(scenario))
        except Exception:  # a harness bug must cost one scenario, not the run
            # The traceback goes into the outcome, which every output redacts; never straight to
            # stderr, where a value in an exception message would escape redaction.
            _log.debug("scenario %s crashed", scenario.name)
            return replace(blank, crash=traceback.format_exc(limit=-8).strip())

    def _suite(self, scenario: Scenario) -> SuiteRuntime:
        suite = self.suites.get(scenario.suite)
        if suite is None:
            raise ParityInputError(f"no suite named {scenario.suite!r} in this run", scenario=scenario.name)
        return suite

    def _submit(self, scenario: Scenario) -> _SubmittedBuilds:
        host = self._suite(scenario).host
        inputs = scenario.inputs.for_builder()
        return host.submit("legacy", inputs), host.submit("new", inputs)

    def _run_scenario(self, scenario: Scenario, blank: ScenarioOutcome, builds: _SubmittedBuilds) -> ScenarioOutcome:
        suite = self._suite(scenario)
        legacy = SideResult.of(suite.config.legacy, suite.host.result(builds[0]))
        new = SideResult.of(suite.config.new, suite.host.result(builds[1]))
        outcome = replace(blank, legacy=legacy, new=new)
        status = decide_sides(legacy, new)
        if status is not None:
            return replace(outcome, status=status, problems=_expectation_problems(scenario, (), status))
        assert legacy.manifest is not None and new.manifest is not None
        comparison = self._compare(scenario, legacy.manifest, new.manifest)
        execution = self._execute(scenario, legacy.manifest, new.manifest)
        used = tuple(sorted({*comparison.waivers_used, *(execution.waivers_used if execution else ())}))
        status = _parity_status(comparison.differences)
        planted_problems: tuple[str, ...] = ()
        if scenario.expect.planted is not None:
            status, planted_problems = _judge_planted(scenario.expect.planted, comparison.differences, status)
        return replace(
            outcome,
            status=status,
            differences=tuple(comparison.differences),
            waivers_used=used,
            problems=_expectation_problems(scenario, used, status) + planted_problems,
            execution=execution,
            expected_exit_code=scenario.expect.execution.exit_code if scenario.expect.execution else None,
        )

    def _build(self, side: str, scenario: Scenario) -> SideResult:
        suite = self._suite(scenario)
        reference = suite.config.legacy if side == "legacy" else suite.config.new
        return SideResult.of(reference, suite.host.build(side, scenario.inputs.for_builder()))

    def _compare(self, scenario: Scenario, legacy: dict[str, Any], new: dict[str, Any]) -> Comparison:
        if legacy == new:
            # Identical data has identical canonical forms: the common case of a faithful
            # migration costs one dict comparison instead of two canonicalisations.
            return Comparison((), True)
        # Canonical forms are computed once: the comparison may run twice (with the noise model).
        left, right = canonicalize(legacy), canonicalize(new)
        suite = self._suite(scenario)
        options: dict[str, Any] = {"rules": suite.rules, "waivers": suite.active_waivers, "scenario": scenario.name}
        comparison = compare(left, right, **options)
        if self.config.calibrate_noise and _could_be_noise(comparison):
            # A second legacy build costs a third of the scenario; noise can only reclassify a
            # difference, so it is paid for only where there is one to reclassify.
            noise = self._noise(scenario, left)
            if noise:
                comparison = compare(left, right, noise=noise, **options)
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
            waivers=self._suite(scenario).active_waivers,
        )

    def _noise(self, scenario: Scenario, first: CanonicalManifest) -> NoiseModel | None:
        """What varies between two legacy builds of this scenario (see harness.diff.noise), with
        its suite's legacy builder."""
        second = self._build("legacy", scenario)
        if second.manifest is None:
            return None
        return calibrate_noise(first, second.manifest)

    def run(self, scenarios: Sequence[Scenario], progress: ProgressCallback | None = None) -> RunResult:
        """Every scenario, gated. Ctrl-C or SIGTERM stops the run: what finished is gated and the
        verdict is INCONCLUSIVE, since the rest gave no evidence."""
        started_at = datetime.datetime.now(datetime.UTC)
        clock = time.perf_counter()
        outcomes: list[ScenarioOutcome] = []
        expected = [scenario.name for scenario in scenarios]
        with InterruptWatch() as interrupts:
            try:
                for outcome in self.outcomes(scenarios):
                    outcomes.append(outcome)
                    if progress:
                        progress(outcome)
                if not interrupts.seen:
                    # The run's duration is the scenarios'; the evidence step's probes run after it.
                    duration_s = time.perf_counter() - clock
                    evidence = self.gather(outcomes, expected=expected, stopped=lambda: interrupts.seen)
                    if not interrupts.seen:
                        return self.judge(evidence, started_at=started_at, duration_s=duration_s)
            except KeyboardInterrupt:
                pass
        # Stopped while running scenarios or gathering the gate's own evidence (the router probe,
        # inline fuzzing), even where a library swallowed the KeyboardInterrupt: gated on what
        # finished, as an interrupted run.
        duration_s = time.perf_counter() - clock
        evidence = self.gather(outcomes, expected=expected, interrupted=True)
        return self.judge(evidence, started_at=started_at, duration_s=duration_s)

    def outcomes(self, scenarios: Sequence[Scenario]) -> Iterator[ScenarioOutcome]:
        """Each scenario's outcome, in order (``config.jobs`` processes); ``run`` gates them."""
        jobs = min(max(1, self.config.jobs), len(scenarios) or 1)
        if jobs == 1:
            yield from self._pipelined(scenarios)
            return
        yield from self._parallel_outcomes(scenarios, jobs)

    def _pipelined(self, scenarios: Sequence[Scenario]) -> Iterator[ScenarioOutcome]:
        # The next scenario's builds are sent before this one is compared: the builder workers
        # build while the harness compares, and never wait idle between builds.
        upcoming = self._submit(scenarios[0]) if scenarios else None
        for index, scenario in enumerate(scenarios):
            builds, upcoming = upcoming, self._submit(scenarios[index + 1]) if index + 1 < len(scenarios) else None
            yield self.run_scenario(scenario, builds)

    def _parallel_outcomes(self, scenarios: Sequence[Scenario], jobs: int) -> Iterator[ScenarioOutcome]:
        # Forked workers inherit this session: its waivers, executor and builder hosts, one per
        # suite, all started (each worker asks each host for builder processes of its own). The inherited objects stay
        # shared only while nothing writes to them, and a garbage collection in a worker writes
        # to every one of them: frozen, the parent's objects are left out of the workers'
        # collections (832 scenarios, two workers: 0.57 s -> 0.30 s of work; gc.freeze's
        # documentation describes this use). They stay frozen: they are the imported modules, the
        # session and the scenarios, alive until the run ends anyway, and unfreezing them made the
        # parent's next full collection, while it builds the report, cost 0.2 s.
        global _forked_session  # noqa: PLW0603 - handed to forked workers, which inherit it
        _forked_session = self
        gc.freeze()
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=_worker_context(), initializer=_init_worker)
        done: set[str] = set()
        try:
            size = max(1, len(scenarios) // (jobs * 4))
            chunks = [scenarios[start : start + size] for start in range(0, len(scenarios), size)]
            for chunk in pool.map(_run_in_worker, chunks):
                for outcome in chunk:
                    done.add(outcome.name)
                    yield outcome
        except BrokenProcessPool:
            # A worker died (the harness's own code: builders cannot take one down). Its
            # scenarios, and those queued behind them, are recorded as crashed: no evidence.
            for scenario in scenarios:
                if scenario.name not in done:
                    yield _crashed(scenario, "the harness worker process running it died")
        except BaseException:
            # Ctrl-C: workers ignore it (their initializer) so they can be stopped here, at once,
            # instead of finishing their queue.
            pool.shutdown(wait=False, cancel_futures=True)
            for process in list(getattr(pool, "_processes", {}).values()):
                process.kill()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            _forked_session = None

    def gather(
        self,
        outcomes: Sequence[ScenarioOutcome],
        *,
        expected: Sequence[str] | None = None,
        interrupted: bool = False,
        stopped: Callable[[], bool] | None = None,
    ) -> Evidence:
        """The evidence step on outcomes gathered by ``run`` or one by one (the pytest plugin),
        with this session's builders: see :class:`harness.evidence.EvidenceStep`.

        ``expected`` names every scenario the run was meant to cover: one that has no outcome
        (deselected, interrupted, lost) makes the verdict INCONCLUSIVE.
        """
        # Every suite's builds must have been confined: one unconfined host is enough to doubt the run.
        problems = dict.fromkeys(p for runtime in self.suites.values() for p in runtime.host.confinement_problems)
        return self.evidence.gather(
            outcomes,
            self.host,
            expected=expected,
            interrupted=interrupted,
            stopped=stopped,
            confinement_problems=tuple(problems),
        )

    def judge(
        self, evidence: Evidence, *, started_at: datetime.datetime | None = None, duration_s: float = 0.0
    ) -> RunResult:
        """Every phase's verdict on ``evidence`` (the report shows the whole ladder); the result's
        ``verdict`` is the requested phase's."""
        phases = evaluate_all(evidence, self.config.rollout)
        return RunResult.judged(self.config, evidence, phases, started_at=started_at, duration_s=duration_s)


class InterruptWatch:
    """Ctrl-C and SIGTERM raise KeyboardInterrupt while active, and are remembered: a library
    that catches the exception (Hypothesis does, inside a search) cannot make an interrupted run
    look complete. Only in the main thread; elsewhere signals are not this process's to take."""

    _SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.seen = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> InterruptWatch:
        if threading.current_thread() is threading.main_thread():
            self._previous = {number: signal.signal(number, self._interrupt) for number in self._SIGNALS}
        return self

    def __exit__(self, *exc: object) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    def _interrupt(self, signum: int, frame: Any) -> None:
        self.seen = True
        raise KeyboardInterrupt


def _crashed(scenario: Scenario, message: str) -> ScenarioOutcome:
    return ScenarioOutcome(
        name=scenario.name,
        kind=scenario.kind,
        description=scenario.description,
        source=scenario.source,
        status=Status.CRASHED,
        crash=message,
        inputs=scenario.inputs.for_builder(),
        suite=scenario.suite,
        planted=_planted(scenario),
    )


def _could_be_noise(comparison: Comparison) -> bool:
    return any(d.category is not Category.COSMETIC for d in comparison.differences)


def _parity_status(differences: Sequence[Difference]) -> Status:
    categories = {d.category for d in differences}
    if Category.SEMANTIC in categories:
        return Status.DIFFERENT
    if Category.WAIVED in categories:
        return Status.WAIVED
    return Status.EQUIVALENT


def _expectation_problems(scenario: Scenario, used: Sequence[str], status: Status) -> tuple[str, ...]:
    problems = [
        f"expected waiver {waiver!r} matched no difference"
        for waiver in scenario.expect.waiver_ids
        if waiver not in used
    ]
    if scenario.expect.rejected and status is not Status.BOTH_REJECTED:
        problems.append(f"expected both builders to reject this input, but the scenario is {status.value}")
    planted = scenario.expect.planted
    if planted is not None and status in {Status.BOTH_REJECTED, Status.BUILDER_ERROR, Status.LEGACY_CRASHED}:
        # Without two manifests there is nothing the planted difference could show in.
        problems.append(
            f"expected the planted difference at {', '.join(planted.paths)}, but the scenario is {status.value}"
        )
    return tuple(problems)


def _planted(scenario: Scenario) -> PlantedDifference | None:
    planted = scenario.expect.planted
    return PlantedDifference(tuple(planted.paths), planted.reason) if planted is not None else None


def _judge_planted(
    planted: ExpectedDifferences, differences: Sequence[Difference], status: Status
) -> tuple[Status, tuple[str, ...]]:
    """A scenario with a planted mistake (expect.parity.differs): ``caught`` when every expected
    path shows a semantic difference and no unwaived semantic difference lies elsewhere; otherwise
    the status the differences give, with a problem for each expected path nothing showed at (the
    harness missed the planted difference) and one naming the differences nobody planted."""
    semantic = [d for d in differences if d.category is Category.SEMANTIC]
    patterns = [PathPattern.compile(path) for path in planted.paths]
    missed = [p.text for p in patterns if not any(p.matches(d.path) for d in semantic)]
    elsewhere = [d.path for d in semantic if not any(p.matches(d.path) for p in patterns)]
    problems = [
        f"the planted difference was not found at {path} (expected because: {planted.reason}): the harness missed it"
        for path in missed
    ]
    if elsewhere:
        problems.append(f"semantic differences outside the planted ones: {', '.join(elsewhere)}")
    if not problems:
        return Status.CAUGHT, ()
    return status, tuple(problems)


class SuiteRuntime:
    """One suite of a session: its config, waivers, rules and builder host (not yet started)."""

    def __init__(self, config: SuiteConfig, waivers: WaiverSet | None, rules: Any, today: datetime.date) -> None:
        self.config = config
        self.waivers = waivers
        # An expired waiver accepts nothing: its differences show as what they are, and the gate
        # separately fails on the expiry itself.
        self.active_waivers = waivers.active(today) if waivers else None
        self.rules = rules
        self.host = BuilderHost(
            {"legacy": config.legacy, "new": config.new},
            build_timeout_s=config.build_timeout_s,
            options={"legacy": config.legacy_option, "new": config.new_option},
            # The builders take the suite's input model, called the suite's way (harness.input_models).
            inputs_model=config.inputs_model,
            call=config.call,
        )

    @classmethod
    def load(cls, config: SuiteConfig, *, today: datetime.date) -> SuiteRuntime:
        """The suite's waivers and rules: the files it names, else those in its folder."""
        return cls(config, _load_waivers(config), _load_rules(config), today)


def _beside(folder: Path | None, names: Sequence[str]) -> Path | None:
    if folder is None:
        return None
    return next((folder / name for name in names if (folder / name).is_file()), None)


def _load_waivers(suite: SuiteConfig) -> WaiverSet | None:
    if suite.waivers is None:
        found = _beside(suite.folder, WAIVERS_FILE_NAMES)
        return load_waivers(found) if found is not None else None
    if not suite.waivers.is_file():
        raise ParityInputError("waiver file not found", file=str(suite.waivers), field="--waivers")
    return load_waivers(suite.waivers)


def _load_rules(suite: SuiteConfig) -> Any:
    path = suite.rules if suite.rules is not None else _beside(suite.folder, RULES_FILE_NAMES)
    if path is None:
        return None
    from harness.diff.rules import load_rules

    return load_rules(path)


def _executor(config: RunConfig) -> Executor | None:
    """The run's executor, with the run's choices passed to it: which cluster ``cluster`` runs in
    travels in the config (forked workers inherit the executor built here), never through the
    process environment."""
    name = config.execute
    if name == "none":
        return None
    options: dict[str, Any] = {"cluster": config.cluster} if name == "cluster" else {}
    try:
        return get_executor(name, **options)
    except ValueError as exc:
        raise ParityInputError(str(exc), field="--execute") from None


_forked_session: ParitySession | None = None


def _worker_context() -> multiprocessing.context.BaseContext:
    """``fork``: workers must inherit the session and its builder host (Python 3.14 defaults to
    ``forkserver`` on Linux, whose workers would start from nothing)."""
    return multiprocessing.get_context("fork")


def _init_worker() -> None:
    # Ctrl-C goes to the whole process group; the parent decides what it means and stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_in_worker(scenarios: Sequence[Scenario]) -> list[ScenarioOutcome]:
    assert _forked_session is not None, "worker forked without a session"
    return list(_forked_session._pipelined(scenarios))
