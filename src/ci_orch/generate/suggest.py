"""Suggestions from patches that fit one hunk, placed on the change's diff like review findings.

A one-file, one-hunk patch replaces a run of head lines with new text: that is exactly a
suggestion on the new side of the change. It is kept as a postable suggestion only when those
head lines sit inside one hunk of the change (review/placement.py decides, as for findings).
"""

from __future__ import annotations

from collections.abc import Iterable

from ci_orch.diff.model import Diff, Hunk
from ci_orch.generate.model import PatchResult
from ci_orch.generate.prompts import GenerateTask
from ci_orch.review.findings import Category, ModelFinding
from ci_orch.review.placement import PlacedFinding, merge_findings

_CATEGORY: dict[GenerateTask, Category] = {"tests": "tests", "docs": "docs", "fix": "bug"}


def suggestions(
    patches: Iterable[PatchResult], change: Diff, task: GenerateTask, *, cap: int
) -> tuple[list[PlacedFinding], int]:
    reported: list[tuple[str, ModelFinding]] = []
    for result in patches:
        finding = _finding(result, task)
        if finding is not None:
            reported.append((result.id, finding))
    placed, dropped = merge_findings(reported, change, cap=cap)
    # Only the ones that can be posted as a suggestion are worth a finding here.
    return [p for p in placed if p.suggestion is not None], dropped


def _finding(result: PatchResult, task: GenerateTask) -> ModelFinding | None:
    if result.status != "applied" or result.patch is None:
        return None
    files = result.patch.diff.files
    if len(files) != 1 or len(files[0].hunks) != 1 or files[0].status != "modified":
        return None
    span = replaced_span(files[0].hunks[0])
    if span is None:
        return None
    start, end, text = span
    return ModelFinding(
        path=files[0].path, side="RIGHT", start_line=start, end_line=end, severity="info",
        category=_CATEGORY[task], title=(result.description or f"generated {task} patch")[:300],
        body=f"Patch {result.id} (patches/ in the report directory).", suggestion=text,
    )


def replaced_span(hunk: Hunk) -> tuple[int, int, str] | None:
    """(first, last) head line replaced, and the replacement text; a pure insertion is
    anchored on the head line just before it, which the replacement then repeats."""
    lines = list(hunk.lines)
    changed = [i for i, ln in enumerate(lines) if ln.kind != "context"]
    if not changed:
        return None
    first, last = changed[0], changed[-1]
    if not any(ln.kind == "removed" for ln in lines[first : last + 1]):
        if first == 0:
            return None  # an insertion at the top of the file has no line to anchor on
        first -= 1
    old = [ln.old_no for ln in lines[first : last + 1] if ln.old_no is not None]
    new = [ln.text for ln in lines[first : last + 1] if ln.kind != "removed"]
    return old[0], old[-1], "\n".join(new)
