"""Trials -> per-case results and per provider/model suite metrics.

Definitions (docs/eval.md, "Scoring"):
- scored trials are those that passed or failed; `error` and `skipped` trials have no
  score and never count as a miss;
- precision = matched findings / findings produced, recall = matched severity weight /
  expected severity weight, both micro-averaged over scored review trials; F1 from them;
- FP rate on clean cases = clean-case trials that failed (more comments than allowed, or a
  forbidden place flagged) / scored clean-case trials;
- localisation = matched / (matched + expected issues found only at the wrong place);
- cost per case = cost / trials that reached a provider (not skipped); cost per true
  positive = review cost / matched findings; latency percentiles (nearest rank) over the
  answering calls; error rate and fallback rate over trials that were not skipped;
- generation: pass@1 = mean over cases of (passes / scored trials); pass^k = share of cases
  whose every scored trial passed (k = the most repeats any case had).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence

from ci_orch.evals.model import CaseResult, SuiteMetrics, Trial


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def _mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return sum(items) / len(items) if items else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest rank, like the report's cost table."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(q / 100 * len(ordered)) - 1, 0)]


def _scored(trials: Iterable[Trial]) -> list[Trial]:
    return [t for t in trials if t.outcome in ("pass", "fail")]


def case_results(trials: Sequence[Trial], tags: dict[str, tuple[str, ...]]) -> list[CaseResult]:
    groups: dict[tuple[str, str, str], list[Trial]] = defaultdict(list)
    for t in trials:
        groups[(t.case_id, t.provider, t.model)].append(t)
    return [_case(ts, tags.get(ts[0].case_id, ())) for ts in groups.values()]


def _case(trials: list[Trial], tags: tuple[str, ...]) -> CaseResult:
    first = trials[0]
    scored = _scored(trials)
    passes = sum(t.outcome == "pass" for t in trials)
    reached = [t for t in trials if t.outcome != "skipped"]
    return CaseResult(
        case_id=first.case_id,
        kind=first.kind,
        provider=first.provider,
        model=first.model,
        tags=tags,
        trials=len(trials),
        passes=passes,
        fails=sum(t.outcome == "fail" for t in trials),
        errors=sum(t.outcome == "error" for t in trials),
        skipped=sum(t.outcome == "skipped" for t in trials),
        pass_rate=_ratio(passes, len(scored)),
        recall=_mean(t.recall_found / t.recall_total for t in scored if t.recall_total),
        precision=_mean(t.true_positives / t.findings for t in scored if t.findings),
        cost_usd=_mean(t.cost_usd for t in reached) or 0.0,
        latency_ms=_mean(t.latency_ms for t in reached),
    )


def suite_metrics(trials: Sequence[Trial]) -> list[SuiteMetrics]:
    groups: dict[tuple[str, str], list[Trial]] = defaultdict(list)
    for t in trials:
        groups[(t.provider, t.model)].append(t)
    return [_suite(p, m, ts) for (p, m), ts in sorted(groups.items())]


def _suite(provider: str, model: str, trials: list[Trial]) -> SuiteMetrics:
    scored = _scored(trials)
    reviews = [t for t in scored if t.kind == "review"]
    reached = [t for t in trials if t.outcome != "skipped"]
    tp = sum(t.true_positives for t in reviews)
    precision = _ratio(tp, sum(t.findings for t in reviews))
    recall = _ratio(sum(t.recall_found for t in reviews), sum(t.recall_total for t in reviews))
    clean = [t for t in reviews if t.clean]
    located = sum(len(t.mislocated) for t in reviews)
    cost = sum(t.cost_usd for t in trials)
    review_cost = sum(t.cost_usd for t in trials if t.kind == "review")
    latencies = [ms for t in reached for ms in t.call_latencies_ms]
    pass_at_1, pass_hat_k, k = _generation(trials)
    return SuiteMetrics(
        provider=provider,
        model=model,
        cases=len({t.case_id for t in trials}),
        trials=len(trials),
        scored_trials=len(scored),
        pass_rate=_ratio(sum(t.outcome == "pass" for t in scored), len(scored)),
        precision=precision,
        recall=recall,
        f1=_f1(precision, recall),
        fp_rate_clean=_ratio(sum(t.outcome == "fail" for t in clean), len(clean)),
        localisation_rate=_ratio(tp, tp + located),
        cost_usd=cost,
        cost_per_case=_ratio(cost, len(reached)),
        cost_per_true_positive=_ratio(review_cost, tp),
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        error_rate=_ratio(sum(t.outcome == "error" for t in reached), len(reached)),
        fallback_rate=_ratio(sum(t.fallback_used for t in reached), len(reached)),
        pass_at_1=pass_at_1,
        pass_hat_k=pass_hat_k,
        k=k,
        input_tokens=sum(t.input_tokens for t in trials),
        output_tokens=sum(t.output_tokens for t in trials),
    )


def _f1(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        return None
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _generation(trials: Sequence[Trial]) -> tuple[float | None, float | None, int]:
    by_case: dict[str, list[Trial]] = defaultdict(list)
    for t in _scored(trials):
        if t.kind == "generate":
            by_case[t.case_id].append(t)
    if not by_case:
        return None, None, 1
    shares = [sum(t.outcome == "pass" for t in ts) / len(ts) for ts in by_case.values()]
    every = [float(s == 1.0) for s in shares]
    k = max(len(ts) for ts in by_case.values())
    return _mean(shares), _mean(every), k
