"""Score one review trial: match produced findings to expected ones, one to one.

An expected finding and a produced one can match only when both gates pass:

- **location**: same file, same side, and the line ranges overlap once the expected range
  is widened by `LINE_SLACK` (3) lines each way. Models often point at the line before or
  after the one that matters (the call rather than its argument); 3 lines keeps that and
  rejects a finding 10 lines away.
- **meaning**: the case's hints first: any `match.any` keyword (case-insensitive) in
  title + body + category, and `match.symbol` (as written: identifiers are case-sensitive)
  when given. With no hints, the categories must be equal. When the hints fail but the
  location passed, an optional judge is asked (evals/judge.py).

The matching is a maximum bipartite matching by augmenting paths (Kuhn), visiting expected
findings in descending severity weight. Because the weights sit on the expected side only,
that order yields a matching of maximum total severity weight (the matchable sets form a
transversal matroid, for which greedy-by-weight is optimal), so a finding can never count
twice and one vague finding cannot steal the match a critical issue needed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from ci_orch.evals.model import (
    SEVERITY_WEIGHT,
    ExpectedFinding,
    FindingRef,
    Forbidden,
    MatchedFinding,
    ReviewExpect,
)

SCORER_VERSION = "review-match-1"
LINE_SLACK = 3

Judge = Callable[[ExpectedFinding, "Produced"], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class Produced:
    """A finding as the pipeline produced it (placement and suggestion do not matter here)."""

    path: str
    side: str
    start_line: int
    end_line: int
    severity: str
    category: str
    title: str
    body: str = ""

    def ref(self) -> FindingRef:
        side = "LEFT" if self.side == "LEFT" else "RIGHT"
        return FindingRef(
            path=self.path, side=side, start_line=self.start_line, end_line=self.end_line,
            severity=self.severity, category=self.category, title=self.title[:200],
        )


@dataclass(frozen=True, slots=True)
class ReviewScore:
    passed: bool
    matched: tuple[MatchedFinding, ...]
    missed: tuple[str, ...]
    mislocated: tuple[str, ...]
    false_positives: tuple[FindingRef, ...]
    forbidden_hits: tuple[FindingRef, ...]
    recall_found: float
    recall_total: float


def located(expected: ExpectedFinding, f: Produced, slack: int = LINE_SLACK) -> bool:
    if f.path != expected.file or f.side != expected.side:
        return False
    start, end = expected.lines
    low, high = sorted((f.start_line, f.end_line))
    return low <= end + slack and high >= start - slack


def meant(expected: ExpectedFinding, f: Produced) -> bool:
    hints = expected.match
    text = f"{f.title}\n{f.body}\n{f.category}"
    if not hints.any and hints.symbol is None:
        return f.category.lower() == expected.category.lower()
    lowered = text.lower()
    if hints.any and not any(k.lower() in lowered for k in hints.any):
        return False
    return hints.symbol is None or hints.symbol in text


def in_forbidden(zone: Forbidden, f: Produced) -> bool:
    start, end = zone.lines
    low, high = sorted((f.start_line, f.end_line))
    return f.path == zone.file and f.side == zone.side and low <= end and high >= start


async def score_review(
    expect: ReviewExpect, produced: Sequence[Produced], judge: Judge | None = None
) -> ReviewScore:
    edges = await _edges(expect.findings, produced, judge)
    pairs = _match(expect.findings, edges)
    matched = tuple(
        MatchedFinding(
            expected_id=e.id,
            finding=produced[pairs[e.id]].ref(),
            via=edges[e.id][pairs[e.id]],
        )
        for e in expect.findings
        if e.id in pairs
    )
    used = set(pairs.values())
    missed = tuple(e.id for e in expect.findings if e.id not in pairs)
    mislocated = tuple(
        e.id for e in expect.findings
        if e.id not in pairs and any(meant(e, f) and not located(e, f) for f in produced)
    )
    forbidden = tuple(
        f.ref() for f in produced if any(in_forbidden(z, f) for z in expect.forbidden)
    )
    fps = tuple(f.ref() for i, f in enumerate(produced) if i not in used)
    total = sum(SEVERITY_WEIGHT[e.severity] for e in expect.findings)
    found = sum(SEVERITY_WEIGHT[e.severity] for e in expect.findings if e.id in pairs)
    must = all(e.id in pairs for e in expect.findings if e.must_find)
    capped = expect.clean or expect.max_comments is not None
    within = not capped or len(produced) <= expect.allowance
    passed = must and not forbidden and within
    return ReviewScore(passed, matched, missed, mislocated, fps, forbidden, found, total)


async def _edges(
    expected: Sequence[ExpectedFinding], produced: Sequence[Produced], judge: Judge | None
) -> dict[str, dict[int, str]]:
    """Which produced findings each expected one may match, and by which gate."""
    edges: dict[str, dict[int, str]] = {}
    for e in expected:
        row: dict[int, str] = {}
        for i, f in enumerate(produced):
            if not located(e, f):
                continue
            if meant(e, f):
                hinted = e.match.any or e.match.symbol is not None
                row[i] = "hints" if hinted else "category"
            elif judge is not None and await judge(e, f):
                row[i] = "judge"
        edges[e.id] = row
    return edges


def _match(
    expected: Sequence[ExpectedFinding], edges: dict[str, dict[int, str]]
) -> dict[str, int]:
    """Kuhn's augmenting paths, heaviest expected first (ties: file order)."""
    owner: dict[int, str] = {}  # produced index -> expected id

    def augment(eid: str, seen: set[int]) -> bool:
        for i in sorted(edges[eid]):
            if i in seen:
                continue
            seen.add(i)
            if i not in owner or augment(owner[i], seen):
                owner[i] = eid
                return True
        return False

    order = sorted(expected, key=lambda e: -SEVERITY_WEIGHT[e.severity])
    for e in order:
        augment(e.id, set())
    return {eid: i for i, eid in owner.items()}
