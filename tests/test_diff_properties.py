"""Properties of compare() over generated Argo-shaped manifests: it never crashes on odd data,
is reflexive and symmetric, and reordering keyed lists never changes the verdict."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.diff import Category, compare
from harness.diff.paths import Index, parse

FIELDS = [
    "templates",
    "name",
    "env",
    "value",
    "volumes",
    "volumeMounts",
    "script",
    "container",
    "source",
    "command",
    "args",
    "image",
    "imagePullPolicy",
    "resources",
    "limits",
    "requests",
    "cpu",
    "memory",
    "retryStrategy",
    "limit",
    "dag",
    "tasks",
    "dependencies",
    "steps",
    "parameters",
    "arguments",
    "inputs",
    "metadata",
    "labels",
    "annotations",
    "persistentVolumeClaim",
    "claimName",
    "emptyDir",
    "manifest",
    "resource",
    "podSpecPatch",
    "activeDeadlineSeconds",
    "volumeClaimTemplates",
    "accessModes",
    "status",
    "uid",
    "generateName",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [
            "",
            "1",
            "1Gi",
            "1000m",
            "a",
            "python",
            "bash",
            "latest",
            "x:1",
            "{{x}}",
            "$(A)",
            "pip install six>=1",
            'python -c "$A"',
            "import os\nos.getcwd()",
            "case x in a) ;; esac",
        ]
    ),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(FIELDS), inner, max_size=5),
        st.lists(
            st.fixed_dictionaries(
                {"name": st.sampled_from(["a", "b", "c", "0"])}, optional={"value": inner, "image": inner}
            ),
            max_size=3,
        ),
    ),
    max_leaves=25,
)
MANIFESTS = st.builds(
    lambda spec, meta: {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": meta, "spec": spec},
    st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=5),
    st.dictionaries(st.sampled_from(["name", "generateName", "labels", "uid"]), VALUES, max_size=3),
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(MANIFESTS)
def test_reflexive(manifest: dict[str, Any]) -> None:
    comparison = compare(manifest, copy.deepcopy(manifest))
    assert comparison.equivalent and comparison.differences == ()


@SETTINGS
@given(MANIFESTS, MANIFESTS)
def test_symmetric_and_never_crashes(a: dict[str, Any], b: dict[str, Any]) -> None:
    ab, ba = compare(a, b), compare(b, a)
    assert ab.equivalent == ba.equivalent
    assert sorted(d.path for d in ab.differences) == sorted(d.path for d in ba.differences)
    for d in ab.differences:
        assert d.category in Category and d.rule and d.message and "\n" not in d.message


def _reverse_keyed(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: (
                _reverse_keyed(v)[::-1]
                if k in ("env", "templates", "volumes") and isinstance(v, list)
                else _reverse_keyed(v)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_reverse_keyed(v) for v in node]
    return node


@SETTINGS
@given(MANIFESTS)
def test_reordering_keyed_lists_with_distinct_names_changes_nothing(manifest: dict[str, Any]) -> None:
    reordered = _reverse_keyed(manifest)
    comparison = compare(manifest, reordered)
    # Lists with duplicate or missing names stay positional (their paths hold an index): only
    # differences without an index would be keyed items that reordering must not affect.
    keyed_only = [d for d in comparison.differences if not any(isinstance(s, Index) for s in parse(d.path))]
    assert not keyed_only, [d.to_dict() for d in keyed_only]
