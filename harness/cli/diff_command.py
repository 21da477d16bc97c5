"""``parity diff LEFT RIGHT``: compare two manifests by meaning.

Exit codes (README): 0 no semantic difference, 1 semantic differences, 2 bad input.
Imports only what comparing needs (never hera or kubernetes), so it starts fast.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from harness.diff.waivers import DEFAULT_WAIVERS
from harness.errors import ParityInputError

EXIT_DIFFERENT = 1


def _read(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
    path = Path(name)
    if path.is_dir():
        raise ParityInputError("is a directory, not a manifest file", file=name)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ParityInputError("no such file", file=name) from None
    except OSError as exc:
        raise ParityInputError(f"cannot read: {exc.strerror or exc}", file=name) from None


@click.command("diff")
@click.argument("left", metavar="LEFT")
@click.argument("right", metavar="RIGHT")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="Output: text (coloured on a terminal), json, or GitHub annotations.",
)
@click.option(
    "--waivers",
    "waivers_file",
    type=click.Path(dir_okay=False),
    default=None,
    help=f"Waivers file (default: {DEFAULT_WAIVERS} when it exists).",
)
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="User rules file (YAML or JSON) marking paths semantic, metadata or cosmetic.",
)
@click.option(
    "--show-cosmetic",
    is_flag=True,
    help="Also list what was judged equal (written differently, same meaning) and by which rule (every format).",
)
def diff(
    left: str, right: str, fmt: str, waivers_file: str | None, rules_file: str | None, show_cosmetic: bool
) -> None:
    """Compare two manifests (files, or - for stdin); multi-document files are matched by kind and name.

    Exit 0: no semantic difference; 1: semantic differences; 2: bad input.
    """
    from harness.diff import compare, load_rules, load_waivers
    from harness.diff.comparison import with_form_only
    from harness.diff.render import redact, to_github, to_json, to_text
    from harness.normalize import parse_manifest
    from harness.redact import Redactor

    if left == "-" and right == "-":
        raise ParityInputError("only one of LEFT and RIGHT can be '-' (stdin)")
    left_docs = parse_manifest(_read(left), source=_label(left))
    right_docs = parse_manifest(_read(right), source=_label(right))
    rules = load_rules(rules_file) if rules_file else None
    waivers = None
    notes: list[str] = []
    if waivers_file or DEFAULT_WAIVERS.is_file():
        all_waivers = load_waivers(waivers_file or DEFAULT_WAIVERS)
        today = dt.date.today()
        for waiver in all_waivers.expired(today):
            notes.append(f"waiver {waiver.id} expired on {waiver.expires} (owner {waiver.owner}): it waives nothing")
        waivers = all_waivers.active(today)

    comparison = compare(left_docs, right_docs, rules=rules, waivers=waivers)
    if show_cosmetic:
        comparison = with_form_only(left_docs, right_docs, comparison)
    # Written differently (the canonical form removed something): the text output says so.
    form_differs = left_docs != right_docs

    if waivers is not None and len(waivers):
        for waiver in waivers.stale(comparison.waivers_used):
            notes.append(f"waiver {waiver.id} matched nothing here (stale if no scenario needs it)")

    # Secrets never reach the output, redacted as the reports do it. Without a difference nothing
    # of either manifest is printed, so there is nothing to redact: the scan (and importing
    # detect-secrets, 0.2 s) is skipped and `parity diff` of equivalent manifests stays fast.
    scrub: Callable[[str], str] = _unchanged
    if comparison.differences:
        redactor = Redactor()
        redactor.learn_from(*left_docs, *right_docs)
        comparison = redact(comparison, redactor)
        scrub = redactor.scrub_text
    if fmt == "json":
        output = to_json(comparison)
    elif fmt == "github":
        output = to_github(comparison, file=None if right == "-" else right)
    else:
        output = to_text(
            comparison,
            left_name=_label(left),
            right_name=_label(right),
            style=_style,
            show_cosmetic=show_cosmetic,
            form_differs=form_differs,
        )
    # and once more over the whole output: what a renderer adds around the differences too
    click.echo(scrub(output))
    for note in notes:
        click.echo(f"parity: note: {scrub(note)}", err=True)
    if not comparison.equivalent:
        sys.exit(EXIT_DIFFERENT)


def _unchanged(text: str) -> str:
    return text


def _label(name: str) -> str:
    return "<stdin>" if name == "-" else name


def _style(text: str, **kwargs: Any) -> str:
    # click.echo strips the colours again when stdout is not a terminal (pipes, files, CI logs).
    return click.style(text, **kwargs)
