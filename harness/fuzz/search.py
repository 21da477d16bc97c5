"""The search behind ``parity fuzz``: Hypothesis drives the parity property over generated inputs.

One *round* is one Hypothesis run of up to ``examples`` generated inputs. A round that finds
divergences shrinks each to a minimal input (Hypothesis tells failures apart by what they show that
is new, see :attr:`Divergence.signature_parts`, and shrinks each separately); the next round
searches again with everything found so far counted as agreement, so a frequent bug cannot hide a
rarer one, and two bugs met in one input are still reported one by one. Each counterexample then
gets a last input-aware shrinking pass (:mod:`harness.fuzz.minimize`). The search ends with a
round that finds nothing new (its examples ran clean) or when ``max_failures`` are known.
"""

from __future__ import annotations

import datetime
import hashlib
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
from hypothesis import HealthCheck, Verbosity, given
from hypothesis import strategies as st

from harness.builders import HERA_REF, LEGACY_REF
from harness.builders.isolation import DEFAULT_BUILD_TIMEOUT_S, BuilderHost, BuilderSource
from harness.builders.result import BuildResult
from harness.diff.waivers import DEFAULT_WAIVERS, WaiverSet, load_waivers
from harness.errors import ParityInputError
from harness.fuzz.minimize import minimize
from harness.fuzz.model_strategies import model_inputs
from harness.fuzz.profiles import PROFILES, database, settings_for
from harness.fuzz.promote import PromotionError, promote
from harness.fuzz.property import Agreement, Builds, Divergence, check_builds
from harness.fuzz.saved_report import FUZZ_REPORT_KIND, FUZZ_REPORT_SCHEMA_VERSION
from harness.input_models.model import InputModel, call_mode

DEFAULT_MAX_FAILURES = 3


@dataclass(frozen=True)
class FuzzConfig:
    legacy: str = LEGACY_REF
    new: str = HERA_REF
    profile: str = "dev"
    examples: int | None = None  # generated examples per round; None: the profile's
    seed: int | None = None  # None: a random seed, reported in the result
    max_failures: int = DEFAULT_MAX_FAILURES  # distinct failures to find before stopping
    waivers: Path | None = None  # None: scenarios/waivers.yaml when it exists
    use_database: bool = True  # replay and save failing examples in .hypothesis/examples
    promote_dir: Path | None = None  # write each minimal counterexample as a fixture here
    build_timeout_s: float = DEFAULT_BUILD_TIMEOUT_S  # per build; a builder past it crashed
    # The builders' input model, `package.module:Model` (None: the python job), and how they are
    # called with it (dict, kwargs, model): harness.input_models.
    inputs_model: str | None = None
    call: str = "dict"
    # Strategies for single fields by dotted path, each a strategy or a `pkg.mod:name` reference
    # (harness.fuzz.model_strategies; `fuzz_strategies` in [tool.parity]).
    fuzz_strategies: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Failure:
    divergence: Divergence
    round: int
    fixture: Path | None = None
    promotion_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.divergence.to_dict(),
            "round": self.round,
            "fixture": str(self.fixture) if self.fixture else None,
            "promotion_error": self.promotion_error,
        }


@dataclass(frozen=True)
class Round:
    number: int
    examples: int  # property evaluations: generated, replayed from the database, and shrinking
    new_failures: int
    duration_s: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.number,
            "examples": self.examples,
            "new_failures": self.new_failures,
            "duration_s": round(self.duration_s, 3),
        }


@dataclass(frozen=True)
class FuzzResult:
    """What a fuzzing run did and found; ``to_dict`` is the machine-readable form the gate reads."""

    config: FuzzConfig
    seed: int
    max_examples: int
    rounds: tuple[Round, ...]
    failures: tuple[Failure, ...]
    examples: int
    both_rejected: int
    started_at: datetime.datetime
    duration_s: float
    bound_reached: bool = False  # stopped at max_failures: more failures may exist
    cpu_s: float = 0.0  # CPU time of this process: the rate per core, less distorted by other load
    # The code fuzzed: a saved report is evidence only for builders with these fingerprints.
    sources: dict[str, BuilderSource] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return bool(self.failures)

    @property
    def clean_examples(self) -> int:
        """Examples of the last round when it found nothing new (0 when the run stopped on a failure)."""
        if self.bound_reached or not self.rounds or self.rounds[-1].new_failures:
            return 0
        return self.rounds[-1].examples

    @property
    def examples_per_s(self) -> float:
        return self.examples / self.duration_s if self.duration_s > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": FUZZ_REPORT_SCHEMA_VERSION,
            "kind": FUZZ_REPORT_KIND,
            "status": "failures-found" if self.found else "clean",
            "legacy": self.config.legacy,
            "new": self.config.new,
            "inputs_model": self.config.inputs_model,
            "call": str(self.config.call),
            "builders": {side: source.to_dict() for side, source in sorted(self.sources.items())},
            "profile": self.config.profile,
            "seed": self.seed,
            "max_examples": self.max_examples,
            "examples": self.examples,
            "clean_examples": self.clean_examples,
            "both_rejected": self.both_rejected,
            "failures": [failure.to_dict() for failure in self.failures],
            "bound_reached": self.bound_reached,
            "rounds": [r.to_dict() for r in self.rounds],
            "started_at": self.started_at.isoformat().replace("+00:00", "Z"),
            "duration_s": round(self.duration_s, 3),
            "examples_per_s": round(self.examples_per_s, 1),
            "cpu_s": round(self.cpu_s, 3),
            "examples_per_cpu_s": round(self.examples / self.cpu_s, 1) if self.cpu_s > 0 else 0.0,
        }


@dataclass
class _Counters:
    examples: int = 0
    both_rejected: int = 0
    excluded: int = 0


class DivergenceFound(Exception):
    """Raised inside the Hypothesis test for an input on which the builders disagree."""

    def __init__(self, divergence: Divergence) -> None:
        self.divergence = divergence
        super().__init__(divergence.summary())


# Hypothesis tells failures apart by exception type (and where it is raised): one subclass per
# signature lets it keep and shrink several distinct failures in one run instead of letting a
# frequent one swallow the others while shrinking.
_FAILURE_TYPES: dict[str, type[DivergenceFound]] = {}


def _failure_type(signature: str) -> type[DivergenceFound]:
    if signature not in _FAILURE_TYPES:
        digest = hashlib.sha256(signature.encode()).hexdigest()[:8]
        _FAILURE_TYPES[signature] = type(f"DivergenceFound_{digest}", (DivergenceFound,), {})
    return _FAILURE_TYPES[signature]


# Examples per Hypothesis run (see _search_round): large enough for its search to find structure,
# small enough that what it keeps stays in the tens of megabytes.
BATCH_EXAMPLES = 1000

RoundCallback = Callable[[Round, tuple[Failure, ...]], None]


def run_fuzz(
    config: FuzzConfig,
    *,
    inputs: st.SearchStrategy[dict[str, Any]] | None = None,
    progress: RoundCallback | None = None,
    host: BuilderHost | None = None,
    stopped: Callable[[], bool] | None = None,
) -> FuzzResult:
    """Search for inputs on which ``config.legacy`` and ``config.new`` disagree.

    The inputs are generated for ``config.inputs_model`` (the python job's
    :func:`harness.fuzz.builder_inputs`, or strategies derived from a team's model, with
    ``config.fuzz_strategies`` for single fields: :mod:`harness.fuzz.model_strategies`);
    ``inputs`` replaces them (compose your own from :mod:`harness.fuzz.strategies`). Builds run
    isolated (:mod:`harness.builders.isolation`), called the ``config.call`` way, in ``host`` when
    given (it must hold ``config.legacy`` and ``config.new`` as "legacy" and "new", with the same
    input model and call mode), else in a host of its own. Raises ``ParityInputError`` for a bad
    builder, input model or strategy reference, profile or waiver file.

    ``stopped`` is asked before every build: once it says yes, the search raises
    ``KeyboardInterrupt``. A Ctrl-C that arrives while Hypothesis or the builder host handles an
    exception can be swallowed there; the caller's own record of it still stops the search.
    """
    if config.profile not in PROFILES:
        raise ParityInputError(f"unknown fuzz profile {config.profile!r}; choose from {', '.join(PROFILES)}")
    if config.promote_dir is not None and config.promote_dir.exists() and not config.promote_dir.is_dir():
        raise ParityInputError("--promote must name a folder", file=str(config.promote_dir), field="--promote")
    waivers = _load_waivers(config.waivers)
    model = InputModel.from_reference(config.inputs_model)
    call_mode(config.call)
    strategy = inputs if inputs is not None else model_inputs(model, field_strategies=config.fuzz_strategies)
    if host is not None:
        return _run_fuzz(config, host, waivers, strategy, progress, stopped, model)
    with BuilderHost(
        {"legacy": config.legacy, "new": config.new},
        build_timeout_s=config.build_timeout_s,
        options={"legacy": "--legacy", "new": "--new"},
        inputs_model=config.inputs_model,
        call=config.call,
    ) as own_host:
        return _run_fuzz(config, own_host, waivers, strategy, progress, stopped, model)


def _run_fuzz(
    config: FuzzConfig,
    host: BuilderHost,
    waivers: WaiverSet | None,
    strategy: st.SearchStrategy[dict[str, Any]],
    progress: RoundCallback | None,
    stopped: Callable[[], bool] | None,
    model: InputModel,
) -> FuzzResult:
    checked = _stoppable(host, stopped)
    seed = config.seed if config.seed is not None else random.SystemRandom().randrange(2**32)
    profile = settings_for(config.profile)
    max_examples = config.examples or profile.max_examples
    run_settings = hypothesis.settings(
        profile,
        max_examples=max_examples,
        database=database() if config.use_database else None,
        verbosity=Verbosity.quiet,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=True,
        print_blob=False,
    )
    started_at = datetime.datetime.now(datetime.UTC)
    clock, cpu_clock = time.perf_counter(), time.process_time()
    counters = _Counters()
    failures: list[Failure] = []
    rounds: list[Round] = []
    known: set[str] = set()
    bound_reached = False
    while True:
        number = len(rounds) + 1
        round_clock, before = time.perf_counter(), counters.examples
        found = _search_round(checked, config, strategy, run_settings, seed, frozenset(known), waivers, counters)
        fresh = []
        found = [_polish(divergence, checked, waivers, counters, model) for divergence in found]
        for divergence in sorted(found, key=lambda d: (len(d.signature_parts), d.signature)):
            if len(failures) >= config.max_failures:
                bound_reached = True
                break
            if divergence.signature_parts - known:  # shows at least one failure not known yet
                known.update(divergence.signature_parts)
                fresh.append(divergence)
                failures.append(_record(divergence, number, config, seed, model))
        done = Round(number, counters.examples - before, len(fresh), time.perf_counter() - round_clock)
        rounds.append(done)
        if progress is not None:
            progress(done, tuple(failures))
        if not fresh:
            break
        if len(failures) >= config.max_failures:
            bound_reached = True
            break
    return FuzzResult(
        config=config,
        seed=seed,
        max_examples=max_examples,
        rounds=tuple(rounds),
        failures=tuple(failures),
        examples=counters.examples,
        both_rejected=counters.both_rejected,
        started_at=started_at,
        duration_s=time.perf_counter() - clock,
        bound_reached=bound_reached,
        cpu_s=time.process_time() - cpu_clock,
        sources=dict(host.sources),
    )


def _search_round(
    builds: Builds,
    config: FuzzConfig,
    strategy: st.SearchStrategy[dict[str, Any]],
    run_settings: hypothesis.settings,
    seed: int,
    known: frozenset[str],
    waivers: WaiverSet | None,
    counters: _Counters,
) -> list[Divergence]:
    def parity_property(inputs: dict[str, Any]) -> None:
        counters.examples += 1
        outcome = check_builds(builds, inputs, waivers=waivers)
        if isinstance(outcome, Agreement):
            counters.both_rejected += outcome.both_rejected
            return
        fresh = outcome.signature_parts - known
        if not fresh:
            counters.excluded += 1  # nothing an earlier round has not found: look for something else
            return
        raise _failure_type(" & ".join(sorted(fresh)))(outcome)

    # The database key: failures saved for one pair of builders (and one set of already-known
    # failures) are replayed first by the next run on the same pair (and the same input model).
    model = [config.inputs_model] if config.inputs_model else []
    key = "\n".join([config.legacy, config.new, *model, *sorted(known)])
    # One Hypothesis run keeps every recent example it generated (up to 10,000) for its search:
    # at ~50 KB an example, a nightly run would need most of a gigabyte. Batches of fresh runs,
    # each with its own seed, keep memory flat whatever the example count.
    remaining = run_settings.max_examples
    batch = 0
    while remaining > 0:
        size = min(BATCH_EXAMPLES, remaining)
        test = hypothesis.seed(seed + batch)(
            given(inputs=strategy)(hypothesis.settings(run_settings, max_examples=size)(_fresh(parity_property, key)))
        )
        try:
            test()
        except DivergenceFound as error:
            return [error.divergence]
        except (hypothesis.errors.Unsatisfiable, hypothesis.errors.FailedHealthCheck) as error:
            # Every generated input was refused by the input model (its validators, or a
            # per-field strategy that breaks a constraint): a configuration problem, not a result.
            raise ParityInputError(
                "no valid input could be generated: the input model refuses every example "
                f"(its validators or constraints against the per-field strategies): {type(error).__name__}",
                field="fuzz_strategies",
            ) from None
        except BaseExceptionGroup as group:
            found = [error.divergence for error in _leaves(group) if isinstance(error, DivergenceFound)]
            if not found:
                raise
            return found
        remaining -= size
        batch += 1
    return []


class _StoppableBuilds:
    """The host's builds, refused once ``stopped`` says the run was interrupted."""

    def __init__(self, host: Builds, stopped: Callable[[], bool]) -> None:
        self._host = host
        self._stopped = stopped

    def build(self, side: str, inputs: Mapping[str, Any]) -> BuildResult:
        return self.build_all([(side, inputs)])[0]

    def build_all(self, requests: Sequence[tuple[str, Mapping[str, Any]]]) -> list[BuildResult]:
        if self._stopped():
            raise KeyboardInterrupt
        return self._host.build_all(requests)


def _stoppable(host: Builds, stopped: Callable[[], bool] | None) -> Builds:
    return host if stopped is None else _StoppableBuilds(host, stopped)


def _fresh(function: Callable[[dict[str, Any]], None], key: str) -> Callable[[dict[str, Any]], None]:
    """A new function object per Hypothesis run (a function takes one settings decoration), all
    with the same database key: failures saved for one pair of builders (and one set of already
    known failures) are replayed first by the next run on the same pair."""

    def parity_property(inputs: dict[str, Any]) -> None:
        function(inputs)

    parity_property._hypothesis_internal_add_digest = key.encode()  # type: ignore[attr-defined]
    return parity_property


def _polish(
    divergence: Divergence, builds: Builds, waivers: WaiverSet | None, counters: _Counters, model: InputModel
) -> Divergence:
    def check(inputs: dict[str, Any]) -> Any:
        counters.examples += 1
        return check_builds(builds, inputs, waivers=waivers)

    return minimize(divergence, check, model=model)


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    out: list[BaseException] = []
    for error in group.exceptions:
        out.extend(_leaves(error) if isinstance(error, BaseExceptionGroup) else [error])
    return out


def _record(divergence: Divergence, number: int, config: FuzzConfig, seed: int, model: InputModel) -> Failure:
    if config.promote_dir is None:
        return Failure(divergence, number)
    try:
        path = promote(
            divergence,
            config.promote_dir,
            legacy=config.legacy,
            new=config.new,
            seed=seed,
            input_model=model,
            call=config.call,
        )
    except PromotionError as error:
        return Failure(divergence, number, promotion_error=str(error))
    return Failure(divergence, number, fixture=path)


def _load_waivers(path: Path | None) -> WaiverSet | None:
    # An expired waiver accepts nothing (the rollout gate fails on it separately).
    if path is None:
        return load_waivers(DEFAULT_WAIVERS).active() if DEFAULT_WAIVERS.is_file() else None
    if not path.is_file():
        raise ParityInputError("waiver file not found", file=str(path), field="--waivers")
    return load_waivers(path).active()


__all__ = ["DivergenceFound", "Failure", "FuzzConfig", "FuzzResult", "Round", "run_fuzz"]
