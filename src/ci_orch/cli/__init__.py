"""The `ci-orch` command. Subcommands are imported only when run, so `--version` stays fast."""

from __future__ import annotations

import importlib
from typing import Any

import click

from ci_orch import __version__
from ci_orch.cli._run import configure_logging

# name -> "module:attribute" of a click command; loaded on first use.
COMMANDS: dict[str, str] = {
    "action": "ci_orch.cli.action:action",
    "plan": "ci_orch.cli.plan:plan",
    "config": "ci_orch.cli.config_cmd:config",
    "eval": "ci_orch.cli.eval_cmd:eval_cmd",
    "gate": "ci_orch.cli.gate:gate",
    "generate": "ci_orch.cli.generate:generate",
    "providers": "ci_orch.cli.providers:providers",
    "report": "ci_orch.cli.report:report",
    "review": "ci_orch.cli.review:review",
    "spend": "ci_orch.cli.spend:spend",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        command = getattr(importlib.import_module(module), attr)
        if not isinstance(command, click.Command):  # pragma: no cover - a registry typo
            raise TypeError(f"{target} is not a click command")
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ci-orch")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for DEBUG).")
def cli(verbose: int) -> None:
    """AI code review and generation for CI: routed, budgeted and gated."""
    configure_logging(verbose)


def main(argv: Any = None) -> None:
    cli.main(args=argv, prog_name="ci-orch")
