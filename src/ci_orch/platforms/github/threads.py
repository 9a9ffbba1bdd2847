"""Our review comments on a PR: find the ones already there, post new ones, retire stale ones.

Idempotency (reviewdog's hidden-marker idea): every comment we post carries its finding's
fingerprint marker. Existing review comments (all pages) and review bodies count only when
written by our own account, since anyone can paste a marker. A fingerprint already present
is not posted again; a comment of ours whose fingerprint is no longer among the findings
is edited (PATCH) to say it no longer applies, with the original folded away and its
marker renamed so later runs ignore it. Resolving the thread itself needs GraphQL
(`resolveReviewThread`), which this publisher does not use.

The review is one `COMMENT` review: `REQUEST_CHANGES` is a human's call, and blocking is
the gate check's job. If GitHub still refuses it (422), its inline comments become
file-level comments and the folded ones go to the summary, so no finding is lost.

Which finding goes where is decided before anything is sent (`plan_review`). GitHub
refuses a whole review (422, nothing posted) when one comment is off the diff
(docs.github.com "Create a review for a pull request"), so every inline finding's (path,
line, side) and its start_line..line range are checked against the parsed hunks first. A
finding that fails the check becomes a file-level comment (`subject_type: "file"`) when
its file is in the PR, else it goes into the summary. At most `max_inline` comments go in
one review; the rest are folded into the review body. Positions use
`line`/`side`/`start_line`/`start_side`, never the deprecated `position`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ci_orch.diff.model import Diff, DiffLineMap
from ci_orch.platforms.comments import comment_body
from ci_orch.platforms.github.client import GitHubClient, Scope, Unprocessable
from ci_orch.platforms.github.text import BODY_LIMIT, trim
from ci_orch.platforms.interface import PermissionMissing, PublishError
from ci_orch.platforms.markers import finding_marker, fingerprints_in
from ci_orch.report.mdtext import inline as md
from ci_orch.report.model import ReviewFinding

log = logging.getLogger(__name__)
_SUGGESTION = re.compile(r"(?m)^(`{3,})suggestion[ \t]*$")
PULLS = Scope("pull-requests: write", "post review comments on the pull request")


@dataclass(slots=True)
class ReviewPlan:
    inline: list[ReviewFinding] = field(default_factory=list)
    folded: list[ReviewFinding] = field(default_factory=list)  # over max_inline
    file_level: list[ReviewFinding] = field(default_factory=list)
    summary: list[ReviewFinding] = field(default_factory=list)
    duplicates: int = 0  # already posted by an earlier run (fingerprint present)


def span(f: ReviewFinding) -> tuple[int, int]:
    start, end = sorted((f.start_line, f.end_line))
    return start, end


def on_diff(f: ReviewFinding, lines: DiffLineMap) -> bool:
    start, end = span(f)
    return lines.contains(f.path, end, f.side) and lines.same_hunk(f.path, start, end, f.side)


def plan_review(findings: Iterable[ReviewFinding], diff: Diff, *, present: set[str],
                max_inline: int) -> ReviewPlan:
    plan = ReviewPlan()
    lines = diff.line_map()
    for f in findings:
        if f.fingerprint in present:
            plan.duplicates += 1
        elif f.placement == "inline" and on_diff(f, lines):
            (plan.inline if len(plan.inline) < max_inline else plan.folded).append(f)
        elif f.placement != "summary" and diff.file(f.path) is not None:
            plan.file_level.append(f)
        else:
            plan.summary.append(f)
    return plan


def inline_comment(f: ReviewFinding, *, suggest: bool) -> dict[str, Any]:
    start, end = span(f)
    out: dict[str, Any] = {"path": f.path, "line": end, "side": f.side,
                           "body": comment_body(f, "suggestion" if suggest else None)}
    if start != end:  # omitted for one-line comments; start_line < line, same hunk
        out |= {"start_line": start, "start_side": f.side}
    return out


def located_body(f: ReviewFinding) -> str:
    """A finding posted away from its lines (a file-level comment, the summary)."""
    start, end = span(f)
    where = f"line {start}" if start == end else f"lines {start}–{end}"
    side = " (removed lines)" if f.side == "LEFT" else ""
    return f"**{md(f.path, 200)}**, {where}{side}:\n\n{comment_body(f, None)}"


def review_body(plan: ReviewPlan, max_inline: int) -> str:
    head = f"**ci-orch review:** {len(plan.inline)} comments on the diff"
    if plan.folded:
        head += (f"; {len(plan.folded)} more below (at most {max_inline} inline comments "
                 "per review)")
    folded = "\n\n---\n\n".join(located_body(f) for f in plan.folded)
    return trim(f"{head}.\n\n{folded}".rstrip(), BODY_LIMIT, where="the summary comment")


def summary_section(findings: Sequence[ReviewFinding], reason: str) -> str:
    if not findings:
        return ""
    items = "\n\n---\n\n".join(located_body(f) for f in findings)
    return f"### Findings not posted on the diff\n\n_{reason}_\n\n{items}"


@dataclass(frozen=True, slots=True)
class Existing:
    comments: tuple[dict[str, Any], ...]  # our top-level review comments
    present: frozenset[str]  # fingerprints in our live comments and review bodies


@dataclass(slots=True)
class Posted:
    inline: int = 0
    file_level: int = 0
    review_url: str | None = None
    to_summary: list[ReviewFinding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def author(item: dict[str, Any]) -> str:
    user = item.get("user")
    login = user.get("login") if isinstance(user, dict) else None
    return login.casefold() if isinstance(login, str) else ""


def load_existing(client: GitHubClient, repo: str, number: int, me: str) -> Existing:
    mine = me.casefold()
    comments = tuple(
        c for c in client.paginate(f"/repos/{repo}/pulls/{number}/comments", PULLS)
        if isinstance(c, dict) and author(c) == mine and not c.get("in_reply_to_id")
    )
    present = {fp for c in comments for fp in fingerprints_in(str(c.get("body") or ""))}
    for review in client.paginate(f"/repos/{repo}/pulls/{number}/reviews", PULLS):
        if isinstance(review, dict) and author(review) == mine:
            present |= fingerprints_in(str(review.get("body") or ""))
    return Existing(comments, frozenset(present))


def resolve_stale(client: GitHubClient, repo: str, existing: Existing, current: set[str],
                  head_sha: str, *, warnings: list[str] | None = None) -> int:
    """Mark our comments of gone findings resolved; returns how many.

    A refusal is a warning (in `warnings`, else the log), never the end of publishing: the
    summary still has to go out. After a refused edit the rest would be refused too."""
    stale = [c for c in existing.comments
             if (marked := fingerprints_in(str(c.get("body") or ""))) and not marked & current]
    done = 0
    for comment in stale:
        try:
            client.request("PATCH", f"/repos/{repo}/pulls/comments/{comment['id']}", PULLS,
                           body={"body": resolved_body(str(comment.get("body") or ""),
                                                       head_sha)})
        except PublishError as exc:
            # A 403 here is rarely the token's scope (it just posted the review): a locked
            # conversation or a comment it did not write. Say what happened, not a guess.
            why = ("GitHub refused the edit (403)" if isinstance(exc, PermissionMissing)
                   else str(exc))
            message = (f"{len(stale) - done} comments of gone findings were not marked "
                       f"resolved: {why}")
            log.warning("%s", message)
            if warnings is not None:
                warnings.append(message)
            return done
        done += 1
    return done


def resolved_body(body: str, head_sha: str) -> str:
    for fp in fingerprints_in(body):
        body = body.replace(finding_marker(fp), f"<!-- ci-orch:resolved:{fp} -->")
    body = _SUGGESTION.sub(r"\1", body)  # a stale suggestion must not be applicable
    head = (f"✅ **Resolved:** no longer applies as of {head_sha[:12]} (ci-orch re-run)."
            "\n\n<details><summary>Original comment</summary>\n\n")
    return trim(f"{head}{body}\n\n</details>", BODY_LIMIT)


def publish_review(client: GitHubClient, repo: str, number: int, head_sha: str,
                   plan: ReviewPlan, *, max_inline: int, blocked: frozenset[str]) -> Posted:
    posted = Posted(to_summary=list(plan.summary))
    off_diff = list(plan.file_level)
    if plan.inline or plan.folded:
        body = {"commit_id": head_sha, "event": "COMMENT", "body": review_body(plan, max_inline),
                "comments": [inline_comment(f, suggest=f.fingerprint not in blocked)
                             for f in plan.inline]}
        try:
            _, review = client.request("POST", f"/repos/{repo}/pulls/{number}/reviews", PULLS,
                                       body=body)
            posted.inline = len(plan.inline)
            posted.review_url = review.get("html_url") if isinstance(review, dict) else None
        except Unprocessable as exc:
            posted.warnings.append(f"GitHub refused the review ({exc}); its comments went "
                                   "to files and the summary instead")
            off_diff += plan.inline
            posted.to_summary += plan.folded
    _file_comments(client, f"/repos/{repo}/pulls/{number}/comments", head_sha,
                   off_diff, max_inline, posted)
    return posted


def _file_comments(client: GitHubClient, url: str, head_sha: str,
                   findings: list[ReviewFinding], cap: int, posted: Posted) -> None:
    for f in findings[:cap]:
        body = {"body": located_body(f), "commit_id": head_sha, "path": f.path,
                "subject_type": "file"}
        try:
            client.request("POST", url, PULLS, body=body)
            posted.file_level += 1
        except Unprocessable:
            posted.to_summary.append(f)
    posted.to_summary += findings[cap:]
