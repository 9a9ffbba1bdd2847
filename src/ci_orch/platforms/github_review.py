"""Which finding goes where in a PR review, decided before anything is sent.

GitHub refuses a whole review (422, nothing posted) when one comment is off the diff
(docs.github.com "Create a review for a pull request"), so every inline finding's (path,
line, side) and its start_line..line range are checked against the parsed hunks first. A
finding that fails the check becomes a file-level comment (`subject_type: "file"`) when
its file is in the PR, else it goes into the summary. At most `max_inline` comments go in
one review; the rest are folded into the review body. Positions use
`line`/`side`/`start_line`/`start_side`, never the deprecated `position`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ci_orch.diff.model import Diff, DiffLineMap
from ci_orch.platforms.comments import comment_body
from ci_orch.platforms.github_text import BODY_LIMIT, trim
from ci_orch.report.mdtext import inline as md
from ci_orch.report.model import ReviewFinding


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
