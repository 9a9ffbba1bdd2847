"""Selection strategies: each turns the eligible candidates into a try-order.

`routing.fallback`, when set, overrides the order: listed providers first, in the
listed order, then the rest in the strategy's order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import assert_never

from ci_orch.config.routing import RoutingConfig, Strategy
from ci_orch.routing.classify import TIER_RANK
from ci_orch.routing.eligibility import Candidate
from ci_orch.routing.stats import RunStats

# Used by `latency` and `score` before a provider has answered and without `latency_ms`.
DEFAULT_LATENCY_MS = 5_000.0


def expected_latency_ms(c: Candidate, stats: RunStats) -> float:
    observed = stats.latency_ms(c.id)
    if observed is not None:
        return observed
    return c.config.latency_ms or DEFAULT_LATENCY_MS


def by_cost(cands: Sequence[Candidate]) -> list[Candidate]:
    return sorted(cands, key=lambda c: (c.worst_case_usd, c.id))


def by_latency(cands: Sequence[Candidate], stats: RunStats) -> list[Candidate]:
    return sorted(cands, key=lambda c: (expected_latency_ms(c, stats), c.id))


def by_score(cands: Sequence[Candidate], cfg: RoutingConfig, stats: RunStats) -> list[Candidate]:
    """Weighted sum of capability (tier, capability count), cost, performance, preference,
    each scaled to 0..1 across the candidates (the seed design's 0.4 / 0.25 / 0.2 / 0.15)."""
    if not cands:
        return []
    w = cfg.weights
    top_cost = max(c.worst_case_usd for c in cands) or 1.0
    best_latency = min(expected_latency_ms(c, stats) for c in cands)

    def score(c: Candidate) -> float:
        capability = (TIER_RANK[c.config.tier] + 1) / 4 * 0.8 + len(c.config.capabilities) / 20
        cost = 1.0 - c.worst_case_usd / top_cost
        performance = best_latency / expected_latency_ms(c, stats)
        return (
            w.capability * capability
            + w.cost * cost
            + w.performance * performance
            + w.preference * c.config.preference
        )

    return sorted(cands, key=lambda c: (-score(c), c.id))


def by_ladder(cands: Sequence[Candidate]) -> list[Candidate]:
    """Cheapest tier first, then cheapest within a tier; the chain climbs on failure
    or on an answer that fails validation."""
    return sorted(cands, key=lambda c: (TIER_RANK[c.config.tier], c.worst_case_usd, c.id))


def rotate(cands: Sequence[Candidate], turn: int) -> list[Candidate]:
    ordered = sorted(cands, key=lambda c: c.id)
    if not ordered:
        return []
    k = turn % len(ordered)
    return ordered[k:] + ordered[:k]


def weighted(cands: Sequence[Candidate], stats: RunStats) -> list[Candidate]:
    """Smooth weighted round-robin (as in nginx): deterministic, spreads each provider's
    share evenly instead of in bursts. The pick goes first; the rest follow by weight."""
    live = [c for c in cands if c.config.weight > 0] or list(cands)
    if not live:
        return []
    pick = stats.weighted_pick({c.id: c.config.weight or 1.0 for c in live})
    rest = sorted((c for c in cands if c.id != pick), key=lambda c: (-c.config.weight, c.id))
    return [c for c in cands if c.id == pick] + rest


def order(cands: Sequence[Candidate], cfg: RoutingConfig, stats: RunStats) -> list[Candidate]:
    ranked = _by_strategy(cfg.strategy, cands, cfg, stats)
    if not cfg.fallback:
        return ranked
    listed = {pid: i for i, pid in enumerate(cfg.fallback)}
    head = sorted((c for c in ranked if c.id in listed), key=lambda c: listed[c.id])
    return head + [c for c in ranked if c.id not in listed]


def _by_strategy(
    strategy: Strategy, cands: Sequence[Candidate], cfg: RoutingConfig, stats: RunStats
) -> list[Candidate]:
    if strategy == "cost":
        return by_cost(cands)
    if strategy == "latency":
        return by_latency(cands, stats)
    if strategy == "score" or strategy == "consensus":
        return by_score(cands, cfg, stats)
    if strategy == "round-robin":
        return rotate(cands, stats.next_turn())
    if strategy == "weighted":
        return weighted(cands, stats)
    if strategy == "ladder":
        return by_ladder(cands)
    assert_never(strategy)
