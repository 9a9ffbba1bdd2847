"""The one summary comment on the PR, updated in place, so re-runs do not pile up comments.

GitHub refuses comment bodies of 65,536 characters or more
(https://docs.github.com/en/rest/issues/comments).

Each task (gate, review, generate) sets its own section of it (markers.py).
Found by paging `GET /issues/{n}/comments` for the marker on a comment by our own
account (a marker pasted by someone else does not count), then `PATCH`ed; posted when there
is none. The body stays below GitHub's 65,536-character limit, cut with a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ci_orch.platforms.github.client import GitHubClient, Scope
from ci_orch.platforms.github.text import BODY_LIMIT, trim
from ci_orch.platforms.github.threads import author
from ci_orch.platforms.markers import (
    SUMMARY_MARKER,
    is_summary,
    sections_in,
    with_section,
)
from ci_orch.platforms.summary_state import state_from_summary
from ci_orch.review.state import ReviewState

# PR conversation comments are issue comments; GitHub accepts `pull-requests: write` for
# them on pull requests (docs.github.com "Create an issue comment", fine-grained access).
SUMMARY = Scope("pull-requests: write", "post the summary comment on the pull request")


@dataclass(frozen=True, slots=True)
class SummaryResult:
    created: bool
    url: str | None


def summary_body(old_body: str | None, task: str, text: str) -> str:
    # The marker goes last and is never cut: it is how the next run finds this comment.
    return with_section(old_body, task, text, limit=BODY_LIMIT, fit=trim, marker_last=True)


def find_summary(client: GitHubClient, repo: str, number: int,
                 me: str, marker: str) -> dict[str, Any] | None:
    mine = me.casefold()
    found = None
    for comment in client.paginate(f"/repos/{repo}/issues/{number}/comments", SUMMARY):
        if (isinstance(comment, dict) and author(comment) == mine
                and is_summary(str(comment.get("body") or ""), marker)):
            found = comment  # the newest one wins if an old bug left two
    return found


def upsert_summary(client: GitHubClient, repo: str, number: int, me: str,
                   task: str, text: str) -> SummaryResult:
    """Set `task`'s section of the one summary comment. GitHub has no conditional write, so
    the comment is read back: if a concurrent job wrote an older copy over ours, our section
    is merged into what is there now and written once more."""
    result = _write(client, repo, number, me, task, text)
    now = find_summary(client, repo, number, me, SUMMARY_MARKER)
    mine = sections_in(summary_body(None, task, text)).get(task)
    if now is not None and sections_in(str(now.get("body") or "")).get(task) != mine:
        again = _write(client, repo, number, me, task, text, found=now)
        return SummaryResult(result.created, again.url or result.url)
    return result


def _write(client: GitHubClient, repo: str, number: int, me: str, task: str,
           text: str, found: dict[str, Any] | None = None) -> SummaryResult:
    """Write `task`'s section into the summary `found` (looked up when not given: all the
    PR's comments are paged through), or a new comment."""
    old = found or find_summary(client, repo, number, me, SUMMARY_MARKER)
    body = summary_body(str(old.get("body") or "") if old else None, task, text)
    if old is not None:
        _, data = client.request("PATCH", f"/repos/{repo}/issues/comments/{old['id']}",
                                 SUMMARY, body={"body": body})
        return _result(False, data)
    _, data = client.request("POST", f"/repos/{repo}/issues/{number}/comments", SUMMARY,
                             body={"body": body})
    return _result(True, data)


def last_state(client: GitHubClient, repo: str, number: int, me: str) -> ReviewState | None:
    """The state the last review left in our summary comment, if there is one."""
    found = find_summary(client, repo, number, me, SUMMARY_MARKER)
    return state_from_summary(str(found.get("body") or "")) if found else None


def _result(created: bool, data: Any) -> SummaryResult:
    url = data.get("html_url") if isinstance(data, dict) else None
    return SummaryResult(created, url if isinstance(url, str) else None)
