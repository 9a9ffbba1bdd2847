"""One publishing run on GitHub: the parts in order, and the tally for `PublishOutcome`.

Comments of ours whose finding is gone are retired only after a complete review: a
partial run (a provider down, a budget hit) did not look at everything, so a missing
finding there proves nothing. An incremental review looked only at the lines a push
changed, so the earlier findings elsewhere stay open too.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

from ci_orch.platforms.github_checks import publish_check
from ci_orch.platforms.github_client import GitHubClient
from ci_orch.platforms.github_review import plan_review, summary_section
from ci_orch.platforms.github_summary import section_text, upsert_summary
from ci_orch.platforms.github_threads import (
    load_existing,
    publish_review,
    resolve_stale,
)
from ci_orch.platforms.interface import Publication, PublishError, PublishOutcome
from ci_orch.platforms.summary_state import state_text, still_open
from ci_orch.report.model import ReviewFinding

log = logging.getLogger(__name__)
T = TypeVar("T")


def _not_in_summary_md(findings: list[ReviewFinding]) -> list[ReviewFinding]:
    # summary.md already shows the text of findings placed "summary" (report/markdown.py).
    return [f for f in findings if f.placement != "summary"]


class Session:
    def __init__(self, client: GitHubClient, repo: str, publication: Publication, *,
                 max_inline: int) -> None:
        self.client = client
        self.repo = repo
        self.pub = publication
        self.max_inline = max_inline
        self.posted: Counter[str] = Counter()
        self.updated: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()
        self.resolved = 0
        self.warnings: list[str] = []
        self.errors: list[PublishError] = []
        self.urls: list[str] = []
        self.parts_done = 0
        self.extra = ""  # findings the review could not carry, for the summary comment

    def part(self, run: Callable[[], T]) -> T | None:
        try:
            result = run()
        except PublishError as exc:
            log.warning("GitHub publishing step failed: %s", exc)
            self.errors.append(exc)
            self.warnings.append(str(exc))
            return None
        self.parts_done += 1
        return result

    def nothing_posted(self) -> bool:
        return self.parts_done == 0

    def check(self, head_sha: str) -> str | None:
        result = publish_check(self.client, self.repo, head_sha, self.pub.report,
                               self.pub.summary_md)
        (self.posted if result.created else self.updated)["check_run"] += 1
        self.posted["annotations"] += result.annotations_sent
        self.skipped["duplicate_annotations"] += result.annotations_duplicate
        self.skipped["annotations_left_out"] += result.annotations_left_out
        if result.url:
            self.urls.append(result.url)
        return result.app_slug

    def review(self, number: int, head_sha: str, me: str) -> None:
        report = self.pub.report
        existing = load_existing(self.client, self.repo, number, me)
        plan = plan_review(report.findings, self.pub.diff, present=set(existing.present),
                           max_inline=self.max_inline)
        self.skipped["duplicate"] += plan.duplicates
        self.skipped["folded"] += len(plan.folded)
        try:
            posted = publish_review(self.client, self.repo, number, head_sha, plan,
                                    max_inline=self.max_inline,
                                    blocked=frozenset(report.gate.blocked_outputs))
        except PublishError:
            everything = [*plan.inline, *plan.folded, *plan.file_level, *plan.summary]
            self.extra = summary_section(_not_in_summary_md(everything),
                                         "Posting the review failed.")
            raise
        self.posted["inline"] += posted.inline
        self.posted["review"] += int(posted.review_url is not None or posted.inline > 0)
        self.posted["file"] += posted.file_level
        self.skipped["to_summary"] += len(posted.to_summary)
        self.warnings += posted.warnings
        self.extra = summary_section(_not_in_summary_md(posted.to_summary),
                                     "They are not on lines of this diff, or GitHub refused "
                                     "them there.")
        if posted.review_url:
            self.urls.append(posted.review_url)
        if report.status == "complete":
            self.resolved += resolve_stale(self.client, self.repo, existing,
                                           still_open(report), head_sha,
                                           warnings=self.warnings)

    def summary(self, number: int, me: str) -> None:
        report = self.pub.report
        text = section_text(self.pub.summary_md, self.extra, state_text(report))
        result = upsert_summary(self.client, self.repo, number, me, report.task, text)
        (self.posted if result.created else self.updated)["summary"] += 1
        if result.url:
            self.urls.append(result.url)

    def outcome(self, platform: str) -> PublishOutcome:
        def nonzero(c: Counter[str]) -> dict[str, int]:
            return {k: v for k, v in sorted(c.items()) if v}

        return PublishOutcome(
            platform=platform, posted=nonzero(self.posted), updated=nonzero(self.updated),
            skipped=nonzero(self.skipped), resolved=self.resolved,
            warnings=tuple(self.warnings), url=self.urls[0] if self.urls else None,
        )
