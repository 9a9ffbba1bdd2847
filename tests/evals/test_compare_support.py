"""Synthetic eval runs for the comparison and rendering tests: per-case scores we choose.

Suite metrics are derived from the cases the way a scorer would (means over scored cases),
and trials are generated from each case's pass / fail / error / skipped counts, so the
renderers see the same shape of run the real runner produces.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from ci_orch.evals.model import (
    Budget,
    CaseResult,
    EvalRun,
    FindingRef,
    ProviderRef,
    SkippedCase,
    SuiteMetrics,
    Trial,
)

T0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def case(
    case_id: str,
    *,
    provider: str = "openai",
    model: str = "gpt-4o-mini",
    passes: int = 1,
    fails: int = 0,
    errors: int = 0,
    skipped: int = 0,
    recall: float | None = None,
    precision: float | None = None,
    cost: float = 0.01,
) -> CaseResult:
    scored = passes + fails
    return CaseResult(
        case_id=case_id,
        kind="review",
        provider=provider,
        model=model,
        trials=scored + errors + skipped,
        passes=passes,
        fails=fails,
        errors=errors,
        skipped=skipped,
        pass_rate=passes / scored if scored else None,
        recall=recall if scored else None,
        precision=precision if scored else None,
        cost_usd=cost if scored else 0.0,
        latency_ms=1200.0 if scored else None,
    )


def _mean(values: Iterable[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def metrics_for(cases: Sequence[CaseResult]) -> SuiteMetrics:
    first = cases[0]
    recall, precision = _mean(c.recall for c in cases), _mean(c.precision for c in cases)
    f1 = None
    if recall is not None and precision is not None and recall + precision > 0:
        f1 = 2 * recall * precision / (recall + precision)
    scored = [c for c in cases if c.passes + c.fails]
    trials = sum(c.trials for c in cases)
    errors = sum(c.errors for c in cases)
    cost = sum(c.cost_usd * (c.passes + c.fails) for c in cases)
    return SuiteMetrics(
        provider=first.provider,
        model=first.model,
        cases=len(cases),
        trials=trials,
        scored_trials=sum(c.passes + c.fails for c in cases),
        pass_rate=_mean(c.pass_rate for c in cases),
        precision=precision,
        recall=recall,
        f1=f1,
        cost_usd=cost,
        cost_per_case=cost / len(scored) if scored else None,
        latency_p50_ms=1200.0,
        latency_p95_ms=2500.0,
        error_rate=errors / trials if trials else None,
    )


def _trials(c: CaseResult) -> list[Trial]:
    outcomes = ["pass"] * c.passes + ["fail"] * c.fails + ["error"] * c.errors
    out = []
    for repeat, outcome in enumerate(outcomes):
        failing = outcome == "fail"
        out.append(
            Trial(
                case_id=c.case_id,
                kind=c.kind,
                repeat=repeat,
                provider=c.provider,
                model=c.model,
                selected=c.provider,
                outcome=outcome,  # type: ignore[arg-type]
                error_kind="rate_limited" if outcome == "error" else None,
                detail="429 from provider after 3 retries" if outcome == "error" else "",
                missed=("null-deref",) if failing else (),
                forbidden_hits=(
                    FindingRef(
                        path="src/app.py",
                        side="RIGHT",
                        start_line=3,
                        end_line=3,
                        severity="low",
                        category="style",
                        title="<b>rename</b> x",
                    ),
                )
                if failing
                else (),
                latency_ms=1200.0,
                cost_usd=c.cost_usd if outcome != "error" else 0.0,
                input_tokens=1000,
                output_tokens=200,
                calls=1,
            )
        )
    return out


def make_run(
    cases: Sequence[CaseResult],
    *,
    run_id: str = "run-1",
    status: str = "complete",
    digest: str = "digest-1",
    prompt_version: str = "prompts-1",
    scorer_version: str = "scorer-1",
    finished_at: datetime = T0,
    skipped: Sequence[SkippedCase] = (),
    cap_usd: float | None = 5.0,
) -> EvalRun:
    by_model: dict[str, list[CaseResult]] = {}
    for c in cases:
        by_model.setdefault(c.key, []).append(c)
    metrics = tuple(metrics_for(group) for group in by_model.values())
    trials = tuple(t for c in cases for t in _trials(c))
    return EvalRun(
        run_id=run_id,
        dataset_path="examples/golden/dataset.jsonl",
        dataset_sha256="sha-1",
        dataset_digest=digest,
        prompt_version=prompt_version,
        scorer_version=scorer_version,
        mode="each",
        providers=tuple(ProviderRef(id=m.provider, type="openai", model=m.model) for m in metrics),
        repeats=max((c.trials for c in cases), default=1),
        started_at=finished_at - timedelta(minutes=5),
        finished_at=finished_at,
        status=status,  # type: ignore[arg-type]
        budget=Budget(cap_usd=cap_usd, spent_usd=sum(t.cost_usd for t in trials)),
        skipped=tuple(skipped),
        trials=trials,
        cases=tuple(cases),
        metrics=metrics,
    )


def scored_cases(
    recalls: Sequence[float],
    *,
    provider: str = "openai",
    model: str = "gpt-4o-mini",
    cost: float = 0.01,
    pass_at: float = 0.75,
) -> list[CaseResult]:
    """One case per recall value; it passes when recall >= `pass_at`."""
    return [
        case(
            f"case-{i:02d}",
            provider=provider,
            model=model,
            passes=int(r >= pass_at),
            fails=int(r < pass_at),
            recall=r,
            precision=min(1.0, r + 0.05),
            cost=cost,
        )
        for i, r in enumerate(recalls)
    ]


def noisy(centre: float, n: int, rng: random.Random, spread: float = 0.1) -> list[float]:
    return [min(1.0, max(0.0, round(centre + rng.uniform(-spread, spread), 3))) for _ in range(n)]
