"""The built-in rules, declared once: each rule's id, category, meaning and explainer.

A rule's ``id`` is what a difference reports (``Difference.rule``) and what waivers, user rules
and reports name, so it never changes. Its ``category`` is that of every difference it decides;
its ``meaning`` says in one line what it holds equal or catches (docs/differ.md, "The rules");
its ``explainer`` writes the one-line message of a difference it decided.

Who uses them: the canonical form tags each value it compares by meaning with the rule that made
it (:class:`harness.normalize.canonical.Leaf`), :mod:`harness.diff.classify` decides which rule a
difference falls under, and :func:`harness.diff.compare` reports noise under its own rule. Every
use names the object declared here, never its id as text (tests/test_diff_builtin_rules.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from harness.diff import messages
from harness.diff.model import Category
from harness.diff.paths import Item, Key
from harness.normalize.canonical import ABSENT, Leaf, json_value

if TYPE_CHECKING:
    from harness.diff.walk import RawDifference

# Writes the message of a difference a rule decided.
Explainer = Callable[["RawDifference"], str]
# Says what exactly changed between the two sides' canonical nodes (None: the values show it).
Detail = Callable[[Any, Any], str | None]


@dataclass(frozen=True, eq=False, slots=True)
class BuiltinRule:
    """One built-in rule. Compared by identity: there is one object per id (:data:`RULES`)."""

    id: str
    category: Category
    meaning: str
    # None for a rule that does not word a message of its own (noise calibration notes another
    # rule's message).
    explainer: Explainer | None

    def explain(self, diff: RawDifference) -> str:
        if self.explainer is None:
            raise ValueError(f"rule {self.id} words no message of its own")
        return self.explainer(diff)

    def __reduce__(self) -> tuple[Callable[[str], BuiltinRule], tuple[str]]:
        # A copied or unpickled rule is the declared one, so identity comparisons hold.
        return rule_by_id, (self.id,)


_DECLARED: dict[str, BuiltinRule] = {}


def _declare(rule_id: str, category: Category, meaning: str, explainer: Explainer | None) -> BuiltinRule:
    if rule_id in _DECLARED:
        raise ValueError(f"rule id {rule_id!r} declared twice")
    rule = BuiltinRule(rule_id, category, meaning, explainer)
    _DECLARED[rule_id] = rule
    return rule


def rule_by_id(rule_id: str) -> BuiltinRule:
    return _DECLARED[rule_id]


# --- explainers ---------------------------------------------------------------------------------------


def leaf_change(left: Any, right: Any) -> str | None:
    """What changed, as the class of the leaf compared says it (the statement of a program that
    changed, a reference Kubernetes expands): :meth:`Leaf.change_between`."""
    leaf = left if isinstance(left, Leaf) else right
    if not isinstance(leaf, Leaf):
        return None
    result = type(leaf).change_between(left, right)
    return str(result) if result else None


def set_change(left: Any, right: Any) -> str | None:
    """'adds X; removes Y' between two set-like lists."""
    a = {json.dumps(x, sort_keys=True) for x in (json_value(left) or [])} if left is not ABSENT else set()
    b = {json.dumps(x, sort_keys=True) for x in (json_value(right) or [])} if right is not ABSENT else set()
    parts = []
    if b - a:
        parts.append("adds " + ", ".join(sorted(b - a)))
    if a - b:
        parts.append("removes " + ", ".join(sorted(a - b)))
    return "; ".join(parts) or None


def pull_policy_change(left: Any, right: Any) -> str | None:
    """'Always (default for the image tag) -> IfNotPresent (explicit)'."""

    def effective(leaf: Any) -> str:
        if not isinstance(leaf, Leaf) or not isinstance(leaf.key, tuple):
            return "unset"
        how = "explicit" if leaf.raw else "default for the image tag"
        return f"{leaf.key[1]} ({how})"

    return f"{effective(left)} -> {effective(right)}"


@dataclass(frozen=True, slots=True)
class LeafExplainer:
    """The message of a difference in a value compared by meaning: what the rule compares changed
    (``subject``; None: the field says what changes), and ``detail``, what exactly."""

    subject: str | None
    detail: Detail = leaf_change

    def __call__(self, diff: RawDifference) -> str:
        head = self.subject + messages.where(diff.segments) if self.subject else messages.subject(diff.segments)
        return messages.change(head, diff, extra=self.detail(diff.left, diff.right))


def compared_as(node: Any) -> str:
    """How a canonical node is compared, for a message about two nodes compared differently."""
    if isinstance(node, Leaf):
        if node.rule is KUBERNETES_VAR_EXPANSION:
            return "string"  # equal to a plain string holding its expanded text
        if node.rule is TYPED_SCALAR:
            kind = node.key[0] if isinstance(node.key, tuple) and node.key and isinstance(node.key[0], str) else ""
            return {"bool": "boolean", "float": "number"}.get(kind, "value")
        return f"compared as {node.rule.id}"
    return messages.type_name(node)


def _document_presence(diff: RawDifference) -> str:
    side = "left" if diff.right is ABSENT else "right"
    document = diff.segments[0]
    name = document.name if isinstance(document, Item) else "?"
    return f"document {name} is only on the {side}: only that side submits it"


def _different_documents(diff: RawDifference) -> str:
    # left and right: the documents of each side, as "apiVersion Kind/name" (harness.diff.compare)
    sides = [[document.split(" ", 1) for document in side] for side in (diff.left, diff.right)]
    kinds = [[kind.split("/", 1)[0] for _, kind in side] for side in sides]
    if kinds[0] == kinds[1]:  # the same kinds: another API group makes them other objects
        groups = [", ".join(sorted({messages.api_group(version) for version, _ in side})) for side in sides]
        what = [f"of API group {group}" for group in groups]
    else:
        what = [("a " if len(k) == 1 else "") + ", ".join(k) for k in kinds]
    return (
        f"different documents: {what[0]} on the left, {what[1]} on the right: different objects, not two "
        "forms of one, so nothing inside them is compared (each side submits only its own)"
    )


def _controller_instance(diff: RawDifference) -> str:
    return messages.change("a different Argo controller instance picks the workflow", diff)


def _labels_annotations(diff: RawDifference) -> str:
    entry = messages.metadata_entry(diff.segments)
    if entry is None:
        return messages.change("metadata differs (metadata: no change to what runs)", diff)
    if entry.name is None:
        return messages.change(f"{entry.map_name} differ (metadata: no change to what runs)", diff)
    kind = "label" if entry.map_name == "labels" else "annotation"
    return messages.change(f"{kind} {entry.name} differs (metadata: no change to what runs)", diff)


def _claim_template(diff: RawDifference) -> str:
    volume, field = diff.segments[-1], diff.segments[-2]
    name = volume.name if isinstance(volume, Item) else "?"
    only_left = diff.right is ABSENT
    mounts_existing = isinstance(field, Key) and field.name == "volumes"
    existing_on = ("left" if only_left else "right") if mounts_existing else ("right" if only_left else "left")
    return (
        f"volume {name}: the {existing_on} mounts an existing claim, the other side creates a new "
        "PVC per run from volumeClaimTemplates (data does not persist across runs)"
    )


def _type_change(diff: RawDifference) -> str:
    kinds = f"{compared_as(diff.left)} on the left, {compared_as(diff.right)} on the right"
    return messages.change(messages.subject(diff.segments), diff, extra=kinds)


def _value_change(diff: RawDifference) -> str:
    return messages.change(messages.subject(diff.segments), diff)


def _dag_detail(diff: RawDifference) -> str:
    """DAG differences carry their message: harness.normalize.dag worded it from both DAGs."""
    return str(getattr(diff.detail, "message", diff.detail))


# --- the rules ------------------------------------------------------------------------------------------
# Decided by where a difference lies (harness.diff.classify), in the order classify tries them.

# Only the side that has a document submits it: a whole object more or less in the cluster.
DOCUMENT_PRESENCE: Final = _declare(
    "document-presence",
    Category.SEMANTIC,
    "a document only one side has is submitted by that side only",
    _document_presence,
)
# Objects of different kinds or API groups (a Workflow against a Deployment, argoproj.io against
# another group's Workflow) are different objects: comparing their fields would list every field
# of both. Decided by harness.diff.compare before any walk.
DIFFERENT_DOCUMENTS: Final = _declare(
    "different-documents",
    Category.SEMANTIC,
    "documents of different kinds or API groups are different objects, not compared field by field",
    _different_documents,
)
# Argo's controller picks the workflows whose controller-instanceid label names it: another value,
# another controller (or none) runs the workflow.
CONTROLLER_INSTANCE_ID: Final = _declare(
    "controller-instance-id",
    Category.SEMANTIC,
    "the controller-instanceid label decides which Argo controller runs the workflow",
    _controller_instance,
)
# Labels and annotations are read by people and tools, not by what runs (harness.spec.fields,
# METADATA_FIELDS and METADATA_MAPS): shown, not failing unless a user rule says so.
LABELS_ANNOTATIONS: Final = _declare(
    "labels-annotations",
    Category.METADATA,
    "labels and annotations are metadata: shown, not failing",
    _labels_annotations,
)
# volumes[].persistentVolumeClaim mounts a claim that outlives the run; volumeClaimTemplates
# creates a new claim per run and deletes it with the workflow: the data does not persist alike.
EXISTING_PVC_VS_CLAIM_TEMPLATE: Final = _declare(
    "existing-pvc-vs-claim-template",
    Category.SEMANTIC,
    "an existing PVC against a claim template: the data persists on one side only",
    _claim_template,
)
# The controller reads a field of another type differently, or rejects it.
TYPE_CHANGE: Final = _declare(
    "type-change",
    Category.SEMANTIC,
    "a value of another type (or compared another way) is read differently or rejected",
    _type_change,
)
# Anything in a manifest that no rule makes form-only changes what runs.
VALUE_CHANGE: Final = _declare(
    "value-change",
    Category.SEMANTIC,
    "any other change of a field changes what runs",
    _value_change,
)
# Applied by harness.diff.compare after the rules above: what also differs between two builds of
# the same side is not the migration's doing (harness.diff.noise).
NOISE_CALIBRATION: Final = _declare(
    "noise-calibration",
    Category.NOISE,
    "differs only in what also varies between two builds of the same side",
    None,
)

# Values the canonical form compares by meaning (harness.normalize): a difference in one is
# decided by the rule that made the leaf, or by the narrower rule its class names (rule_between).

# A script's source is a program: Python compares by its AST (formatting, comments vanish).
PYTHON_AST: Final = _declare(
    "python-ast",
    Category.SEMANTIC,
    "a Python program compared by its AST: formatting and comments vanish",
    LeafExplainer("the Python program changes"),
)
# An env var a program runs as Python (python -c "$PYTHON_CODE", ["python", "-c", "$(VAR)"]) is
# Python code, not text.
PYTHON_CODE_IN_ENV: Final = _declare(
    "python-code-in-env",
    Category.SEMANTIC,
    "an env value a program runs as Python is compared as that program",
    LeafExplainer("the Python code this env var carries (run with python -c) changes"),
)
# A shell script compares by its parsed commands (harness.normalize.shell): comments, layout and
# quoting that expands alike vanish; operators, argv, redirections, heredoc bodies stay.
SHELL_SYNTAX: Final = _declare(
    "shell-syntax",
    Category.SEMANTIC,
    "a shell program compared by its parsed commands: comments, layout and equal quoting vanish",
    LeafExplainer("the shell program changes"),
)
# An env var a program runs as shell code (bash -c "$X", eval "$X") is shell code, not text.
SHELL_CODE_IN_ENV: Final = _declare(
    "shell-code-in-env",
    Category.SEMANTIC,
    "an env value a program runs as shell code is compared as that program",
    LeafExplainer("the shell code this env var carries changes"),
)
# pip installs a set: requirement order, spelling and output-only options change nothing
# (harness.normalize.requirements); narrows a shell program's rule when only what pip installs
# changed.
PIP_REQUIREMENTS: Final = _declare(
    "pip-requirements",
    Category.SEMANTIC,
    "pip install lines and requirements files compared as PEP 508 requirements and options",
    LeafExplainer("what pip installs changes"),
)
# A script for an interpreter the differ does not know: only its text says what it does (a final
# newline changes no interpreter).
SCRIPT_TEXT: Final = _declare(
    "script-text",
    Category.SEMANTIC,
    "a script for an unknown interpreter compared as text, but for a final newline",
    LeafExplainer("the script text changes"),
)
# ["bash", "-c", PROGRAM] / ["python", "-c", PROGRAM] run PROGRAM: compared like a script's source.
ARGV_CODE: Final = _declare(
    "argv-code",
    Category.SEMANTIC,
    "the program of an interpreter's -c in command/args compared as a program",
    LeafExplainer("the program passed with -c changes"),
)
# The kubelet expands $(VAR) and $$ in env values, command and args (harness.spec.kubernetes_vars):
# the process gets the expanded text. No subject of its own: the field says what changes.
KUBERNETES_VAR_EXPANSION: Final = _declare(
    "kubernetes-var-expansion",
    Category.SEMANTIC,
    "env values, command and args compared after Kubernetes expands $(VAR) and $$",
    LeafExplainer(None),
)
# resource.Quantity values compare by amount: 1 = 1000m, 1Gi = 1024Mi (harness.normalize.quantity).
QUANTITY: Final = _declare(
    "quantity",
    Category.SEMANTIC,
    "resource quantities compared by amount",
    LeafExplainer("the amount of a resource changes"),
)
# intstr.IntOrString fields take 2 and "2" alike (harness.spec.fields.INT_OR_STRING_FIELDS).
INT_OR_STRING: Final = _declare(
    "int-or-string",
    Category.SEMANTIC,
    'IntOrString fields: 2 and "2" are one value',
    LeafExplainer("the number changes"),
)
# Argo parameter values are strings: 1 and "1" reach the template alike.
ANY_STRING: Final = _declare(
    "any-string",
    Category.SEMANTIC,
    "parameter values compared as the text Argo passes on",
    LeafExplainer("the parameter value changes"),
)
# An absent imagePullPolicy is the one Kubernetes derives from the image tag
# (harness.spec.fields.default_pull_policy).
IMAGE_PULL_POLICY_DEFAULT: Final = _declare(
    "image-pull-policy-default",
    Category.SEMANTIC,
    "imagePullPolicy compared as the policy in effect, explicit or derived from the tag",
    LeafExplainer("the effective image pull policy changes", pull_policy_change),
)
# Lists Argo and Kubernetes read as sets: order and repeats change nothing
# (harness.spec.fields.SET_LIKE_LISTS).
SET_LIKE_LIST: Final = _declare(
    "set-like-list",
    Category.SEMANTIC,
    "lists read as sets compared without order or repeats",
    LeafExplainer("the set changes", set_change),
)
# Booleans and floats keep their type: Python's True == 1 == 1.0 must not hide a type the
# controller reads or rejects differently.
TYPED_SCALAR: Final = _declare(
    "typed-scalar",
    Category.SEMANTIC,
    "booleans, floats and other YAML scalars compared with their type",
    LeafExplainer("the value changes"),
)
# A manifest or patch held in a string reaches the API server as data: its YAML/JSON form does not
# count, unless Argo substitutes {{...}} into the text first.
EMBEDDED_DOCUMENT: Final = _declare(
    "embedded-document",
    Category.SEMANTIC,
    "a manifest or patch held in a string compared as the data it holds",
    LeafExplainer("the embedded manifest changes"),
)

# DAG templates compared by meaning (harness.normalize.dag, Argo's grammar in harness.spec.depends):
# each DAG is a partial order ("runs after", transitively closed) plus each task's run condition.

# `dependencies: [a]` is `depends: a` (Argo's enhanced depends docs), operand order and a redundant
# transitive edge change no ordering and no condition.
DAG_DEPENDS_FORM: Final = _declare(
    "dag-depends-form",
    Category.COSMETIC,
    "DAG dependencies as Argo reads them: the same ordering and conditions, written differently",
    _dag_detail,
)
# An ordering only the left has: the later task may now start before the earlier one finishes.
DAG_ORDERING_RELAXED: Final = _declare(
    "dag-ordering-relaxed",
    Category.SEMANTIC,
    "a pair of DAG tasks ordered on the left only: the later may now start first",
    _dag_detail,
)
# An ordering only the right has: the later task now waits.
DAG_ORDERING_ADDED: Final = _declare(
    "dag-ordering-added",
    Category.SEMANTIC,
    "a pair of DAG tasks ordered on the right only: the later now waits",
    _dag_detail,
)
# The same ordering, but the task runs for other results of the tasks before it (A.Failed vs A).
DAG_CONDITION: Final = _declare(
    "dag-condition",
    Category.SEMANTIC,
    "a DAG task's depends condition compared by boolean equivalence over task results",
    _dag_detail,
)
# A steps template on one side, a dag on the other: one difference saying whether the order is kept.
STEPS_VS_DAG: Final = _declare(
    "steps-vs-dag",
    Category.SEMANTIC,
    "a steps template against a DAG template: one difference saying whether the order is the same",
    _dag_detail,
)

# The form rules of the canonical form (harness.normalize.workflow): what it drops, fills in,
# reorders or moves so that two manifests written differently compare equal. They decide no
# difference of the walk (what they act on is gone from the canonical form); the normaliser
# records where each acted (harness.normalize.canonical.FormRecord) and `parity diff
# --show-cosmetic` names them (harness.diff.comparison.with_form_only).


def judged_equal(rule: BuiltinRule, diff: RawDifference) -> str:
    """The message of a place written differently but judged equal by ``rule``."""
    return messages.change(f"judged equal ({rule.meaning})", diff)


def _declare_form_rule(rule_id: str, meaning: str) -> BuiltinRule:
    """A form rule: cosmetic, and its message says what it judged equal."""
    return _declare(rule_id, Category.COSMETIC, meaning, lambda diff: judged_equal(rule_by_id(rule_id), diff))


# Items of these lists are looked up by identity (templates by name, env by name, volumeMounts by
# name or path: harness.spec.fields.KEYED_LISTS), so their order changes nothing; the one way
# env order counts ($(VAR) sees earlier vars only) is compared in the expanded values.
KEYED_LIST: Final = _declare_form_rule(
    "keyed-list",
    "the same items in another order: this list is read by name, not by position",
)
# Go's omitempty: Kubernetes and Argo read {}, [] and null like an absent field, except under the
# keys where presence is the meaning (harness.spec.fields.PRESENCE_SIGNIFICANT: emptyDir: {}...).
EMPTY_IS_ABSENT: Final = _declare_form_rule(
    "empty-is-absent",
    "an empty or null value reads like none (omitempty), where presence is not the meaning",
)
# The API server and the Argo controller fill these in when absent (harness.spec.fields
# FIELD_DEFAULTS, by the kind of object holding the field).
KUBERNETES_DEFAULT: Final = _declare_form_rule(
    "kubernetes-default",
    "the value Kubernetes or Argo fills in when this field of this kind of object is absent",
)
# core/v1 defaults: a container's request for a resource is its limit when only the limit is given.
REQUESTS_DEFAULT_TO_LIMITS: Final = _declare_form_rule(
    "requests-default-to-limits",
    "Kubernetes sets a container's requests to its limits when only limits are given",
)
# `kubectl get -o yaml` holds what the server and the controller added (status, uid,
# resourceVersion, managedFields, controller labels, a name generated from generateName):
# not part of what was submitted (harness.spec.fields LIVE_TOP_LEVEL_FIELDS and friends).
LIVE_OBJECT: Final = _declare_form_rule(
    "live-object",
    "what the API server or the Argo controller adds to a submitted object, not the manifest",
)
# Argo adds a template's volumes to its pod and the workflow's to every pod that mounts them: for
# the template that mounts it, the pod is the same (harness.normalize.workflow.lift_template_volumes).
VOLUME_LEVEL: Final = _declare_form_rule(
    "volume-level",
    "a volume declared on the template that mounts it makes the same pod as one on the workflow",
)

# Every built-in rule by id, in the order declared.
RULES: Final[Mapping[str, BuiltinRule]] = MappingProxyType(_DECLARED)
