"""The text of one inline comment, shared by the GitHub and GitLab publishers.

Model-written title and body are untrusted: they go through `mdtext` so they cannot ping
people, link away or inject HTML. A suggestion is code, so it goes in a fence that is
longer than any backtick run inside it (PLATFORMS.md item 7). The fence's info string is
the platform's: GitHub `suggestion`, GitLab `suggestion:-N+M` (item 15).
"""

from __future__ import annotations

import re

from ci_orch.platforms.markers import finding_marker
from ci_orch.report.mdtext import inline
from ci_orch.report.model import ReviewFinding

BODY_LIMIT = 60_000  # both platforms' comment limits are higher (65,536 / 1,000,000)
_SEVERITY = {"critical": "🛑", "high": "🔴", "medium": "🟠", "low": "🟡", "info": "🔵"}


def fence_for(code: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
    return "`" * max(3, longest + 1)


def suggestion_block(code: str, info: str = "suggestion") -> str:
    fence = fence_for(code)
    body = code if code.endswith("\n") or not code else code + "\n"
    return f"{fence}{info}\n{body}{fence}"


def comment_body(finding: ReviewFinding, suggestion_info: str | None = "suggestion") -> str:
    """Markdown for one finding: headline, body, optional suggestion, fingerprint marker.

    `suggestion_info=None` leaves the suggestion out (file-level or summary placement,
    where a suggestion cannot apply).
    """
    icon = _SEVERITY.get(finding.severity, "")
    parts = [
        f"{icon} **{inline(finding.severity, 20)}** · {inline(finding.category, 40)} · "
        f"{inline(finding.title, 200)}"
    ]
    if finding.body:
        parts.append(inline(finding.body, 4_000))
    marker = finding_marker(finding.fingerprint)
    if finding.suggestion is not None and suggestion_info is not None:
        block = suggestion_block(finding.suggestion, suggestion_info)
        if sum(map(len, (*parts, block, marker))) + 8 <= BODY_LIMIT:
            parts.append(block)
        else:
            parts.append("_(The suggested change is too long to post; it is in report.json.)_")
    return "\n\n".join((*parts, marker))
