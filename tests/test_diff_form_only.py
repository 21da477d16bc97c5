"""`parity diff --show-cosmetic`: each form-only difference under the rule the normaliser recorded.

The canonical form records what it drops, fills in, reorders or rewrites (path and declared rule,
``canonicalize(..., form_records=...)``); ``with_form_only`` names that rule, never a guess from
the path or the value. A value written equal to some default elsewhere, or a ``requests`` equal to
its limits, is named after what really made the two sides equal.
"""

from __future__ import annotations

import copy
import csv
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.diff import Category, compare
from harness.diff import builtin_rules as R
from harness.diff.builtin_rules import RULES
from harness.diff.comparison import UNRECORDED, with_form_only
from harness.diff.paths import Index, Item, Key, render
from harness.normalize import canonicalize
from harness.normalize.canonical import FormRecord
from harness.spec.fields import KEYED_LISTS
from tests.requirements import CORPORA

FIXTURES = Path(__file__).parent / "fixtures" / "diff"
CORPUS = CORPORA / "hera-upstream-pairs"


def _workflow(template: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": "job-"},
        "spec": {"entrypoint": "main", "templates": [{"name": "main", **template}], **spec},
    }


def _container(**fields: Any) -> dict[str, Any]:
    return {"container": {"image": "alpine:3.20", "command": ["true"], **fields}}


def _form_only(left: Any, right: Any) -> dict[str, str]:
    """Path -> rule of each cosmetic difference ``--show-cosmetic`` lists."""
    comparison = with_form_only(left, right, compare(left, right))
    assert comparison.equivalent, comparison.differences
    return {d.path: d.rule for d in comparison.differences if d.category is Category.COSMETIC}


# --- the rule that really made two values equal ---------------------------------------------------------


def test_requests_written_equal_to_limits_on_both_sides_is_a_quantity_not_the_default() -> None:
    # Both sides write requests: nothing is filled in from limits; only the spelling differs.
    left = _workflow(_container(resources={"limits": {"cpu": "1"}, "requests": {"cpu": "1"}}))
    right = _workflow(_container(resources={"limits": {"cpu": "1"}, "requests": {"cpu": "1000m"}}))
    assert _form_only(left, right) == {"spec.templates[main].container.resources.requests.cpu": "quantity"}
    # Requests written equal to the limits, and a null beside them: nothing was filled in.
    with_null = _workflow(_container(resources={"limits": {"cpu": "1"}, "requests": {"cpu": "1", "memory": None}}))
    assert _form_only(left, with_null) == {
        "spec.templates[main].container.resources.requests.memory": "empty-is-absent"
    }


def test_requests_filled_in_from_limits_is_the_default() -> None:
    left = _workflow(_container(resources={"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"memory": "1Gi"}}))
    right = _workflow(_container(resources={"limits": {"cpu": "1", "memory": "1Gi"}}))
    assert _form_only(left, right) == {
        "spec.templates[main].container.resources.requests": "requests-default-to-limits"
    }
    only_cpu = _workflow(_container(resources={"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1"}}))
    assert _form_only(left, only_cpu) == {
        "spec.templates[main].container.resources.requests.cpu": "requests-default-to-limits",
        "spec.templates[main].container.resources.requests.memory": "requests-default-to-limits",
    }


def _config_map(managed: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings", "uid": "1", "managedFields": [managed]},
        "data": {"a": "1"},
    }


def test_a_value_equal_to_another_kinds_default_is_not_called_kubernetes_default() -> None:
    # `apiVersion: v1` is the default of a fieldRef's apiVersion; here it sits in server-written
    # managedFields, which the live-object rule drops whole.
    entry = {"manager": "kubectl", "operation": "Update", "time": "2025-01-01T00:00:00Z"}
    left, right = _config_map({**entry, "apiVersion": "v1"}), _config_map(entry)
    assert _form_only(left, right) == {"metadata.managedFields[0].apiVersion": "live-object"}


def test_controller_labels_and_a_generated_name_are_live_object() -> None:
    built = yaml.safe_load((FIXTURES / "job.yaml").read_text())
    live = yaml.safe_load((FIXTURES / "job-live.yaml").read_text())
    found = _form_only(built, live)
    assert found['metadata.labels["workflows.argoproj.io/phase"]'] == "live-object"
    assert found["metadata.name"] == "live-object"
    assert found["status"] == "live-object"
    assert found["metadata.uid"] == "live-object"


def test_dependencies_against_depends_is_the_dag_form_rule() -> None:
    def dag(b: dict[str, Any]) -> dict[str, Any]:
        tasks = [{"name": "a", "template": "t"}, {"name": "b", "template": "t", **b}]
        return _workflow({"dag": {"tasks": tasks}})

    found = _form_only(dag({"dependencies": ["a"]}), dag({"depends": "a"}))
    assert found == {
        "spec.templates[main].dag.tasks[b].depends": "dag-depends-form",
        "spec.templates[main].dag.tasks[b].dependencies": "dag-depends-form",
    }


def test_the_form_rules_of_the_canonical_form() -> None:
    base = _container(env=[{"name": "A", "value": "1"}, {"name": "B", "value": "2"}])
    changed = copy.deepcopy(base)
    changed["container"]["env"].reverse()
    changed["container"]["args"] = []
    changed["container"]["terminationMessagePolicy"] = "File"
    changed["container"]["workingDir"] = None
    found = _form_only(_workflow(base), _workflow(changed))
    assert found == {
        "spec.templates[main].container.env": "keyed-list",
        "spec.templates[main].container.args": "empty-is-absent",
        "spec.templates[main].container.terminationMessagePolicy": "kubernetes-default",
        "spec.templates[main].container.workingDir": "empty-is-absent",
    }


def test_a_volume_moved_to_the_template_that_mounts_it_is_volume_level() -> None:
    mount = {"volumeMounts": [{"name": "data", "mountPath": "/data"}]}
    volume = {"name": "data", "persistentVolumeClaim": {"claimName": "c"}}
    left = _workflow(_container(**mount), volumes=[volume])
    right = _workflow({**_container(**mount), "volumes": [volume]})
    assert _form_only(left, right) == {
        "spec.volumes": "volume-level",
        "spec.templates[main].volumes": "volume-level",
    }


def test_nothing_written_alike_is_listed_and_a_real_change_is_not_listed_again() -> None:
    left = _workflow(_container(args=[]))
    assert _form_only(left, copy.deepcopy(left)) == {}
    right = _workflow(_container(args=["x"]))
    comparison = with_form_only(left, right, compare(left, right))
    assert [(d.path, d.category) for d in comparison.differences] == [
        ("spec.templates[main].container.args", Category.SEMANTIC)
    ]


# --- what the normaliser records ------------------------------------------------------------------------


def test_the_normaliser_records_what_it_did_with_the_declared_rule() -> None:
    manifest = _workflow(
        _container(
            terminationMessagePath="/dev/termination-log",
            resources={"limits": {"cpu": "1"}},
            env=[{"name": "A", "value": "1"}],
            args=[],
        )
    )
    manifest["status"] = {"phase": "Running"}
    records: dict[str, FormRecord] = {}
    canonical = canonicalize(manifest, form_records=records)
    assert canonical == canonicalize(manifest)  # recording changes nothing in the form
    (record,) = records.values()
    container = (Key("spec"), Key("templates"), Item("main"), Key("container"))
    notes = {(render(path), rule.id) for path, rule in record.notes}
    assert notes >= {
        ("status", "live-object"),
        ("spec.templates", "keyed-list"),
        (render((*container, Key("terminationMessagePath"))), "kubernetes-default"),
        (render((*container, Key("resources"), Key("requests"))), "requests-default-to-limits"),
        (render((*container, Key("env"))), "keyed-list"),
        (render((*container, Key("args"))), "empty-is-absent"),
    }
    assert all(RULES[rule.id] is rule for _, rule in record.notes)
    assert all(isinstance(seg, Key | Item | Index) for path, _ in record.notes for seg in path)


def test_each_form_rule_is_declared_cosmetic_with_its_meaning() -> None:
    for rule in (
        R.KEYED_LIST,
        R.EMPTY_IS_ABSENT,
        R.KUBERNETES_DEFAULT,
        R.REQUESTS_DEFAULT_TO_LIMITS,
        R.LIVE_OBJECT,
        R.VOLUME_LEVEL,
    ):
        assert RULES[rule.id] is rule and rule.category is Category.COSMETIC
        assert rule.meaning and callable(rule.explainer)


def test_the_message_names_what_the_rule_holds_equal() -> None:
    left = _workflow(_container(resources={"limits": {"cpu": "1"}}))
    right = _workflow(_container(resources={"limits": {"cpu": "1"}, "requests": {"cpu": "1"}}))
    (difference,) = with_form_only(left, right, compare(left, right)).differences
    assert difference.rule == R.REQUESTS_DEFAULT_TO_LIMITS.id
    assert R.REQUESTS_DEFAULT_TO_LIMITS.meaning in difference.message


# --- every form-only difference of a corpus of real manifests has a recorded rule --------------------------


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) if d is not None]


def _assert_every_form_only_difference_has_a_declared_rule(left: Any, right: Any, name: str) -> int:
    comparison = compare(left, right)
    listed = with_form_only(left, right, comparison).differences[len(comparison.differences) :]
    unnamed = [(d.path, d.rule) for d in listed if d.rule not in RULES or d.category is not Category.COSMETIC]
    assert unnamed == [], name
    return len(listed)


FIXTURE_PAIRS = [
    ("job.yaml", "job-reformatted.yaml"),
    ("job.yaml", "job-live.yaml"),
    ("multi.yaml", "multi-reordered.yaml"),
    ("dag.yaml", "dag.yaml"),
]


@pytest.mark.parametrize(("left", "right"), FIXTURE_PAIRS)
def test_every_form_only_difference_in_the_fixtures_has_a_recorded_rule(left: str, right: str) -> None:
    _assert_every_form_only_difference_has_a_declared_rule(_docs(FIXTURES / left), _docs(FIXTURES / right), left)


def _corpus_names() -> list[str]:
    if not (CORPUS / "INDEX.tsv").is_file():
        return []
    with (CORPUS / "INDEX.tsv").open(newline="", encoding="utf-8") as f:
        return [row["name"] for row in csv.DictReader(f, delimiter="\t")]


@pytest.mark.corpus(CORPUS.name)
def test_every_form_only_difference_in_the_hera_upstream_corpus_has_a_recorded_rule(corpora: Path) -> None:
    listed = 0
    for name in _corpus_names():
        listed += _assert_every_form_only_difference_has_a_declared_rule(
            _docs(CORPUS / f"{name}.upstream.yaml"), _docs(CORPUS / f"{name}.yaml"), name
        )
    assert listed > 0  # the corpus does differ in form: the test looked at something


def _reshaped(node: Any, key: str = "") -> Any:
    """``node`` written another way by the form rules alone: keyed lists reversed, an empty
    ``args`` and the default termination message policy added to each container-like mapping."""
    if isinstance(node, dict):
        out = {k: _reshaped(v, k) for k, v in node.items()}
        if key in {"container", "script"} or (isinstance(node.get("image"), str) and key == ""):
            out.setdefault("terminationMessagePolicy", "File")
            out.setdefault("args", [])
        return out
    if isinstance(node, list):
        items = [_reshaped(v, "" if key in KEYED_LISTS else key) for v in node]
        names = [i.get("name") if isinstance(i, dict) else None for i in items]
        distinct = all(isinstance(n, str) for n in names) and len(set(names)) == len(names)
        return items[::-1] if key in KEYED_LISTS and distinct else items
    return node


@pytest.mark.corpus(CORPUS.name)
def test_the_corpus_reshaped_by_the_form_rules_names_each_rule(corpora: Path) -> None:
    seen: set[str] = set()
    for name in _corpus_names():
        left = _docs(CORPUS / f"{name}.upstream.yaml")
        right = [_reshaped(doc) for doc in left]
        comparison = compare(left, right)
        assert comparison.equivalent, (name, comparison.differences)
        listed = with_form_only(left, right, comparison).differences
        assert all(d.category is Category.COSMETIC and d.rule in RULES for d in listed), name
        seen |= {d.rule for d in listed}
    assert {"keyed-list", "empty-is-absent", "kubernetes-default"} <= seen


STATUS_CORPUS = CORPORA / "argo-status"


@pytest.mark.corpus(STATUS_CORPUS.name)
def test_live_objects_of_the_status_corpus_differ_from_their_manifest_by_live_object_only(corpora: Path) -> None:
    compared = 0
    for path in sorted(STATUS_CORPUS.glob("*.y*ml")) + sorted(STATUS_CORPUS.glob("*.json")):
        for doc in _docs(path):
            if not isinstance(doc, dict) or not isinstance(doc.get("spec"), dict):
                continue
            live = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", **doc}
            manifest = {k: v for k, v in live.items() if k != "status"}
            meta = {k: v for k, v in (manifest.get("metadata") or {}).items() if k not in {"uid", "resourceVersion"}}
            manifest["metadata"] = meta
            comparison = compare(manifest, live)
            listed = with_form_only(manifest, live, comparison).differences[len(comparison.differences) :]
            assert [(d.path, d.rule) for d in listed if d.rule != "live-object"] == [], path.name
            compared += 1
    assert compared > 0


def test_without_a_recorded_rule_none_is_guessed(monkeypatch: pytest.MonkeyPatch) -> None:
    # A normaliser that recorded nothing: the place is still listed, as a bug, under no rule.
    monkeypatch.setattr(FormRecord, "note", lambda self, path, rule: None)
    left, right = _workflow(_container(args=[])), _workflow(_container())
    (difference,) = with_form_only(left, right, compare(left, right)).differences
    assert (difference.path, difference.rule) == ("spec.templates[main].container.args", UNRECORDED)
    assert difference.rule not in RULES and "recorded no rule" in difference.message


@pytest.mark.corpus(CORPUS.name)
def test_recording_changes_no_canonical_form_of_the_corpus(corpora: Path) -> None:
    fixtures = {name for pair in FIXTURE_PAIRS for name in pair} | {"claim-template.yaml", "job-live.yaml"}
    paths = sorted(CORPUS.glob("*.yaml")) + [FIXTURES / name for name in sorted(fixtures)]
    manifests = [doc for path in paths for doc in _docs(path) if isinstance(doc, dict) and "kind" in doc]
    assert len(manifests) > 100
    for doc in manifests:
        records: dict[str, FormRecord] = {}
        assert canonicalize(doc, form_records=records) == canonicalize(doc)
        assert len(records) == 1
