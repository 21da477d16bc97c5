"""Which built-in rule decides a difference in the canonical form.

Each decider looks at a difference (and both canonical documents) and names the rule that decides
it, or passes; the first that names one decides. The rule (:mod:`harness.diff.builtin_rules`)
carries the category and the explainer that words the message. User rules
(:mod:`harness.diff.rules`), noise and waivers are applied afterwards by
:func:`harness.diff.comparison.compare`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from harness.diff import builtin_rules as rules
from harness.diff.builtin_rules import BuiltinRule, compared_as
from harness.diff.messages import metadata_entry, type_name
from harness.diff.model import Category
from harness.diff.paths import Item, Key
from harness.diff.walk import RawDifference, lookup, walk
from harness.normalize.canonical import ABSENT, Leaf
from harness.normalize.dag import ChangeKind, DagChange
from harness.normalize.documents import CanonicalManifest
from harness.spec import fields


@dataclass(frozen=True, slots=True)
class DifferenceVerdict:
    """The built-in rule that decides a difference, and its message."""

    rule: BuiltinRule
    message: str

    @property
    def category(self) -> Category:
        return self.rule.category


@dataclass(frozen=True, slots=True)
class Context:
    """What a rule may look at beyond the difference itself: both canonical documents."""

    left_doc: Any
    right_doc: Any


Decider = Callable[[RawDifference, Context], BuiltinRule | None]


def classify(diff: RawDifference, context: Context) -> DifferenceVerdict:
    for decide in DECIDERS:
        rule = decide(diff, context)
        if rule is not None:
            return DifferenceVerdict(rule, rule.explain(diff))
    raise AssertionError("value_change always decides")  # pragma: no cover


# --- the deciders, in order ---------------------------------------------------------------------------


_DAG_CHANGE_RULES: Final = {
    ChangeKind.RELAXED: rules.DAG_ORDERING_RELAXED,
    ChangeKind.ADDED: rules.DAG_ORDERING_ADDED,
    ChangeKind.CONDITION: rules.DAG_CONDITION,
    ChangeKind.FORM: rules.DAG_DEPENDS_FORM,
}


def dag_structure(diff: RawDifference, context: Context) -> BuiltinRule | None:
    """What the walk found comparing whole DAGs (harness.normalize.dag): an ordering relaxed or
    added, a condition changed, a form changed; or a steps template against a DAG."""
    if isinstance(diff.detail, DagChange):
        return _DAG_CHANGE_RULES[diff.detail.kind]
    if isinstance(diff.detail, str):
        return rules.STEPS_VS_DAG
    return None


def document_presence(diff: RawDifference, context: Context) -> BuiltinRule | None:
    """A document only one side has is submitted only by that side."""
    whole_document = len(diff.segments) == 1 and isinstance(diff.segments[0], Item)
    if whole_document and (diff.left is ABSENT or diff.right is ABSENT):
        return rules.DOCUMENT_PRESENCE
    return None


def labels_annotations(diff: RawDifference, context: Context) -> BuiltinRule | None:
    """Labels and annotations are metadata; the controller-instanceid label picks the controller."""
    entry = metadata_entry(diff.segments)
    if entry is None:
        return None
    if entry.map_name == "labels" and entry.name == fields.CONTROLLER_INSTANCE_ID_LABEL:
        return rules.CONTROLLER_INSTANCE_ID
    return rules.LABELS_ANNOTATIONS


def claim_template(diff: RawDifference, context: Context) -> BuiltinRule | None:
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
    if lookup(doc, (*segs[:-2], Key(other), segs[-1])) is ABSENT:
        return None
    return rules.EXISTING_PVC_VS_CLAIM_TEMPLATE


def leaf_rule(diff: RawDifference, context: Context) -> BuiltinRule | None:
    """Values compared by meaning: the rule that built the leaf decides, or the narrower rule its
    class names for what changed (a shell program where only what pip installs changed)."""
    leaf = diff.left if isinstance(diff.left, Leaf) else diff.right if isinstance(diff.right, Leaf) else None
    if leaf is None:
        return None
    kinds = [compared_as(n) for n in (diff.left, diff.right) if n is not ABSENT]
    if len(kinds) == 2 and kinds[0] != kinds[1]:
        return rules.TYPE_CHANGE
    left = diff.left if isinstance(diff.left, Leaf) else None
    right = diff.right if isinstance(diff.right, Leaf) else None
    return type(leaf).rule_between(left, right) or leaf.rule


def type_change(diff: RawDifference, context: Context) -> BuiltinRule | None:
    """A field whose type differs is read differently, or rejected, by the controller."""
    if diff.left is ABSENT or diff.right is ABSENT:
        return None
    return rules.TYPE_CHANGE if type_name(diff.left) != type_name(diff.right) else None


def value_change(diff: RawDifference, context: Context) -> BuiltinRule:
    """Anything else in a manifest changes what runs: semantic unless a rule says otherwise."""
    return rules.VALUE_CHANGE


DECIDERS: Final[tuple[Decider, ...]] = (
    dag_structure,
    document_presence,
    labels_annotations,
    claim_template,
    leaf_rule,
    type_change,
    value_change,
)


def raw_differences(lc: CanonicalManifest, rc: CanonicalManifest) -> list[tuple[RawDifference, Context]]:
    """Where two canonical manifests differ. One document on each side: paths start at the
    document (``spec...``); several: documents are matched by kind and name, paths start with
    ``[Kind/name]``."""
    out: list[tuple[RawDifference, Context]] = []
    if len(lc.documents) == 1 and len(rc.documents) == 1:
        (ldoc,) = lc.documents.values()
        (rdoc,) = rc.documents.values()
        context = Context(ldoc, rdoc)
        out.extend((raw, context) for raw in walk(ldoc, rdoc))
        return out
    names = [*lc.documents, *(n for n in rc.documents if n not in lc.documents)]
    for name in names:
        ldoc = lc.documents.get(name, ABSENT)
        rdoc = rc.documents.get(name, ABSENT)
        context = Context(ldoc, rdoc)
        if ldoc is ABSENT or rdoc is ABSENT:
            out.append((RawDifference((Item(name),), ldoc, rdoc), context))
            continue
        out.extend((raw, context) for raw in walk(ldoc, rdoc, (Item(name),)))
    return out
