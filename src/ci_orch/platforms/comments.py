"""The text of one inline comment, shared by the GitHub and GitLab publishers.

Model-written title and body are untrusted: the title goes through `mdtext.inline`, the
body through `inert.markdown`, so they cannot ping people, link away, inject HTML or run a
GitLab quick action, while the body keeps its paragraphs and code. A suggestion is code, so
it goes in a fence that is longer than any backtick run inside it. The fence's info string
is the platform's: GitHub `suggestion`, GitLab `suggestion:-N+M` (docs "Suggest changes").
"""

from __future__ import annotations

from ci_orch.platforms.markers import finding_marker
from ci_orch.report.inert import fenced, markdown
from ci_orch.report.mdtext import inline
from ci_orch.report.model import ReviewFinding

BODY_LIMIT = 60_000  # both platforms' comment limits are higher (65,536 / 1,000,000)
BODY_CHARS = 8_000  # of a finding's body; the whole text is in report.json
_SEVERITY = {"critical": "🛑", "high": "🔴", "medium": "🟠", "low": "🟡", "info": "🔵"}


def suggestion_block(code: str, info: str = "suggestion") -> str:
    return fenced(code, info)


def comment_body(finding: ReviewFinding, suggestion_info: str | None = "suggestion") -> str:
    """Markdown for one finding: headline, body, optional suggestion, fingerprint marker.

    `suggestion_info=None` leaves the suggestion out (file-level or summary placement,
    where a suggestion cannot apply).
    """
    icon = _SEVERITY.get(finding.severity, "")
    parts = [
        f"{icon} **{inline(finding.severity, 20)}** · {inline(finding.category, 40)} · "
        f"{inline(finding.title, 200, cell=False)}"
    ]
    if finding.body:
        parts.append(markdown(finding.body, BODY_CHARS))
    marker = finding_marker(finding.fingerprint)
    if finding.suggestion is not None and suggestion_info is not None:
        block = suggestion_block(finding.suggestion, suggestion_info)
        if sum(map(len, (*parts, block, marker))) + 8 <= BODY_LIMIT:
            parts.append(block)
        else:
            parts.append("_(The suggested change is too long to post; it is in report.json.)_")
    return "\n\n".join(part for part in (*parts, marker) if part)
