"""Hidden markers in what we post, so re-runs find their own comments again.

Both platforms render HTML comments invisibly. The summary carries `summary_marker(task)`; every
inline comment carries the finding's fingerprint (reviewdog's `<!-- __reviewdog__:... -->`
idea). A marker is only trusted on a comment written by our own
account: anyone can paste the text of a marker.
"""

from __future__ import annotations

import re

from ci_orch.report.inert import outside_code

SUMMARY_MARKER = "<!-- ci-orch:summary -->"  # the review's; other tasks add their name
_FINDING = re.compile(r"<!-- ci-orch:finding:([0-9A-Za-z_.:-]{1,128}) -->")


def finding_marker(fingerprint: str) -> str:
    if not re.fullmatch(r"[0-9A-Za-z_.:-]{1,128}", fingerprint):
        raise ValueError(f"fingerprint {fingerprint!r} cannot go in a marker")
    return f"<!-- ci-orch:finding:{fingerprint} -->"


def fingerprints_in(body: str) -> set[str]:
    """The finding fingerprints marked in a comment body (usually one). Code is skipped: a
    suggestion is posted exactly as written, so it may carry a copy of someone's marker."""
    return set(_FINDING.findall(outside_code(body)))


def summary_marker(task: str = "review") -> str:
    """The review's summary and the gate job's (or generate's) live side by side on one PR:
    separate jobs of one pipeline must not overwrite each other's summary."""
    return SUMMARY_MARKER if task == "review" else f"<!-- ci-orch:summary:{task} -->"


def is_summary(body: str, marker: str = SUMMARY_MARKER) -> bool:
    return marker in outside_code(body)
