"""Options more than one ``parity`` subcommand takes, declared once, and how a command tells
the options given on its command line from click's defaults (the project configuration sits
between the two: harness.project_config)."""

from __future__ import annotations

from typing import Any

import click
from click.core import ParameterSource

from harness.builders.isolation import DEFAULT_BUILD_TIMEOUT_S, MAX_BUILD_TIMEOUT_S

build_timeout = click.option(
    "--build-timeout",
    "build_timeout",
    type=click.FloatRange(min=0, min_open=True, max=MAX_BUILD_TIMEOUT_S),
    default=DEFAULT_BUILD_TIMEOUT_S,
    show_default=True,
    help="Seconds a builder may take for one build; past it, that side crashed.",
)

inputs_model = click.option(
    "--inputs-model",
    "inputs_model",
    default=None,
    help="Input model the scenarios' inputs are validated against, package.module:Model "
    "[default: the python-job shape].",
)

call = click.option(
    "--call",
    "call",
    type=click.Choice(["dict", "kwargs", "model"]),
    default=None,
    help="How a builder receives the inputs [default: dict].",
)


def given(ctx: click.Context, keys: Any = None) -> dict[str, Any]:
    """The parameters given explicitly (command line, environment), by name; a parameter left
    at click's default is not given, so the project configuration's value is not shadowed."""
    return {
        name: value
        for name, value in ctx.params.items()
        if (keys is None or name in keys) and ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, None)
    }
