"""Where each finding can be posted: on diff lines (inline), on the file, or in the summary.

GitHub rejects a whole review (422) when one comment is off the diff, and GitLab answers 400
for a wrong position (PLATFORMS.md items 7 and 13), so every location is checked against the
parsed hunks before anything is sent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from ci_orch.diff.model import Diff, DiffLineMap, FileChange
from ci_orch.review.findings import ModelFinding

Placement = Literal["inline", "file", "summary"]
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


@dataclass(frozen=True, slots=True)
class PlacedFinding:
    finding: ModelFinding
    placement: Placement
    fingerprint: str
    suggestion: str | None  # kept only when it replaces exactly the finding's added lines
    sources: tuple[str, ...]  # providers (and chunks) that reported it


def fingerprint(f: ModelFinding) -> str:
    """Stable across runs and chunks: location plus the normalised title."""
    title = " ".join(f.title.lower().split())
    key = f"{f.path}\0{f.side}\0{f.start_line}\0{f.end_line}\0{title}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def place(finding: ModelFinding, diff: Diff, lines: DiffLineMap) -> tuple[Placement, str | None]:
    start, end = sorted((finding.start_line, finding.end_line))
    file = diff.file(finding.path)
    if file is None:
        return "summary", None
    if not lines.same_hunk(finding.path, start, end, finding.side):
        return "file", None
    return "inline", _suggestion(finding, file, start, end)


def _suggestion(finding: ModelFinding, file: FileChange, start: int, end: int) -> str | None:
    """A suggestion replaces start..end on the new side; every one of those lines must exist
    on the new side of this hunk, or applying it would change lines the author never saw."""
    if finding.suggestion is None or finding.side != "RIGHT":
        return None
    for hunk in file.hunks:
        new_side = {ln.new_no for ln in hunk.lines if ln.new_no is not None}
        if all(n in new_side for n in range(start, end + 1)):
            return finding.suggestion
    return None


def merge_findings(
    reported: list[tuple[str, ModelFinding]], diff: Diff, *, cap: int
) -> tuple[list[PlacedFinding], int]:
    """Place, deduplicate (across chunks and consensus providers) and cap the findings.

    `reported` holds (source, finding) pairs. Returns the kept findings, most severe first,
    and how many were left out by `cap`.
    """
    lines = diff.line_map()
    merged: dict[str, PlacedFinding] = {}
    for source, finding in reported:
        key = fingerprint(finding)
        if key in merged:
            old = merged[key]
            if source not in old.sources:
                merged[key] = PlacedFinding(
                    old.finding, old.placement, key, old.suggestion, (*old.sources, source)
                )
            continue
        placement, suggestion = place(finding, diff, lines)
        merged[key] = PlacedFinding(finding, placement, key, suggestion, (source,))
    ordered = sorted(
        merged.values(),
        key=lambda p: (SEVERITY_ORDER[p.finding.severity], p.finding.path, p.finding.start_line),
    )
    return ordered[:cap], max(len(ordered) - cap, 0)
