"""GitHub publisher: a check run, one PR review, one summary comment, all idempotent.

The three parts are posted in that order, each on its own: a part that fails (a missing
permission, a rate limit that does not lift) becomes a warning and the others still go.
`publish` raises only when no part could be posted; when every failure was a missing
permission it raises one `PermissionMissing` naming all of them (a fork PR's read-only
token ends here, and the caller falls back to workflow-command annotations).

Whose comments are ours: the login of `GET /user` (personal access tokens); an app's
installation token (GITHUB_TOKEN included) cannot read `/user`, and then it is the bot
of the app that owns our check run (`<app slug>[bot]`), else `github-actions[bot]`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from ci_orch.context.model import PipelineContext
from ci_orch.platforms.github_client import GitHubClient, Scope, how_to_grant
from ci_orch.platforms.github_ratelimit import RateLimiter
from ci_orch.platforms.github_session import Session
from ci_orch.platforms.github_summary import last_state
from ci_orch.platforms.interface import (
    PermissionMissing,
    Publication,
    Publisher,
    PublishError,
    PublishOutcome,
)
from ci_orch.platforms.retry import DEFAULT_MAX_WAIT_S, WaitBudget
from ci_orch.review.state import ReviewState

log = logging.getLogger(__name__)

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
