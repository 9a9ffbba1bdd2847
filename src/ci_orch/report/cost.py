"""The cost section: totals by provider, the per-model table, caps and what is left.

Figures come only from the attempt rows: a cache hit costs 0 whatever its row says, and a
skipped provider (never called) has no tokens, latency or cost.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from ci_orch.config.policy import Policy
from ci_orch.report.model import Call, Caps, Cost, ModelCost, Remaining


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..1): an observed value, never an interpolation."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def billed(call: Call) -> float:
    return 0.0 if call.cache_hit else call.cost_usd


def model_rows(calls: Iterable[Call]) -> tuple[ModelCost, ...]:
    groups: dict[tuple[str, str], list[Call]] = {}
    for call in calls:
        if call.outcome != "skipped":
            groups.setdefault((call.provider, call.model), []).append(call)
    return tuple(_row(provider, model, rows) for (provider, model), rows in sorted(groups.items()))


def _row(provider: str, model: str, rows: list[Call]) -> ModelCost:
    # Latency of a cache hit is a local lookup, and a failed call never got an answer
    # (a refused connection takes 0 ms): either would flatter the provider's figures.
    latencies = [c.latency_ms for c in rows if c.outcome == "ok" and not c.cache_hit]
    return ModelCost(
        provider=provider,
        model=model,
        calls=len(rows),
        ok=sum(c.outcome == "ok" for c in rows),
        errors=sum(c.outcome == "error" for c in rows),
        input_tokens=sum(c.input_tokens for c in rows),
        cached_input_tokens=sum(c.cached_input_tokens for c in rows),
        output_tokens=sum(c.output_tokens for c in rows),
        cost_usd=math.fsum(billed(c) for c in rows),
        latency_p50_ms=percentile(latencies, 0.50),
        latency_p95_ms=percentile(latencies, 0.95),
        fallbacks=sum(c.fallback_from is not None for c in rows),
        cache_hits=sum(c.cache_hit for c in rows),
    )


def by_provider(calls: Iterable[Call]) -> dict[str, float]:
    spent: dict[str, list[float]] = {}
    for call in calls:
        if call.outcome != "skipped":
            spent.setdefault(call.provider, []).append(billed(call))
    return {provider: math.fsum(costs) for provider, costs in sorted(spent.items())}


def cost_section(
    calls: Sequence[Call],
    policy: Policy,
    *,
    saved_by_cache_usd: float = 0.0,
    team_day_remaining_usd: float | None = None,
    org_day_remaining_usd: float | None = None,
) -> Cost:
    total = math.fsum(billed(c) for c in calls)
    return Cost(
        total_usd=total,
        by_provider=by_provider(calls),
        by_model=model_rows(calls),
        saved_by_cache_usd=max(saved_by_cache_usd, 0.0),
        caps=Caps(
            per_request_usd=policy.max_cost_per_request,
            per_run_usd=policy.max_cost_per_run,
            per_team_day_usd=policy.max_cost_per_day,
            per_org_day_usd=policy.org_max_cost_per_day,
        ),
        remaining=Remaining(
            run_usd=max(policy.max_cost_per_run - total, 0.0),
            team_day_usd=team_day_remaining_usd,
            org_day_usd=org_day_remaining_usd,
        ),
    )
