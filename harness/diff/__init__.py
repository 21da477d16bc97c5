"""Differences between two manifests, by meaning: categories, rules, readable paths, waivers, noise.

>>> from harness.diff import compare
>>> compare(legacy_manifest, hera_manifest).equivalent
"""

from harness.diff.comparison import compare
from harness.diff.model import Category, Comparison, Difference
from harness.diff.noise import NoiseModel, Template, calibrate_noise, template_between
from harness.diff.rules import RuleSet, UserRule, load_rules
from harness.diff.waivers import Waiver, WaiverSet, load_waivers

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
