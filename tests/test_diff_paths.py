"""Readable paths, globs and JSON pointers (docs/architecture.md)."""

from __future__ import annotations

import pytest

from harness.diff.paths import Index, Item, Key, PathPattern, PathSyntaxError, is_under, parse, render


@pytest.mark.parametrize(
    ("segments", "text"),
    [
        (
            (Key("spec"), Key("templates"), Item("main"), Key("script"), Key("env"), Item("TASK_ID"), Key("value")),
            "spec.templates[main].script.env[TASK_ID].value",
        ),
        (
            (Key("spec"), Key("templates"), Item("main"), Key("container"), Key("command"), Index(0)),
            "spec.templates[main].container.command[0]",
        ),
        (
            (Key("metadata"), Key("annotations"), Key("workflows.argoproj.io/description")),
            'metadata.annotations["workflows.argoproj.io/description"]',
        ),
        ((Key("spec"), Key("templates"), Item("0")), 'spec.templates["0"]'),
        ((Key("spec"), Key("templates"), Item("hello-world")), "spec.templates[hello-world]"),
        ((Key("spec"), Key("templates"), Item("a]b")), 'spec.templates["a]b"]'),
        ((Item("Workflow/x-"), Key("spec")), "[Workflow/x-].spec"),
        (
            (Key("spec"), Key("templates"), Item("s"), Key("steps"), Index(1), Item("b")),
            "spec.templates[s].steps[1][b]",
        ),
    ],
)
def test_render_and_parse_round_trip(segments: tuple[Key | Item | Index, ...], text: str) -> None:
    assert render(segments) == text
    assert render(parse(text)) == text


def test_digits_in_brackets_are_an_index_quoted_digits_a_name() -> None:
    assert parse("a[0]") == (Key("a"), Index(0))
    assert parse('a["0"]') == (Key("a"), Key("0"))
    assert render(parse('a["0"]')) == 'a["0"]'


@pytest.mark.parametrize("bad", ["a[unclosed", 'a["x', "a..b"])
def test_bad_paths(bad: str) -> None:
    with pytest.raises(PathSyntaxError):
        parse(bad)


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("spec.templates[main].script.env", "spec.templates[main].script.env[TASK_ID].value", True),
        ("spec.templates[*].script.image", "spec.templates[main].script.image", True),
        ("spec.templates[*].script.image", "spec.templates[main].container.image", False),
        ("spec.**.image", "spec.templates[main].container.image", True),
        ("**.imagePullPolicy", "spec.templates[a].script.imagePullPolicy", True),
        ("metadata.labels.*", 'metadata.labels["app.kubernetes.io/name"]', True),
        ("metadata.labels.team", "metadata.labels.teams", False),
        ("spec.templates[ma*]", "spec.templates[main].script", True),
        ("spec.templates[main]", "spec.templates[mainly]", False),
        ("spec.command[0]", "spec.command[0]", True),
        ("spec.command[0]", "spec.command[1]", False),
        ("spec.templates[main].script.env[TASK_ID].value", "spec.templates[main].script.env", False),
    ],
)
def test_globs(pattern: str, path: str, matches: bool) -> None:
    assert PathPattern.compile(pattern).matches(path) is matches


@pytest.mark.parametrize(
    ("pointer", "path", "matches"),
    [
        ("/metadata/labels/team", "metadata.labels.team", True),
        (
            "/metadata/annotations/workflows.argoproj.io~1description",
            'metadata.annotations["workflows.argoproj.io/description"]',
            True,
        ),
        ("/spec/templates/main/script", "spec.templates[main].script.image", True),
        ("/spec/templates/*/script/image", "spec.templates[x].script.image", True),
        ("/spec/templates/main/container/command/0", "spec.templates[main].container.command[0]", True),
        ("/spec/templates/main/container/command/0", "spec.templates[main].container.command[1]", False),
        ("", "anything.at.all", True),
    ],
)
def test_json_pointers(pointer: str, path: str, matches: bool) -> None:
    assert PathPattern.from_json_pointer(pointer).matches(path) is matches


def test_json_pointer_must_start_with_slash() -> None:
    with pytest.raises(PathSyntaxError):
        PathPattern.from_json_pointer("metadata/labels")


def test_is_under_is_segment_wise() -> None:
    assert is_under("metadata.name", "metadata")
    assert is_under("metadata.name", "metadata.name")
    assert not is_under("metadata.namespace", "metadata.name")
