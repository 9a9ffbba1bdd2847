"""Hidden markers in what we post, so re-runs find their own comments again.

Both platforms render HTML comments invisibly. The one summary per PR carries
`SUMMARY_MARKER`, and each task (gate, review, generate) owns one section of it between its
own start and end markers, so jobs of one pipeline update their part without clobbering the
others'. The review's section also carries the state the next incremental run builds on. Every
inline comment carries the finding's fingerprint (reviewdog's `<!-- __reviewdog__:... -->`
idea). A marker is only trusted on a comment written by our own
account: anyone can paste the text of a marker.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable

from ci_orch.report.inert import outside_code

SUMMARY_MARKER = "<!-- ci-orch:summary -->"
SECTION_ORDER = ("gate", "review", "generate")
_STATE = re.compile(r"<!-- ci-orch:state:([A-Za-z0-9_=-]{1,200000}) -->")
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
    """Older versions posted one summary per task under these markers; they are left alone."""
    return SUMMARY_MARKER if task == "review" else f"<!-- ci-orch:summary:{task} -->"


def _bounds(task: str) -> tuple[str, str]:
    if not re.fullmatch(r"[a-z]{1,20}", task):
        raise ValueError(f"task {task!r} cannot name a summary section")
    return f"<!-- ci-orch:section:{task} -->", f"<!-- ci-orch:section-end:{task} -->"


def sections_in(body: str) -> dict[str, str]:
    """Each task's section text in a summary body (a legacy summary has none)."""
    found: dict[str, str] = {}
    for task in SECTION_ORDER:
        start, end = _bounds(task)
        i = body.find(start)
        j = body.find(end, i + len(start)) if i >= 0 else -1
        if i >= 0 and j >= 0:
            found[task] = body[i + len(start): j].strip("\n")
    return found


def with_section(old_body: str | None, task: str, text: str, *, limit: int,
                 fit: Callable[[str, int], str], marker_last: bool = False) -> str:
    """The summary body with `task`'s section set to `text` and every other task's kept.
    `fit(text, room)` cuts our text to the room the other sections leave under `limit`.
    GitLab finds its note by the marker on the first line, GitHub anywhere (`marker_last`)."""
    sections = sections_in(old_body or "")
    if task == "review" and "review" in sections and state_in(text) is None:
        old_state = _STATE.search(sections["review"])  # a partial run keeps the last state
        if old_state:
            text = f"{text.rstrip()}\n\n{old_state.group(0)}"
    if task not in SECTION_ORDER:
        raise ValueError(f"no summary section for task {task!r}")
    sections.pop(task, None)
    overhead = len(SUMMARY_MARKER) + sum(len(t) + 120 for t in sections.values()) + 120
    sections[task] = fit(text.strip("\n"), max(limit - overhead, 1000))
    parts = [f"{start}\n{sections[name]}\n{end}" for name in SECTION_ORDER if name in sections
             for start, end in (_bounds(name),)]
    return "\n".join([*parts, SUMMARY_MARKER] if marker_last else [SUMMARY_MARKER, *parts])


def state_marker(state_json: str) -> str:
    """The review state, base64url so no text in it can close the HTML comment."""
    return f"<!-- ci-orch:state:{base64.urlsafe_b64encode(state_json.encode()).decode()} -->"


def state_in(body: str) -> str | None:
    """The review state's JSON from the last state marker in `body`, if any."""
    found = _STATE.findall(outside_code(body))
    if not found:
        return None
    try:
        return base64.urlsafe_b64decode(found[-1]).decode()
    except (binascii.Error, ValueError):
        return None


def is_summary(body: str, marker: str = SUMMARY_MARKER) -> bool:
    return marker in outside_code(body)
