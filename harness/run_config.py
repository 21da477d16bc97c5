"""What one run is asked to do: the builders, the phase, the executor and the run's input files.

``parity run`` and the pytest plugin each fill one ``RunConfig`` from their options; the engine,
the evidence step, the gates and the report read it. It is plain data: importing it loads neither
the engine nor the builders.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from harness.builders import HERA_REF, LEGACY_REF
from harness.builders.isolation import DEFAULT_BUILD_TIMEOUT_S
from harness.phases import Phase
from harness.rollout.config import RolloutConfig
from harness.suites import DEFAULT_SUITE, SuiteConfig

__all__ = ["DEFAULT_SUITE", "RunConfig", "SuiteConfig"]


@dataclass(frozen=True)
class RunConfig:
    legacy: str = LEGACY_REF
    new: str = HERA_REF
    # The input model the scenarios' inputs are validated against and the builders receive,
    # `package.module:Model` (None: the built-in python job), and how a builder is called with
    # them: "dict" (one plain-data argument), "kwargs" or "model" (harness.input_models.CallMode).
    inputs_model: str | None = None
    call: str = "dict"
    phase: Phase = Phase.DEV
    execute: str = "none"
    # Which cluster `execute="cluster"` runs in: "kubeconfig" (make cluster-up's, or the context
    # PARITY_KUBE_CONTEXT names) or "testcontainers" (a throwaway k3s for this run).
    cluster: str = "kubeconfig"
    jobs: int = 1
    # The scenarios folder (or file): waivers.yaml and rules.yaml beside it apply by default.
    scenarios: Path | None = None
    waivers: Path | None = None
    rules: Path | None = None
    # A build that has not returned after this long is a crash of that side.
    build_timeout_s: float = DEFAULT_BUILD_TIMEOUT_S
    # How the front door spells its options, for its error messages.
    legacy_option: str = "--legacy"
    inputs_model_option: str = "--inputs-model"
    new_option: str = "--new"
    build_timeout_option: str = "--build-timeout"
    # Build the legacy side twice and treat what differs between its own builds as noise.
    calibrate_noise: bool = True
    rollout: RolloutConfig = field(default_factory=RolloutConfig)
    # A saved `parity fuzz --report` result, the fuzz evidence canary and later phases need.
    fuzz_report: Path | None = None
    today: datetime.date = field(default_factory=datetime.date.today)
    # The suites below the scenarios folder (each a sub-folder with a suite.toml), found by
    # harness.project_config; the default suite, the folder itself, is this config's own.
    suites: tuple[SuiteConfig, ...] = ()
    # The default suite's name and file: "default" and None, unless the scenarios folder itself
    # holds a suite.toml (one suite of a project run on its own, whose settings then fill this
    # config: harness.project_config.read_root_suite).
    suite_name: str = DEFAULT_SUITE
    suite_file: Path | None = None

    @property
    def default_suite(self) -> SuiteConfig:
        """The scenarios folder's own suite: this config's builders, input model and files."""
        folder = None
        if self.scenarios is not None:
            folder = self.scenarios if self.scenarios.is_dir() else self.scenarios.parent
        return SuiteConfig(
            name=self.suite_name,
            folder=folder,
            file=self.suite_file,
            legacy=self.legacy,
            new=self.new,
            inputs_model=self.inputs_model,
            call=self.call,
            waivers=self.waivers,
            rules=self.rules,
            build_timeout_s=self.build_timeout_s,
            legacy_option=self.legacy_option,
            inputs_model_option=self.inputs_model_option,
            new_option=self.new_option,
            build_timeout_option=self.build_timeout_option,
        )

    @property
    def all_suites(self) -> tuple[SuiteConfig, ...]:
        """The default suite first, then the others in discovery order."""
        return (self.default_suite, *self.suites)
