"""Per-case scores and their pairing between a run and its baseline, matched by case id.

A case enters a pair only when it was scored on both sides: provider errors and budget
skips leave a case without a score, so they can never look like a quality drop.
"""

from __future__ import annotations

from collections.abc import Sequence

from ci_orch.evals.comparison import PAIRED_METRICS, CaseChange, PairedMetric
from ci_orch.evals.model import CaseResult

EPS = 1e-9  # 0.9 - 0.85 must count as a 5-point drop despite binary floats
MAX_REGRESSED = 10


def case_score(case: CaseResult, metric: PairedMetric) -> float | None:
    """The per-case score a metric is paired on; None when undefined for that case."""
    if metric == "f1":
        return _case_f1(case)
    value: float | None = getattr(case, metric)
    return value


def _case_f1(case: CaseResult) -> float | None:
    if case.recall is None:
        return None  # clean case: nothing to recall
    if case.precision is None:
        return 0.0 if case.recall == 0 else None  # no findings at all
    total = case.precision + case.recall
    return 0.0 if total == 0 else 2 * case.precision * case.recall / total


def paired(
    run_cases: Sequence[CaseResult], base_cases: Sequence[CaseResult], metric: PairedMetric
) -> list[tuple[str, float, float]]:
    """(case id, run score, baseline score) for cases scored on both sides, in run order."""
    base = {c.case_id: case_score(c, metric) for c in base_cases}
    out = []
    for case in run_cases:
        ours, theirs = case_score(case, metric), base.get(case.case_id)
        if ours is not None and theirs is not None:
            out.append((case.case_id, ours, theirs))
    return out


def regressed(
    run_cases: Sequence[CaseResult], base_cases: Sequence[CaseResult]
) -> tuple[CaseChange, ...]:
    """Cases that fell on some metric, each with its worst change; worst first."""
    worst_by_case: dict[str, CaseChange] = {}
    for metric in PAIRED_METRICS:
        for case_id, ours, theirs in paired(run_cases, base_cases, metric):
            change = ours - theirs
            held = worst_by_case.get(case_id)
            if change < -EPS and (held is None or change < held.change):
                worst_by_case[case_id] = CaseChange(
                    case_id=case_id, metric=metric, value=ours, baseline=theirs, change=change
                )
    ranked = sorted(worst_by_case.values(), key=lambda c: (c.change, c.case_id))
    return tuple(ranked[:MAX_REGRESSED])
