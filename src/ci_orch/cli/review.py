"""`ci-orch review`: the main job. context -> changes -> redact -> plan -> route -> parse ->
gate -> report (files first) -> terminal summary -> publish (--platform)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import get_args

import click

from ci_orch.cli._options import config_option, diff_source, fail_on_option
from ci_orch.cli._publish import Ran, after_job, platform_option, prelude
from ci_orch.cli._run import exits
from ci_orch.config.sections import Profile

PROFILES: tuple[str, ...] = get_args(Profile)


def _profiles(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[str, ...]:
    names = tuple(v.strip() for v in (value or "").split(",") if v.strip())
    unknown = [n for n in names if n not in PROFILES]
    if unknown:
        raise click.BadParameter(f"unknown {', '.join(unknown)}; choose from {', '.join(PROFILES)}")
    return names


@click.command()
@diff_source
@config_option
@click.option(
    "--report-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the report files go (default: report.dir, ci-orch-report).",
)
@click.option(
    "--profile",
    "profiles",
    callback=_profiles,
    metavar="NAMES",
    help=f"Comma-separated review profiles: {', '.join(PROFILES)}.",
)
@fail_on_option
@click.option(
    "--full",
    is_flag=True,
    envvar="CI_ORCH_FULL_REVIEW",
    help="Review the whole change, not only what changed since the last review "
    "(the ci-orch:full-review label does the same).",
)
@platform_option
@exits
def review(
    diff_file: Path | None,
    base: str | None,
    head: str | None,
    config_path: Path | None,
    report_dir: Path | None,
    profiles: tuple[Profile, ...],
    fail_on: str | None,
    full: bool,
    platform: str,
) -> Ran:
    """Review the change with the configured providers; one verdict decides the exit code."""
    from ci_orch.cli._progress import terminal_progress
    from ci_orch.cli._review_view import summary
    from ci_orch.context.model import PipelineContext
    from ci_orch.jobs import Inputs
    from ci_orch.platforms.summary_state import read_review_state
    from ci_orch.review.job import ReviewOptions, run_job
    from ci_orch.review.state import ReviewState

    prelude(config_path)
    def last_state(context: PipelineContext) -> ReviewState | None:
        return read_review_state(platform, context, os.environ)

    inputs = Inputs(diff_file, base, head, config_path, report_dir)
    options = ReviewOptions(inputs, profiles, fail_on, full=full, state_source=last_state)
    job = run_job(options, progress=terminal_progress())
    return after_job(job, summary(job), platform)
