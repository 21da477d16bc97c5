"""Differences between two manifests, by meaning: categories, rules, readable paths, waivers, noise.

>>> from harness.diff import compare
>>> compare(legacy_manifest, hera_manifest).equivalent

The result types (``harness.diff.model``: ``Category``, ``Difference``, ``Comparison``) are light;
the differ itself (the normaliser, the shell and Python parsers) is imported on first use of a
name that needs it, so gates and report writers that only read results never load it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_names
from harness.diff.model import Category, Comparison, Difference

if TYPE_CHECKING:
    from harness.diff.comparison import compare
    from harness.diff.noise import NoiseModel, Template, calibrate_noise, template_between
    from harness.diff.rules import RuleSet, UserRule, load_rules
    from harness.diff.waivers import Waiver, WaiverSet, load_waivers

# name -> the module that defines it, imported when the name is first asked for (PEP 562)
_LAZY = {
    "compare": "harness.diff.comparison",
    "NoiseModel": "harness.diff.noise",
    "Template": "harness.diff.noise",
    "calibrate_noise": "harness.diff.noise",
    "template_between": "harness.diff.noise",
    "RuleSet": "harness.diff.rules",
    "UserRule": "harness.diff.rules",
    "load_rules": "harness.diff.rules",
    "Waiver": "harness.diff.waivers",
    "WaiverSet": "harness.diff.waivers",
    "load_waivers": "harness.diff.waivers",
}


__getattr__ = lazy_names(__name__, _LAZY)


__all__ = [
    "Category",
    "Comparison",
    "Difference",
    "NoiseModel",
    "RuleSet",
    "Template",
    "UserRule",
    "Waiver",
    "WaiverSet",
    "calibrate_noise",
    "compare",
    "load_rules",
    "load_waivers",
    "template_between",
]
