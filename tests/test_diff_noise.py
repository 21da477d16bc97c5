"""Noise hides only the varying part of a value, never a change elsewhere in it (docs/differ.md).

The builders below are referenced as ``tests.test_diff_noise:NAME`` by the end-to-end tests: a
legacy builder that writes a random ``echo run-N`` line at the top of its script, and new builders
that do the same, one of them also cleaning the results volume.
"""

from __future__ import annotations

import copy
import random
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.builders import hera, legacy
from harness.diff import Category, NoiseModel, calibrate_noise, compare, template_between
from harness.diff import noise as noise_module
from harness.diff.comparison import BEYOND_NOISE_NOTE
from harness.engine import ParitySession, RunConfig
from harness.execute.parity import ExecutionStatus, judge
from harness.execute.result import FileResult, NodeRun, Output, WorkflowRun
from harness.execute.result import RunPhase as Phase
from harness.phases import Verdict
from harness.scenarios import load_scenarios

ROOT = Path(__file__).resolve().parent.parent
JOB = yaml.safe_load((Path(__file__).parent / "fixtures" / "diff" / "job.yaml").read_text())
SOURCE = "spec.templates[main].script.source"
INPUTS: dict[str, Any] = {"python_code": "print('hello')"}


# --- builders (also used through module:attr references) ---------------------------------------------


def _script(manifest: dict[str, Any]) -> dict[str, Any]:
    script: dict[str, Any] = manifest["spec"]["templates"][0]["script"]
    return script


def _stamp(manifest: dict[str, Any]) -> dict[str, Any]:
    script = _script(manifest)
    script["source"] = f"echo run-{random.randint(1, 10**9)}\n" + script["source"]
    return manifest


def legacy_with_run_number(inputs: dict[str, Any]) -> dict[str, Any]:
    """The legacy builder, stamping each build's script with a random run number."""
    return _stamp(legacy.build(inputs))


def new_with_run_number(inputs: dict[str, Any]) -> dict[str, Any]:
    return _stamp(hera.build(inputs))


def new_with_run_number_and_cleanup(inputs: dict[str, Any]) -> dict[str, Any]:
    """Also empties the results volume: a change in the same script as the random line."""
    manifest = _stamp(hera.build(inputs))
    _script(manifest)["source"] += "rm -rf /mnt/results/*\n"
    return manifest


def _job(**script: Any) -> dict[str, Any]:
    doc: dict[str, Any] = copy.deepcopy(JOB)
    doc["spec"]["templates"][0]["script"].update(script)
    return doc


def _with_source(source: str) -> dict[str, Any]:
    return _job(source=source)


def _categories(comparison: Any) -> dict[str, Category]:
    return {d.path: d.category for d in comparison.differences}


# --- the defect: a random line and an added command in one script -------------------------------------


def test_a_command_added_to_a_script_with_a_random_line_is_not_noise() -> None:
    first, second = legacy_with_run_number(INPUTS), legacy_with_run_number(INPUTS)
    noise = calibrate_noise(first, second)
    assert noise.paths == {SOURCE}

    comparison = compare(first, new_with_run_number_and_cleanup(INPUTS), noise=noise)
    (difference,) = comparison.differences
    assert (difference.path, difference.category) == (SOURCE, Category.SEMANTIC)
    assert not comparison.equivalent
    assert BEYOND_NOISE_NOTE in difference.message
    assert "rm -rf /mnt/results/*" in difference.message  # the change beyond, not the random line

    # The same builder without the cleanup: only the random number differs, and that is noise.
    (difference,) = compare(first, new_with_run_number(INPUTS), noise=noise).differences
    assert (difference.path, difference.category) == (SOURCE, Category.NOISE)


def test_noise_learnt_before_models_passed_as_noise_paths_is_used_as_a_model() -> None:
    # `parity run` called compare(noise_paths=calibrate_noise(...)) before calibrate_noise
    # returned a model: the call still works, and no longer hides the added command.
    first, second = legacy_with_run_number(INPUTS), legacy_with_run_number(INPUTS)
    noise = calibrate_noise(first, second)
    comparison = compare(first, new_with_run_number_and_cleanup(INPUTS), noise_paths=noise)
    assert _categories(comparison) == {SOURCE: Category.SEMANTIC}
    # Paths named by hand still cover everything at and below them.
    named = compare(first, new_with_run_number_and_cleanup(INPUTS), noise_paths={"spec.templates[main].script"})
    assert _categories(named) == {SOURCE: Category.NOISE}


def test_a_script_written_in_another_form_with_only_the_random_value_changed_is_noise() -> None:
    base = 'set -euo pipefail\npip install six\npython -c "$PYTHON_CODE"\n'
    noise = calibrate_noise(_with_source("echo run-17\n" + base), _with_source("echo run-4242\n" + base))
    # New form (indentation, a comment, `;` for a newline), same commands, another run number.
    reformatted = 'echo run-99\n  set -euo pipefail   # strict\npip install six; python -c "$PYTHON_CODE"\n'
    assert _categories(compare(_with_source("echo run-17\n" + base), _with_source(reformatted), noise=noise)) == {
        SOURCE: Category.NOISE
    }
    # ...but in that form, a changed command is still found.
    changed = reformatted.replace("six", "six==1.15")
    comparison = compare(_with_source("echo run-17\n" + base), _with_source(changed), noise=noise)
    assert _categories(comparison) == {SOURCE: Category.SEMANTIC}
    # Equal by meaning to the legacy build (same number, another form): no difference at all.
    same = reformatted.replace("run-99", "run-17")
    assert compare(_with_source("echo run-17\n" + base), _with_source(same), noise=noise).differences == ()


def test_the_same_text_read_as_another_language_is_not_noise() -> None:
    first, second = _with_source("echo run-1\nls\n"), _with_source("echo run-2\nls\n")
    noise = calibrate_noise(first, second)
    as_python = _job(source="echo run-3\nls\n", command=["python"])
    categories = _categories(compare(first, as_python, noise=noise))
    assert categories[SOURCE] is Category.SEMANTIC


# --- templates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "fits", "does_not_fit"),
    [
        ("run-12", "run-7", ["run-0", "run-123456"], ["run-x1", "run-", "run-1 && rm -rf /", "run-1\nrm -rf /"]),
        ("id a3f9b2", "id 17c0de", ["id ffffff", "id 0"], ["id zz", "id a3f9b2 x"]),
        ("name bxkqzt", "name mtrwp", ["name 4k9zm", "name Q"], ["name a-b", "name a b"]),
        (
            "at 2026-01-02T10:11:12Z",
            "at 2026-01-02T10:11:59Z",
            ["at 2026-01-02T10:11:00Z"],
            ["at 2026-01-02T10:11:0aZ"],
        ),
        ("x=1", "x=1.5", ["x=1.25", "x=1"], ["x=1 y", "x=1;ls"]),
        ("v1", "v12", ["v3"], ["w3", "v"]),
        ("rnd 4123-5678", "rnd 4567-abcd", ["rnd 9fe0-0000"], ["rnd 9fe0_0000"]),
    ],
)
def test_a_template_is_literal_where_builds_agree_and_as_narrow_as_the_evidence_elsewhere(
    first: str, second: str, fits: list[str], does_not_fit: list[str]
) -> None:
    template = template_between(first, second)
    assert template.fits(first) and template.fits(second)
    for text in fits:
        assert template.fits(text), (str(template), text)
    for text in does_not_fit:
        assert not template.fits(text), (str(template), text)


def test_a_uuids_groups_vary_together() -> None:
    # One group all digits in both builds is chance: the next build's letters there still fit.
    template = template_between("id 1b4e28ba-2fa1-1112-883f-0016d3cca427", "id 6ba7b810-9dad-1151-80b4-00c04fd430c8")
    assert template.fits(f"id {uuid.uuid4()}")
    assert not template.fits(f"id {uuid.uuid4()} --force")


def test_lines_one_build_has_are_optional_as_they_are() -> None:
    template = template_between("a\ndebug on\nb\n", "a\nb\n")
    assert template.fits("a\ndebug on\nb\n") and template.fits("a\nb\n")
    assert not template.fits("a\ndebug off\nb\n")
    assert not template.fits("a\nrm -rf /\nb\n")


def test_equal_texts_make_a_literal_template() -> None:
    template = template_between("same\n", "same\n")
    assert not template.varies
    assert template.fits("same\n") and not template.fits("same")


@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How a template matches: one entry per part stepped over, the number of text positions
    (intervals) that step started from. Linear matching steps over each part once, from a set of
    positions that stays small; a backtracking matcher would step over parts again and again."""
    seen: list[int] = []
    for name in ("_after_literal", "_after_wildcard"):
        step = getattr(noise_module, name)

        def counted(text: str, states: list[tuple[int, int]], *rest: Any, step: Any = step) -> Any:
            seen.append(len(states))
            return step(text, states, *rest)

        monkeypatch.setattr(noise_module, name, counted)
    return seen


def _fits(template: Any, text: str, steps: list[int]) -> tuple[bool, int]:
    """Whether ``text`` fits, and the most positions any step started from; ``steps`` holds
    this match's steps only."""
    steps.clear()
    fits = template.fits(text)
    assert len(steps) <= len(template.parts)  # each part stepped over at most once
    return fits, max(steps, default=0)


def test_matching_a_100_kb_script_steps_over_each_part_once(steps: list[int]) -> None:
    # How fast is measured by `make bench` (noise_template); this is why it is fast.
    body = "".join(f"echo step {i} of the job && touch /mnt/results/{i}.done\n" for i in range(2000))
    assert len(body) > 100_000
    template = template_between(f"echo run-17\n{body}", f"echo run-98213\n{body}")
    assert str(template).startswith("echo run-{digits}\n")
    assert len(template.parts) == 3  # aligned by lines: the 2,000 equal lines are one literal
    assert _fits(template, f"echo run-5\n{body}", steps) == (True, 1)
    assert _fits(template, f"echo run-5\n{body}rm -rf /mnt/results/*\n", steps) == (False, 1)
    # Many lines that vary, each a wildcard whose class also holds the next literal's first
    # character: a backtracking regex would try every split; the position sets do not.
    left = "".join(f"k{i}=a.b.c{i}.x\n" for i in range(3000))
    right = "".join(f"k{i}=d.e.{i}f.x\n" for i in range(3000))
    template = template_between(left, right)
    assert len(template.parts) > 6000  # line by line: `k7=` stays literal in each
    assert template.fits(left) and template.fits(right)
    assert _fits(template, left[:-2] + "y\n", steps) == (False, 1)
    assert _fits(template, "a." * 60_000, steps) == (False, 1)
    assert len(steps) == 1  # the first literal is not there: no further step


# --- numbers, keyed lists, presence, structure --------------------------------------------------------


def test_a_number_that_varies_fits_any_number_but_not_a_string() -> None:
    def build(seconds: Any) -> dict[str, Any]:
        doc = _job()
        doc["spec"]["activeDeadlineSeconds"] = seconds
        return doc

    noise = calibrate_noise(build(300), build(301))
    assert _categories(compare(build(300), build(7), noise=noise)) == {"spec.activeDeadlineSeconds": Category.NOISE}
    comparison = compare(build(300), build("7"), noise=noise)
    assert _categories(comparison) == {"spec.activeDeadlineSeconds": Category.SEMANTIC}
    assert BEYOND_NOISE_NOTE in comparison.differences[0].message


def _with_env(*items: dict[str, Any]) -> dict[str, Any]:
    doc = _job()
    doc["spec"]["templates"][0]["script"]["env"].extend(items)
    return doc


def test_an_env_value_that_varies_hides_nothing_else_in_the_env() -> None:
    noise = calibrate_noise(
        _with_env({"name": "RUN_ID", "value": uuid.uuid4().hex}),
        _with_env({"name": "RUN_ID", "value": uuid.uuid4().hex}),
    )
    first = _with_env({"name": "RUN_ID", "value": uuid.uuid4().hex})
    new = _with_env({"name": "RUN_ID", "value": uuid.uuid4().hex}, {"name": "DEBUG", "value": "1"})
    assert _categories(compare(first, new, noise=noise)) == {
        "spec.templates[main].script.env[RUN_ID].value": Category.NOISE,
        "spec.templates[main].script.env[DEBUG]": Category.SEMANTIC,
    }
    dropped = compare(first, _job(), noise=noise)
    assert _categories(dropped) == {"spec.templates[main].script.env[RUN_ID]": Category.SEMANTIC}


def test_a_reference_to_a_value_that_varies_is_noise_where_its_text_is_the_same() -> None:
    def build(run_id: str, tag: str = "$(RUN_ID)-x") -> dict[str, Any]:
        return _with_env({"name": "RUN_ID", "value": run_id}, {"name": "TAG", "value": tag})

    noise = calibrate_noise(build("11"), build("22"))
    comparison = compare(build("11"), build("33"), noise=noise)
    assert set(_categories(comparison).values()) == {Category.NOISE}
    comparison = compare(build("11"), build("33", "$(RUN_ID)-y"), noise=noise)
    assert _categories(comparison)["spec.templates[main].script.env[TAG].value"] is Category.SEMANTIC


def test_keyed_items_whose_name_varies_are_noise_only_while_both_sides_have_one() -> None:
    def build(n: int, *extra: dict[str, Any]) -> dict[str, Any]:
        return _with_env({"name": f"RUN_{n}", "value": "on"}, *extra)

    noise = calibrate_noise(build(3), build(71))
    assert set(_categories(compare(build(3), build(509), noise=noise)).values()) == {Category.NOISE}
    # Dropped: the legacy item's name fits, but only one side has such an item.
    assert set(_categories(compare(build(3), _job(), noise=noise)).values()) == {Category.SEMANTIC}
    # Two of them, or one with another value: not what varies.
    two = build(5, {"name": "RUN_6", "value": "on"})
    assert Category.SEMANTIC in _categories(compare(build(3), two, noise=noise)).values()
    other = _with_env({"name": "RUN_8", "value": "off"})
    assert Category.SEMANTIC in _categories(compare(build(3), other, noise=noise)).values()


def test_an_item_one_legacy_build_has_may_be_absent_or_as_that_build_had_it() -> None:
    noise = calibrate_noise(_with_env({"name": "DEBUG", "value": "1"}), _job())
    assert noise.paths == {"spec.templates[main].script.env[DEBUG]"}
    # absent, or exactly what the legacy build that had it held: noise
    assert _categories(compare(_with_env({"name": "DEBUG", "value": "1"}), _job(), noise=noise)) == {
        "spec.templates[main].script.env[DEBUG]": Category.NOISE
    }
    # content no legacy build produced: a difference like any other
    new = _with_env({"name": "DEBUG", "value": "2"})
    new["spec"]["templates"][0]["script"]["env"][1]["value"] = "43"  # TASK_ID
    assert _categories(compare(_with_env({"name": "DEBUG", "value": "1"}), new, noise=noise)) == {
        "spec.templates[main].script.env[DEBUG].value": Category.SEMANTIC,
        "spec.templates[main].script.env[TASK_ID].value": Category.SEMANTIC,
    }


@pytest.mark.fault(
    group="false READY",
    case="legacy sometimes adds `securityContext: {runAsNonRoot: true}`; new always adds `{privileged: true}`",
    expected="semantic: a key whose presence varies may be absent or as a legacy build had it, nothing else",
)
def test_a_key_whose_presence_varies_does_not_hide_other_content_there() -> None:
    def with_context(context: dict[str, Any] | None) -> dict[str, Any]:
        job = _job()
        if context is not None:
            job["spec"]["templates"][0]["script"]["securityContext"] = context
        return job

    noise = calibrate_noise(with_context({"runAsNonRoot": True}), with_context(None))
    comparison = compare(with_context({"runAsNonRoot": True}), with_context({"privileged": True, "runAsUser": 0}),
                         noise=noise)  # fmt: skip
    assert set(_categories(comparison).values()) == {Category.SEMANTIC}
    assert compare(with_context(None), with_context({"runAsNonRoot": True}), noise=noise).equivalent


def test_a_list_that_grew_between_builds_hides_only_that_growth() -> None:
    def build(*args: str) -> dict[str, Any]:
        return _job(args=list(args))

    noise = calibrate_noise(build("--seed", "1"), build("--seed", "1", "--fast"))
    assert _categories(compare(build("--seed", "1"), build("--seed", "1", "--fast"), noise=noise)) == {
        "spec.templates[main].script.args": Category.NOISE
    }
    # Same length as the first build: compared item by item, below the varying list.
    comparison = compare(build("--seed", "1"), build("--seed", "2"), noise=noise)
    assert _categories(comparison) == {"spec.templates[main].script.args[1]": Category.SEMANTIC}
    assert BEYOND_NOISE_NOTE in comparison.differences[0].message
    comparison = compare(build("--seed", "1"), build("--seed", "1", "--rm"), noise=noise)
    assert _categories(comparison) == {"spec.templates[main].script.args": Category.SEMANTIC}


def test_a_model_reads_as_the_paths_that_vary() -> None:
    noise = calibrate_noise(_with_source("echo run-1\n"), _with_source("echo run-2\n"))
    assert noise and len(noise) == 1 and SOURCE in noise and list(noise) == [SOURCE]
    assert not calibrate_noise(_job(), _job())
    assert NoiseModel.from_paths([SOURCE]).paths == {SOURCE}


# --- execution results -------------------------------------------------------------------------------


def _run(stdout: str, files: tuple[FileResult, ...] = (), exit_code: int = 0) -> WorkflowRun:
    phase = Phase.SUCCEEDED if exit_code == 0 else Phase.FAILED
    node = NodeRun("main", "main", "Pod", phase, exit_code, Output(stdout, len(stdout)))
    return WorkflowRun(
        "test", "x", phase, exit_code=exit_code, stdout=Output(stdout, len(stdout)), files=files, nodes=(node,)
    )


def _file(text: str) -> FileResult:
    import hashlib

    data = text.encode()
    return FileResult("/mnt/results/out.txt", len(data), hashlib.sha256(data).hexdigest(), text, True, "pvc/x")


@pytest.mark.fault(
    group="false READY",
    case="a job's stdout has a random line, the new job prints one more line",
    expected="the added line is a difference, not noise",
)
def test_a_line_added_to_a_stdout_with_a_random_line_is_not_noise() -> None:
    first, repeat = _run("seed 17\nresult 42\n"), _run("seed 2211\nresult 42\n")
    outcome = judge(first, _run("seed 5\nresult 42\n"), repeat, expectation=None)
    assert outcome.status is ExecutionStatus.EQUIVALENT
    assert [(d.path, d.category) for d in outcome.differences] == [("execution.stdout", Category.NOISE)]
    assert outcome.noise_paths == ("execution.stdout",)

    outcome = judge(first, _run("seed 5\nresult 42\ndeleted /mnt/results\n"), repeat, expectation=None)
    assert outcome.status is ExecutionStatus.DIFFERENT
    (difference,) = outcome.differences
    assert difference.category is Category.SEMANTIC
    assert "beyond the part that varies" in difference.message


def test_a_file_whose_text_varies_between_legacy_runs_hides_only_that_part() -> None:
    first = _run("ok\n", (_file("run 1\ntotal 10\n"),))
    repeat = _run("ok\n", (_file("run 2\ntotal 10\n"),))
    same = judge(first, _run("ok\n", (_file("run 3\ntotal 10\n"),)), repeat, expectation=None)
    assert [d.category for d in same.differences] == [Category.NOISE]
    changed = judge(first, _run("ok\n", (_file("run 3\ntotal 11\n"),)), repeat, expectation=None)
    assert [d.category for d in changed.differences] == [Category.SEMANTIC]


# --- end to end: parity run on builders that stamp a random run number ---------------------------------


def _session_run(new: str) -> Any:
    scenarios = load_scenarios(ROOT / "scenarios" / "plain.yaml")
    config = RunConfig(legacy="tests.test_diff_noise:legacy_with_run_number", new=new)
    return ParitySession(config).run(scenarios)


@pytest.mark.fault(
    group="false READY",
    case="legacy adds a random `echo run-N` line, the new builder adds `rm -rf /mnt/results/*` to the same script",
    expected="NOT READY: only the varying line is noise, the added command is semantic",
)
def test_parity_run_fails_a_new_builder_that_adds_a_command_next_to_a_random_line() -> None:
    result = _session_run("tests.test_diff_noise:new_with_run_number_and_cleanup")
    assert result.verdict.verdict is Verdict.NOT_READY
    for outcome in result.outcomes:
        assert [(d.path, d.category) for d in outcome.differences] == [(SOURCE, Category.SEMANTIC)], outcome.name
        assert BEYOND_NOISE_NOTE in outcome.differences[0].message


def test_parity_run_passes_a_new_builder_whose_only_difference_is_the_random_line() -> None:
    result = _session_run("tests.test_diff_noise:new_with_run_number")
    assert result.verdict.verdict is Verdict.READY
    for outcome in result.outcomes:
        assert [(d.path, d.category) for d in outcome.differences] == [(SOURCE, Category.NOISE)], outcome.name
