"""What both publishers do with the review state: which findings stay open after a run, the
hidden state to leave in the summary, and the state read back from a summary."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import cast

from ci_orch.context.model import PipelineContext
from ci_orch.platforms.interface import PublishError
from ci_orch.platforms.markers import sections_in, state_in, state_marker
from ci_orch.report.model import RunReport
from ci_orch.review.state import ReviewState, state_of

log = logging.getLogger(__name__)


def still_open(report: RunReport) -> set[str]:
    """The findings a complete run keeps open: what it reported, plus (an increment) the
    earlier findings on lines it did not review, which it has no grounds to retire."""
    kept = report.increment.kept if report.increment else ()
    return {f.fingerprint for f in report.findings} | {k.fingerprint for k in kept}


def state_text(report: RunReport) -> str:
    state = state_of(report)
    return state_marker(state.to_json()) if state else ""


def section_text(summary_md: str, report: RunReport, extra: str = "") -> str:
    """This task's part of the one summary: its summary.md, what the run could not post
    elsewhere, and (the review only) the hidden state the next run builds on."""
    return "\n\n".join(p for p in (summary_md.rstrip(), extra, state_text(report)) if p)


def state_from_summary(body: str) -> ReviewState | None:
    review = sections_in(body).get("review")
    text = state_in(review) if review else None
    return ReviewState.from_json(text) if text else None


def read_review_state(platform: str, context: PipelineContext,
                      env: Mapping[str, str]) -> ReviewState | None:
    """The last review's state from the platform the run publishes to; a failed read is a
    warning and a full review, never a failed run."""
    from ci_orch.platforms.choice import PLATFORM_CHOICES, PlatformChoice
    from ci_orch.platforms.select import select

    if platform not in PLATFORM_CHOICES or platform in ("local", "none"):
        return None
    # Only the REST publishers keep a summary to read; the runner's annotations keep none.
    selection = select(cast("PlatformChoice", platform), context, env, runner=None)
    for publisher in selection.publishers:
        try:
            state = publisher.last_review_state()
        except PublishError as exc:
            log.warning("the last review state could not be read from %s: %s",
                        publisher.name, exc)
            continue
        if state is not None:
            return state
    return None
