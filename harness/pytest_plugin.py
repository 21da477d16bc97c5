"""pytest front door: one test per scenario, and a session that fails unless the phase is READY.

Scenarios of a suite other than the default one (a sub-folder with a ``suite.toml``) are tests
named ``SUITE/SCENARIO``, built by that suite's builders. ``--parity-scenarios`` may name a suite
folder itself: the run is then that suite, its tests named by the scenario alone.

Each hook is a few lines over ``ParitySession``, the same engine ``parity run`` uses, so a
verdict in CI and a verdict on a laptop cannot disagree. The plugin stays inert unless a
``--parity-*`` option turns it on, so installing argo-parity changes no other test suite.

    pytest --parity-phase=staging --parity-report-dir=reports
"""

from __future__ import annotations

import base64
import pickle
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from harness.argo.testcluster import CLUSTER_CHOICES
from harness.builders import HERA_REF, LEGACY_REF
from harness.diff.model import show_value
from harness.errors import ParityInputError
from harness.execute import EXECUTORS
from harness.phases import Phase, Verdict

if TYPE_CHECKING:
    # The engine (pydantic, deepdiff, builders) is imported only when a --parity-* option turns
    # the plugin on: every pytest run in an environment with argo-parity installed loads this
    # module, and must not pay for, or break on, what it does not use.
    from harness.outcomes import ScenarioOutcome
    from harness.run_config import RunConfig
    from harness.scenarios import Scenario, ScenarioNames

_SCENARIO_SUFFIXES = frozenset({".yaml", ".yml"})

_SESSION = pytest.StashKey["ParityPytestState"]()
_SCENARIO_PROPERTY = "parity_scenario"
_WORKER_OUTPUT = "argo_parity_outcomes"


class ParityPytestState:
    """What one pytest run knows about parity: the engine session and the outcomes so far."""

    def __init__(self, config: RunConfig, scenarios_dir: Path, report_dir: Path) -> None:
        from harness.engine import ParitySession
        from harness.scenarios import ScenarioNames

        self.engine = ParitySession(config)
        self.scenarios_dir = scenarios_dir.resolve()
        self.report_dir = report_dir
        self.outcomes: dict[str, ScenarioOutcome] = {}
        self.verdict_line: str | None = None
        # A name is one scenario across every suite of the run.
        self.names: ScenarioNames = ScenarioNames()
        self.claimed_files: set[str] = set()

    def lost_outcomes(self, reported: Iterable[str]) -> list[ScenarioOutcome]:
        """Scenarios pytest reports as run but whose outcome never arrived (a worker died or
        its output was lost): recorded as crashed, so the gate says INCONCLUSIVE, not READY."""
        from harness.outcomes import ScenarioOutcome, Status

        return [
            ScenarioOutcome(
                name=name,
                kind="unknown",
                description="",
                source="",
                status=Status.CRASHED,
                crash="pytest ran this scenario but its result never reached the controller",
            )
            for name in sorted(set(reported) - set(self.outcomes))
        ]

    def suite_names(self) -> tuple[list[str] | None, str | None]:
        """Every scenario name of the suite (what a complete run covers), or why it is unknown."""
        from harness.scenarios import load_run_scenarios

        try:
            # Every suite's scenarios, found as `parity run` finds them.
            scenarios = load_run_scenarios(self.engine.config)
            return [scenario.name for scenario in scenarios], None
        except ParityInputError as exc:
            return None, str(exc)

    def claim(self, path: Path, scenarios: Iterable[Scenario]) -> None:
        """Refuse a second scenario of the same name, in this file or another (``parity run``
        does too): its outcome would silently replace the first one's."""
        source = str(path)
        if source in self.claimed_files:  # the same file collected again
            return
        self.claimed_files.add(source)
        for scenario in scenarios:
            self.names.claim(scenario, path)

    def owns(self, path: Path) -> bool:
        from harness.scenarios import NOT_SCENARIO_FILES

        return (
            path.suffix in _SCENARIO_SUFFIXES
            and path.name not in NOT_SCENARIO_FILES
            and path.resolve().is_relative_to(self.scenarios_dir)
        )


def pytest_addoption(parser: pytest.Parser) -> None:
    # Every default is None, "not given": the project configuration ([tool.parity] in the nearest
    # pyproject.toml, or parity.toml) fills what is not given, then the built-in defaults.
    group = parser.getgroup("argo-parity", "argo-parity: builder migration gates")
    group.addoption(
        "--parity-phase",
        choices=[p.value for p in Phase],
        default=None,
        help="run the scenarios as tests and fail the session unless this phase is READY",
    )
    group.addoption("--parity-scenarios", default=None, help="scenario folder (default: scenarios)")
    group.addoption("--parity-legacy", default=None, help=f"legacy builder, package.module:attr (default {LEGACY_REF})")
    group.addoption("--parity-new", default=None, help=f"new builder, package.module:attr (default {HERA_REF})")
    group.addoption(
        "--parity-inputs-model",
        default=None,
        help="input model the scenarios' inputs are validated against, package.module:Model",
    )
    group.addoption(
        "--parity-call",
        choices=["dict", "kwargs", "model"],
        default=None,
        help="how a builder receives the inputs (default: dict)",
    )
    group.addoption("--parity-execute", choices=EXECUTORS, default=None, help="executor for result parity")
    group.addoption(
        "--parity-cluster",
        choices=CLUSTER_CHOICES,
        default=None,
        help="with --parity-execute cluster: kubeconfig (make cluster-up's cluster) or testcontainers "
        "(a throwaway k3s with Argo for this session)",
    )
    group.addoption("--parity-report-dir", default=None, help="where the parity reports are written (default: reports)")
    group.addoption("--parity-waivers", default=None, help="waiver file (default: waivers.yaml beside the scenarios)")
    group.addoption("--parity-rules", default=None, help="user rules file (default: rules.yaml beside the scenarios)")
    group.addoption(
        "--parity-build-timeout",
        type=float,
        default=None,
        help="seconds a builder may take for one build; past it, that side crashed (default 60)",
    )
    group.addoption("--parity-rollout", default=None, help="gate criteria file (default: rollout.yaml)")
    group.addoption("--parity-fuzz-report", default=None, help="a `parity fuzz --report` result")
    group.addoption(
        "--parity-noise-calibration",
        dest="parity_noise_calibration",
        action="store_true",
        default=None,
        help="build the legacy side twice to detect noise (the default)",
    )
    group.addoption(
        "--parity-no-noise-calibration",
        dest="parity_noise_calibration",
        action="store_false",
        default=None,
        help="do not build the legacy side twice to detect noise",
    )


def pytest_configure(config: pytest.Config) -> None:
    phase = config.getoption("--parity-phase")
    scenarios_option = config.getoption("--parity-scenarios")
    if phase is None and scenarios_option is None:
        return
    from harness.project_config import OPTIONS, load_project_config, resolve_run
    from harness.report import check_report_dir

    explicit = {option.key: config.getoption(option.pytest) for option in OPTIONS if option.pytest is not None}
    try:
        project = load_project_config(Path(config.invocation_params.dir))
        resolved = resolve_run(project, explicit, door="pytest")
        run_config, report_dir = resolved.config, resolved.report_dir
        if not hasattr(config, "workerinput"):  # the controller writes the reports
            check_report_dir(report_dir)
        assert run_config.scenarios is not None
        scenarios_dir = run_config.scenarios
        state = ParityPytestState(run_config, scenarios_dir, report_dir)
    except ParityInputError as exc:
        raise pytest.UsageError(f"argo-parity: {exc}") from None
    config.stash[_SESSION] = state
    if not hasattr(config, "workerinput"):
        _interrupt_on_sigterm(config)
    if not any(state.owns(Path(arg)) or Path(arg).resolve() == state.scenarios_dir for arg in config.args):
        config.args.append(str(scenarios_dir))


_PREVIOUS_SIGTERM = pytest.StashKey[Any]()


def _interrupt_on_sigterm(config: pytest.Config) -> None:
    """SIGTERM (a cancelled CI job) ends the session like Ctrl-C, so the reports still get
    written, INCONCLUSIVE, instead of the previous run's READY staying in place."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    config.stash[_PREVIOUS_SIGTERM] = signal.signal(signal.SIGTERM, interrupt)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    state = parent.config.stash.get(_SESSION, None)
    if state is not None and state.owns(file_path):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Record every scenario pytest ran, on whichever process reports it (the controller under
    xdist), so the merge can prove that no worker's results went missing."""
    for key, value in report.user_properties:
        if key == _SCENARIO_PROPERTY and report.when == "call":
            _reported_scenarios.add(str(value))


# Reports carry no config to stash on; one pytest process runs one session, so module state is safe.
_reported_scenarios: set[str] = set()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist controller: merge the outcomes a worker sends back when it finishes."""
    state = node.config.stash.get(_SESSION, None)
    payload = getattr(node, "workeroutput", {}).get(_WORKER_OUTPUT)
    if state is not None and payload:
        for outcome in pickle.loads(base64.b64decode(payload)):
            state.outcomes[outcome.name] = outcome


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    state = config.stash.get(_SESSION, None)
    if state is None:
        return
    if hasattr(config, "workerinput"):
        # An xdist worker hands its outcomes to the controller, which gates and reports once.
        payload = pickle.dumps(list(state.outcomes.values()))
        cast(Any, config).workeroutput[_WORKER_OUTPUT] = base64.b64encode(payload).decode()
        return
    from harness.report import ReportWriteError, write_reports
    from harness.report.document import build_document

    outcomes = [*state.outcomes.values(), *state.lost_outcomes(_reported_scenarios)]
    expected, problem = state.suite_names()
    # Ctrl-C, or a collection error (a bad fixture): whatever ran is gated, INCONCLUSIVE.
    interrupted = exitstatus == pytest.ExitCode.INTERRUPTED or problem is not None
    # The evidence step (router probe, fuzzing, when the gate asks for them), then the gates.
    evidence = state.engine.gather(outcomes, expected=expected, interrupted=interrupted)
    result = state.engine.judge(evidence)
    verdict = result.verdict
    state.verdict_line = f"argo-parity: {verdict.verdict.value} for phase {verdict.phase.value}"
    try:
        write_reports(build_document(result), state.report_dir)
    except ReportWriteError as exc:
        state.verdict_line = f"argo-parity: {Verdict.INCONCLUSIVE.value}: {exc}"
        verdict_code = Verdict.INCONCLUSIVE.exit_code
    else:
        verdict_code = verdict.verdict.exit_code
    if verdict_code and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = verdict_code


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_SESSION, None)
    if state is not None:
        state.engine.close()
    previous = config.stash.get(_PREVIOUS_SIGTERM, None)
    if previous is not None:
        import signal

        signal.signal(signal.SIGTERM, previous)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(_SESSION, None)
    if state is not None and state.verdict_line:
        terminalreporter.write_sep("=", state.verdict_line)
        for outcome in state.outcomes.values():
            if not outcome.passed:
                terminalreporter.write_line(f"  {outcome.name}: {outcome.status.value}")


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[ScenarioItem]:
        from harness.scenarios import load_scenario_file, suite_of

        state = self.config.stash[_SESSION]
        # The file's suite (the nearest suite folder above it, as for `parity run`): its input
        # model validates the file, its builders build it.
        suite = suite_of(self.path, state.engine.config.all_suites)
        scenarios = load_scenario_file(self.path, input_model=suite.inputs_model, suite=suite.name)
        state.claim(self.path, scenarios)
        for scenario in scenarios:
            # The run's own suite ("default", or the --parity-scenarios folder's suite.toml) goes unnamed.
            own = suite.name == state.engine.config.default_suite.name
            name = scenario.name if own else f"{suite.name}/{scenario.name}"
            yield ScenarioItem.from_parent(self, name=name, scenario=scenario)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ParityInputError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))


class ScenarioFailed(Exception):
    pass


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.user_properties.append((_SCENARIO_PROPERTY, scenario.name))

    def runtest(self) -> None:
        state = self.config.stash[_SESSION]
        outcome = state.engine.run_scenario(self.scenario)
        earlier = state.outcomes.get(outcome.name)
        if earlier is not None and not earlier.passed:
            # A rerun (pytest-rerunfailures, --lf in one session) cannot clear a failure: a
            # builder that differs only sometimes is a builder that differs.
            outcome = earlier
        state.outcomes[outcome.name] = outcome
        if not outcome.passed:
            from harness.run_result import redactor_for

            text = describe_failure(outcome)
            if outcome is earlier:
                text += "\n  (an earlier run of this scenario in this session failed; a rerun does not clear it)"
            raise ScenarioFailed(redactor_for([outcome]).scrub_text(text))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario: {self.name}"


def describe_failure(outcome: ScenarioOutcome) -> str:
    lines = [f"scenario {outcome.name} ({outcome.source}): {outcome.status.value}"]
    if outcome.crash:
        lines.append(f"  harness crash: {outcome.crash}")
    for label, side in (("legacy", outcome.legacy), ("new", outcome.new)):
        if side and side.error:
            lines.append(f"  {label} builder raised {side.error.type}: {side.error.message}")
    for difference in outcome.semantic_differences:
        lines.append(f"  {difference.path}: {difference.message} [{difference.rule}]")
        # JSON style (true, null, "text"), as parity diff, the summary and the reports write values
        lines.append(f"      legacy: {show_value(difference.left)}")
        lines.append(f"      new:    {show_value(difference.right)}")
    lines.extend(f"  expectation: {problem}" for problem in outcome.problems)
    return "\n".join(lines)
