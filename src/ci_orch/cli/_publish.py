"""`--platform` and the publishing step the review, generate and gate commands share.

In GitHub Actions every command first masks secret values (`::add-mask::`) and prints
model- or author-written text between `::stop-commands::` markers, so that text cannot
issue workflow commands.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from ci_orch.platforms.choice import PLATFORM_CHOICES
from ci_orch.report.model import RunReport

if TYPE_CHECKING:
    from ci_orch.context.changes import Changes
    from ci_orch.egress.filter import Egress
    from ci_orch.jobs import Job
    from ci_orch.platforms.interface import PublishOutcome

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Ran:
    """What a review, generate or gate command leaves to its caller (the CLI or the action)."""

    report: RunReport
    report_dir: Path

    @property
    def exit_code(self) -> int:
        return self.report.exit_code
def platform_option(func: F) -> F:
    return click.option(
        "--platform",
        type=click.Choice(PLATFORM_CHOICES),
        default="auto",
        show_default=True,
        envvar="CI_ORCH_PLATFORM",
        help="Where to publish: auto follows the CI (GitHub, GitLab; nothing locally).",
    )(func)


def prelude(config_path: Path | None = None) -> None:
    """Mask every secret value before anything is printed (GitHub Actions only)."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        return
    from ci_orch.action.runtime import mask_env

    mask_env(os.environ, _config_key_names(config_path))


def _config_key_names(config_path: Path | None) -> list[str]:
    from ci_orch.config import load_config
    from ci_orch.errors import CiOrchError

    try:
        config = load_config(config_path)
    except CiOrchError:  # the command reports a bad config itself
        return []
    return [p.key_env for p in config.providers if p.key_env]


def use_run_filter(egress: Egress | None) -> None:
    """From here on, stdout, stderr and the log pass the run's own egress filter, which has
    learnt the secrets the run met (a key glued into a file name, say)."""
    if egress is None:
        return
    from ci_orch.egress import streams

    streams.wrap_streams(egress)
    streams.filter_logs(logging.getLogger(), egress)


def echo_untrusted(text: str) -> None:
    """Print text that holds model or PR-author writing; inert to the Actions runner."""
    if os.environ.get("GITHUB_ACTIONS") == "true":
        from ci_orch.action.runtime import stop_commands

        click.echo(stop_commands(text), nl=False)
    else:
        click.echo(text)


def after_job(job: Job, summary: str, platform: str) -> Ran:
    """What review and generate do once their files are written: switch the output to the
    run's own egress filter, print the one-screen summary, publish."""
    use_run_filter(job.egress)
    echo_untrusted(summary)
    publish_run(job.report, job.changes, job.directory, platform=platform,
                max_wait_s=job.publish.max_wait_s, egress=job.egress)
    return Ran(job.report, job.directory)


def publish_run(
    report: RunReport,
    changes: Changes,
    report_dir: Path,
    *,
    platform: str,
    summary_md: str | None = None,
    max_wait_s: float,
    egress: Egress | None = None,
    last_line: bool = True,
) -> int:
    """Publish a run whose files are written and whose verdict is decided; return its exit code.

    Publishing never changes the verdict: the check run, the summary and the process exit
    must say the same thing, and they were all decided before this. A failed post is
    printed as an error (the report files already hold everything).
    """
    if platform not in ("local", "none"):
        _publish(report, changes, report_dir, platform, summary_md, max_wait_s, egress)
    if last_line:  # the job log ends on the verdict, unless stdout is a machine format
        click.echo(f"ci-orch: {report.verdict.title}", err=True)
    return report.exit_code


def _publish(
    report: RunReport,
    changes: Changes,
    report_dir: Path,
    platform: str,
    summary_md: str | None,
    max_wait_s: float,
    egress: Egress | None,
) -> None:
    from ci_orch.action.publisher import RUNNER
    from ci_orch.platforms.choice import PlatformChoice
    from ci_orch.platforms.publish import publish

    done = publish(report, changes, report_dir, summary_md, cast("PlatformChoice", platform),
                   runner=RUNNER, max_wait_s=max_wait_s, egress=egress)
    for outcome in done.outcomes:
        click.echo(f"ci-orch: published to {outcome.platform}: {describe(outcome)}", err=True)
    for warning in done.warnings:
        click.echo(f"ci-orch: warning: {warning}", err=True)
    for error in done.errors:
        click.echo(f"ci-orch: error: publishing failed: {error}", err=True)


def describe(outcome: PublishOutcome) -> str:
    """What a publisher created, updated, skipped and resolved, in that order."""
    parts = [
        *(f"{n} {kind} created" for kind, n in outcome.posted.items() if n),
        *(f"{n} {kind} updated" for kind, n in outcome.updated.items() if n),
        *(f"{n} {kind} skipped" for kind, n in outcome.skipped.items() if n),
        *([f"{outcome.resolved} resolved"] if outcome.resolved else []),
    ]
    return ", ".join(parts) or "nothing changed"
