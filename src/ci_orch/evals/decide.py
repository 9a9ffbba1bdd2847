"""The regression decision: this run against the baseline and the history.

Per-case scores are paired between a run and its baseline, matched by case id. A case enters
a pair only when it was scored on both sides: provider errors and budget skips leave a case
without a score, so they can never look like a quality drop.

Two case-level rules look at the history: reliable cases that broke (gated) and flaky ones
(not). Flaky: a case is reported when it both passed and failed (over this run's repeats
plus its history with the same key) and the 95% Wilson interval of its pass rate contains
0.5. The mixed-outcome condition is ours: with one or two trials the Wilson interval of even
a perfect record contains 0.5 (1 of 1 gives [0.21, 1]), and a case that always passes is not
flaky, only under-sampled.

Per provider/model whose baseline key matches (dataset digest + prompt version +
provider/model + scorer version), and per metric in PAIRED_METRICS:

- pair the per-case scores of run and baseline by case id (cases scored on both sides;
  provider errors have no score, so they never count as a drop);
- one-sided Wilcoxon signed-rank test "run lower" (`stats` says why this test), then
  Benjamini-Hochberg over every provider x metric test of the run;
- FAIL when the adjusted p < alpha and the mean paired drop >= min_effect; WARN when only
  one of the two holds (a large drop not yet significant, or a significant small one).

Plus FAIL when the cost per case (over the paired cases) rises by more than `cost_rise`,
and when a case that passed >= `history_pass_rate` of its history (>= `history_min_runs`
runs with the same key) scores 0 of k now. Flaky cases are reported, never gated.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ci_orch.evals import stats
from ci_orch.evals.model import (
    PAIRED_METRICS,
    CaseChange,
    CaseResult,
    Comparison,
    CostCheck,
    EvalRun,
    FlakyCase,
    HistoryBreak,
    MetricComparison,
    PairedMetric,
    ProviderComparison,
    SuiteMetrics,
    Thresholds,
    Verdict,
    worst,
)
from ci_orch.evals.store import Baseline, BaselineEntry, HistoryRecord, case_history

# --- paired per-case scores --------------------------------------------------------------


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


# --- history rules -----------------------------------------------------------------------


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
        low, high = stats.wilson_interval(passes, scored)
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


# --- the decision ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Slot:
    """One provider/model of the run, with its matched baseline entry (if comparable)."""

    metrics: SuiteMetrics
    key: str
    cases: tuple[CaseResult, ...]
    entry: BaselineEntry | None
    note: str


def compare(
    run: EvalRun,
    baseline: Baseline | None,
    history: Sequence[HistoryRecord] = (),
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen dataclass, safe default
) -> Comparison:
    past = [r for r in history if r.run_id != run.run_id]
    slots = [_slot(run, m, baseline) for m in run.metrics]
    tests = {
        (s.key, metric): _test(s, metric) for s in slots if s.entry for metric in PAIRED_METRICS
    }
    # The BH family: every provider x metric with at least one pair (an untestable
    # metric is not a hypothesis and would only dilute the others).
    family = [k for k, t in tests.items() if t.p_value is not None]
    raw = [tests[k].p_value or 1.0 for k in family]
    adjusted = dict(zip(family, stats.benjamini_hochberg(raw), strict=True))
    providers = tuple(_provider(s, tests, adjusted, past, thresholds) for s in slots)
    notes = () if baseline is not None else ("no baseline yet: bless a good run with --bless",)
    return Comparison(
        verdict=worst([p.verdict for p in providers]),
        thresholds=thresholds,
        providers=providers,
        notes=notes,
    )


def _slot(run: EvalRun, metrics: SuiteMetrics, baseline: Baseline | None) -> _Slot:
    key = run.baseline_key(metrics.key)
    cases = tuple(c for c in run.cases if c.key == metrics.key)
    entry = baseline.entry(metrics.key) if baseline else None
    if entry is None:
        return _Slot(metrics, key, cases, None, "no comparable baseline: none for this model")
    if entry.key != key:
        return _Slot(
            metrics, key, cases, None, "no comparable baseline: " + _key_change(run, entry)
        )
    return _Slot(metrics, key, cases, entry, "")


def _key_change(run: EvalRun, entry: BaselineEntry) -> str:
    changed = [
        name
        for name, ours, theirs in (
            ("dataset", run.dataset_digest, entry.dataset_digest),
            ("prompt version", run.prompt_version, entry.prompt_version),
            ("scorer version", run.scorer_version, entry.scorer_version),
        )
        if ours != theirs
    ]
    return (" and ".join(changed) or "key") + " changed since the baseline"


def _test(slot: _Slot, metric: PairedMetric) -> MetricComparison:
    assert slot.entry is not None  # noqa: S101 - only called for comparable slots
    pairs = paired(slot.cases, slot.entry.cases, metric)
    diffs = [ours - theirs for _, ours, theirs in pairs]
    result = stats.signed_rank_less(diffs)
    seed = zlib.crc32(f"{slot.key}|{metric}".encode())
    ci = stats.bootstrap_mean_ci(diffs, seed=seed)
    return MetricComparison(
        metric=metric,
        value=getattr(slot.metrics, metric),
        baseline=getattr(slot.entry.metrics, metric),
        change=stats.mean(diffs) if diffs else None,
        ci_low=ci[0] if ci else None,
        ci_high=ci[1] if ci else None,
        pairs=len(pairs),
        test_n=result.n,
        method=result.method,
        p_value=result.p_value if pairs else None,
    )


def judge(test: MetricComparison, p_adjusted: float | None, th: Thresholds) -> MetricComparison:
    """Apply the thresholds to one metric; a metric with no pairs is not judged (PASS)."""
    if p_adjusted is None:
        return test
    drop = -(test.change or 0.0)
    big = drop >= th.min_effect - EPS
    significant = p_adjusted < th.alpha and drop > 0
    verdict: Verdict = "FAIL" if big and significant else "WARN" if big or significant else "PASS"
    reason = ""
    if verdict != "PASS":
        reason = f"{test.metric} down {drop * 100:.1f} points over {test.pairs} cases"
        reason += f", p(BH) = {p_adjusted:.3g}"
        if verdict == "WARN":
            minimum = f" (below the {th.min_effect * 100:g}-point minimum)"
            reason += " (not yet significant)" if big else minimum
    return test.model_copy(update={"p_adjusted": p_adjusted, "verdict": verdict, "reason": reason})


def cost_check(slot: _Slot, th: Thresholds) -> CostCheck | None:
    """Cost per case over cases scored on both sides (a partial run compares like for like)."""
    if slot.entry is None:
        return None
    base = {c.case_id: c for c in slot.entry.cases if c.passes + c.fails}
    ours = [c for c in slot.cases if c.passes + c.fails and c.case_id in base]
    if not ours:
        return None
    now = stats.mean([c.cost_usd for c in ours])
    then = stats.mean([base[c.case_id].cost_usd for c in ours])
    rise = None if then <= 0 else now / then - 1
    fail = rise is not None and rise > th.cost_rise + EPS
    reason = f"cost per case up {(rise or 0) * 100:.0f}% (limit {th.cost_rise * 100:g}%)"
    return CostCheck(
        cost_per_case=now,
        baseline_cost_per_case=then,
        rise=rise,
        verdict="FAIL" if fail else "PASS",
        reason=reason if fail else "",
    )


def _provider(
    slot: _Slot,
    tests: dict[tuple[str, PairedMetric], MetricComparison],
    adjusted: Mapping[tuple[str, PairedMetric], float],
    history: Sequence[HistoryRecord],
    th: Thresholds,
) -> ProviderComparison:
    metrics = tuple(
        judge(tests[(slot.key, m)], adjusted.get((slot.key, m)), th)
        for m in PAIRED_METRICS
        if (slot.key, m) in tests
    )
    cost = cost_check(slot, th)
    breaks = history_breaks(slot.cases, slot.key, history, th)
    reasons = [m.reason for m in metrics if m.reason]
    reasons += [cost.reason] if cost and cost.reason else []
    reasons += [_break_reason(b) for b in breaks]
    verdicts: list[Verdict] = [m.verdict for m in metrics]
    verdicts += [cost.verdict] if cost else []
    verdicts += ["FAIL"] if breaks else []
    errors = sum(c.errors for c in slot.cases)
    return ProviderComparison(
        provider=slot.metrics.provider,
        model=slot.metrics.model,
        key=slot.key,
        comparable=slot.entry is not None,
        note=slot.note,
        verdict=worst(verdicts),
        reasons=tuple(reasons),
        metrics=metrics,
        cost=cost,
        history_breaks=breaks,
        regressed_cases=regressed(slot.cases, slot.entry.cases) if slot.entry else (),
        flaky=flaky_cases(slot.cases, slot.key, history),
        errors=errors,
        baseline_run_id=slot.entry.run_id if slot.entry else None,
    )


def _break_reason(b: HistoryBreak) -> str:
    rate = b.history_pass_rate * 100
    return f"{b.case_id}: 0 of {b.scored} after passing {rate:.0f}% of {b.history_runs} runs"
