"""Options more than one ``parity`` subcommand takes, declared once."""

from __future__ import annotations

import click

from harness.builders.isolation import DEFAULT_BUILD_TIMEOUT_S, MAX_BUILD_TIMEOUT_S

build_timeout = click.option(
    "--build-timeout",
    "build_timeout",
    type=click.FloatRange(min=0, min_open=True, max=MAX_BUILD_TIMEOUT_S),
    default=DEFAULT_BUILD_TIMEOUT_S,
    show_default=True,
    help="Seconds a builder may take for one build; past it, that side crashed.",
)
