"""How fast the parity property runs, stage by stage (for benchmarks and the fuzzing report).

``measure_throughput(n)`` generates ``n`` inputs with Hypothesis, then times each stage of the
property on them, in one process (so every rate is per core):

- ``generate``: Hypothesis drawing the inputs (strategies plus the engine's own bookkeeping),
- ``legacy_build`` / ``new_build``: each builder on a fresh deep copy of the input,
- ``coerce``: ``coerce_manifest`` on both results (a JSON round trip),
- ``normalize``: ``harness.normalize.canonicalize`` on both manifests,
- ``compare``: ``harness.diff.compare`` on the two canonical forms (classification included),

and separately the whole property (``check_parity``) and the whole fuzz loop (Hypothesis calling
the property), which include everything above. Times are CPU time of this process
(``time.process_time``): per core, and less distorted by a busy machine than wall-clock time.
"""

from __future__ import annotations

import copy
import os
import platform
import time
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from harness.builders import HERA_REF, LEGACY_REF, coerce_manifest, resolve_builder
from harness.diff import compare
from harness.fuzz.inputs import builder_inputs
from harness.fuzz.property import check_parity
from harness.normalize import canonicalize

# CPU time of this process: the rate of one core, less distorted by other load than wall-clock time.
_clock = time.process_time

STAGES = ("generate", "legacy_build", "new_build", "coerce", "normalize", "compare")


def _settings(n: int) -> settings:
    return settings(
        max_examples=n,
        database=None,
        deadline=None,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )


def _run_given(
    strategy: st.SearchStrategy[dict[str, Any]], n: int, seed: int, body: Callable[[dict[str, Any]], None]
) -> float:
    def test(inputs: dict[str, Any]) -> None:
        body(inputs)

    wrapped = hypothesis_seed(seed)(given(inputs=strategy)(_settings(n)(test)))
    clock = _clock()
    wrapped()
    return _clock() - clock


def measure_throughput(
    n: int = 1000,
    *,
    legacy: str = LEGACY_REF,
    new: str = HERA_REF,
    seed: int = 0,
    inputs: st.SearchStrategy[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Examples per second of the parity property on ``legacy`` vs ``new``, with a per-stage split.

    Returns a JSON-ready dict: ``pipeline_examples_per_s`` (build both, coerce, normalise, compare:
    the property without input generation), ``property_examples_per_s`` (``check_parity`` as the
    fuzzer calls it), ``end_to_end_examples_per_s`` (Hypothesis generating inputs and calling the
    property: what ``parity fuzz`` achieves), ``stages_ms`` (mean milliseconds per example) and
    ``stage_share`` (of generate + pipeline).
    """
    strategy = inputs if inputs is not None else builder_inputs()
    left_builder = resolve_builder(legacy, option="--legacy")
    right_builder = resolve_builder(new, option="--new")
    left_builder({"python_code": "pass"})  # first calls import and cache: not what we measure
    right_builder({"python_code": "pass"})

    collected: list[dict[str, Any]] = []
    generate_s = _run_given(strategy, n, seed, lambda example: collected.append(copy.deepcopy(example)))
    count = len(collected) or 1

    totals = dict.fromkeys(STAGES[1:], 0.0)
    rejected = 0
    for example in collected:
        manifests = []
        for stage, builder in (("legacy_build", left_builder), ("new_build", right_builder)):
            clock = _clock()
            try:
                raw = builder(copy.deepcopy(example))
            except ValueError:
                raw = None
            totals[stage] += _clock() - clock
            manifests.append(raw)
        if manifests[0] is None or manifests[1] is None:
            rejected += 1
            continue
        clock = _clock()
        left, right = coerce_manifest(manifests[0]), coerce_manifest(manifests[1])
        totals["coerce"] += _clock() - clock
        clock = _clock()
        canonical_left, canonical_right = canonicalize(left), canonicalize(right)
        totals["normalize"] += _clock() - clock
        clock = _clock()
        compare(canonical_left, canonical_right)
        totals["compare"] += _clock() - clock

    # Fresh inputs for each measurement (other seeds): the normaliser's caches, warmed by the
    # stage timings, must not flatter the whole-property numbers.
    fresh: list[dict[str, Any]] = []
    _run_given(strategy, n, seed + 1, lambda example: fresh.append(copy.deepcopy(example)))
    clock = _clock()
    for example in fresh:
        check_parity(left_builder, right_builder, example)
    property_s = _clock() - clock
    property_count = len(fresh) or 1

    calls = [0]

    def fuzz_body(example: dict[str, Any]) -> None:
        calls[0] += 1
        check_parity(left_builder, right_builder, example)

    end_to_end_s = _run_given(strategy, n, seed + 2, fuzz_body)

    pipeline_s = sum(totals.values())
    stages_s = {"generate": generate_s, **totals}
    whole = sum(stages_s.values()) or 1.0
    return {
        "examples": len(collected),
        "both_rejected": rejected,
        "seed": seed,
        "legacy": legacy,
        "new": new,
        "pipeline_examples_per_s": round(count / pipeline_s, 1) if pipeline_s else None,
        "property_examples_per_s": round(property_count / property_s, 1) if property_s else None,
        "end_to_end_examples_per_s": round(calls[0] / end_to_end_s, 1) if end_to_end_s else None,
        "stages_ms": {stage: round(seconds / count * 1000, 3) for stage, seconds in stages_s.items()},
        "stage_share": {stage: round(seconds / whole, 3) for stage, seconds in stages_s.items()},
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
    }


# `python -c "from harness.fuzz.throughput import throughput_main; throughput_main()" [N]`
def throughput_main() -> None:  # pragma: no cover
    import json
    import sys

    print(json.dumps(measure_throughput(int(sys.argv[1]) if len(sys.argv) > 1 else 1000), indent=2))


if __name__ == "__main__":  # pragma: no cover
    throughput_main()
