"""`ci-orch action`: the Docker action's entry point (action.yml, Dockerfile ENTRYPOINT).

Order matters: secret values are masked before anything is printed; the workspace is
trusted for git; the chosen command's body runs in this process (its arguments parsed by
its own click options, its result returned, not re-read from files); outputs are written
from that result; every file we created in the workspace goes back to its owner.
Exit code: the command's one verdict (`fail-on` is passed to it as `--fail-on`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ci_orch.cli._run import exits

if TYPE_CHECKING:
    from collections.abc import Callable

    from ci_orch.action.inputs import ActionInputs
    from ci_orch.cli._publish import Ran


@click.command()
@exits
def action() -> int:
    """Run as the GitHub Docker action: inputs come from INPUT_* variables (see action.yml)."""
    from ci_orch.action import inputs as action_inputs
    from ci_orch.action import runtime
    from ci_orch.action import workspace as action_workspace

    runtime.mask_env(os.environ)  # first: nothing has been printed yet
    inputs = action_inputs.read_inputs(os.environ)
    os.environ.update(action_inputs.exported_env(os.environ, inputs))
    workspace = Path(os.environ.get("GITHUB_WORKSPACE") or Path.cwd())
    if workspace.is_dir():
        os.chdir(workspace)
    warning = action_workspace.mark_safe(workspace)
    if warning:
        click.echo(f"ci-orch: warning: {warning}", err=True)
    before = action_workspace.entries(workspace)
    report_dir = Path(inputs.report_dir)
    try:
        return _finish(inputs, _dispatch(inputs), report_dir, workspace)
    finally:
        action_workspace.give_back(
            workspace, before, (workspace / report_dir, workspace / ".ci-orch")
        )


def _dispatch(inputs: ActionInputs) -> int | Ran:
    """Parse the command's arguments with its own options and call its body directly."""
    from ci_orch.action.inputs import command_argv
    from ci_orch.cli import COMMANDS, cli
    from ci_orch.errors import UsageError

    name = inputs.command
    command = cli.get_command(click.Context(cli), name) if name in COMMANDS else None
    if command is None or command.callback is None:
        raise UsageError(f"this ci-orch has no `{name}` command (update the action's version)")
    options = {opt for param in command.params for opt in param.opts}
    try:
        ctx = command.make_context(name, command_argv(inputs, options))
    except click.ClickException as exc:
        raise UsageError(f"input args: {exc.format_message()}") from None
    body: Callable[..., int | Ran] = command.callback.__wrapped__  # type: ignore[attr-defined]
    with ctx:
        return body(**ctx.params)


def _finish(inputs: ActionInputs, result: int | Ran, report_dir: Path, workspace: Path) -> int:
    from ci_orch.action.outputs import RunFacts, outputs, report_facts
    from ci_orch.action.runtime import set_outputs

    if isinstance(result, int):  # eval: its verdict is the exit code, eval.json the rest
        set_outputs(outputs(RunFacts(), report_dir, workspace), os.environ)
        return result
    set_outputs(outputs(report_facts(result.report), result.report_dir, workspace), os.environ)
    return result.exit_code
