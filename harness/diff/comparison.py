"""``compare(left, right)``: the differences between two manifests, each with its category."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from harness.diff.builtin_rules import NOISE_CALIBRATION
from harness.diff.classify import Context, classify, raw_differences
from harness.diff.model import Category, Comparison, Difference, ManifestInput
from harness.diff.noise import NoiseModel
from harness.diff.paths import render
from harness.diff.rules import RuleSet
from harness.diff.waivers import WaiverSet
from harness.diff.walk import RawDifference, lookup
from harness.normalize import ABSENT, CanonicalManifest, canonicalize, json_value

NOISE_NOTE = "also differs between two builds of the same side"
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
    model = _noise_model(noise, noise_paths)
    # With several documents, paths start with the document (`[Workflow/x]`); the context holds
    # the document itself, so a lookup of an ancestor skips that first segment.
    doc_depth = 0 if len(lc.documents) == 1 and len(rc.documents) == 1 else 1
    differences = tuple(
        _decide(raw, context, rules, waivers, scenario, model, doc_depth) for raw, context in raw_differences(lc, rc)
    )
    return Comparison.of(differences)


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
