"""Project configuration: ``parity.toml`` or ``[tool.parity]`` in ``pyproject.toml``, and the one
place where a front door's options, that file and the built-in defaults become a run's config.

``parity run``/``parity fuzz`` and the pytest plugin each collect the options the user gave
explicitly (a value of ``None`` means "not given") and call :func:`resolve_run` or
:func:`resolve_fuzz`; nothing else reads the file. Precedence, per setting: an explicit option,
else the file, else the built-in default.

Discovery starts in the working directory and walks up. In each folder, ``parity.toml`` is the
configuration; otherwise a ``pyproject.toml`` holding a ``[tool.parity]`` table is (one without
that table is passed over). When both are in one folder, ``parity.toml`` wins and the
pyproject's table is ignored. The walk stops after the folder holding ``.git`` (the repository's
root) or at the filesystem root.

Paths in the file are relative to the file's folder, the project root. The built-in defaults
(``scenarios``, ``reports``, ``rollout.yaml``) are at the project root too; with no file, the
project root is the working directory. ``waivers.yaml`` and ``rules.yaml`` are found beside the
scenarios folder.

A sub-folder of the scenarios folder holding a ``suite.toml`` is a suite (:func:`discover_suites`):
the file says, with the same keys and the same model (:class:`Settings`), the per-suite settings
(:data:`SUITE_KEYS`), its paths relative to its own folder. When the scenarios folder itself holds
a ``suite.toml`` (``parity run --scenarios scenarios/phases``: one suite of a project run on its
own), the run is that suite (:func:`read_root_suite`; the precedence is in :class:`_Resolver`).
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from harness.argo.testcluster import CLUSTER_CHOICES, CLUSTER_ENV
from harness.builders import HERA_REF, LEGACY_REF
from harness.builders.isolation import DEFAULT_BUILD_TIMEOUT_S, MAX_BUILD_TIMEOUT_S
from harness.errors import ParityInputError, Problem, read_input_file
from harness.execute import EXECUTORS
from harness.phases import Phase
from harness.rollout.config import RolloutConfig, parse_rollout_config, rollout_from_yaml
from harness.run_config import RunConfig
from harness.suites import DEFAULT_SUITE, SUITE_FILE, SuiteConfig

if TYPE_CHECKING:
    from harness.fuzz.search import FuzzConfig

PARITY_TOML = "parity.toml"
PYPROJECT_TOML = "pyproject.toml"
WAIVERS_FILE_NAMES = ("waivers.yaml", "waivers.yml")
ROLLOUT_FILE_NAME = "rollout.yaml"
DEFAULT_SCENARIOS = "scenarios"
DEFAULT_REPORT_DIR = "reports"
FUZZ_PROFILES = ("ci", "dev", "nightly")
CALL_STYLES = ("dict", "kwargs", "model")

FrontDoor = Literal["cli", "pytest"]

# What a suite.toml may set: the keys of [tool.parity] that belong to one suite (the rest are the
# run's), and `name` (default: the suite folder's path below the scenarios folder).
SUITE_KEYS = ("legacy", "new", "inputs_model", "call", "waivers", "rules", "build_timeout")
SUITE_NAME_PATTERN = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Option:
    """One setting: its key in the file, and how each front door spells it (``None``: that
    door has no such option, for the reason in ``no_twin``)."""

    key: str
    cli: str | None
    pytest: str | None
    commands: tuple[str, ...] = ("run",)
    path: bool = False
    no_twin: str = ""
    # How `parity fuzz` spells it, when not as `parity run` does.
    fuzz_cli: str | None = None


OPTIONS: tuple[Option, ...] = (
    Option("legacy", "--legacy", "--parity-legacy", ("run", "fuzz")),
    Option("new", "--new", "--parity-new", ("run", "fuzz")),
    Option("inputs_model", "--inputs-model", "--parity-inputs-model", ("run", "fuzz")),
    Option("call", "--call", "--parity-call", ("run", "fuzz")),
    Option("scenarios", "--scenarios", "--parity-scenarios", path=True),
    Option("waivers", "--waivers", "--parity-waivers", ("run", "fuzz"), path=True),
    Option("rules", "--rules", "--parity-rules", path=True),
    Option("rollout", "--rollout", "--parity-rollout", path=True),
    Option("report_dir", "--report-dir", "--parity-report-dir", path=True),
    Option("build_timeout", "--build-timeout", "--parity-build-timeout", ("run", "fuzz")),
    Option("phase", "--phase", "--parity-phase"),
    Option("execute", "--execute", "--parity-execute"),
    # Which cluster --execute cluster runs in: "kubeconfig" or "testcontainers" (a throwaway k3s).
    Option("cluster", "--cluster", "--parity-cluster"),
    # parity fuzz writes the report (--report) that parity run reads as evidence (--fuzz-report).
    Option("fuzz_report", "--fuzz-report", "--parity-fuzz-report", ("run", "fuzz"), path=True, fuzz_cli="--report"),
    Option("noise_calibration", "--noise-calibration", "--parity-noise-calibration"),
    Option("jobs", "--jobs", None, no_twin="pytest runs scenarios in parallel with pytest-xdist's -n"),
    Option("progress", "--progress", None, no_twin="pytest shows its own progress"),
    # parity fuzz only
    Option("examples", "--examples", None, ("fuzz",)),
    Option("seed", "--seed", None, ("fuzz",)),
    Option("profile", "--profile", None, ("fuzz",)),
    Option("promote", "--promote", None, ("fuzz",), path=True),
    Option("max_failures", "--max-failures", None, ("fuzz",)),
    Option("database", "--database", None, ("fuzz",)),
    Option("fuzz_strategies", None, None, ("fuzz",)),
)
OPTION_BY_KEY = {option.key: option for option in OPTIONS}


class Settings(BaseModel):
    """What the file may say. Every key is optional; an unknown key or a wrong type is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    legacy: str | None = Field(default=None, min_length=1)
    new: str | None = Field(default=None, min_length=1)
    inputs_model: str | None = Field(default=None, min_length=1)
    call: Literal["dict", "kwargs", "model"] | None = None
    scenarios: str | None = None
    waivers: str | None = None
    rules: str | None = None
    # A path to a rollout file, or the criteria inline: [tool.parity.rollout.phases.canary]
    rollout: str | dict[str, Any] | None = None
    report_dir: str | None = None
    build_timeout: float | None = Field(default=None, gt=0, le=MAX_BUILD_TIMEOUT_S)
    phase: str | None = None
    execute: str | None = None
    cluster: str | None = None
    jobs: int | None = Field(default=None, ge=1)
    fuzz_report: str | None = None
    noise_calibration: bool | None = None
    progress: bool | None = None
    examples: int | None = Field(default=None, ge=1)
    seed: int | None = Field(default=None, ge=0)
    profile: Literal["ci", "dev", "nightly"] | None = None
    promote: str | None = None
    max_failures: int | None = Field(default=None, ge=1)
    database: bool | None = None
    # dotted field path of the input model -> "package.module:strategy"
    fuzz_strategies: dict[str, str] | None = None

    @field_validator("phase")
    @classmethod
    def _known_phase(cls, value: str | None) -> str | None:
        if value is not None and value not in {p.value for p in Phase}:
            raise ValueError(f"unknown phase {value!r}; choose from {', '.join(p.value for p in Phase)}")
        return value

    @field_validator("execute")
    @classmethod
    def _known_executor(cls, value: str | None) -> str | None:
        if value is not None and value not in EXECUTORS:
            raise ValueError(f"unknown executor {value!r}; choose from {', '.join(EXECUTORS)}")
        return value

    @field_validator("cluster")
    @classmethod
    def _known_cluster(cls, value: str | None) -> str | None:
        if value is not None and value not in CLUSTER_CHOICES:
            raise ValueError(f"unknown cluster {value!r}; choose from {', '.join(CLUSTER_CHOICES)}")
        return value

    @field_validator("fuzz_strategies")
    @classmethod
    def _references(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for path, reference in (value or {}).items():
            module, sep, attr = reference.partition(":")
            if not (sep and module and attr):
                raise ValueError(f"{path}: {reference!r} must look like 'package.module:strategy'")
        return value


@dataclass(frozen=True)
class ProjectConfig:
    """The configuration file found (``file`` is ``None`` when there is none) and its settings."""

    file: Path | None
    root: Path
    settings: Settings
    # "tool.parity." in a pyproject.toml, "" in a parity.toml: how an error names a key.
    prefix: str = ""

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def label(self, name: str) -> str:
        """A file setting, spelled for a message that names no file itself."""
        return f"{self.key(name)} in {self.file}"

    def error(self, message: str, name: str) -> ParityInputError:
        return ParityInputError(message, file=str(self.file), field=self.key(name))


def find_config_file(start: Path) -> tuple[Path, str] | None:
    """The nearest configuration from ``start`` upwards, with its key prefix, or ``None``."""
    folder = start.resolve()
    while True:
        candidate = folder / PARITY_TOML
        if candidate.is_file():
            return candidate, ""
        pyproject = folder / PYPROJECT_TOML
        if pyproject.is_file() and "parity" in _read_toml(pyproject).get("tool", {}):
            return pyproject, "tool.parity."
        if (folder / ".git").exists() or folder.parent == folder:
            return None
        folder = folder.parent


def load_project_config(start: Path | None = None, *, search: bool = True) -> ProjectConfig:
    """The project configuration for ``start`` (the working directory by default): the nearest
    file upwards, or with ``search=False`` only one in ``start`` itself."""
    start = Path.cwd() if start is None else start
    if search:
        found = find_config_file(start)
    else:
        found = next(
            (
                (path, prefix)
                for path, prefix in ((start / PARITY_TOML, ""), (start / PYPROJECT_TOML, "tool.parity."))
                if path.is_file() and (not prefix or "parity" in _read_toml(path).get("tool", {}))
            ),
            None,
        )
    if found is None:
        return ProjectConfig(file=None, root=start, settings=Settings())
    return read_config_file(*found)


def read_config_file(path: Path, prefix: str = "") -> ProjectConfig:
    data = _read_toml(path)
    table: Any = data.get("tool", {}).get("parity", {}) if prefix else data
    if not isinstance(table, dict):
        raise ParityInputError("must be a table", file=str(path), field=prefix.rstrip(".") or None)
    try:
        settings = Settings.model_validate(table)
    except ValidationError as exc:
        raise ParityInputError.of(_problems(exc, prefix), file=str(path)) from None
    return ProjectConfig(file=path, root=path.parent, settings=settings, prefix=prefix)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(read_input_file(path, path.name))
    except tomllib.TOMLDecodeError as exc:
        raise ParityInputError(f"invalid TOML: {exc}", file=str(path)) from None


def _problems(exc: ValidationError, prefix: str = "") -> list[Problem]:
    """Every problem pydantic found, each at its key (``prefix``: where the table sits)."""
    return [
        Problem(
            "unknown key" if error["type"] == "extra_forbidden" else _message(error),
            prefix + ".".join(str(part) for part in error["loc"]),
        )
        for error in exc.errors()
    ]


def _message(error: Any) -> str:
    message = str(error["msg"])
    message = message.removeprefix("Value error, ")
    received = error.get("input")
    if error["type"].endswith("_type") and not isinstance(received, dict | list):
        message += f", got {type(received).__name__} {received!r}"
    return message


# --- from (file, options) to a config ------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedRun:
    config: RunConfig
    report_dir: Path
    progress: bool | None


@dataclass(frozen=True)
class ResolvedFuzz:
    config: FuzzConfig
    report: Path | None


class _Resolver:
    """Picks each setting from the first of these layers that sets it:

    1. the explicit option (the command line, or the plugin's ``--parity-*``);
    2. the scenarios folder's own ``suite.toml`` (``suite``), when it has one: the suite keys
       (:data:`SUITE_KEYS`) only;
    3. the project file (``[tool.parity]`` or ``parity.toml``);
    4. the built-in default.

    The command line is what the user asked of this one run, so it beats every file, as it always
    has. The folder's suite.toml beats the project file because it is the more specific of the
    two: it says which builders and input model *its* scenarios are written for, while the
    project file's per-suite keys describe the project's own scenarios folder, whose builders
    cannot build another suite's scenarios. For the same reason a suite key the suite.toml leaves
    out skips layer 3 and takes the built-in default: that is what the same suite.toml means when
    its folder runs as a sub-folder suite of the whole project (:func:`read_suite_file`), so a
    suite builds alike run alone or with its project. ``build_timeout`` is the exception, as
    there: it is the run's too, so a suite.toml that leaves it out takes the project file's.
    """

    def __init__(
        self, project: ProjectConfig, explicit: Mapping[str, Any], door: FrontDoor, suite: SuiteFile | None = None
    ) -> None:
        unknown = set(explicit) - set(OPTION_BY_KEY)
        if unknown:
            raise ValueError(f"not project settings: {sorted(unknown)}")
        self.project = project
        self.explicit = {key: value for key, value in explicit.items() if value is not None}
        self.door = door
        self.suite = suite

    def with_suite(self, suite: SuiteFile | None) -> _Resolver:
        """This resolver with the scenarios folder's own suite.toml as layer 2."""
        return _Resolver(self.project, self.explicit, self.door, suite)

    def spelling(self, key: str) -> str:
        """How a message names where the setting came from: the option, or the file's key."""
        if key not in self.explicit:
            if self.suite is not None and self.from_suite(key) is not None:
                return self.suite.label(key)
            if self.from_file(key) is not None:
                return self.project.label(key)
        option = OPTION_BY_KEY[key]
        return (option.cli if self.door == "cli" else option.pytest) or key

    def from_suite(self, key: str) -> Any:
        if self.suite is None or key not in SUITE_KEYS:
            return None
        return getattr(self.suite.settings, key)

    def from_file(self, key: str) -> Any:
        if self.suite is not None and key in SUITE_KEYS and key != "build_timeout":
            return None  # the suite.toml owns the suite's keys (see the class doc)
        return getattr(self.project.settings, key)

    def value(self, key: str, default: Any = None) -> Any:
        if key in self.explicit:
            return self.explicit[key]
        configured = self.from_suite(key)
        if configured is None:
            configured = self.from_file(key)
        return default if configured is None else configured

    def path(self, key: str, default: str | None = None, *, must_exist: bool = False) -> Path | None:
        """An explicit path as given (relative to the working directory); the suite.toml's,
        relative to its folder; the file's, relative to the file's folder; the default, at the
        project root."""
        if key in self.explicit:
            return Path(self.explicit[key])
        if self.suite is not None and self.from_suite(key) is not None:
            return self.suite.located(key)
        configured = self.from_file(key)
        if configured is not None:
            path: Path = self.project.root / configured
            if must_exist and not path.exists():
                raise self.project.error(f"{path}: no such file or directory", key)
            return path
        if default is None:
            return None
        return self.project.root / default if self.project.file is not None else Path(default)

    def beside_scenarios(self, key: str, names: tuple[str, ...]) -> Path | None:
        """The file named by ``key``, else one of ``names`` beside the scenarios folder."""
        path = self.path(key, must_exist=True)
        if path is not None:
            return path
        scenarios = self.path("scenarios", DEFAULT_SCENARIOS)
        assert scenarios is not None
        folder = scenarios.parent if scenarios.is_file() else scenarios
        return next((folder / name for name in names if (folder / name).is_file()), None)


def resolve_run(project: ProjectConfig, explicit: Mapping[str, Any], *, door: FrontDoor = "cli") -> ResolvedRun:
    """The run ``parity run`` or the plugin does: ``explicit`` holds the options given (keys of
    :data:`OPTIONS`; ``None`` is "not given"). Every problem with the file's settings is found
    here, before any build."""
    pick = _Resolver(project, explicit, door)
    _make_importable(project)
    scenarios = pick.path("scenarios", DEFAULT_SCENARIOS, must_exist=True)
    # A scenarios folder holding a suite.toml is that suite, run on its own: its keys are layer 2.
    root_suite = read_root_suite(scenarios)
    pick = pick.with_suite(root_suite)
    build_timeout = pick.value("build_timeout", DEFAULT_BUILD_TIMEOUT_S)
    fuzz_report = pick.path("fuzz_report")
    if fuzz_report is not None and "fuzz_report" not in pick.explicit and not fuzz_report.exists():
        # The file names where `parity fuzz` writes its report; until it has run, there is none.
        fuzz_report = None
    config = RunConfig(
        legacy=pick.value("legacy", LEGACY_REF),
        new=pick.value("new", HERA_REF),
        inputs_model=pick.value("inputs_model"),
        call=pick.value("call", "dict"),
        phase=Phase(pick.value("phase", Phase.DEV.value)),
        execute=pick.value("execute", "none"),
        # The one reader of PARITY_CLUSTER: a user may set the choice there, below the option and
        # the file. The choice then travels in this config (the engine hands it to the executor).
        cluster=pick.value("cluster", os.environ.get(CLUSTER_ENV) or "kubeconfig"),
        jobs=pick.value("jobs", 1),
        scenarios=scenarios,
        # Beside the scenarios folder is the engine's default; named here only when set.
        waivers=pick.path("waivers", must_exist=True),
        rules=pick.path("rules", must_exist=True),
        build_timeout_s=float(build_timeout),
        legacy_option=pick.spelling("legacy"),
        inputs_model_option=pick.spelling("inputs_model"),
        new_option=pick.spelling("new"),
        build_timeout_option=pick.spelling("build_timeout"),
        calibrate_noise=pick.value("noise_calibration", True),
        rollout=resolve_rollout(project, pick.explicit.get("rollout"), option=pick.spelling("rollout")),
        fuzz_report=fuzz_report,
        suites=discover_suites(scenarios, build_timeout_s=float(build_timeout), root=root_suite)
        if scenarios is not None
        else (),
        suite_name=root_suite.name if root_suite is not None else DEFAULT_SUITE,
        suite_file=root_suite.path if root_suite is not None else None,
    )
    if config.cluster not in CLUSTER_CHOICES:  # from the environment: the file's is checked above
        raise ParityInputError(
            f"unknown cluster {config.cluster!r} in the environment variable {CLUSTER_ENV}; "
            f"choose from {', '.join(CLUSTER_CHOICES)}"
        )
    report_dir = pick.path("report_dir", DEFAULT_REPORT_DIR)
    assert report_dir is not None
    return ResolvedRun(config=config, report_dir=report_dir, progress=pick.value("progress"))


def discover_suites(
    scenarios: Path, *, build_timeout_s: float = DEFAULT_BUILD_TIMEOUT_S, root: SuiteFile | None = None
) -> tuple[SuiteConfig, ...]:
    """The suites below the scenarios folder: each sub-folder (at any depth) holding a
    ``suite.toml``, in path order. A scenario file belongs to the nearest suite folder above it.

    A suite.toml names both builders (:func:`load_suite_file`); any other key it leaves out takes
    the built-in default, as in ``[tool.parity]``, except
    ``build_timeout``, which is the run's. Every problem is bad input naming the file and key.
    The scenarios folder's own suite.toml is not one of them: it makes the run's own suite
    (:func:`read_root_suite`, passed as ``root`` so that no sub-folder suite takes its name).
    """
    if not scenarios.is_dir():
        return ()
    suites: list[SuiteConfig] = []
    names: dict[str, Path] = {root.name: root.path} if root is not None else {}
    for path in sorted(scenarios.rglob(SUITE_FILE)):
        if not path.is_file() or path.parent == scenarios:
            continue
        suite = read_suite_file(path, scenarios, build_timeout_s=build_timeout_s)
        if suite.name in names:
            raise ParityInputError(
                f"suite name {suite.name!r} is also the name of the suite in {names[suite.name]}",
                file=str(path),
                field="name",
            )
        names[suite.name] = path
        suites.append(suite)
    return tuple(suites)


@dataclass(frozen=True)
class SuiteFile:
    """One ``suite.toml``, validated: its name and its settings (only :data:`SUITE_KEYS` set)."""

    path: Path
    name: str
    settings: Settings

    @property
    def folder(self) -> Path:
        return self.path.parent

    def label(self, key: str) -> str:
        """A setting of this file, spelled for a message that names no file itself."""
        return f"{key} in {self.path}"

    def located(self, key: str) -> Path | None:
        """The file a path setting names, relative to the suite's folder; it must exist."""
        configured = getattr(self.settings, key)
        if configured is None:
            return None
        located: Path = self.folder / configured
        if not located.is_file():
            raise ParityInputError(f"{located}: no such file", file=str(self.path), field=key)
        return located


def load_suite_file(path: Path, *, default_name: str) -> SuiteFile:
    """A ``suite.toml`` validated by :class:`Settings`: only :data:`SUITE_KEYS` and ``name``
    (``default_name`` when it sets none). Every problem is bad input naming the file and key."""
    table = dict(_read_toml(path))
    named = "name" in table
    name = table.pop("name", default_name)
    if not isinstance(name, str) or not SUITE_NAME_PATTERN.match(name):
        given = "" if named else " (the folder's name: set `name` in the file)"
        raise ParityInputError(
            f"must be a string of letters, digits, '.', '_', '-' and '/', got {name!r}{given}",
            file=str(path),
            field="name",
        )
    try:
        settings = Settings.model_validate(table)
    except ValidationError as exc:
        raise ParityInputError.of(_problems(exc), file=str(path)) from None
    run_keys = sorted(settings.model_fields_set - set(SUITE_KEYS))
    if run_keys:
        raise ParityInputError(
            f"not a suite setting: a suite.toml may set name, {', '.join(SUITE_KEYS)}; the others are the run's",
            file=str(path),
            field=run_keys[0],
        )
    # A suite exists to run its own builders. One that leaves a builder out would run the built-in
    # reference builder in its place (whatever [tool.parity] names) and could be READY about code
    # nobody meant to test, so both are required.
    unnamed = [key for key in ("legacy", "new") if key not in settings.model_fields_set]
    if unnamed:
        raise ParityInputError.of(
            [
                Problem(
                    f'required: a suite names its own builders ({key} = "package.module:attr"); '
                    "left out, the suite would run the built-in reference builder instead",
                    key,
                )
                for key in unnamed
            ],
            file=str(path),
        )
    return SuiteFile(path=path, name=name, settings=settings)


def read_root_suite(scenarios: Path | None) -> SuiteFile | None:
    """The scenarios folder's own ``suite.toml``, when it has one: the run is then that suite
    (named by its ``name``, else the folder's name), with no separate default suite. Its paths are
    checked here, with the file's other problems, before any build."""
    if scenarios is None or not scenarios.is_dir() or not (scenarios / SUITE_FILE).is_file():
        return None
    suite = load_suite_file(scenarios / SUITE_FILE, default_name=scenarios.resolve().name)
    for key in ("waivers", "rules"):
        suite.located(key)
    return suite


def read_suite_file(path: Path, scenarios: Path, *, build_timeout_s: float = DEFAULT_BUILD_TIMEOUT_S) -> SuiteConfig:
    """One sub-folder's ``suite.toml`` as a suite of the run (:func:`load_suite_file`)."""
    folder = path.parent
    suite = load_suite_file(path, default_name=folder.relative_to(scenarios).as_posix())
    if suite.name == DEFAULT_SUITE:
        raise ParityInputError(
            f"{DEFAULT_SUITE!r} is the scenarios folder's own suite; name this one otherwise",
            file=str(path),
            field="name",
        )
    settings = suite.settings
    return SuiteConfig(
        name=suite.name,
        folder=folder,
        legacy=settings.legacy or LEGACY_REF,
        new=settings.new or HERA_REF,
        inputs_model=settings.inputs_model,
        call=settings.call or "dict",
        waivers=suite.located("waivers"),
        rules=suite.located("rules"),
        build_timeout_s=float(settings.build_timeout or build_timeout_s),
        file=path,
        legacy_option=f"legacy in {path}",
        inputs_model_option=f"inputs_model in {path}",
        new_option=f"new in {path}",
        build_timeout_option=f"build_timeout in {path}",
    )


def resolve_fuzz(project: ProjectConfig, explicit: Mapping[str, Any]) -> ResolvedFuzz:
    """The search ``parity fuzz`` does; ``explicit`` as for :func:`resolve_run`."""
    from harness.fuzz.search import DEFAULT_MAX_FAILURES, FuzzConfig

    pick = _Resolver(project, explicit, "cli")
    _make_importable(project)
    # As for `parity run`: a scenarios folder holding a suite.toml names the builders to fuzz.
    pick = pick.with_suite(read_root_suite(pick.path("scenarios", DEFAULT_SCENARIOS)))
    config = FuzzConfig(
        legacy=pick.value("legacy", LEGACY_REF),
        new=pick.value("new", HERA_REF),
        profile=pick.value("profile", "dev"),
        examples=pick.value("examples"),
        seed=pick.value("seed"),
        max_failures=pick.value("max_failures", DEFAULT_MAX_FAILURES),
        waivers=pick.beside_scenarios("waivers", WAIVERS_FILE_NAMES),
        use_database=pick.value("database", True),
        promote_dir=pick.path("promote"),
        build_timeout_s=float(pick.value("build_timeout", DEFAULT_BUILD_TIMEOUT_S)),
        inputs_model=pick.value("inputs_model"),
        call=pick.value("call", "dict"),
        fuzz_strategies=dict(pick.value("fuzz_strategies", {})),
    )
    return ResolvedFuzz(config=config, report=pick.path("fuzz_report"))


def resolve_rollout(
    project: ProjectConfig, explicit: Path | None = None, *, option: str = "--rollout"
) -> RolloutConfig:
    """The gate criteria: the explicit file, else the file's ``rollout`` (a path, or the criteria
    inline), else ``rollout.yaml`` at the project root, else the built-in defaults."""
    if explicit is not None:
        if not Path(explicit).is_file():
            raise ParityInputError("rollout config not found", file=str(explicit), field=option)
        return rollout_from_yaml(Path(explicit))
    configured = project.settings.rollout
    if isinstance(configured, str):
        path = project.root / configured
        if not path.is_file():
            raise project.error(f"{path}: rollout config not found", "rollout")
        return rollout_from_yaml(path)
    if configured is not None:
        table = f"[{project.key('rollout')}]"
        return parse_rollout_config(configured, source=f"{project.file} {table}")
    candidate = project.root / ROLLOUT_FILE_NAME
    if candidate.is_file():
        return rollout_from_yaml(candidate)
    return RolloutConfig()


def _make_importable(project: ProjectConfig) -> None:
    """Builder references in the file resolve from the project root, wherever the run starts
    (the builder host is forked, so it inherits this)."""
    if project.file is not None:
        root = str(project.root.resolve())
        if root not in sys.path:
            sys.path.insert(0, root)


def load_rollout_config(root: Path = Path(), explicit: Path | None = None) -> RolloutConfig:
    """``explicit`` if given, else the ``rollout`` setting of the project configuration in
    ``root`` (``parity.toml``, or ``[tool.parity]`` in ``root/pyproject.toml``: a path, or the
    criteria inline), else ``rollout.yaml`` under ``root``, else the defaults.

    Front doors resolve it with :func:`resolve_rollout` on the configuration found upwards from
    the working directory; this reads the one in ``root`` only."""
    return resolve_rollout(load_project_config(root, search=False), explicit)


__all__ = [
    "OPTIONS",
    "SUITE_KEYS",
    "Option",
    "ProjectConfig",
    "ResolvedFuzz",
    "ResolvedRun",
    "Settings",
    "SuiteFile",
    "discover_suites",
    "find_config_file",
    "load_project_config",
    "load_rollout_config",
    "load_suite_file",
    "read_config_file",
    "read_root_suite",
    "read_suite_file",
    "resolve_fuzz",
    "resolve_rollout",
    "resolve_run",
]
