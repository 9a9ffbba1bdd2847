"""`ci-orch action`: the Docker action's entry point (action.yml, Dockerfile ENTRYPOINT).

Order matters: secret values are masked before anything is printed; the workspace is
trusted for git; the chosen command runs in this process (no second interpreter start-up);
outputs are written; every file we created in the workspace goes back to its owner.
Exit code: the command's (1 = gate blocked), or 1 when `fail-on` finds a finding at or
above its severity in a run that otherwise passed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ci_orch.cli._run import exits

if TYPE_CHECKING:
    from ci_orch.platforms.actions_inputs import ActionInputs


@click.command()
@exits
def action() -> int:
    """Run as the GitHub Docker action: inputs come from INPUT_* variables (see action.yml)."""
    from ci_orch.platforms import actions, actions_inputs, actions_workspace

    actions.mask_env(os.environ)  # first: nothing has been printed yet
    inputs = actions_inputs.read_inputs(os.environ)
    os.environ.update(actions_inputs.exported_env(os.environ, inputs))
    workspace = Path(os.environ.get("GITHUB_WORKSPACE") or Path.cwd())
    if workspace.is_dir():
        os.chdir(workspace)
    warning = actions_workspace.mark_safe(workspace)
    if warning:
        click.echo(f"ci-orch: warning: {warning}", err=True)
    before = actions_workspace.entries(workspace)
    report_dir = Path(inputs.report_dir)
    try:
        code = _dispatch(inputs)
        return _finish(inputs, code, report_dir, workspace)
    finally:
        actions_workspace.give_back(
            workspace, before, (workspace / report_dir, workspace / ".ci-orch")
        )


def _dispatch(inputs: ActionInputs) -> int:
    """Run `ci-orch <command> ...` in this process through the lazy command registry."""
    from ci_orch.cli import COMMANDS, cli
    from ci_orch.errors import ExitCode, UsageError
    from ci_orch.platforms.actions_inputs import command_argv

    name = inputs.command
    if name not in COMMANDS:
        raise UsageError(f"this ci-orch has no `{name}` command (update the action's version)")
    command = cli.get_command(click.Context(cli), name)
    options = {opt for param in command.params for opt in param.opts} if command else set()
    argv = [name, *command_argv(inputs, options)]
    try:
        cli.main(args=argv, prog_name="ci-orch", standalone_mode=False)
    except SystemExit as exc:  # our commands end through cli._run.exits
        return exc.code if isinstance(exc.code, int) else int(ExitCode.INTERNAL)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        return int(ExitCode.INTERRUPTED)
    return int(ExitCode.OK)


def _finish(inputs: ActionInputs, code: int, report_dir: Path, workspace: Path) -> int:
    from ci_orch.errors import ExitCode
    from ci_orch.platforms.actions import set_outputs
    from ci_orch.platforms.actions_outputs import at_or_above, facts, outputs

    run = facts(inputs.command, report_dir)
    set_outputs(outputs(run, report_dir, workspace), os.environ)
    if code != ExitCode.OK or inputs.fail_on is None:
        return code
    reached = at_or_above(run, inputs.fail_on)
    if reached:
        click.echo(
            f"ci-orch: {reached} finding(s) at or above fail-on: {inputs.fail_on}; "
            "failing the job", err=True,
        )
        return int(ExitCode.BLOCKED)
    return code
