"""``compare(left, right)``: the differences between two manifests, each with its category."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import replace
from typing import Any, Final

from harness.diff import messages
from harness.diff.builtin_rules import DIFFERENT_DOCUMENTS, KEYED_LIST, NOISE_CALIBRATION, BuiltinRule, judged_equal
from harness.diff.classify import Context, classify, raw_differences
from harness.diff.model import Category, Comparison, Difference, ManifestInput
from harness.diff.noise import NoiseModel
from harness.diff.paths import Index, Item, Key, Segment, is_under, render
from harness.diff.rules import RuleSet
from harness.diff.waivers import WaiverSet
from harness.diff.walk import RawDifference, lookup
from harness.normalize import ABSENT, CanonicalManifest, canonicalize, json_value
from harness.normalize.canonical import FormRecord, Leaf

NOISE_NOTE = "also differs between two builds of the same side"
# What a form-only difference the normaliser recorded no rule for is listed under: not a rule
# (none is claimed), a bug to report (tests/test_diff_form_only.py checks a corpus has none).
UNRECORDED: Final = "unrecorded"
UNRECORDED_NOTE: Final = "but the canonical form recorded no rule here: a bug of the differ, please report it"
BEYOND_NOISE_NOTE = "differs beyond the part that varies between two legacy builds"


def compare(
    left: ManifestInput | CanonicalManifest,
    right: ManifestInput | CanonicalManifest,
    *,
    rules: RuleSet | None = None,
    waivers: WaiverSet | None = None,
    scenario: str | None = None,
    noise: NoiseModel | None = None,
    noise_paths: Collection[str] = frozenset(),
) -> Comparison:
    """Compare two manifests (a dict, a list of documents, or an already canonical form).

    Equal canonical forms return at once with no differences. Otherwise each difference is
    classified by the built-in rules, then ``rules`` (user rules) may override its category,
    then a difference that lies only in what varies between two builds of one side (``noise``,
    from :func:`harness.diff.calibrate_noise`) becomes noise, then a waiver covering a semantic
    or metadata difference makes it waived. ``noise_paths`` names paths by hand: anything at or
    below them is noise.
    """
    lc = left if isinstance(left, CanonicalManifest) else canonicalize(left)
    rc = right if isinstance(right, CanonicalManifest) else canonicalize(right)
    if lc == rc:
        return Comparison((), True)
    different = different_documents(lc, rc)
    if different is not None:
        return Comparison.of((different,))
    model = _noise_model(noise, noise_paths)
    # With several documents, paths start with the document (`[Workflow/x]`); the context holds
    # the document itself, so a lookup of an ancestor skips that first segment.
    doc_depth = 0 if len(lc.documents) == 1 and len(rc.documents) == 1 else 1
    differences = tuple(
        _decide(raw, context, rules, waivers, scenario, model, doc_depth) for raw, context in raw_differences(lc, rc)
    )
    return Comparison.of(differences)


def different_documents(lc: CanonicalManifest, rc: CanonicalManifest) -> Difference | None:
    """One ``different-documents`` difference when the two sides are not forms of the same
    objects: one document each, of another kind or API group; or several, none of them matched
    by kind and name on the other side and not of the same kinds. (Documents that match by kind
    and name but not by API group are compared as one; their apiVersion shows it.)"""
    left, right = list(lc.documents.values()), list(rc.documents.values())
    if len(left) == 1 and len(right) == 1:
        (a,), (b,) = left, right
        same_group = messages.api_group(str(a.get("apiVersion"))) == messages.api_group(str(b.get("apiVersion")))
        if a.get("kind") == b.get("kind") and same_group:
            return None
    elif set(lc.documents) & set(rc.documents) or _kinds(left) == _kinds(right):
        return None
    lefts, rights = ([_describe(doc, name) for name, doc in m.documents.items()] for m in (lc, rc))
    return Difference(
        "",
        DIFFERENT_DOCUMENTS.category,
        DIFFERENT_DOCUMENTS.id,
        ", ".join(lefts),
        ", ".join(rights),
        DIFFERENT_DOCUMENTS.explain(RawDifference((), lefts, rights)),
    )


def _kinds(documents: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((str(d.get("kind")), messages.api_group(str(d.get("apiVersion")))) for d in documents)


def _describe(doc: dict[str, Any], identity: str) -> str:
    """``apps/v1 Deployment/web``: what a document is, as a person finds it in the file."""
    return f"{doc.get('apiVersion')} {identity.split('#', 1)[0]}"


def _noise_model(noise: NoiseModel | None, noise_paths: Collection[str]) -> NoiseModel | None:
    # A NoiseModel passed as `noise_paths` (the call `parity run` made before models existed) is
    # taken as the model it is, not as a list of paths that hides everything below them.
    named = noise_paths if isinstance(noise_paths, NoiseModel) else NoiseModel.from_paths(noise_paths)
    if noise is None:
        return named or None
    return noise | named if named else noise


def _decide(
    raw: RawDifference,
    context: Context,
    rules: RuleSet | None,
    waivers: WaiverSet | None,
    scenario: str | None,
    noise: NoiseModel | None,
    doc_depth: int,
) -> Difference:
    verdict = classify(raw, context)
    path = render(raw.segments)
    category, rule, message = verdict.category, verdict.rule.id, verdict.message
    demoted_from = None
    if rules is not None:
        user_rule = rules.decide(path)
        if user_rule is not None:
            if verdict.category is Category.SEMANTIC and user_rule.category is not Category.SEMANTIC:
                demoted_from = verdict.rule.id
            category, rule = user_rule.category, user_rule.id
            if user_rule.reason:
                message = f"{message} [{user_rule.reason}]"
    if category is not Category.COSMETIC and noise:

        def at(depth: int) -> tuple[Any, Any]:
            below = raw.segments[doc_depth:depth]
            return lookup(context.left_doc, below), lookup(context.right_doc, below)

        only_varying = noise.verdict(path, raw.left, raw.right, at)
        if only_varying:
            return Difference(
                path,
                NOISE_CALIBRATION.category,
                NOISE_CALIBRATION.id,
                _json(raw.left),
                _json(raw.right),
                f"{message} ({NOISE_NOTE})",
            )
        if only_varying is False:
            detail = noise.beyond(path, raw.left, raw.right)
            message = f"{message} ({BEYOND_NOISE_NOTE}{': ' + detail if detail else ''})"
    difference = Difference(path, category, rule, _json(raw.left), _json(raw.right), message, demoted_from=demoted_from)
    if waivers is not None:
        waiver = waivers.match(difference, scenario)
        if waiver is not None:
            return Difference(
                path,
                Category.WAIVED,
                rule,
                difference.left,
                difference.right,
                f"{message} (waived: {waiver.reason})",
                waiver=waiver.id,
            )
    return difference


def _json(node: Any) -> Any:
    return None if node is ABSENT else json_value(node)


# --- form only: what was judged equal, and by which rule (`parity diff --show-cosmetic`) ---------------


def with_form_only(left: ManifestInput, right: ManifestInput, comparison: Comparison) -> Comparison:
    """``comparison`` (of ``left`` and ``right``) with a ``cosmetic`` difference for each place
    where the two manifests are written differently but were judged equal, naming the rule that
    made them equal: a value a rule compares by meaning (a program by its AST, a quantity by its
    amount) under that rule; anything the canonical form dropped, filled in, reordered or moved
    under the form rule the normaliser recorded there (:class:`FormRecord`): a keyed list in
    another order, a default or an empty value against none, a live object's fields, a volume
    on the template. Whether the comparison is equivalent does not change.

    Found by walking the two manifests as written and leaving out what ``comparison`` already
    reports; a form-only difference inside a reported one is not listed again. One for which the
    normaliser recorded no rule would be a bug of the normaliser: it is listed under
    :data:`UNRECORDED`, saying so, never under a guessed rule."""
    if any(d.rule == DIFFERENT_DOCUMENTS.id for d in comparison.differences):
        return comparison
    lrecords: dict[str, FormRecord] = {}
    rrecords: dict[str, FormRecord] = {}
    lc, rc = canonicalize(left, form_records=lrecords), canonicalize(right, form_records=rrecords)
    lraw, rraw = _as_written(left, lc), _as_written(right, rc)
    several = not (len(lraw) == 1 and len(rraw) == 1)
    reported = [d.path for d in comparison.differences]
    found: list[Difference] = []
    pairs: list[tuple[str, str, tuple[Segment, ...]]]
    if several:  # documents matched by kind and name; one only one side has is reported already
        pairs = [(name, name, (Item(name),)) for name in lraw if name in rraw]
    else:  # one each: compared whatever their names
        pairs = [(next(iter(lraw)), next(iter(rraw)), ())]
    for lname, rname, prefix in pairs:
        canonical = (lc.documents[lname], rc.documents[rname])
        notes = [*lrecords[lname].notes, *rrecords[rname].notes]
        for segments, a, b, reordered in _walk_as_written(lraw[lname], rraw[rname], prefix):
            path = render(segments)
            if any(is_under(path, p) or is_under(p, path) for p in reported):
                continue
            rule = _rule_that_made_equal(segments[len(prefix) :], reordered, canonical, notes)
            shown = RawDifference(segments, *((_names(a), _names(b)) if reordered else (a, b)))
            if rule is None:
                rule_id, message = UNRECORDED, messages.change(f"judged equal ({UNRECORDED_NOTE})", shown)
            else:
                rule_id, message = rule.id, judged_equal(rule, shown)
            found.append(Difference(path, Category.COSMETIC, rule_id, _written(a), _written(b), message))
    return replace(comparison, differences=(*comparison.differences, *found))


def form_rule_finder(
    left: Mapping[str, Any], right: Mapping[str, Any]
) -> Callable[[tuple[Segment, ...], bool], BuiltinRule | None]:
    """For two single documents, a function telling the rule that made a place written
    differently equal (``(segments, reordered) -> rule``, None when the normaliser recorded none):
    the judgement :func:`with_form_only` reports, for views that show the documents line by line
    (the HTML report's side by side)."""
    records: tuple[dict[str, FormRecord], dict[str, FormRecord]] = ({}, {})
    documents = [canonicalize(side, form_records=kept) for side, kept in zip((left, right), records, strict=True)]
    canonical = (next(iter(documents[0].documents.values()), {}), next(iter(documents[1].documents.values()), {}))
    notes = [note for kept in records for record in kept.values() for note in record.notes]

    def rule_at(segments: tuple[Segment, ...], reordered: bool) -> BuiltinRule | None:
        return _rule_that_made_equal(segments, reordered, canonical, notes)

    return rule_at


def _as_written(manifest: ManifestInput, canonical: CanonicalManifest) -> dict[str, Any]:
    """The documents as written, under the names :func:`canonicalize` gave them (same order)."""
    docs: Any = [manifest] if isinstance(manifest, Mapping) else list(manifest)
    if len(docs) == 1 and docs[0].get("kind") == "List" and isinstance(docs[0].get("items"), list):
        docs = docs[0]["items"]
    return dict(zip(canonical.documents, docs, strict=True))


def _walk_as_written(
    a: Any, b: Any, prefix: tuple[Segment, ...]
) -> Iterator[tuple[tuple[Segment, ...], Any, Any, bool]]:
    """Where two documents as written differ: ``(segments, left, right, reordered)``; lists of
    named items are matched by name (so paths read as the comparison's do) and a changed order
    of the same names is reported once, at the list."""
    if _same(a, b):
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in {**a, **b}:
            yield from _walk_as_written(a.get(key, ABSENT), b.get(key, ABSENT), (*prefix, Key(str(key))))
        return
    if isinstance(a, list) and isinstance(b, list):
        names_a, names_b = _names(a), _names(b)
        if names_a is not None and names_b is not None:
            common = set(names_a) & set(names_b)
            if [n for n in names_a if n in common] != [n for n in names_b if n in common]:
                yield prefix, a, b, True
            items_a, items_b = dict(zip(names_a, a, strict=True)), dict(zip(names_b, b, strict=True))
            for name in {**items_a, **items_b}:
                yield from _walk_as_written(items_a.get(name, ABSENT), items_b.get(name, ABSENT), (*prefix, Item(name)))
            return
        if len(a) == len(b):
            for index, (x, y) in enumerate(zip(a, b, strict=True)):
                yield from _walk_as_written(x, y, (*prefix, Index(index)))
            return
    yield prefix, a, b, False


def _same(a: Any, b: Any) -> bool:
    # As JSON text: Python's True == 1 == 1.0 are written differently, and that is form to list.
    if a is ABSENT or b is ABSENT:
        return a is b
    return bool(json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str))


def _names(items: list[Any]) -> list[str] | None:
    names = [item.get("name") if isinstance(item, dict) else None for item in items]
    if all(isinstance(n, str) for n in names) and len(set(names)) == len(names):
        return names  # type: ignore[return-value]
    return None


def _leaf_on(node: Any, segments: tuple[Segment, ...]) -> tuple[int, Leaf] | None:
    """The leaf at or above ``segments`` in a canonical document, if a rule compared by meaning
    there, with its depth (how many segments lead to it)."""
    for depth, seg in enumerate(segments):
        if isinstance(node, Leaf):
            return depth, node
        if isinstance(seg, Index):
            node = node[seg.index] if isinstance(node, list) and seg.index < len(node) else ABSENT
        else:
            node = node.get(seg.name, ABSENT) if isinstance(node, dict) else ABSENT
    return (len(segments), node) if isinstance(node, Leaf) else None


def _rule_that_made_equal(
    segments: tuple[Segment, ...],
    reordered: bool,
    canonical: tuple[Any, Any],
    notes: list[tuple[tuple[Segment, ...], BuiltinRule]],
) -> BuiltinRule | None:
    """The rule that made a place written differently equal: the deepest one at or above it,
    of the leaf a rule compared by meaning and the form rules the normaliser recorded on either
    side. At one depth a recorded rule wins over a leaf (the value was filled in or moved there
    before it was compared), and the first recorded over later ones (what acted first on the
    written node: a controller label map emptied is the live object's doing, not emptiness).
    ``keyed-list`` covers the order of its list only; a changed order is named by it, or by the
    leaf of a set-like list."""
    leaves = [found for doc in canonical if (found := _leaf_on(doc, segments)) is not None]
    leaf = max(leaves, key=lambda found: found[0], default=None)
    if reordered:
        if leaf is not None:
            return leaf[1].rule
        keyed = any(rule is KEYED_LIST and path == segments for path, rule in notes)
        return KEYED_LIST if keyed else None
    best: tuple[int, BuiltinRule] | None = None
    for path, rule in notes:
        depth = len(path)
        if rule is KEYED_LIST or path != segments[:depth] or (best is not None and depth <= best[0]):
            continue
        best = (depth, rule)
    if leaf is not None and (best is None or leaf[0] > best[0]):
        return leaf[1].rule
    return best[1] if best is not None else None


def _written(node: Any) -> Any:
    return None if node is ABSENT else node
