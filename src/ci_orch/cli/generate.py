"""`ci-orch generate`: patches for tests, docs or fixes, checked with git apply and gated."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from ci_orch.cli._options import config_option, diff_source, fail_on_option
from ci_orch.cli._publish import Ran, after_job, platform_option, prelude
from ci_orch.cli._run import exits

TASK_NAMES = ("tests", "docs", "fix")  # ci_orch.generate.prompts.TASKS, kept import-free here


@click.command()
@click.option("--task", required=True, type=click.Choice(TASK_NAMES), help="What to generate.")
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="PATH",
    help="A file or directory to focus on; its text at head goes into the prompt (repeatable).",
)
@diff_source
@config_option
@click.option(
    "--report-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the report files and patches/ go (default: report.dir, ci-orch-report).",
)
@fail_on_option
@platform_option
@exits
def generate(
    task: str,
    targets: tuple[str, ...],
    diff_file: Path | None,
    base: str | None,
    head: str | None,
    config_path: Path | None,
    report_dir: Path | None,
    fail_on: str | None,
    platform: str,
) -> Ran:
    """Ask the models for unified-diff patches; write the ones that apply and pass the gate."""
    from ci_orch.generate.job import GenerateOptions, run_job
    from ci_orch.generate.prompts import GenerateTask
    from ci_orch.generate.view import summary
    from ci_orch.jobs import Inputs

    prelude(config_path)
    task_name = cast("GenerateTask", task)  # click.Choice has checked it
    inputs = Inputs(diff_file, base, head, config_path, report_dir)
    options = GenerateOptions(task_name, targets, inputs, fail_on)
    done = run_job(options)
    return after_job(done.job, summary(done), platform)
