"""Execution parity: run the legacy and the new manifest, compare what they did, check ``expect``.

``execute_pair`` runs the legacy manifest twice (with noise calibration) and the new one once,
concurrently. The results are compared field by field after scrubbing (timestamps, temp paths,
random ids: ``DEFAULT_SCRUB_RULES``, configurable). What varies between the two legacy runs is
learnt as a :class:`~harness.diff.noise.NoiseModel` (a template of a stdout or a file's text,
literal where the runs agree): a difference that lies only in that part is *noise*, not a finding;
a stdout with one random line and one added line is still a difference. Every difference reuses
``harness.diff``'s ``Difference`` with a readable path (``execution.exit_code``, ``execution.stdout``,
``execution.files["/mnt/results/out.txt"]``, ``execution.nodes[main.train].phase``) and a rule id
(``execution.stdout``). The scenario's ``expect.execution`` is checked on both sides.

It never raises for a run problem and is safe to call from worker processes: it keeps no state.
"""

from __future__ import annotations

import functools
import hashlib
import re
import time
import traceback
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

from harness.diff.model import Category, Difference
from harness.diff.noise import NoiseModel
from harness.diff.paths import Item, Key, Segment, render
from harness.execute.base import Executor
from harness.execute.result import NodeRun, Output, WorkflowRun
from harness.execute.secrets import manifest_secret_refs, resolve_secrets
from harness.normalize.canonical import ABSENT


class ExecutionStatus(StrEnum):
    EQUIVALENT = "equivalent"  # both ran, no semantic difference
    DIFFERENT = "different"  # both ran, at least one semantic difference
    UNSUPPORTED = "unsupported"  # a side uses a feature the executor cannot run faithfully
    UNAVAILABLE = "unavailable"  # the executor cannot run on this machine
    ERROR = "error"  # the harness failed (sandbox, engine, a bug): no evidence either way


class ExpectationLike(Protocol):
    """``harness.scenarios.ExecutionExpectation``, or anything shaped like it."""

    @property
    def exit_code(self) -> int | None: ...
    @property
    def stdout_contains(self) -> Sequence[str]: ...
    @property
    def files(self) -> Mapping[str, str]: ...


class WaiverMatcher(Protocol):
    """``harness.diff.waivers.WaiverSet``: execution paths can be waived like manifest paths."""

    def match(self, difference: Difference | str, scenario: str | None = None) -> Any: ...


# --- scrubbing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScrubRule:
    """Replace every match of ``pattern`` (a Python regex) in compared text with ``replacement``."""

    id: str
    pattern: str
    replacement: str

    def apply(self, text: str) -> str:
        return _compiled(self.pattern).sub(self.replacement, text)

    @classmethod
    def from_dict(cls, data: Mapping[str, str]) -> ScrubRule:
        rule = cls(id=data["id"], pattern=data["pattern"], replacement=data.get("replacement", f"<{data['id']}>"))
        _compiled(rule.pattern)  # a bad pattern fails here, with the rule at hand
        return rule


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


DEFAULT_SCRUB_RULES: tuple[ScrubRule, ...] = (
    ScrubRule(
        "timestamp",
        r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?",
        "<timestamp>",
    ),
    ScrubRule("temp-path", r"/(?:var/)?tmp/(?:tmp|argo-parity-)[A-Za-z0-9_.-]*", "<tmp>"),
    ScrubRule("uuid", r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b", "<uuid>"),
    ScrubRule("memory-address", r"\b0x[0-9a-fA-F]{8,16}\b", "<address>"),
    # pip's download progress: "73.1/73.1 kB 113.4 MB/s eta 0:00:00"
    ScrubRule("transfer-rate", r"\b\d+(?:\.\d+)?\s?[kMGT]?i?B/s\b", "<rate>"),
    ScrubRule("eta", r"\beta \d+:\d{2}:\d{2}\b", "eta <eta>"),
    # its bar, whose width shrinks as the rate's text grows
    ScrubRule("progress-bar", r"[━╸╺╾╼]{3,}", "<bar>"),
)


def scrub(text: str, rules: Sequence[ScrubRule]) -> str:
    for rule in rules:
        text = rule.apply(text)
    return text


# --- the outcome ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExecutionOutcome:
    executor: str
    status: ExecutionStatus
    differences: tuple[Difference, ...] = ()
    # Unmet `expect.execution` items, each naming its side: "new: exit code 1, expected 0".
    problems: tuple[str, ...] = ()
    legacy: WorkflowRun | None = None
    new: WorkflowRun | None = None
    legacy_repeat: WorkflowRun | None = None  # the second legacy run, when noise was calibrated
    noise_paths: tuple[str, ...] = ()  # where the two legacy runs differ (what varies: NoiseModel)
    message: str | None = None  # why unavailable, unsupported or errored
    duration_s: float = 0.0
    # Values injected for secretKeyRef env vars: feed them to Redactor.learn. Never in to_dict.
    secret_values: tuple[str, ...] = field(default=(), repr=False)

    @property
    def passed(self) -> bool:
        return self.status is ExecutionStatus.EQUIVALENT and not self.problems

    @property
    def semantic_differences(self) -> tuple[Difference, ...]:
        return tuple(d for d in self.differences if d.category is Category.SEMANTIC)

    @property
    def waivers_used(self) -> tuple[str, ...]:
        return tuple(sorted({d.waiver for d in self.differences if d.waiver}))

    def to_dict(self) -> dict[str, Any]:
        return {
            "executor": self.executor,
            "status": self.status.value,
            "passed": self.passed,
            "message": self.message,
            "differences": [d.to_dict() for d in self.differences],
            "counts": {c.value: sum(1 for d in self.differences if d.category is c) for c in Category},
            "problems": list(self.problems),
            "noise_paths": list(self.noise_paths),
            "legacy": self.legacy.to_dict() if self.legacy else None,
            "new": self.new.to_dict() if self.new else None,
            "legacy_repeat": self.legacy_repeat.to_dict() if self.legacy_repeat else None,
            "duration_ms": round(self.duration_s * 1000, 3),
        }


def execute_pair(
    executor: Executor,
    *,
    legacy_manifest: Mapping[str, Any],
    new_manifest: Mapping[str, Any],
    expectation: ExpectationLike | None,
    scenario: str,
    calibrate_noise: bool = True,
    scrub_rules: Sequence[ScrubRule] | None = None,
    secrets: Mapping[str, str] | None = None,
    waivers: WaiverMatcher | None = None,
    parallel: bool = True,
) -> ExecutionOutcome:
    """Run both manifests on ``executor`` and compare; never raises for a run problem.

    ``secrets`` maps ``"secret-name/key"`` to a value; other secretKeyRefs get a deterministic
    fake, the same on both sides. ``waivers`` (a WaiverSet) may waive execution paths.
    ``parallel`` runs the three executions at once (they mostly wait on their programs).
    """
    started = time.perf_counter()
    name = str(getattr(executor, "name", type(executor).__name__))
    try:
        reason = executor.unavailable_reason()
        if reason:
            return ExecutionOutcome(name, ExecutionStatus.UNAVAILABLE, message=reason)
        values = resolve_secrets(manifest_secret_refs(legacy_manifest, new_manifest), secrets)
        runs = _run_all(executor, legacy_manifest, new_manifest, scenario, values, calibrate_noise, parallel)
        outcome = judge(
            *runs,
            expectation=expectation,
            scenario=scenario,
            scrub_rules=scrub_rules,
            waivers=waivers,
        )
        return replace(
            outcome,
            executor=name,
            duration_s=time.perf_counter() - started,
            secret_values=tuple(sorted(set(values.values()))),
        )
    except Exception as exc:  # a harness failure is this scenario's error, never the caller's
        return ExecutionOutcome(
            name,
            ExecutionStatus.ERROR,
            message="".join(traceback.format_exception_only(exc)).strip(),
            duration_s=time.perf_counter() - started,
        )


def _run_all(
    executor: Executor,
    legacy_manifest: Mapping[str, Any],
    new_manifest: Mapping[str, Any],
    scenario: str,
    secrets: Mapping[str, str],
    calibrate_noise: bool,
    parallel: bool,
) -> tuple[WorkflowRun, WorkflowRun, WorkflowRun | None]:
    jobs = [(legacy_manifest, f"{scenario}/legacy"), (new_manifest, f"{scenario}/new")]
    if calibrate_noise:
        jobs.append((legacy_manifest, f"{scenario}/legacy-repeat"))

    def run(job: tuple[Mapping[str, Any], str]) -> WorkflowRun:
        return executor.run(job[0], label=job[1], secrets=secrets)

    if parallel:
        with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="argo-parity-pair") as pool:
            results = list(pool.map(run, jobs))
    else:
        results = [run(job) for job in jobs]
    return results[0], results[1], results[2] if calibrate_noise else None


def judge(
    legacy: WorkflowRun,
    new: WorkflowRun,
    legacy_repeat: WorkflowRun | None = None,
    *,
    expectation: ExpectationLike | None,
    scenario: str | None = None,
    scrub_rules: Sequence[ScrubRule] | None = None,
    waivers: WaiverMatcher | None = None,
) -> ExecutionOutcome:
    """Compare finished runs and check the expectation (``execute_pair`` without the running)."""
    rules = DEFAULT_SCRUB_RULES if scrub_rules is None else tuple(scrub_rules)
    executor = legacy.executor
    runs = {"legacy": legacy, "new": new, "legacy (repeat)": legacy_repeat}
    errors = [f"{side}: {run.error}" for side, run in runs.items() if run and run.error]
    if errors:
        return ExecutionOutcome(
            executor, ExecutionStatus.ERROR, (), (), legacy, new, legacy_repeat, message="; ".join(errors)
        )
    unsupported = [f"{side}: {item}" for side, run in runs.items() if run for item in run.unsupported]
    if not (legacy.ran and new.ran):
        message = "; ".join(unsupported) or "a side did not run"
        return ExecutionOutcome(
            executor, ExecutionStatus.UNSUPPORTED, (), (), legacy, new, legacy_repeat, message=message
        )
    noise = NoiseModel()
    if legacy_repeat is not None and legacy_repeat.ran:
        noise = calibrate(legacy, legacy_repeat, scrub_rules=rules)
    differences = compare_runs(legacy, new, scrub_rules=rules, noise=noise, waivers=waivers, scenario=scenario)
    problems: list[str] = []
    if expectation is not None:
        problems += check_expectation(legacy, expectation, "legacy")
        problems += check_expectation(new, expectation, "new")
    if unsupported:
        status = ExecutionStatus.UNSUPPORTED
    elif any(d.category is Category.SEMANTIC for d in differences):
        status = ExecutionStatus.DIFFERENT
    else:
        status = ExecutionStatus.EQUIVALENT
    return ExecutionOutcome(
        executor,
        status,
        differences,
        tuple(problems),
        legacy,
        new,
        legacy_repeat,
        noise_paths=tuple(sorted(noise.paths)),
        message="; ".join(unsupported) or None,
    )


# --- comparison -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Observation:
    key: Any  # what is compared, scrubbed
    shown: Any  # JSON-ready, for Difference.left/right
    rule: str


def observe(run: WorkflowRun, *, by_node: bool, scrub_rules: Sequence[ScrubRule]) -> dict[str, _Observation]:
    """The comparable facts of a run, by readable path."""
    facts: dict[str, _Observation] = {
        "execution.phase": _Observation(
            run.phase.value if run.phase else None, run.phase.value if run.phase else None, "execution.phase"
        ),
    }
    facts["execution.exit_code"] = _Observation(run.exit_code, run.exit_code, "execution.exit_code")
    if by_node:
        for node in run.nodes:
            facts.update(_node_facts(node, scrub_rules))
    else:
        facts["execution.stdout"] = _stream(run.stdout, scrub_rules, "execution.stdout")
        facts["execution.stderr"] = _stream(run.stderr, scrub_rules, "execution.stderr")
    for f in run.files:
        path = render([Key("execution"), Key("files"), Key(f.path)])
        text = scrub(f.preview, scrub_rules) if f.complete and f.preview is not None else None
        content = ("text", text) if text is not None else ("sha256", f.sha256)
        shown = {"size": f.size, "sha256": f.sha256, "preview": f.preview, "volume": f.volume}
        facts[path] = _Observation((content, f.volume), shown, "execution.files")
    return facts


def _node_facts(node: NodeRun, rules: Sequence[ScrubRule]) -> dict[str, _Observation]:
    base: list[Segment] = [Key("execution"), Key("nodes"), Item(node.name)]
    facts = {render([*base, Key("phase")]): _Observation(node.phase.value, node.phase.value, "execution.nodes")}
    if node.kind == "Pod":
        facts[render([*base, Key("exit_code")])] = _Observation(node.exit_code, node.exit_code, "execution.nodes")
        facts[render([*base, Key("stdout")])] = _stream(node.stdout, rules, "execution.stdout")
        facts[render([*base, Key("stderr")])] = _stream(node.stderr, rules, "execution.stderr")
    return facts


def _stream(output: Output, rules: Sequence[ScrubRule], rule: str) -> _Observation:
    text = scrub(output.text, rules)
    return _Observation(text, output.text, rule)


def calibrate(
    first: WorkflowRun, second: WorkflowRun, *, scrub_rules: Sequence[ScrubRule] = DEFAULT_SCRUB_RULES
) -> NoiseModel:
    """What varies between two runs of the same manifest, by path (``.paths``: where they differ),
    learnt from the compared (scrubbed) values: a text's varying part, a file present in one run."""
    by_node = _by_node(first, second)
    a = observe(first, by_node=by_node, scrub_rules=scrub_rules)
    b = observe(second, by_node=by_node, scrub_rules=scrub_rules)
    return NoiseModel.between({p: o.key for p, o in a.items()}, {p: o.key for p, o in b.items()})


def compare_runs(
    legacy: WorkflowRun,
    new: WorkflowRun,
    *,
    scrub_rules: Sequence[ScrubRule] = DEFAULT_SCRUB_RULES,
    noise: NoiseModel | None = None,
    noise_paths: Iterable[str] = (),
    waivers: WaiverMatcher | None = None,
    scenario: str | None = None,
) -> tuple[Difference, ...]:
    """``noise``: what varies between two legacy runs (:func:`calibrate`); ``noise_paths``: paths
    named by hand, whose whole value is noise."""
    by_node = _by_node(legacy, new)
    left = observe(legacy, by_node=by_node, scrub_rules=scrub_rules)
    right = observe(new, by_node=by_node, scrub_rules=scrub_rules)
    named = NoiseModel.from_paths(noise_paths)
    model = (noise | named if named else noise) if noise is not None else named
    differences: list[Difference] = []
    for path in _ordered(left.keys() | right.keys()):
        a, b = left.get(path), right.get(path)
        if _key(a) == _key(b):
            continue
        rule = a.rule if a is not None else b.rule if b is not None else "execution"
        difference = Difference(
            path=path,
            category=Category.SEMANTIC,
            rule=rule,
            left=a.shown if a else None,
            right=b.shown if b else None,
            message=_message(path, a, b),
        )
        verdict = model.verdict(path, _key(a), _key(b)) if model else None
        if verdict:
            difference = replace(
                difference,
                category=Category.NOISE,
                message=difference.message + " (it also differs between two runs of the legacy manifest)",
            )
            differences.append(difference)
            continue
        if verdict is False:
            difference = replace(
                difference,
                message=difference.message
                + " (it differs beyond the part that varies between two runs of the legacy manifest)",
            )
        if waivers is not None:
            waiver = waivers.match(difference, scenario)
            if waiver is not None:
                difference = replace(difference, category=Category.WAIVED, waiver=waiver.id)
        differences.append(difference)
    return tuple(differences)


def _by_node(a: WorkflowRun, b: WorkflowRun) -> bool:
    """Workflows of one pod compare as a whole; steps and DAGs node by node."""
    return len(a.nodes) > 1 or len(b.nodes) > 1


def _key(observation: _Observation | None) -> Any:
    """What is compared: the scrubbed value, ``ABSENT`` when the run has no such fact."""
    return ABSENT if observation is None else observation.key


_ORDER = (
    "execution.phase",
    "execution.exit_code",
    "execution.stdout",
    "execution.stderr",
    "execution.nodes",
    "execution.files",
)


def _ordered(paths: Iterable[str]) -> list[str]:
    def rank(path: str) -> tuple[int, str]:
        for index, prefix in enumerate(_ORDER):
            if path.startswith(prefix):
                return index, path
        return len(_ORDER), path

    return sorted(paths, key=rank)


def _message(path: str, a: _Observation | None, b: _Observation | None) -> str:
    if a is None or b is None:
        only = "legacy" if b is None else "new"
        if path.startswith("execution.files"):
            return f"only the {only} workflow leaves this file on its volume"
        return f"only the {only} workflow has this"
    if a.rule in ("execution.phase",) or path.endswith(".phase"):
        return f"ends {a.shown} with the legacy manifest, {b.shown} with the new one"
    if path.endswith("exit_code"):
        return f"exit code {a.shown} with the legacy manifest, {b.shown} with the new one"
    if a.rule in ("execution.stdout", "execution.stderr"):
        stream = "stdout" if a.rule.endswith("stdout") else "stderr"
        return f"{stream} differs{_first_difference(str(a.key), str(b.key))}"
    left, right = a.shown, b.shown
    if left["volume"] != right["volume"]:
        return f"the file lands on {right['volume']} with the new manifest, not on {left['volume']}"
    return (
        f"the file's content differs ({left['size']} bytes with the legacy manifest, {right['size']} with the new one)"
    )


def _first_difference(a: str, b: str) -> str:
    lines_a, lines_b = a.splitlines(), b.splitlines()
    for index in range(max(len(lines_a), len(lines_b))):
        x = lines_a[index] if index < len(lines_a) else None
        y = lines_b[index] if index < len(lines_b) else None
        if x != y:
            return f" from line {index + 1}: {_short(x)} vs {_short(y)}"
    return " (in line endings or trailing whitespace)"


def _short(line: str | None, limit: int = 80) -> str:
    if line is None:
        return "(no line)"
    return repr(line if len(line) <= limit else line[: limit - 3] + "...")


# --- expectations -----------------------------------------------------------------------------------


def check_expectation(run: WorkflowRun, expectation: ExpectationLike, side: str) -> list[str]:
    """Unmet items of ``expect.execution`` for one side's run, each naming the side."""
    if not run.ran:
        return [f"{side}: did not run ({run.message or run.error or 'no reason recorded'})"]
    problems: list[str] = []
    if expectation.exit_code is not None and run.exit_code != expectation.exit_code:
        killed = " (killed at its deadline)" if any(node.timed_out for node in run.nodes) else ""
        problems.append(f"{side}: exit code {run.exit_code}{killed}, expected {expectation.exit_code}")
    for text in expectation.stdout_contains:
        if text not in run.stdout.text:
            cut = f" (stdout was cut: {run.stdout.size} bytes written)" if run.stdout.truncated else ""
            problems.append(f"{side}: stdout does not contain {text!r}{cut}")
    for path, expected in expectation.files.items():
        found = run.file(path)
        if found is None:
            problems.append(f"{side}: {path} was not written")
        elif found.sha256 != hashlib.sha256(expected.encode("utf-8")).hexdigest():
            shown = found.preview if found.preview is not None else f"{found.size} bytes of binary data"
            problems.append(f"{side}: {path} holds {_short(shown, 120)}, expected {expected!r}")
    return problems
