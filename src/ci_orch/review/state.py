"""What the next run on a pull request needs from this one: the head it reviewed and the
findings still open, each with where it sat at that head.

It travels in the summary comment's hidden marker (it must outlive the runner) and in the
ledger; both copies are plain JSON, checked field by field when read back, because a
comment body is text anyone with write access could have edited.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ci_orch.report.model import RunReport

_SHA = re.compile(r"[0-9a-f]{7,64}")
_FINGERPRINT = re.compile(r"[0-9A-Za-z_.:-]{1,128}")


@dataclass(frozen=True, slots=True)
class OpenFinding:
    fingerprint: str
    path: str
    start_line: int
    end_line: int
    side: str = "RIGHT"


@dataclass(frozen=True, slots=True)
class ReviewState:
    head_sha: str
    open: tuple[OpenFinding, ...] = ()

    def to_json(self) -> str:
        rows = [[f.fingerprint, f.path, f.start_line, f.end_line, f.side] for f in self.open]
        return json.dumps({"v": 1, "head": self.head_sha, "open": rows},
                          separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> ReviewState | None:
        """The state, or None for anything that is not exactly what `to_json` writes."""
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get("v") != 1:
            return None
        head, rows = data.get("head"), data.get("open")
        if not isinstance(head, str) or not _SHA.fullmatch(head) or not isinstance(rows, list):
            return None
        found = [_open(row) for row in rows]
        if any(f is None for f in found):
            return None
        return cls(head, tuple(f for f in found if f is not None))


def _open(row: object) -> OpenFinding | None:
    if not isinstance(row, list) or len(row) != 5:
        return None
    fp, path, start, end, side = row
    if not (isinstance(fp, str) and _FINGERPRINT.fullmatch(fp) and isinstance(path, str)
            and path and isinstance(start, int) and isinstance(end, int)
            and 1 <= start <= end and side in ("LEFT", "RIGHT")):
        return None
    return OpenFinding(fp, path, start, end, side)


def ledger_key(repo: str, number: int) -> str:
    return f"review-state:{repo}#{number}"


def state_of(report: RunReport) -> ReviewState | None:
    """The state a finished review leaves for the next run on its PR: None unless the review
    looked at everything it meant to (a partial run proves nothing about missing findings,
    so the next run starts again from the last complete one)."""
    head = report.context.head_sha
    if report.task != "review" or report.status != "complete" or not head:
        return None
    if not _SHA.fullmatch(head):
        return None
    found = [OpenFinding(f.fingerprint, f.path, f.start_line, f.end_line, f.side)
             for f in report.findings]
    kept = [OpenFinding(k.fingerprint, k.path, k.start_line, k.end_line, k.side)
            for k in (report.increment.kept if report.increment else ())]
    return ReviewState(head, tuple(dict.fromkeys([*found, *kept])))
