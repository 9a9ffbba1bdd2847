"""Check run annotations for gate and review findings, shaped the way the Checks API wants.

GitHub's Checks API (docs.github.com/rest/checks/runs#create-a-check-run): `path`,
`start_line`, `end_line`, `annotation_level` (notice | warning | failure), `message`
(64 KB), `title` (255 chars); `start_column`/`end_column` only when the annotation is on
one line. Annotations point at the file at the head commit, so review findings on removed
lines (side LEFT) get none: they are still in the review and the summary. GitHub shows a
title and message as plain text, so model and diff text goes through `inert.plain`: no
Markdown escapes to show, but no line that a log or a command parser would act on.
"""

from __future__ import annotations

from typing import Any

from ci_orch.platforms.github_text import MESSAGE_LIMIT, TITLE_LIMIT, trim_bytes
from ci_orch.report.inert import plain
from ci_orch.report.model import GateFinding, ReviewFinding, RunReport

Annotation = dict[str, Any]
_REVIEW_LEVEL = {"critical": "warning", "high": "warning", "medium": "warning",
                 "low": "notice", "info": "notice"}
_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


def all_annotations(report: RunReport) -> list[Annotation]:
    """Blocking gate findings first, then the other gate findings, then review findings."""
    gate = sorted(report.gate.findings, key=lambda f: (not f.blocking, _RANK[f.severity]))
    review = [a for a in map(review_annotation, report.findings) if a is not None]
    return [*map(gate_annotation, gate), *review]


def gate_annotation(f: GateFinding) -> Annotation:
    start = max(f.line, 1)
    end = max(f.end_line, start)
    message = f.message or f.rule
    if f.preview:
        message += f" ({f.preview})"  # masked by the gate: never the secret itself
    if f.blocking:
        message += " — this blocks the merge."
    out: Annotation = {
        "path": f.path, "start_line": start, "end_line": end,
        "annotation_level": "failure" if f.blocking else "warning",
        "title": plain(f"{f.kind}: {f.rule}", TITLE_LIMIT, one_line=True),
        "message": trim_bytes(plain(message, MESSAGE_LIMIT), MESSAGE_LIMIT),
    }
    first, stop = f.column  # 1-based, end exclusive (gate/model.py)
    if start == end and first >= 1 and stop > first:
        out["start_column"] = first
        out["end_column"] = stop - 1  # GitHub's end column is inclusive
    return out


def review_annotation(f: ReviewFinding) -> Annotation | None:
    if f.side != "RIGHT":
        return None
    start, end = sorted((f.start_line, f.end_line))
    return {
        "path": f.path, "start_line": start, "end_line": end,
        "annotation_level": _REVIEW_LEVEL[f.severity],
        "title": plain(f"{f.severity} · {f.category}: {f.title}", TITLE_LIMIT, one_line=True),
        "message": trim_bytes(plain(f.body or f.title, MESSAGE_LIMIT), MESSAGE_LIMIT),
    }


def key(a: Annotation) -> tuple[object, ...]:
    """What makes two annotations the same (GitHub echoes these fields back unchanged)."""
    return (a.get("path"), a.get("start_line"), a.get("end_line"),
            a.get("annotation_level"), a.get("title") or "", a.get("message"))
