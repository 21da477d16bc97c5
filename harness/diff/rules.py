"""User rules (``--rules FILE``): decide the category of differences at chosen paths.

A YAML or JSON file::

    rules:
      - id: team-label-matters                  # optional; default user-rule-<n>
        path: "metadata.labels.team"            # a glob over readable paths (* in a segment, ** across)
        category: semantic                      # semantic | metadata | cosmetic
        reason: "billing reads this label"      # optional, shown in the message
      - pointer: "/spec/templates/*/metadata"   # or a JSON pointer (RFC 6901; * and ** allowed)
        category: cosmetic

The first rule (file order) whose pattern covers a difference's path decides its category; it
overrides the built-in rules. A pattern covers a path and everything below it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.diff.model import Category
from harness.diff.paths import PathPattern, PathSyntaxError
from harness.errors import ParityInputError, read_input_file
from harness.yaml_input import parse_listing_file

USER_CATEGORIES = (Category.SEMANTIC, Category.METADATA, Category.COSMETIC)
_FIELDS = frozenset({"id", "path", "pointer", "category", "reason"})


@dataclass(frozen=True)
class UserRule:
    id: str
    pattern: PathPattern
    category: Category
    reason: str | None = None

    def covers(self, path: str) -> bool:
        return self.pattern.matches(path)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[UserRule, ...] = ()
    source: str | None = None

    def decide(self, path: str) -> UserRule | None:
        for rule in self.rules:
            if rule.covers(path):
                return rule
        return None

    def __len__(self) -> int:
        return len(self.rules)


def load_rules(path: str | Path) -> RuleSet:
    return parse_rules(read_input_file(path, "rules file"), source=str(path))


def parse_rules(text: str, *, source: str = "<rules>") -> RuleSet:
    data = parse_listing_file(text, key="rules", source=source)
    if not data:
        return RuleSet((), source)
    rules: list[UserRule] = []
    seen: set[str] = set()
    for index, raw in enumerate(data):
        rules.append(_rule(raw, index, source, seen))
    return RuleSet(tuple(rules), source)


def _rule(raw: Any, index: int, source: str, seen: set[str]) -> UserRule:
    where = f"rules[{index}]"
    if not isinstance(raw, dict):
        raise ParityInputError("a rule is a mapping with path (or pointer) and category", file=source, field=where)
    if isinstance(raw.get("id"), str):
        where += f" ({raw['id']})"
    unknown = set(map(str, raw)) - _FIELDS
    if unknown:
        raise ParityInputError(f"unknown field(s) {sorted(unknown)}", file=source, field=where)
    rule_id = raw.get("id", f"user-rule-{index + 1}")
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise ParityInputError("must be a non-empty string", file=source, field=f"{where}.id")
    if rule_id in seen:
        raise ParityInputError("duplicate rule id", file=source, field=f"{where}.id")
    seen.add(rule_id)
    if ("path" in raw) == ("pointer" in raw):
        raise ParityInputError(
            "give exactly one of 'path' (a glob) or 'pointer' (a JSON pointer)", file=source, field=where
        )
    key = "path" if "path" in raw else "pointer"
    text = raw[key]
    if not isinstance(text, str) or (key == "path" and not text.strip()):
        raise ParityInputError("must be a non-empty string", file=source, field=f"{where}.{key}")
    try:
        pattern = PathPattern.compile(text) if key == "path" else PathPattern.from_json_pointer(text)
    except PathSyntaxError as exc:
        raise ParityInputError(str(exc), file=source, field=f"{where}.{key}") from None
    category_text = raw.get("category")
    allowed = [str(c) for c in USER_CATEGORIES]
    if category_text not in allowed:
        raise ParityInputError(f"must be one of {', '.join(allowed)}", file=source, field=f"{where}.category")
    reason = raw.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise ParityInputError("must be a string", file=source, field=f"{where}.reason")
    return UserRule(rule_id, pattern, Category(category_text), reason)
