"""The built-in rules are declared once (harness/diff/builtin_rules.py) and only named elsewhere.

Each rule has one id, one category, a one-line meaning and an explainer; no module writes a rule
id out as text or keeps a ``RULE_*`` constant of its own; every rule a comparison reports is a
declared one; docs/differ.md's table of rules lists exactly the declared rules.
"""

from __future__ import annotations

import ast
import copy
import pickle
import re
from pathlib import Path

import harness
from harness.diff import Category, builtin_rules, compare
from harness.diff.builtin_rules import RULES, BuiltinRule
from harness.normalize import Leaf, canonicalize

HARNESS = Path(harness.__file__).parent
REGISTRY = HARNESS / "diff" / "builtin_rules.py"
DOCS = HARNESS.parent / "docs" / "differ.md"


def _string_constants(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def test_each_rule_is_declared_once_with_a_unique_id() -> None:
    declared = [value for value in vars(builtin_rules).values() if isinstance(value, BuiltinRule)]
    assert len({rule.id for rule in declared}) == len(declared)
    assert sorted(rule.id for rule in declared) == sorted(RULES)
    assert all(RULES[rule.id] is rule for rule in declared)
    # the id is written once, in its declaration
    written = [text for text in _string_constants(REGISTRY) if text in RULES]
    assert sorted(written) == sorted(RULES)


def test_no_module_writes_a_rule_id_or_keeps_a_rule_constant_of_its_own() -> None:
    offenders = []
    for path in sorted(HARNESS.rglob("*.py")):
        if path == REGISTRY:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in RULES:
                offenders.append(f"{path.relative_to(HARNESS)}:{node.lineno}: {node.value!r}")
            for name in _assigned_names(node):
                if re.fullmatch(r"RULE(_[A-Z0-9_]+)?", name):
                    offenders.append(f"{path.relative_to(HARNESS)}:{node.lineno}: {name}")
    assert offenders == []


def test_every_declared_rule_is_used_by_name_outside_the_registry() -> None:
    # A rule nobody names decides nothing: declared for a use that went away, or a second copy
    # of a rule some module still applies under another name.
    constants = {name: rule for name, rule in vars(builtin_rules).items() if isinstance(rule, BuiltinRule)}
    used: set[str] = set()
    for path in sorted(HARNESS.rglob("*.py")):
        if path == REGISTRY:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "harness.diff.builtin_rules":
                used.update(alias.name for alias in node.names)
            elif isinstance(node, ast.Attribute) and node.attr in constants:
                used.add(node.attr)
    assert sorted(set(constants) - used) == []


def _assigned_names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def test_every_rule_has_a_category_a_one_line_meaning_and_an_explainer() -> None:
    for rule in RULES.values():
        assert isinstance(rule.category, Category), rule.id
        assert rule.meaning and "\n" not in rule.meaning and len(rule.meaning) <= 100, rule.id
        if rule is not builtin_rules.NOISE_CALIBRATION:  # it notes another rule's message
            assert callable(rule.explainer), rule.id
    assert builtin_rules.LABELS_ANNOTATIONS.category is Category.METADATA
    assert builtin_rules.NOISE_CALIBRATION.category is Category.NOISE


def test_a_copied_rule_is_the_declared_one() -> None:
    rule = builtin_rules.SHELL_SYNTAX
    assert copy.deepcopy(rule) is rule
    assert pickle.loads(pickle.dumps(rule)) is rule


def _manifest(source: str, limit: object, label: str) -> dict[str, object]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": "x-", "labels": {"team": label}},
        "spec": {
            "entrypoint": "main",
            "templates": [
                {
                    "name": "main",
                    "retryStrategy": {"limit": limit},
                    "script": {"image": "python:3.12", "command": ["bash"], "source": source},
                }
            ],
        },
    }


def test_what_a_comparison_reports_is_a_declared_rule() -> None:
    left = _manifest("pip install six\n", 2, "a")
    right = _manifest("pip install six==1\n", "3", "b")
    comparison = compare(left, right)
    assert {d.rule for d in comparison.differences} == {"pip-requirements", "int-or-string", "labels-annotations"}
    assert all(d.rule in RULES and d.category is RULES[d.rule].category for d in comparison.differences)
    leaves = [
        node
        for node in _nodes(canonicalize(right).documents)
        if isinstance(node, Leaf)  # every leaf carries the declared rule object itself
    ]
    assert leaves and all(RULES[leaf.rule.id] is leaf.rule for leaf in leaves)


def _nodes(node: object) -> list[object]:
    out = [node]
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        out.extend(_nodes(child))
    return out


def test_the_leaf_base_declares_what_the_differ_asks_of_a_leaf() -> None:
    assert Leaf.rule_between(None, None) is None
    assert Leaf.change_between("a", "b") is None
    classify_source = (HARNESS / "diff" / "classify.py").read_text(encoding="utf-8")
    assert "getattr(" not in classify_source


def test_the_docs_list_exactly_the_declared_rules() -> None:
    text = DOCS.read_text(encoding="utf-8")
    table = text.split("| rule id |", 1)[1].split("\n\n", 1)[0]
    documented: set[str] = set()
    for line in table.splitlines()[2:]:
        first = line.split("|")[1]
        documented |= {t for t in re.findall(r"`([^`]+)`", first) if re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", t)}
    assert documented == set(RULES)
