"""Built-in rules: which category a difference in the canonical form falls in, and why.

Each rule has an id (reported in ``Difference.rule``), a category, and a one-line message saying
what the difference changes at run time. The first rule that applies decides; user rules
(:mod:`harness.diff.rules`), noise and waivers are applied afterwards by
:func:`harness.diff.comparison.compare`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from harness.diff.model import Category
from harness.diff.paths import Index, Item, Key, Segment, render
from harness.diff.walk import ABSENT, RawDifference, lookup
from harness.normalize.canonical import Leaf, json_kind, to_json
from harness.normalize.excerpt import clip, excerpt_pair
from harness.normalize.programs import RULE_K8S_EXPANSION, ExpandedText
from harness.spec import fields

RULE_DOCUMENT = "document-presence"
RULE_METADATA = "labels-annotations"
RULE_INSTANCE_ID = "controller-instance-id"
RULE_CLAIM_TEMPLATE = "existing-pvc-vs-claim-template"
RULE_TYPE = "type-change"
RULE_VALUE = "value-change"

# Field name -> what a change of it does at run time (the subject of the message).
_MEANINGS: Final[dict[str, str]] = {
    "image": "the container runs a different image",
    "imagePullPolicy": "the image is pulled under a different policy",
    "command": "the container runs a different command",
    "args": "the container gets different arguments",
    "source": "the script runs a different program",
    "env": "the container gets different environment variables",
    "envFrom": "the container gets different environment variables",
    "workingDir": "the container starts in a different directory",
    "namespace": "the workflow runs in a different namespace",
    "name": "the object gets a different name",
    "generateName": "the workflow is named differently",
    "serviceAccountName": "pods run with a different service account (different permissions)",
    "entrypoint": "a different template starts the workflow",
    "templates": "the workflow has different templates",
    "volumes": "pods get different volumes",
    "volumeMounts": "a volume is mounted differently",
    "volumeClaimTemplates": "a different volume claim is created per run",
    "persistentVolumeClaim": "a different persistent volume claim is mounted",
    "claimName": "a different persistent volume claim is mounted",
    "mountPath": "a volume is mounted at a different path",
    "readOnly": "a volume is mounted with different write access",
    "resources": "the pod gets different resources",
    "limits": "the pod gets different resource limits",
    "requests": "the pod requests different resources (scheduling changes)",
    "dependencies": "DAG tasks wait for different tasks",
    "depends": "DAG tasks wait for different tasks",
    "tasks": "the DAG runs different tasks",
    "steps": "different steps run",
    "template": "a step runs a different template",
    "templateRef": "a step runs a different template",
    "when": "a step runs under a different condition",
    "arguments": "templates get different arguments",
    "parameters": "templates get different parameters",
    "artifacts": "templates get different artifacts",
    "retryStrategy": "failures are retried differently",
    "limit": "failures are retried a different number of times",
    "parallelism": "a different number of pods run at once",
    "activeDeadlineSeconds": "a different deadline stops the run",
    "timeout": "a different timeout stops the run",
    "securityContext": "pods run with different privileges",
    "nodeSelector": "pods are scheduled on different nodes",
    "affinity": "pods are scheduled differently",
    "tolerations": "pods are scheduled differently",
    "podGC": "pods are garbage-collected differently",
    "ttlStrategy": "the workflow is deleted at a different time",
    "schedule": "the cron workflow runs on a different schedule",
    "schedules": "the cron workflow runs on a different schedule",
    "synchronization": "runs are serialised differently",
    "value": "a value changes",
    "default": "a parameter default changes",
}

# Leaf rule -> message subject, for values compared by meaning.
_LEAF_MEANINGS: Final[dict[str, str]] = {
    "python-ast": "the Python program changes",
    "python-code-in-env": "the Python code this env var carries (run with python -c) changes",
    "shell-syntax": "the shell program changes",
    "pip-requirements": "what pip installs changes",
    "shell-code-in-env": "the shell code this env var carries changes",
    "script-text": "the script text changes",
    "argv-code": "the program passed with -c changes",
    "quantity": "the amount of a resource changes",
    "int-or-string": "the number changes",
    "any-string": "the parameter value changes",
    "image-pull-policy-default": "the effective image pull policy changes",
    "set-like-list": "the set changes",
    "embedded-document": "the embedded manifest changes",
    "typed-scalar": "the value changes",
}


@dataclass(frozen=True, slots=True)
class Verdict:
    category: Category
    rule: str
    message: str


@dataclass(frozen=True, slots=True)
class Context:
    """What a rule may look at beyond the difference itself: both canonical documents."""

    left_doc: Any
    right_doc: Any


Rule = Callable[[RawDifference, Context], Verdict | None]


def classify(diff: RawDifference, context: Context) -> Verdict:
    for rule in BUILTIN_RULES:
        verdict = rule(diff, context)
        if verdict is not None:
            return verdict
    raise AssertionError("value_change always decides")  # pragma: no cover


# --- the rules, in order ----------------------------------------------------------------------------


def document_presence(diff: RawDifference, context: Context) -> Verdict | None:
    """A document only one side has is submitted only by that side."""
    if len(diff.segments) == 1 and isinstance(diff.segments[0], Item):
        side = "left" if diff.right is ABSENT else "right"
        if diff.left is ABSENT or diff.right is ABSENT:
            return Verdict(
                Category.SEMANTIC,
                RULE_DOCUMENT,
                f"document {diff.segments[0].name} is only on the {side}: only that side submits it",
            )
    return None


def labels_annotations(diff: RawDifference, context: Context) -> Verdict | None:
    """Labels and annotations are metadata; the controller-instanceid label picks the controller."""
    segs = diff.segments
    for i in range(1, len(segs)):
        seg, parent = segs[i], segs[i - 1]
        if (
            isinstance(seg, Key)
            and seg.name in fields.METADATA_MAPS
            and isinstance(parent, Key)
            and parent.name in fields.METADATA_FIELDS
        ):
            if i + 1 < len(segs) and isinstance(segs[i + 1], Key | Item):
                name = segs[i + 1].name  # type: ignore[union-attr]
                if seg.name == "labels" and name == fields.CONTROLLER_INSTANCE_ID_LABEL:
                    return Verdict(
                        Category.SEMANTIC,
                        RULE_INSTANCE_ID,
                        _change("a different Argo controller instance picks the workflow", diff),
                    )
                kind = "label" if seg.name == "labels" else "annotation"
                return Verdict(
                    Category.METADATA,
                    RULE_METADATA,
                    _change(f"{kind} {name} differs (metadata: no change to what runs)", diff),
                )
            return Verdict(
                Category.METADATA, RULE_METADATA, _change(f"{seg.name} differ (metadata: no change to what runs)", diff)
            )
    return None


def claim_template(diff: RawDifference, context: Context) -> Verdict | None:
    """An existing PVC (``volumes[].persistentVolumeClaim``) against ``volumeClaimTemplates`` (a
    new claim created for every run and deleted with it): the data does not persist the same way."""
    segs = diff.segments
    if len(segs) < 2 or not isinstance(segs[-1], Item):
        return None
    field = segs[-2]
    if not isinstance(field, Key) or field.name not in ("volumes", "volumeClaimTemplates"):
        return None
    other = "volumeClaimTemplates" if field.name == "volumes" else "volumes"
    only_left = diff.right is ABSENT
    if not (only_left or diff.left is ABSENT):
        return None
    doc = context.right_doc if only_left else context.left_doc
    sibling = lookup(doc, (*segs[:-2], Key(other), segs[-1]))
    if sibling is ABSENT:
        return None
    name = segs[-1].name
    existing_on = ("left" if only_left else "right") if field.name == "volumes" else ("right" if only_left else "left")
    return Verdict(
        Category.SEMANTIC,
        RULE_CLAIM_TEMPLATE,
        f"volume {name}: the {existing_on} mounts an existing claim, the other side creates a new "
        "PVC per run from volumeClaimTemplates (data does not persist across runs)",
    )


def leaf_rule(diff: RawDifference, context: Context) -> Verdict | None:
    """Values compared by meaning: the rule that built the leaf decided."""
    leaf = diff.left if isinstance(diff.left, Leaf) else diff.right if isinstance(diff.right, Leaf) else None
    if leaf is None:
        return None
    kinds = [_compared_as(n) for n in (diff.left, diff.right) if n is not ABSENT]
    if len(kinds) == 2 and kinds[0] != kinds[1]:
        extra = f"{kinds[0]} on the left, {kinds[1]} on the right"
        return Verdict(Category.SEMANTIC, RULE_TYPE, _change(_subject(diff.segments), diff, extra=extra))
    refine = getattr(type(leaf), "rule_between", None)
    left = diff.left if isinstance(diff.left, Leaf) else None
    right = diff.right if isinstance(diff.right, Leaf) else None
    rule = (refine(left, right) if refine is not None else None) or leaf.rule
    # A leaf rule without a meaning of its own (a string compared after Kubernetes' expansion):
    # the field says what changes.
    meaning = _LEAF_MEANINGS.get(rule)
    subject = meaning + _where(diff.segments) if meaning else _subject(diff.segments)
    detail = explain(leaf.rule, diff.left, diff.right)
    return Verdict(Category.SEMANTIC, rule, _change(subject, diff, extra=detail))


def type_change(diff: RawDifference, context: Context) -> Verdict | None:
    """A field whose type differs is read differently, or rejected, by the controller."""
    if diff.left is ABSENT or diff.right is ABSENT:
        return None
    lt, rt = _type_name(diff.left), _type_name(diff.right)
    if lt == rt:
        return None
    return Verdict(
        Category.SEMANTIC,
        RULE_TYPE,
        _change(_subject(diff.segments), diff, extra=f"{lt} on the left, {rt} on the right"),
    )


def value_change(diff: RawDifference, context: Context) -> Verdict:
    """Anything else in a manifest changes what runs: semantic unless a rule says otherwise."""
    return Verdict(Category.SEMANTIC, RULE_VALUE, _change(_subject(diff.segments), diff))


BUILTIN_RULES: Final[tuple[Rule, ...]] = (
    document_presence,
    labels_annotations,
    claim_template,
    leaf_rule,
    type_change,
    value_change,
)


# --- explainers for leaf rules: one clause saying what exactly changed --------------------------------


def _explain_set(left: Any, right: Any) -> str | None:
    a = {json.dumps(x, sort_keys=True) for x in (to_json(left) or [])} if left is not ABSENT else set()
    b = {json.dumps(x, sort_keys=True) for x in (to_json(right) or [])} if right is not ABSENT else set()
    parts = []
    if b - a:
        parts.append("adds " + ", ".join(sorted(b - a)))
    if a - b:
        parts.append("removes " + ", ".join(sorted(a - b)))
    return "; ".join(parts) or None


def _explain_pull_policy(left: Any, right: Any) -> str | None:
    def effective(leaf: Any) -> str:
        if not isinstance(leaf, Leaf) or not isinstance(leaf.key, tuple):
            return "unset"
        how = "explicit" if leaf.raw else "default for the image tag"
        return f"{leaf.key[1]} ({how})"

    return f"{effective(left)} -> {effective(right)}"


def _explain_expansion(left: Any, right: Any) -> str | None:
    """'`$(A)-x` -> `2-x` (after Kubernetes expands them: `1-x` -> `2-x`)', and why a reference
    stayed as written when the env defines it later."""

    def side(node: Any) -> tuple[str, str] | None:
        if isinstance(node, ExpandedText) and isinstance(node.raw, str) and isinstance(node.key, str):
            return node.raw, node.key
        return (node, node) if isinstance(node, str) else None

    a, b = side(left), side(right)
    if a is None or b is None:
        return None
    raw_a, raw_b = excerpt_pair(a[0], b[0])
    notes = []
    if a[0] != a[1] or b[0] != b[1]:
        text_a, text_b = excerpt_pair(a[1], b[1])
        notes.append(f"after Kubernetes expands $(VAR) and $$: `{text_a}` -> `{text_b}`")
    for label, node in (("left", left), ("right", right)):
        if isinstance(node, ExpandedText) and node.later:
            refs = ", ".join(f"$({name})" for name in node.later)
            notes.append(f"on the {label} {refs} stays as written: Kubernetes only expands vars defined earlier in env")
    return f"`{raw_a}` -> `{raw_b}`" + (f" ({'; '.join(notes)})" if notes else "")


def _explain_program(left: Any, right: Any) -> str | None:
    """Leaves that know their statements (shell, Python) say which one changed."""
    leaf = left if isinstance(left, Leaf) else right
    change = getattr(type(leaf), "change_between", None)
    if change is None:
        return None
    result = change(left if isinstance(left, Leaf) else None, right if isinstance(right, Leaf) else None)
    return str(result) if result else None


EXPLAINERS: dict[str, Callable[[Any, Any], str | None]] = {
    "set-like-list": _explain_set,
    "image-pull-policy-default": _explain_pull_policy,
    RULE_K8S_EXPANSION: _explain_expansion,
}


def explain(rule: str, left: Any, right: Any) -> str | None:
    explainer = EXPLAINERS.get(rule, _explain_program)
    return explainer(left, right)


# --- message helpers ---------------------------------------------------------------------------------


def _compared_as(node: Any) -> str:
    if isinstance(node, ExpandedText):
        return "string"  # equal to a plain string holding its expanded text
    if isinstance(node, Leaf):
        kind = node.key[0] if isinstance(node.key, tuple) and node.key and isinstance(node.key[0], str) else ""
        if node.rule == "typed-scalar":
            return {"bool": "boolean", "float": "number"}.get(kind, "value")
        return f"compared as {node.rule}"
    return _type_name(node)


def _type_name(node: Any) -> str:
    return json_kind(to_json(node))


def _where(segments: tuple[Segment, ...]) -> str:
    """' in template main' / ' in template main, env TASK_ID' for the parts of a path that name things."""
    names = []
    for i, seg in enumerate(segments):
        if isinstance(seg, Item) and i > 0 and isinstance(segments[i - 1], Key):
            field = segments[i - 1].name  # type: ignore[union-attr]
            label = {
                "templates": "template",
                "tasks": "task",
                "env": "env",
                "volumes": "volume",
                "volumeMounts": "mount",
                "parameters": "parameter",
                "artifacts": "artifact",
                "containers": "container",
                "sidecars": "sidecar",
                "initContainers": "init container",
            }.get(field, field)
            names.append(f"{label} {seg.name}")
        elif isinstance(seg, Item) and i > 0 and isinstance(segments[i - 1], Index):
            names.append(f"step {seg.name}")
        elif isinstance(seg, Item) and i == 0:
            names.append(seg.name)
    return f" in {', '.join(names)}" if names else ""


def _subject(segments: tuple[Segment, ...]) -> str:
    # Only the last few segments say what the field is: `templates` three levels up says nothing
    # about `spec.templates[x].annotations["..."]`.
    for seg in reversed(segments[-3:]):
        if isinstance(seg, Key) and seg.name in _MEANINGS:
            return _MEANINGS[seg.name] + _where(segments)
    return f"{render(segments) or 'the manifest'} changes"


def _text(node: Any) -> str:
    raw = to_json(node)
    return raw if isinstance(raw, str) else json.dumps(raw, sort_keys=True, default=str)


def _change(subject: str, diff: RawDifference, extra: str | None = None, limit: int = 60) -> str:
    if diff.left is ABSENT:
        tail = f"added {clip(_text(diff.right), limit)}"
    elif diff.right is ABSENT:
        tail = f"removed {clip(_text(diff.left), limit)}"
    else:
        # Long values are cut around where they start to differ, so the change itself shows.
        left, right = excerpt_pair(_text(diff.left), _text(diff.right), limit)
        tail = f"{left} -> {right}"
    if extra:
        tail = extra
    return f"{subject}: {tail}"
