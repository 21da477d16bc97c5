"""`make bench`: argo-parity's costs, each measured against a baseline taken in the same run.

Every figure is the median of several repetitions with min and max. Ratios, not absolute
times, are what the targets speak about: absolute times move with the machine, ratios of two
things measured side by side much less.

    python benchmarks/run.py [--quick] [--only NAME ...]

Writes benchmarks/results.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.builders import coerce_manifest, hera, legacy  # noqa: E402
from harness.diff import compare  # noqa: E402
from harness.engine import ParitySession, RunConfig  # noqa: E402
from harness.scenarios import Scenario, load_scenarios  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results.json"


@dataclass
class Figure:
    name: str
    unit: str
    value: float
    minimum: float
    maximum: float
    repetitions: int
    target: str = ""
    met: bool | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, name: str, unit: str, samples: list[float], **details: Any) -> Figure:
        """Median, min and max of ``samples``; a ``check`` callable decides ``met`` on the median."""
        check = details.pop("check", None)
        median = statistics.median(samples)
        return cls(name, unit, median, min(samples), max(samples), len(samples),
                   met=check(median) if check else None, **details)  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "unit": self.unit,
            "min": self.minimum,
            "max": self.maximum,
            "repetitions": self.repetitions,
            "target": self.target,
            "met": self.met,
            "note": self.note,
            **self.extra,
        }


def timed(fn: Callable[[], object], repetitions: int) -> list[float]:
    samples = []
    for _ in range(repetitions):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def ratio_samples(numerator: list[float], denominator: list[float]) -> list[float]:
    """Pairwise ratios of samples taken alternately, so drift in machine load cancels."""
    return [a / b for a, b in zip(numerator, denominator, strict=True)]


def alternate(
    first: Callable[[], object], second: Callable[[], object], repetitions: int
) -> tuple[list[float], list[float]]:
    # One untimed round first: lazy imports and cold caches (the first compare imports the rule
    # tables) belong to start-up, which `diff_startup` measures, not to throughput.
    first()
    second()
    a, b = [], []
    for _ in range(repetitions):
        a += timed(first, 1)
        b += timed(second, 1)
    return a, b


# --- manifest parity -------------------------------------------------------------------------


def builtin_scenarios() -> list[Scenario]:
    return load_scenarios(ROOT / "scenarios")


def parity_throughput(scenarios: list[Scenario], repetitions: int, label: str) -> list[Figure]:
    session = ParitySession(RunConfig())

    def harness() -> None:
        for _ in session.outcomes(scenarios):
            pass

    def builders_alone() -> None:
        for scenario in scenarios:
            inputs = scenario.inputs.for_builder()
            for build in (legacy.build, hera.build):
                with contextlib.suppress(ValueError):
                    build(inputs)

    harness_s, builders_s = alternate(harness, builders_alone, repetitions)
    session.close()
    return [
        Figure.of(f"parity_pairs_per_s_{label}", "pairs/s", [len(scenarios) / s for s in harness_s],
                  note=f"{len(scenarios)} scenarios: build both, canonicalise, compare"),
        Figure.of(f"harness_over_builders_{label}", "ratio", ratio_samples(harness_s, builders_s),
                  target="<= 1.5", check=lambda r: r <= 1.5,
                  note="harness time / time of the two builders alone on the same inputs"),
    ]  # fmt: skip


def naive_baseline(scenarios: list[Scenario], repetitions: int) -> list[Figure]:
    """Ours: C YAML loader + Argo-aware compare. Naive: yaml.safe_load + DeepDiff on raw dicts."""
    from deepdiff import DeepDiff

    equal_pairs, differing_pairs = [], []
    for scenario in scenarios:
        inputs = scenario.inputs.for_builder()
        left, right = legacy.build(inputs), hera.build(inputs)
        changed = coerce_manifest(right)
        template = changed["spec"]["templates"][0]
        body = template.get("script") or template["container"]
        body["image"] = "python:3.12-slim"
        body.setdefault("env", []).append({"name": "EXTRA", "value": "1"})
        equal_pairs.append((yaml.safe_dump(left), yaml.safe_dump(right)))
        differing_pairs.append((yaml.safe_dump(left), yaml.safe_dump(changed)))

    def ours(pairs: list[tuple[str, str]]) -> Callable[[], None]:
        def run() -> None:
            for a, b in pairs:
                compare(yaml.load(a, Loader=yaml.CSafeLoader), yaml.load(b, Loader=yaml.CSafeLoader))

        return run

    def naive(pairs: list[tuple[str, str]]) -> Callable[[], None]:
        def run() -> None:
            for a, b in pairs:
                DeepDiff(yaml.safe_load(a), yaml.safe_load(b))

        return run

    figures = []
    for label, pairs, target in (("equal", equal_pairs, 3.0), ("differing", differing_pairs, 1.0)):
        ours_s, naive_s = alternate(ours(pairs), naive(pairs), repetitions)
        figures.append(
            Figure.of(f"speedup_vs_naive_{label}", "x", ratio_samples(naive_s, ours_s),
                      target=f">= {target:g}", check=lambda r, t=target: r >= t,
                      note=f"(yaml.safe_load + DeepDiff) / (CSafeLoader + compare) on {len(pairs)} {label} pairs")
        )  # fmt: skip
    return figures


# --- processes ---------------------------------------------------------------------------------


def run_process(argv: list[str], cwd: Path = ROOT) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def diff_startup(repetitions: int) -> list[Figure]:
    scenario = builtin_scenarios()[0]
    with tempfile.TemporaryDirectory() as folder:
        a, b = Path(folder) / "a.yaml", Path(folder) / "b.yaml"
        a.write_text(yaml.safe_dump(legacy.build(scenario.inputs.for_builder())))
        b.write_text(yaml.safe_dump(hera.build(scenario.inputs.for_builder())))
        parity = [sys.executable, "-c", "from harness.cli import main; main()", "diff", str(a), str(b)]
        bare = [sys.executable, "-c", "pass"]
        diff_s, bare_s = [], []
        for _ in range(repetitions):
            diff_s.append(run_process(parity))
            bare_s.append(run_process(bare))
    return [
        Figure.of("parity_diff_process_s", "s", diff_s,
                  note="whole `parity diff a.yaml b.yaml` process, two equivalent manifests"),
        Figure.of("parity_diff_over_python_startup", "ratio", ratio_samples(diff_s, bare_s),
                  note="`parity diff` process / `python -c pass`"),
    ]  # fmt: skip


def noise_template(repetitions: int) -> list[Figure]:
    """Noise templates on large texts (tests/test_diff_noise.py checks that matching steps over
    each part once; these are the times that buys)."""
    from harness.diff import template_between

    body = "".join(f"echo step {i} of the job && touch /mnt/results/{i}.done\n" for i in range(2000))
    script = template_between(f"echo run-17\n{body}", f"echo run-98213\n{body}")
    left = "".join(f"k{i}=a.b.c{i}.x\n" for i in range(3000))
    lines = template_between(left, "".join(f"k{i}=d.e.{i}f.x\n" for i in range(3000)))
    return [
        Figure.of("noise_template_100kb_s", "s",
                  timed(lambda: template_between(f"echo run-17\n{body}", f"echo run-98213\n{body}"), repetitions),
                  target="< 1", check=lambda v: v < 1.0, note="template of two 100 KB scripts differing in a line"),
        Figure.of("noise_fits_100kb_s", "s",
                  timed(lambda: script.fits(f"echo run-5\n{body}rm -rf /mnt/results/*\n"), repetitions),
                  target="< 0.1", check=lambda v: v < 0.1, note="a 100 KB script against that template"),
        Figure.of("noise_fits_6000_wildcards_s", "s", timed(lambda: lines.fits(left[:-2] + "y\n"), repetitions),
                  target="< 1", check=lambda v: v < 1.0,
                  note="3,000 varying lines whose wildcards could each swallow the next literal"),
    ]  # fmt: skip


def _layered_dag(layers: int, width: int, *, form: str) -> dict[str, Any]:
    """A Workflow whose DAG has ``layers`` x ``width`` tasks, each waiting for every task of the
    layer above and (redundantly) for one two layers up: ``form`` "dependencies" writes lists,
    "depends" the reversed ``a && b`` expressions Hera's ``>>`` writes, "none" no ordering."""
    tasks: list[dict[str, Any]] = []
    for layer in range(layers):
        for column in range(width):
            before = [f"t{layer - 1}-{c}" for c in range(width)] if layer else []
            if layer >= 2:
                before.append(f"t{layer - 2}-{column}")
            task: dict[str, Any] = {"name": f"t{layer}-{column}", "template": "work"}
            if before and form == "dependencies":
                task["dependencies"] = before
            elif before and form == "depends":
                task["depends"] = " && ".join(reversed(before))
            tasks.append(task)
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "dag-"},
        "spec": {"entrypoint": "main", "templates": [
            {"name": "main", "dag": {"tasks": tasks}},
            {"name": "work", "container": {"image": "busybox:1.36", "command": ["true"]}},
        ]},
    }  # fmt: skip


def dag_compare(repetitions: int) -> list[Figure]:
    """Comparing two DAGs by meaning (partial order, conditions by boolean equivalence) against
    comparing the same tasks with no ordering at all, timed alternately in the same run."""
    figures = []
    for layers, width in ((7, 1), (10, 6)):
        legacy_dag = _layered_dag(layers, width, form="dependencies")
        hera_dag = _layered_dag(layers, width, form="depends")
        assert compare(legacy_dag, hera_dag).equivalent, "the two forms must be equivalent"
        plain = _layered_dag(layers, width, form="none")
        ours, baseline = [], []
        for _ in range(repetitions):
            ours += timed(lambda: compare(legacy_dag, hera_dag), 1)  # noqa: B023
            baseline += timed(lambda: compare(plain, plain), 1)  # noqa: B023
        tasks = layers * width
        figures.append(
            Figure.of(f"dag_compare_{tasks}_tasks_ratio", "x", ratio_samples(ours, baseline), target="< 20",
                      check=lambda v: v < 20,
                      note=f"{tasks} tasks, `dependencies` against reversed `depends` with redundant edges, "
                           "vs the same tasks unordered")
        )  # fmt: skip
    return figures


def run_jobs(repetitions: int, copies: int) -> list[Figure]:
    """`parity run -n 1` vs `-n 2` on a scenario set large enough for two processes to pay off."""
    with tempfile.TemporaryDirectory() as folder:
        scenarios = Path(folder) / "scenarios"
        scenarios.mkdir()
        for copy in range(copies):
            for path in (ROOT / "scenarios").glob("*.yaml"):
                if path.name == "waivers.yaml":
                    continue
                text = path.read_text().replace("- name: ", f"- name: c{copy}-")
                (scenarios / f"{copy}-{path.name}").write_text(text)
        count = len(load_scenarios(scenarios))

        def command(jobs: int) -> list[str]:
            report_dir = str(Path(folder) / f"r{jobs}")
            return [sys.executable, "-c", "from harness.cli import main; main()", "run", "--no-progress",
                    "--scenarios", str(scenarios), "--report-dir", report_dir, "-n", str(jobs)]  # fmt: skip

        one, two = [], []
        for _ in range(repetitions):
            one.append(run_process(command(1)))
            two.append(run_process(command(2)))
    return [
        Figure.of("parity_run_n1_s", "s", one, note=f"{count} scenarios"),
        Figure.of("parity_run_n2_s", "s", two, note=f"{count} scenarios"),
        Figure.of("parity_run_speedup_n2", "x", ratio_samples(one, two),
                  note=f"-n 1 time / -n 2 time on {os.cpu_count()} cores, {count} scenarios"),
    ]  # fmt: skip


# --- fuzzing ------------------------------------------------------------------------------------


def generated_scenarios(count: int, seed: int = 0) -> list[Scenario]:
    """``count`` inputs from the fuzzer's strategy (valid and invalid alike), as scenarios."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hypothesis_seed

    from harness.fuzz import builder_inputs

    collected: list[dict[str, Any]] = []

    @hypothesis_seed(seed)
    @settings(max_examples=count, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(builder_inputs())
    def collect(inputs: dict[str, Any]) -> None:
        collected.append(inputs)

    collect()
    scenarios = []
    for index, inputs in enumerate(collected[:count]):
        data = {"name": f"generated-{index}", "kind": "plain", "inputs": inputs}
        scenarios.append(Scenario.model_validate(data))
    return scenarios


def fuzz_rate(repetitions: int) -> list[Figure]:
    from harness.fuzz import measure_throughput

    samples = [measure_throughput(1000, seed=seed) for seed in range(repetitions)]
    return [
        Figure.of("fuzz_examples_per_s", "examples/s", [s["end_to_end_examples_per_s"] for s in samples],
                  note="Hypothesis generating inputs + both builders + normalise + compare, one core"),
        Figure.of("fuzz_pipeline_examples_per_s", "examples/s", [s["pipeline_examples_per_s"] for s in samples],
                  target=">= 300", check=lambda v: v >= 300,
                  note="building both, normalising, comparing (issue 5's target), one core"),
    ]  # fmt: skip


# The child reports its own high-water mark: ru_maxrss from wait4 would include the memory of the
# benchmark process it was forked from (Linux keeps the pre-exec peak), and so read about 300 MiB
# whatever the fuzzer used.
_PEAK_RSS_PROBE = """
import re, sys
from harness.cli import main
try:
    main()
finally:
    status = open("/proc/self/status").read()
    print("PEAK_RSS_KB=" + re.search(r"VmHWM:\\s+(\\d+)", status).group(1), file=sys.stderr)
"""


def fuzz_memory() -> list[Figure]:
    """Peak RSS of whole `parity fuzz` processes: flat means no growth with the example count."""
    # Both sizes at once, one per core: each process's own peak is unaffected, and the benchmark
    # stays within its 5 minutes.
    processes = {
        examples: subprocess.Popen(
            [sys.executable, "-c", _PEAK_RSS_PROBE, "fuzz", "--examples", str(examples), "--seed", "1",
             "--no-database"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        for examples in (5000, 10_000)
    }  # fmt: skip
    peaks = {}
    for examples, process in processes.items():
        _, stderr = process.communicate()
        found = re.search(r"PEAK_RSS_KB=(\d+)", stderr)
        if found is None:
            raise RuntimeError(f"the fuzz process reported no peak RSS: {stderr[-500:]}")
        peaks[examples] = int(found.group(1)) / 1024  # KiB -> MiB
    growth = peaks[10_000] / peaks[5000]
    return [
        Figure("fuzz_peak_rss_mb_10000", "MiB", peaks[10_000], peaks[10_000], peaks[10_000], 1,
               target="< 300", met=peaks[10_000] < 300, note="peak RSS of `parity fuzz --examples 10000`"),
        Figure("fuzz_rss_growth_5000_to_10000", "ratio", growth, growth, growth, 1, target="~1 (flat)",
               met=growth < 1.15, note=f"peak RSS at 10,000 / at 5,000 examples ({peaks[5000]:.0f} MiB)"),
    ]  # fmt: skip


# --- execution -------------------------------------------------------------------------------


def executor_overhead(repetitions: int) -> list[Figure]:
    """The local executor's own cost: each repetition is benchmarks/local_executor.py's median
    of 10 runs (sandboxed minus direct, after a warm-up)."""
    from benchmarks.local_executor import TARGET_ENVIRONMENT_MS, TARGET_OVERHEAD_MS, measure

    try:
        samples = [measure(repeats=10) for _ in range(repetitions)]
    except RuntimeError as exc:
        return [Figure("local_executor", "ms", float("nan"), float("nan"), float("nan"), 0, note=f"not run: {exc}")]

    def series(key: str) -> list[float]:
        return [float(sample[key]) for sample in samples]

    return [
        Figure.of("sandbox_overhead_bash_ms", "ms", series("bash_true_overhead_ms"),
                  target=f"<= {TARGET_OVERHEAD_MS:g}", check=lambda v: v <= TARGET_OVERHEAD_MS,
                  note="bwrap sandbox + supervision around `bash -c true`, minus the direct run"),
        Figure.of("sandbox_overhead_python_ms", "ms", series("python_pass_overhead_ms"),
                  target=f"<= {TARGET_OVERHEAD_MS:g}", check=lambda v: v <= TARGET_OVERHEAD_MS,
                  note="same around `python -c pass` (includes the pids cgroup's cost on fork)"),
        Figure.of("environment_creation_ms", "ms", series("environment_creation_ms"),
                  target=f"<= {TARGET_ENVIRONMENT_MS:g}", check=lambda v: v <= TARGET_ENVIRONMENT_MS,
                  note="fresh per-run virtual environment (`uv venv` + pip shim)"),
        Figure.of("whole_pod_run_ms", "ms", series("whole_pod_run_ms"),
                  note="LocalExecutor.run of a one-pod `echo` workflow, end to end"),
    ]  # fmt: skip


def run_jobs_executed(repetitions: int) -> list[Figure]:
    """`-n 1` vs `-n 2` where each scenario is heavy: executed in the sandbox, both sides."""
    from harness.execute import get_executor

    reason = get_executor("local").unavailable_reason()
    if reason:
        return [Figure("parity_run_executed_speedup_n2", "x", float("nan"), float("nan"), float("nan"), 0,
                       note=f"not run: {reason}")]  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:

        def command(jobs: int) -> list[str]:
            return [sys.executable, "-c", "from harness.cli import main; main()", "run", "--no-progress",
                    "--scenarios", str(ROOT / "scenarios" / "dependencies.yaml"), "--execute", "local",
                    "--report-dir", str(Path(folder) / f"r{jobs}"), "-n", str(jobs)]  # fmt: skip

        one, two = [], []
        for _ in range(repetitions):
            one.append(run_process(command(1)))
            two.append(run_process(command(2)))
    return [
        Figure.of("parity_run_executed_n1_s", "s", one, note="dependencies.yaml with --execute local"),
        Figure.of("parity_run_executed_n2_s", "s", two, note="dependencies.yaml with --execute local"),
        Figure.of("parity_run_executed_speedup_n2", "x", ratio_samples(one, two),
                  note=f"-n 1 time / -n 2 time with execution, {os.cpu_count()} cores"),
    ]  # fmt: skip


# --- driver ------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "cpus": os.cpu_count(),
        "cpu_model": model,
    }


BENCHMARKS: dict[str, Callable[[int], list[Figure]]] = {
    # 8 rounds of the built-in scenarios per timing: one round (28 pairs) takes ~40 ms, too short
    # to time against the builders alone without the pipeline's start dominating.
    "parity_builtin": lambda r: parity_throughput(builtin_scenarios() * 8, r, "builtin"),
    "parity_generated": lambda r: parity_throughput(generated_scenarios(1000), max(3, r // 2), "generated_1000"),
    "naive_baseline": lambda r: naive_baseline(builtin_scenarios(), r),
    "diff_startup": lambda r: diff_startup(max(5, r)),
    "noise_template": lambda r: noise_template(max(3, r // 2)),
    "dag_compare": lambda r: dag_compare(max(5, r)),
    "run_jobs": lambda r: run_jobs(max(3, r // 2), copies=32),
    "run_jobs_executed": lambda r: run_jobs_executed(2),
    "executor": lambda r: executor_overhead(max(3, r // 2)),
    "fuzz_rate": lambda r: fuzz_rate(3),
    "fuzz_memory": lambda r: fuzz_memory(),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS), help="run only these")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    repetitions = 3 if args.quick else 7
    figures: list[Figure] = []
    took: dict[str, float] = {}  # seconds per benchmark, to keep `make bench` within 5 minutes
    started = time.perf_counter()
    for name, bench in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        clock = time.perf_counter()
        figures.extend(bench(repetitions))
        took[name] = round(time.perf_counter() - clock, 1)
    results = {
        "machine": machine(),
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "total_s": round(time.perf_counter() - started, 1),
        "benchmark_s": took,
        "figures": {figure.name: figure.to_dict() for figure in figures},
    }
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"Machine: {m['cpu_model'] or 'unknown CPU'}, {m['cpus']} cores, Python {m['python']}, {m['platform']}",
        "",
        "| figure | median | min | max | unit | target | met | note |",
        "|---|---:|---:|---:|---|---|---|---|",
    ]
    for name, f in results["figures"].items():
        met = "" if f["met"] is None else ("yes" if f["met"] else "**no**")
        numbers = f"{f['value']:.4g} | {f['min']:.4g} | {f['max']:.4g}"
        lines.append(f"| {name} | {numbers} | {f['unit']} | {f['target']} | {met} | {f['note']} |")
    spent = ", ".join(f"{name} {seconds:g} s" for name, seconds in results.get("benchmark_s", {}).items())
    lines += ["", f"Took {results['total_s']:g} s ({spent})."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
