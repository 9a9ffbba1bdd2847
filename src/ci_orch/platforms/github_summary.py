"""The one summary comment on the PR, updated in place (PLATFORMS.md items 8 and 9).

Found by paging `GET /issues/{n}/comments` for the task's marker on a comment by our own
account (a marker pasted by someone else does not count), then `PATCH`ed; posted when there
is none. The body stays below GitHub's 65,536-character limit, cut with a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ci_orch.platforms.github_client import GitHubClient, Scope
from ci_orch.platforms.github_text import BODY_LIMIT, trim
from ci_orch.platforms.github_threads import author
from ci_orch.platforms.markers import is_summary

# PR conversation comments are issue comments; GitHub accepts `pull-requests: write` for
# them on pull requests (docs.github.com "Create an issue comment", fine-grained access).
SUMMARY = Scope("pull-requests: write", "post the summary comment on the pull request")


@dataclass(frozen=True, slots=True)
class SummaryResult:
    created: bool
    url: str | None


def summary_body(summary_md: str, marker: str, extra: str = "") -> str:
    text = "\n\n".join(part for part in (summary_md.rstrip(), extra) if part)
    # The marker goes last and is never cut: it is how the next run finds this comment.
    return trim(text, BODY_LIMIT - len(marker) - 2) + "\n\n" + marker


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
                   body: str, marker: str) -> SummaryResult:
    old = find_summary(client, repo, number, me, marker)
    if old is not None:
        _, data = client.request("PATCH", f"/repos/{repo}/issues/comments/{old['id']}",
                                 SUMMARY, body={"body": body})
        return _result(False, data)
    _, data = client.request("POST", f"/repos/{repo}/issues/{number}/comments", SUMMARY,
                             body={"body": body})
    return _result(True, data)


def _result(created: bool, data: Any) -> SummaryResult:
    url = data.get("html_url") if isinstance(data, dict) else None
    return SummaryResult(created, url if isinstance(url, str) else None)
