"""Where each finding can be posted: on diff lines (inline), on the file, or in the summary.

GitHub rejects a whole review (422) when one comment is off the diff, and GitLab answers 400
for a wrong position (https://docs.github.com/en/rest/pulls/comments,
https://docs.gitlab.com/ee/api/discussions.html), so every location is checked against the
parsed hunks before anything is sent.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Literal

from ci_orch.diff.model import Diff, DiffLineMap, FileChange, Side
from ci_orch.report.model import SEVERITY_ORDER, ReviewFinding
from ci_orch.review.findings import ModelFinding

Placement = Literal["inline", "file", "summary"]


@dataclass(frozen=True, slots=True)
class PlacedFinding:
    finding: ModelFinding
    placement: Placement
    fingerprint: str
    suggestion: str | None  # kept only when it replaces exactly the finding's added lines
    sources: tuple[str, ...]  # providers (and chunks) that reported it

    def reported(self) -> ReviewFinding:
        """The finding as the run report (and everything published from it) carries it."""
        f = self.finding
        start, end = sorted((f.start_line, f.end_line))
        return ReviewFinding(
            path=f.path, side=f.side, start_line=start, end_line=end, severity=f.severity,
            category=f.category, title=f.title, body=f.body, placement=self.placement,
            fingerprint=self.fingerprint, suggestion=self.suggestion, sources=self.sources,
        )


# An anchor shorter than this (`}`, `return x`) is too common to tell findings apart alone.
MIN_ANCHOR = 16


def fingerprint(f: ModelFinding, code: dict[tuple[str, Side, int], str] | None = None) -> str:
    """A finding's identity across runs: the file, the side, the category and the code it is
    anchored on (whitespace-normalised), never the line numbers or the wording. A model
    words the same finding differently on every run and pushes move code; matched by this,
    a re-run neither reposts nor resolves it, while a fix (the code changed) retires it.
    Where no diff line anchors it, the normalised title stands in."""
    anchor = _anchor(f, code or {})
    if not anchor:
        anchor = "title:" + " ".join(f.title.lower().split())
    key = f"{f.path}\0{f.side}\0{f.category}\0{anchor}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _anchor(f: ModelFinding, code: dict[tuple[str, Side, int], str]) -> str:
    start, end = sorted((f.start_line, f.end_line))
    keys = [(f.path, f.side, n) for n in range(start, end + 1)]
    lines = [code[k] for k in keys if k in code]
    text = " ".join(" ".join(lines).split())
    before = code.get((f.path, f.side, start - 1))
    if text and len(text) < MIN_ANCHOR and before is not None:
        text = " ".join(before.split()) + " " + text
    return text


def line_texts(diff: Diff) -> dict[tuple[str, Side, int], str]:
    """The text of every line the diff shows, by (path, side, line number)."""
    texts: dict[tuple[str, Side, int], str] = {}
    for file in diff.files:
        for hunk in file.hunks:
            for line in hunk.lines:
                if line.new_no is not None:
                    texts[(file.path, "RIGHT", line.new_no)] = line.text
                if line.old_no is not None:
                    texts[(file.path, "LEFT", line.old_no)] = line.text
    return texts


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

    `reported` holds (source, finding) pairs. Two reports are one finding when they share
    the fingerprint (file, side, category, anchored code) and their titles share a word
    that means something; a different problem on the same code gets a numbered fingerprint.
    Returns the kept findings, most severe first, and how many were left out by `cap`.
    """
    # Only the files a finding names: maps of every line of a large diff would cost more
    # memory than the rest of the run, and a run with no finding needs none.
    named = {finding.path for _, finding in reported}
    diff = Diff(tuple(f for f in diff.files if f.path in named))
    lines = diff.line_map()
    code = line_texts(diff)
    groups: dict[str, list[PlacedFinding]] = {}
    for source, finding in reported:
        base = fingerprint(finding, code)
        group = groups.setdefault(base, [])
        same = next((i for i, p in enumerate(group) if _same_problem(p.finding, finding)), None)
        if same is not None:
            old = group[same]
            if source not in old.sources:
                group[same] = dataclasses.replace(old, sources=(*old.sources, source))
            continue
        key = base if not group else f"{base}.{len(group)}"
        placement, suggestion = place(finding, diff, lines)
        group.append(PlacedFinding(finding, placement, key, suggestion, (source,)))
    ordered = sorted(
        (p for group in groups.values() for p in group),
        key=lambda p: (SEVERITY_ORDER[p.finding.severity], p.finding.path, p.finding.start_line),
    )
    return ordered[:cap], max(len(ordered) - cap, 0)


_STOPWORDS = frozenset(
    "this that with from into when where which should could would there their here have "
    "does were been being than then also only just more most some such very issue problem "
    "possible potential consider code line function value".split()
)


def _same_problem(a: ModelFinding, b: ModelFinding) -> bool:
    """Reworded titles of one finding share a meaningful word ("injection", "unchecked")."""
    words_a, words_b = _words(a.title), _words(b.title)
    if words_a or words_b:
        return bool(words_a & words_b)
    return " ".join(a.title.lower().split()) == " ".join(b.title.lower().split())


def _words(title: str) -> frozenset[str]:
    cleaned = "".join(c if c.isalnum() else " " for c in title.lower())
    return frozenset(w for w in cleaned.split() if len(w) >= 4 and w not in _STOPWORDS)
