"""Case-level rules over history: reliable cases that broke (gated) and flaky ones (not).

Flaky: a case is reported when it both passed and failed (over this run's repeats plus
its history with the same key) and the 95% Wilson interval of its pass rate contains 0.5.
The mixed-outcome condition is ours: with one or two trials the Wilson interval of even
a perfect record contains 0.5 (1 of 1 gives [0.21, 1]), and a case that always passes is
not flaky, only under-sampled.
"""

from __future__ import annotations

from collections.abc import Sequence

from ci_orch.evals.comparison import FlakyCase, HistoryBreak, Thresholds
from ci_orch.evals.history import HistoryRecord, case_history
from ci_orch.evals.model import CaseResult
from ci_orch.evals.stats import wilson_interval


def history_breaks(
    cases: Sequence[CaseResult], key: str, history: Sequence[HistoryRecord], th: Thresholds
) -> tuple[HistoryBreak, ...]:
    """Cases scored 0 of k now (k >= 1, errors excluded) that passed reliably before."""
    out = []
    for case in cases:
        scored = case.passes + case.fails
        if scored == 0 or case.passes > 0:
            continue
        runs, passes, total = case_history(history, key, case.case_id)
        if runs < th.history_min_runs or total == 0:
            continue
        rate = passes / total
        if rate >= th.history_pass_rate:
            out.append(
                HistoryBreak(
                    case_id=case.case_id,
                    history_runs=runs,
                    history_pass_rate=rate,
                    passes=0,
                    scored=scored,
                )
            )
    return tuple(out)


def flaky_cases(
    cases: Sequence[CaseResult], key: str, history: Sequence[HistoryRecord]
) -> tuple[FlakyCase, ...]:
    out = []
    for case in cases:
        _, past_passes, past_scored = case_history(history, key, case.case_id)
        passes = case.passes + past_passes
        scored = case.passes + case.fails + past_scored
        if passes == 0 or passes == scored:
            continue
        low, high = wilson_interval(passes, scored)
        if low < 0.5 < high:
            out.append(
                FlakyCase(
                    case_id=case.case_id,
                    passes=passes,
                    scored=scored,
                    low=low,
                    high=high,
                )
            )
    return tuple(out)
