"""The result types of a comparison: what differs, where, how much it matters and why."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


def show_value(value: Any) -> str:
    """A JSON-ready value as every output shows it (diff text, pytest failures, console
    summaries): JSON, so ``true``, ``null``, ``"text"``, ``{"a": 1}``, never Python's ``True``,
    ``None`` or ``'text'``; keys sorted, so a value reads the same on both sides."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


# What compare() takes for a side: one document, or a list of documents.
ManifestInput = Mapping[str, Any] | Sequence[Mapping[str, Any]]


class Category(StrEnum):
    """How much a difference matters (docs/differ.md, "Categories")."""

    SEMANTIC = "semantic"  # changes what runs: fails the comparison
    METADATA = "metadata"  # labels/annotations: shown, not failing unless a rule says so
    COSMETIC = "cosmetic"  # form only: normally hidden
    WAIVED = "waived"  # would be semantic or metadata, but a waiver accepts it
    NOISE = "noise"  # also differs between two builds of the same side: random names, timestamps


@dataclass(frozen=True)
class Difference:
    path: str  # readable path, e.g. spec.templates[main].script.env[TASK_ID].value
    category: Category
    rule: str  # id of the rule that decided the category
    left: Any  # JSON-ready value, None when absent on that side
    right: Any
    message: str  # one line: what this changes at run time
    waiver: str | None = None
    # A user rule replaced the built-in rules' semantic verdict: the built-in rule's id. The gate
    # shows every such demotion (a rules.yaml must not quietly turn real changes into form).
    demoted_from: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": self.path,
            "category": str(self.category),
            "rule": self.rule,
            "left": self.left,
            "right": self.right,
            "message": self.message,
        }
        if self.waiver is not None:
            data["waiver"] = self.waiver
        if self.demoted_from is not None:
            data["demoted_from"] = self.demoted_from
        return data


@dataclass(frozen=True)
class Comparison:
    differences: tuple[Difference, ...]
    equivalent: bool  # no SEMANTIC difference

    @classmethod
    def of(cls, differences: tuple[Difference, ...]) -> Comparison:
        return cls(
            differences=differences,
            equivalent=not any(d.category is Category.SEMANTIC for d in differences),
        )

    def by_category(self, category: Category) -> tuple[Difference, ...]:
        return tuple(d for d in self.differences if d.category is category)

    @property
    def waivers_used(self) -> frozenset[str]:
        """Ids of the waivers that accepted a difference here (for stale-waiver reporting)."""
        return frozenset(d.waiver for d in self.differences if d.waiver is not None)

    def to_dict(self) -> dict[str, Any]:
        return {"equivalent": self.equivalent, "differences": [d.to_dict() for d in self.differences]}
