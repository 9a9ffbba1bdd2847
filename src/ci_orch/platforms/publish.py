"""`publish`: the one call the commands make after every report file is written.

Publishing degrades, it never fails a run on its own: a publisher that cannot
post is reported as an error, and its fallback (workflow-command annotations on GitHub)
still runs. Whether an error changes the exit code is the caller's decision
(`policy.fail_open`, cli/_publish.py). A missing permission is a warning, not an error:
fork PRs and read-only tokens are normal, and the annotations carry the findings.

What is published passes the egress filter first: the summary text and every text field of
the report (model-written titles and bodies are untrusted output), so each publisher gets
scrubbed text; the platform clients scrub every request again as the last step.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ci_orch.context.changes import Changes
from ci_orch.egress.filter import Egress
from ci_orch.platforms.choice import PlatformChoice
from ci_orch.platforms.interface import (
    PermissionMissing,
    Publication,
    Publisher,
    PublishError,
    PublishOutcome,
)
from ci_orch.platforms.retry import DEFAULT_MAX_WAIT_S
from ci_orch.platforms.select import RunnerPublishers, Selection, select
from ci_orch.report.model import RunReport

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Published:
    outcomes: tuple[PublishOutcome, ...] = ()
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()  # publishing failures: always reported


def read_summary(report_dir: Path) -> str:
    try:
        return (report_dir / "summary.md").read_text(encoding="utf-8")
    except OSError:
        return ""


def publish(
    report: RunReport,
    changes: Changes,
    report_dir: Path,
    summary_md: str | None = None,
    platform: PlatformChoice = "auto",
    env: Mapping[str, str] | None = None,
    *,
    runner: RunnerPublishers | None,
    selection: Selection | None = None,
    egress: Egress | None = None,
    max_wait_s: float = DEFAULT_MAX_WAIT_S,
) -> Published:
    """Post a finished run. `summary_md=None` reads summary.md from `report_dir`.

    `runner` builds the Actions runner's own publishers (`select`); `selection`, when
    given, is used as it is. `egress` is the run's filter; without it one is built from
    `env`'s keys.
    """
    env = os.environ if env is None else env
    egress = egress or Egress.build(None, env)
    if selection is None:
        selection = select(platform, changes.context, env, runner=runner,
                           max_wait_s=max_wait_s)
    if not selection.publishers:
        return Published(warnings=selection.notes)
    text = read_summary(report_dir) if summary_md is None else summary_md
    publication = Publication(
        egress.scrub_model(report), changes.diff, report_dir, egress.scrub(text)
    )
    return _run(selection, publication)


def _run(selection: Selection, publication: Publication) -> Published:
    outcomes: list[PublishOutcome] = []
    warnings = list(selection.notes)
    errors: list[str] = []
    for index, publisher in enumerate(selection.publishers):
        try:
            outcomes.append(publisher.publish(publication))
        except PublishError as exc:
            fallback = selection.fallback if index == 0 else None
            if isinstance(exc, PermissionMissing) and fallback is not None:
                warnings.append(f"{publisher.name}: {exc}; publishing {fallback.name} instead")
            else:
                errors.append(f"{publisher.name}: {exc}")
            if fallback is not None:
                outcomes.extend(_fallback(fallback, publication, errors))
    for outcome in outcomes:
        warnings.extend(f"{outcome.platform}: {w}" for w in outcome.warnings)
    return Published(tuple(outcomes), tuple(warnings), tuple(errors))


def _fallback(
    publisher: Publisher, publication: Publication, errors: list[str]
) -> list[PublishOutcome]:
    try:
        return [publisher.publish(publication)]
    except PublishError as exc:
        errors.append(f"{publisher.name}: {exc}")
        return []
