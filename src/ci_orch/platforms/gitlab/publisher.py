"""The GitLab publisher: MR discussions on diff lines and one summary note, idempotently.

Order of work: who are we (`GET /user`, so markers are trusted only on our own notes), the
newest MR version's SHAs (a diff position must carry them:
https://docs.gitlab.com/ee/api/discussions.html), our existing threads, then new threads,
resolutions and the summary note upsert (summary.py).
Self-managed instances work through `CI_API_V4_URL` (the `api_url`). The token must be a
project or group access token with the `api` scope: `CI_JOB_TOKEN` cannot post notes
(https://docs.gitlab.com/ee/ci/jobs/ci_job_token.html), and `gitlab_token` says so.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from ci_orch.context.model import PipelineContext
from ci_orch.platforms.gitlab.client import GitLabClient
from ci_orch.platforms.gitlab.summary import last_state, upsert_summary
from ci_orch.platforms.gitlab.threads import Tally, ThreadPoster
from ci_orch.platforms.interface import (
    PermissionMissing,
    Publication,
    Publisher,
    PublishError,
    PublishOutcome,
)
from ci_orch.platforms.markers import fingerprints_in
from ci_orch.platforms.retry import DEFAULT_MAX_WAIT_S, WaitBudget
from ci_orch.platforms.summary_state import section_text, still_open
from ci_orch.review.state import ReviewState

log = logging.getLogger(__name__)

TOKEN_VARIABLES = ("CI_ORCH_GITLAB_TOKEN", "GITLAB_TOKEN")


def gitlab_token(env: Mapping[str, str], variable: str | None = None) -> str:
    """The API token from `variable`, else CI_ORCH_GITLAB_TOKEN, else GITLAB_TOKEN."""
    names = (variable,) if variable else TOKEN_VARIABLES
    for name in names:
        if env.get(name, "").strip():
            return env[name].strip()
    wanted = " or ".join(names)
    if env.get("CI_JOB_TOKEN"):
        why = (f"{wanted} is not set; only CI_JOB_TOKEN is, and CI_JOB_TOKEN cannot post "
               "merge request notes or discussions")
    else:
        why = f"{wanted} is not set"
    raise PermissionMissing(
        f"the `api` scope ({why})",
        "post merge request discussions and the summary note",
        "Create a project or group access token with the `api` scope and the Reporter role "
        f"or higher (Developer works too), and store it as a masked CI/CD variable named "
        f"{names[0]}.",
    )


class GitLabPublisher(Publisher):
    name = "gitlab"

    def __init__(self, context: PipelineContext, token: str, *, api_url: str,
                 sleep: Callable[[float], None] = time.sleep, per_page: int = 100,
                 max_wait_s: float = DEFAULT_MAX_WAIT_S) -> None:
        self._context = context
        self._token = token
        self._api_url = api_url
        self._sleep = sleep
        self._max_wait_s = max_wait_s
        self._per_page = per_page

    def publish(self, publication: Publication) -> PublishOutcome:
        ctx = self._context
        if ctx.number is None:
            return PublishOutcome(self.name, warnings=(
                "not a merge request pipeline: nothing was posted to GitLab",))
        project = ctx.project_id or ctx.repo
        if not project:
            raise PublishError("cannot tell the GitLab project: CI_PROJECT_ID is not set")
        client = GitLabClient(self._api_url, self._token, project, ctx.number,
                              sleep=self._sleep, per_page=self._per_page,
                              budget=WaitBudget(self._max_wait_s, self._sleep))
        me = client.user_id()
        tally = Tally()
        if publication.report.task != "gate":  # the gate's findings live in its note
            self._threads(client, me, publication, tally)
        summary = self._summary(client, me, publication, tally)
        return _outcome(self.name, tally, summary)

    def _threads(self, client: GitLabClient, me: int, publication: Publication,
                 tally: Tally) -> None:
        refs = client.newest_version()
        poster = ThreadPoster(client, publication.diff, refs, self._inline_ok(refs.head_sha,
                                                                              tally))
        ours = [t for t in client.threads() if t.author_id == me]
        findings = publication.report.findings
        poster.post_all(findings, ours, tally)
        report = publication.report
        if report.status == "complete" and report.task == "review":
            # A partial run may have missed a finding that is still there, and another task's
            # findings say nothing about the review's: resolve nothing then. An increment
            # looked only at the lines a push changed: threads of findings elsewhere stay.
            kept = still_open(report) - {f.fingerprint for f in findings}
            poster.resolve_gone(findings, [t for t in ours if not fingerprints_in(t.body) & kept],
                                tally)

    def last_review_state(self) -> ReviewState | None:
        """The state the last review left in our summary note (read before planning)."""
        ctx = self._context
        project = ctx.project_id or ctx.repo
        if ctx.number is None or not project:
            return None
        client = GitLabClient(self._api_url, self._token, project, ctx.number,
                              sleep=self._sleep, per_page=self._per_page,
                              budget=WaitBudget(self._max_wait_s, self._sleep))
        return last_state(client)

    def _summary(self, client: GitLabClient, me: int, publication: Publication,
                 tally: Tally) -> str:
        report = publication.report
        text = section_text(publication.summary_md, report)
        try:
            return upsert_summary(client, me, report.task, text)
        except PermissionMissing:
            raise
        except PublishError as exc:
            if not tally.posted and not tally.resolved:
                raise  # nothing useful was posted (interface.Publisher.publish)
            tally.warnings.append(f"the summary note was not posted: {exc}")
            return "failed"

    def _inline_ok(self, newest_head: str, tally: Tally) -> bool:
        """Line positions from the reviewed diff only fit the version that was reviewed."""
        reviewed = self._context.head_sha
        if reviewed is None or reviewed == newest_head:
            return True
        tally.warnings.append(
            f"the merge request moved on ({newest_head[:12]}) since the reviewed commit "
            f"({reviewed[:12]}): findings are posted on their files, not on lines")
        return False


def _outcome(name: str, tally: Tally, summary: str) -> PublishOutcome:
    posted = {k: v for k, v in tally.posted.items() if v}
    if summary == "posted":
        posted["summary"] = 1
    return PublishOutcome(name, posted=posted,
                          updated={"summary": 1} if summary == "updated" else {},
                          skipped={k: v for k, v in tally.skipped.items() if v},
                          resolved=tally.resolved, warnings=tuple(tally.warnings))


__all__ = ["GitLabPublisher", "gitlab_token"]
