"""The USE_HERA_SDK router: env parsing, deterministic canary buckets, fallback accounting."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from harness.builders import flag, hera, legacy
from harness.builders.flag import FlagConfigError, FlagRouter, bucket, parse_flag, parse_percent
from harness.errors import BuilderInputError

INPUTS = {"python_code": "print(1)"}
ROOT = Path(__file__).resolve().parents[1]


def legacy_stub(inputs: Mapping[str, Any]) -> dict[str, Any]:
    return {"built_by": "legacy"}


def new_stub(inputs: Mapping[str, Any]) -> dict[str, Any]:
    return {"built_by": "new"}


def broken_new(inputs: Mapping[str, Any]) -> dict[str, Any]:
    raise KeyError("spec")


def router(percent: int = 100, *, enabled: bool = True, new: Any = new_stub, old: Any = legacy_stub) -> FlagRouter:
    return FlagRouter(old, new, enabled=enabled, canary_percent=percent, environ={})


# --- configuration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("TRUE", True), (" Yes ", True), ("1", True), ("false", False), ("No", False),
     ("0", False), ("", False), (None, False)],
)  # fmt: skip
def test_flag_values(raw: str | None, expected: bool) -> None:
    assert parse_flag(raw) is expected


@pytest.mark.parametrize("raw", ["on", "2", "treu", "enabled"])
def test_invalid_flag_is_a_clear_error(raw: str) -> None:
    with pytest.raises(FlagConfigError, match=f"USE_HERA_SDK={raw!r} is not a boolean; use one of"):
        parse_flag(raw)


@pytest.mark.parametrize(("raw", "expected"), [(None, 100), ("", 100), ("0", 0), (" 25 ", 25), ("100", 100), (7, 7)])
def test_percent_values(raw: str | int | None, expected: int) -> None:
    assert parse_percent(raw) == expected


@pytest.mark.parametrize("raw", ["-1", "101", "12.5", "ten", True])
def test_invalid_percent_is_a_clear_error(raw: str | bool) -> None:
    with pytest.raises(FlagConfigError, match="HERA_SDK_CANARY_PERCENT"):
        parse_percent(raw)


def test_router_reads_the_environment_when_not_given() -> None:
    configured = FlagRouter(environ={"USE_HERA_SDK": "yes", "HERA_SDK_CANARY_PERCENT": "30"})
    assert (configured.enabled, configured.canary_percent) == (True, 30)
    assert (configured.legacy, configured.new) == (legacy.build, hera.build)


def test_arguments_win_over_the_environment() -> None:
    configured = FlagRouter(enabled=False, canary_percent=5, environ={"USE_HERA_SDK": "1"})
    assert (configured.enabled, configured.canary_percent) == (False, 5)


# --- routing -------------------------------------------------------------------------------------


def test_bucket_is_stable_across_processes() -> None:
    keys = [f"job-{i}" for i in range(50)]
    script = (
        "import sys; from harness.builders.flag import bucket; print(','.join(str(bucket(k)) for k in sys.argv[1:]))"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, *keys],
            env={"PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for seed in ("1", "2")
    ]
    runs = {process.communicate(timeout=60)[0].strip() for process in processes}
    assert [process.returncode for process in processes] == [0, 0]
    assert runs == {",".join(str(bucket(k)) for k in keys)}
    assert all(0 <= bucket(k) < 100 for k in keys)


@pytest.mark.parametrize("percent", [0, 1, 10, 25, 50, 90, 100])
def test_canary_sends_roughly_the_percentage_to_new(percent: int) -> None:
    configured = router(percent)
    routed_new = sum(configured.route(f"request-{i}") == "new" for i in range(10_000))
    assert abs(routed_new - percent * 100) <= 200  # within 2 points of 10,000 keys


def test_raising_the_percentage_only_moves_keys_to_new() -> None:
    keys = [f"request-{i}" for i in range(2_000)]
    at_10 = {k for k in keys if router(10).route(k) == "new"}
    at_50 = {k for k in keys if router(50).route(k) == "new"}
    assert at_10 < at_50


def test_same_key_same_path_every_time() -> None:
    configured = router(50)
    paths = {key: configured.route(key) for key in (f"k{i}" for i in range(100))}
    for _ in range(3):
        assert {key: configured.route(key) for key in paths} == paths


def test_flag_off_always_routes_legacy_whatever_the_percentage() -> None:
    configured = router(100, enabled=False)
    assert {configured.build(INPUTS, request_key=f"k{i}")["built_by"] for i in range(200)} == {"legacy"}
    assert configured.stats.routed_legacy == 200


def test_without_a_request_key_the_inputs_decide() -> None:
    configured = router(50)
    first = [configured.build({"python_code": f"print({i})"})["built_by"] for i in range(100)]
    again = [configured.build({"python_code": f"print({i})"})["built_by"] for i in range(100)]
    assert first == again
    assert set(first) == {"new", "legacy"}


# --- fallback ------------------------------------------------------------------------------------


def test_a_failing_new_builder_falls_back_and_is_counted_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    configured = router(100, new=broken_new)
    with caplog.at_level(logging.WARNING, logger="harness.builders.flag"):
        results = [configured.build(INPUTS, request_key=f"k{i}") for i in range(4)]

    assert results == [{"built_by": "legacy"}] * 4
    stats = configured.stats
    assert (stats.requests, stats.routed_new, stats.routed_legacy, stats.fallbacks) == (4, 4, 0, 4)
    assert stats.fallback_rate == 1.0
    assert stats.fallback_reasons == {"KeyError: 'spec'": 4}
    [record, *_] = caplog.records
    assert record.name == "harness.builders.flag"
    assert record.levelno == logging.WARNING
    assert "KeyError: 'spec'" in record.getMessage()


def test_new_builder_refusing_what_legacy_accepts_is_a_fallback() -> None:
    def too_strict(inputs: Mapping[str, Any]) -> dict[str, Any]:
        raise BuilderInputError("python_code is empty")

    configured = router(100, new=too_strict)
    assert configured.build(INPUTS, request_key="k") == {"built_by": "legacy"}
    assert configured.stats.fallback_reasons == {"BuilderInputError: python_code is empty": 1}


def test_input_both_builders_refuse_raises_the_legacy_error_and_is_no_fallback() -> None:
    configured = FlagRouter(enabled=True, canary_percent=100, environ={})
    with pytest.raises(BuilderInputError, match="python_code is empty") as info:
        configured.build({"python_code": ""}, request_key="k")
    assert any("the new builder refused it too" in note for note in info.value.__notes__)
    stats = configured.stats
    assert (stats.fallbacks, stats.rejected, stats.fallback_rate) == (0, 1, 0.0)


def test_legacy_gets_clean_inputs_after_the_new_builder_mutated_them() -> None:
    seen: list[dict[str, Any]] = []

    def mutating_new(inputs: Mapping[str, Any]) -> dict[str, Any]:
        inputs["env"]["INJECTED"] = "x"  # type: ignore[index]
        raise RuntimeError("boom")

    def recording_legacy(inputs: Mapping[str, Any]) -> dict[str, Any]:
        seen.append(dict(inputs))
        return {}

    original = {"python_code": "x", "env": {"A": "1"}}
    router(100, new=mutating_new, old=recording_legacy).build(original, request_key="k")
    assert seen == [{"python_code": "x", "env": {"A": "1"}}]
    assert original == {"python_code": "x", "env": {"A": "1"}}


def test_counters_are_exact_under_concurrency() -> None:
    configured = router(50, new=broken_new)
    threads = [
        threading.Thread(target=lambda t=t: [configured.build(INPUTS, request_key=f"{t}-{i}") for i in range(500)])
        for t in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = configured.stats
    assert stats.requests == 4_000
    assert stats.routed_new + stats.routed_legacy == 4_000
    assert stats.fallbacks == stats.routed_new
    assert stats.to_dict() == {
        "requests": 4_000,
        "routed_new": stats.routed_new,
        "routed_legacy": stats.routed_legacy,
        "fallbacks": stats.routed_new,
        "rejected": 0,
        "fallback_rate": 1.0,
        "fallback_reasons": {"KeyError: 'spec'": stats.routed_new},
    }


def test_fallback_reasons_are_bounded() -> None:
    counter = iter(range(1_000))

    def always_new_reason(inputs: Mapping[str, Any]) -> dict[str, Any]:
        raise RuntimeError(f"reason {next(counter)}")

    configured = router(100, new=always_new_reason)
    for i in range(200):
        configured.build(INPUTS, request_key=str(i))
    reasons = configured.stats.fallback_reasons
    assert len(reasons) <= 51
    assert sum(reasons.values()) == 200


# --- the module-level builder -------------------------------------------------------------------


def test_module_build_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USE_HERA_SDK", "true")
    monkeypatch.setenv("HERA_SDK_CANARY_PERCENT", "100")
    assert flag.build(INPUTS) == hera.build(INPUTS)
    assert flag.default_router().stats.routed_new == 1

    monkeypatch.setenv("USE_HERA_SDK", "false")
    assert flag.build(INPUTS) == legacy.build(INPUTS)
    assert flag.default_router().stats.to_dict()["routed_legacy"] == 1


def test_module_build_rejects_an_invalid_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USE_HERA_SDK", "maybe")
    with pytest.raises(FlagConfigError, match="USE_HERA_SDK='maybe'"):
        flag.build(INPUTS)
