"""GitHub publisher: a check run, one PR review, one summary comment, all idempotent.

The three parts are posted in that order, each on its own: a part that fails (a missing
permission, a rate limit that does not lift) becomes a warning and the others still go.
`publish` raises only when no part could be posted; when every failure was a missing
permission it raises one `PermissionMissing` naming all of them (a fork PR's read-only
token ends here, and the caller falls back to workflow-command annotations).

Whose comments are ours: the login of `GET /user` (personal access tokens); an app's
installation token (GITHUB_TOKEN included) cannot read `/user`, and then it is the bot
of the app that owns our check run (`<app slug>[bot]`), else `github-actions[bot]`.

Comments of ours whose finding is gone are retired only after a complete review: a
partial run (a provider down, a budget hit) did not look at everything, so a missing
finding there proves nothing. An incremental review looked only at the lines a push
changed, so the earlier findings elsewhere stay open too.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

from ci_orch.context.model import PipelineContext
from ci_orch.platforms.github.checks import publish_check
from ci_orch.platforms.github.client import GitHubClient, RateLimiter, Scope, how_to_grant
from ci_orch.platforms.github.summary import last_state, upsert_summary
from ci_orch.platforms.github.threads import (
    load_existing,
    plan_review,
    publish_review,
    resolve_stale,
    summary_section,
)
from ci_orch.platforms.interface import (
    PermissionMissing,
    Publication,
    Publisher,
    PublishError,
    PublishOutcome,
)
from ci_orch.platforms.retry import DEFAULT_MAX_WAIT_S, WaitBudget
from ci_orch.platforms.summary_state import section_text, still_open
from ci_orch.report.model import ReviewFinding
from ci_orch.review.state import ReviewState

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_BOT = "github-actions[bot]"  # GITHUB_TOKEN's comment author
USER = Scope("a user token", "read the authenticated user")


def whoami(client: GitHubClient) -> str | None:
    try:
        _, user = client.request("GET", "/user", USER)
    except PublishError:  # 403 "Resource not accessible by integration" for app tokens
        return None
    login = user.get("login") if isinstance(user, dict) else None
    return login if isinstance(login, str) and login else None


class GitHubPublisher(Publisher):
    name = "github"

    def __init__(
        self,
        context: PipelineContext,
        token: str,
        *,
        api_url: str = "https://api.github.com",
        write_interval_s: float = 1.0,
        max_wait_s: float = DEFAULT_MAX_WAIT_S,
        max_inline: int = 30,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.context = context
        self._token = token
        self.api_url = api_url
        self.write_interval_s = write_interval_s
        self.max_wait_s = max_wait_s
        self.max_inline = max(max_inline, 0)
        self._sleep = sleep

    def publish(self, publication: Publication) -> PublishOutcome:
        ctx = self.context
        if not self._token:
            raise PublishError("no GitHub token: pass `github-token` (default "
                               "${{ github.token }}) or set GITHUB_TOKEN")
        if not ctx.repo:
            raise PublishError("no repository (owner/name) to publish to")
        client = GitHubClient(self._token, self.api_url,
                              self._limiter())
        try:
            session = Session(client, ctx.repo, publication, max_inline=self.max_inline)
            me = whoami(client)
            sha, number = ctx.head_sha, ctx.number
            slug = session.part(lambda: session.check(sha)) if sha else None
            me = me or (f"{slug}[bot]" if slug else DEFAULT_BOT)
            log.debug("publishing to %s as %s", ctx.repo, me)
            if number is not None and sha and publication.report.task == "review":
                session.part(lambda: session.review(number, sha, me))
            if number is not None:
                session.part(lambda: session.summary(number, me))
        finally:
            client.close()
        if session.nothing_posted():
            raise _failure(session.errors)
        return session.outcome(self.name)

    def _limiter(self) -> RateLimiter:
        # One budget for every wait of this run: spacing between writes and rate limits.
        budget = WaitBudget(self.max_wait_s, self._sleep)
        return RateLimiter(self.write_interval_s, self._sleep, budget=budget)

    def last_review_state(self) -> ReviewState | None:
        """The state the last review left in our summary comment (read before planning)."""
        ctx = self.context
        if not self._token or not ctx.repo or ctx.number is None:
            return None
        client = GitHubClient(self._token, self.api_url,
                              self._limiter())
        try:
            return last_state(client, ctx.repo, ctx.number, whoami(client) or DEFAULT_BOT)
        finally:
            client.close()


def _failure(errors: list[PublishError]) -> PublishError:
    if errors and all(isinstance(e, PermissionMissing) for e in errors):
        needed = list(dict.fromkeys(e.needed for e in errors if isinstance(e, PermissionMissing)))
        return PermissionMissing(" and ".join(needed), "publish to GitHub",
                                 how_to_grant(*needed))
    return errors[0] if errors else PublishError("nothing to publish: no PR and no head SHA")


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
        text = section_text(self.pub.summary_md, report, self.extra)
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
