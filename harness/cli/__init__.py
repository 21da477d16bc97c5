"""The ``parity`` command.

Subcommands are imported only when invoked: ``parity diff`` must start fast and never import
hera or kubernetes, which only the builders need.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

import click

from harness.errors import ParityInputError

EXIT_BAD_INPUT = 2

# name -> "module:attr" of a click.Command; kept as strings so that importing this module
# costs nothing beyond click.
SUBCOMMANDS: dict[str, str] = {
    "diff": "harness.cli.diff_command:diff",
    "run": "harness.cli.run_command:run",
    "fuzz": "harness.cli.fuzz_command:fuzz",
    "report": "harness.cli.report_command:report",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in SUBCOMMANDS if _command_module_exists(name))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None
            raise
        command: click.Command = getattr(module, attr)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ParityInputError as exc:
            click.echo(f"parity: error: {exc}", err=True)
            ctx.exit(EXIT_BAD_INPUT)


def _command_module_exists(name: str) -> bool:
    module_name = SUBCOMMANDS[name].split(":")[0]
    return importlib.util.find_spec(module_name) is not None


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="argo-parity", prog_name="parity")
def cli() -> None:
    """Prove that two Argo Workflows manifest builders produce the same workflows."""


def main(argv: list[str] | None = None) -> None:
    # click's own usage errors exit 2 as well, which matches the documented exit code for bad input (README).
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="parity")
