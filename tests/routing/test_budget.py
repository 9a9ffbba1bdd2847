"""Budgets through the router: reservations hold under concurrency, settlement is exact,
degradation and caps are reported, the cache is free, no price blocks the rest."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ci_orch.config.policy import Policy
from ci_orch.config.providers import Price
from ci_orch.ledger import Ledger, LedgerError, Reservation, budget_caps, open_ledger
from ci_orch.ledger.sqlite import SqliteLedger
from ci_orch.providers.interface import Usage
from ci_orch.routing import BudgetExhausted
from ci_orch.routing.cost import TokenCounter, worst_case_usd
from tests.routing.support import (
    FakeClock,
    ScriptedProvider,
    make_config,
    make_router,
    pcfg,
    req,
)
from tests.test_ledger_redis_support import redis_url  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]



def worst_case(provider: ScriptedProvider, max_out: int = 100) -> tuple[int, float]:
    tokens = TokenCounter(req(max_out=max_out).request).count(provider.config)
    return tokens, worst_case_usd(provider.config, tokens, max_out)


async def test_a_cap_worth_10_calls_lets_exactly_10_of_50_concurrent_calls_through(
    ledger: Ledger, clock: FakeClock
) -> None:
    """LiteLLM let 50 concurrent calls through a spend cap worth 10 (5x the cap)."""
    a = ScriptedProvider(pcfg("a", max_concurrency=50), delay_s=0.01)
    tokens, worst = worst_case(a)
    a._usage = Usage(tokens, 0, 100)  # every call really costs its worst case
    policy = Policy(max_cost_per_run=worst * 10.5, max_cost_per_request=1.0, degrade_at=1.0)
    router = make_router(make_config([a.config], policy=policy, cache=False), [a], ledger, clock)
    results = await asyncio.gather(
        *(router.route(req()) for _ in range(50)), return_exceptions=True
    )
    ok = [r for r in results if not isinstance(r, BaseException)]
    stopped = [r for r in results if isinstance(r, BudgetExhausted)]
    assert (len(ok), len(stopped), len(a.calls)) == (10, 40, 10)
    run_scope = budget_caps(policy, team="t", run_id="run-1", wall_time=clock.t)[0].scope
    spent = (await ledger.used([run_scope]))[run_scope]
    assert spent == pytest.approx(worst * 10) and spent <= policy.max_cost_per_run


async def test_two_routers_sharing_redis_never_overspend_the_team_day(
    redis_url: str,  # noqa: F811
) -> None:
    clock = FakeClock(1_900_000_000.0 + hash(redis_url) % 1000 * 86_400)  # a day of its own
    providers = [ScriptedProvider(pcfg("a", max_concurrency=30), delay_s=0.005) for _ in range(2)]
    tokens, worst = worst_case(providers[0])
    for p in providers:
        p._usage = Usage(tokens, 0, 100)
    policy = Policy(max_cost_per_day=worst * 7.5, max_cost_per_request=1.0, degrade_at=1.0)
    config = make_config([providers[0].config], policy=policy, cache=False)
    ledgers = [open_ledger(redis_url, clock=clock.time) for _ in range(2)]
    routers = [
        make_router(config, [p], led, clock, run_id=f"r{i}")
        for i, (p, led) in enumerate(zip(providers, ledgers, strict=True))
    ]
    results = await asyncio.gather(
        *(r.route(req()) for r in routers for _ in range(20)), return_exceptions=True
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 7
    assert sum(len(p.calls) for p in providers) == 7
    for led in ledgers:
        await led.aclose()


async def test_settlement_prices_cached_tokens_as_cached(ledger: Ledger, clock: FakeClock) -> None:
    """LiteLLM #14849/#6215/#11364: cached tokens priced wrongly."""
    price = Price(input_per_mtok=10, output_per_mtok=20, cached_input_per_mtok=1)
    a = ScriptedProvider(pcfg("a", price=price), usage=Usage(1000, 800, 100))
    policy = Policy()
    router = make_router(make_config([a.config], policy=policy), [a], ledger, clock)
    result = await router.route(req())
    expected = (200 * 10 + 800 * 1 + 100 * 20) / 1e6
    assert result.cost_usd == pytest.approx(expected)
    assert result.attempts[-1].cached_input_tokens == 800
    run_scope = budget_caps(policy, team="t", run_id="run-1", wall_time=clock.t)[0].scope
    assert (await ledger.used([run_scope]))[run_scope] == pytest.approx(expected)


async def test_past_degrade_at_routing_drops_to_cheaper_tiers(
    ledger: Ledger, clock: FakeClock
) -> None:
    premium = ScriptedProvider(pcfg("premium", tier="premium"))
    economy = ScriptedProvider(pcfg("economy", tier="economy"))
    policy = Policy(max_cost_per_run=1.0, degrade_at=0.8)
    config = make_config([premium.config, economy.config], policy=policy, fallback=("premium",))
    router = make_router(config, [premium, economy], ledger, clock)
    assert (await router.route(req("before"))).provider == "premium"
    caps = budget_caps(policy, team="t", run_id="run-1", wall_time=clock.t)
    await ledger.settle(await ledger.reserve(caps, 0.85, hold_s=60), 0.85)
    result = await router.route(req("after"))
    assert result.provider == "economy"
    assert ("premium", "degraded") in [(x.provider, x.error_kind) for x in result.attempts]


async def test_at_the_cap_routing_stops_with_the_reason(ledger: Ledger, clock: FakeClock) -> None:
    a = ScriptedProvider(pcfg("a"))
    policy = Policy(max_cost_per_run=0.5)
    router = make_router(make_config([a.config], policy=policy), [a], ledger, clock)
    caps = budget_caps(policy, team="t", run_id="run-1", wall_time=clock.t)
    await ledger.settle(await ledger.reserve(caps, 0.5, hold_s=60), 0.5)
    with pytest.raises(BudgetExhausted, match="left") as info:
        await router.route(req())
    assert info.value.scope == "shared"
    assert [(x.provider, x.outcome, x.error_kind) for x in info.value.attempts] == [
        ("a", "skipped", "budget")
    ]
    assert a.calls == []


async def test_a_chunk_dearer_than_the_request_cap_is_reported_as_such(
    ledger: Ledger, clock: FakeClock
) -> None:
    pricey = ScriptedProvider(pcfg("pricey", price=Price(input_per_mtok=1e5, output_per_mtok=1e5)))
    router = make_router(make_config([pricey.config]), [pricey], ledger, clock)
    with pytest.raises(BudgetExhausted, match="max_cost_per_request") as info:
        await router.route(req())
    assert info.value.scope == "request"


async def test_a_provider_without_a_price_is_dropped_alone(
    ledger: Ledger, clock: FakeClock
) -> None:
    """LiteLLM #20615: one wrong price entry blocked every request."""
    unpriced = ScriptedProvider(pcfg("unpriced", price=None))
    priced = ScriptedProvider(pcfg("priced"))
    config = make_config([unpriced.config, priced.config], fallback=("unpriced", "priced"))
    result = await make_router(config, [unpriced, priced], ledger, clock).route(req())
    assert result.provider == "priced" and unpriced.calls == []
    assert ("unpriced", "price") in [(x.provider, x.error_kind) for x in result.attempts]


async def test_cache_hits_cost_nothing_and_are_reported(ledger: Ledger, clock: FakeClock) -> None:
    a = ScriptedProvider(pcfg("a"), parsed={"findings": []})
    config = make_config([a.config])
    first = await make_router(config, [a], ledger, clock, run_id="r1").route(req("same"))
    again = await make_router(config, [a], ledger, clock, run_id="r2").route(req("same"))
    other = await make_router(config, [a], ledger, clock, run_id="r3").route(req("changed"))
    assert len(a.calls) == 2
    assert (first.cache_hit, again.cache_hit, other.cache_hit) == (False, True, False)
    assert again.cost_usd == 0 and again.response.text == first.response.text
    assert again.response.parsed == {"findings": []}
    assert again.attempts[-1].cache_hit and again.attempts[-1].cost_usd == 0


def test_nothing_is_fetched_over_the_network_at_import_or_route(tmp_path: Path) -> None:
    """LiteLLM fetches its price map over HTTP at import."""
    code = textwrap.dedent(
        f"""
        import asyncio, socket
        def refuse(*a, **k):
            raise AssertionError("network access")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        import ci_orch.routing, ci_orch.ledger
        from tests.routing.support import ScriptedProvider, make_config, make_router, pcfg, req
        from ci_orch.ledger import open_ledger

        async def main():
            a = ScriptedProvider(pcfg("a"))
            led = open_ledger("sqlite:///{tmp_path}/l.sqlite")
            result = await make_router(make_config([a.config]), [a], led).route(req())
            await led.aclose()
            print(result.provider)
        asyncio.run(main())
        """
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().strip() == "a"


async def test_output_reserve_is_capped_at_the_deployment_limit(
    ledger: Ledger, clock: FakeClock
) -> None:
    a = ScriptedProvider(pcfg("a", max_output_tokens=500, price=Price(input_per_mtok=0,
                                                                      output_per_mtok=100)))
    policy = Policy(max_cost_per_request=0.06)  # 10,000 output tokens would cost $1
    router = make_router(make_config([a.config], policy=policy), [a], ledger, clock)
    await router.route(req(max_out=10_000))
    assert a.calls[0].max_output_tokens == 500  # worst case $0.05 fits the request cap


class SettleFails(SqliteLedger):
    """Reserves, then loses the backend: settling and the cache fail."""

    async def settle(self, reservation: Reservation, cost_usd: float) -> None:
        if cost_usd:
            raise LedgerError("redis went away")
        await super().settle(reservation, cost_usd)

    async def cache_get(self, key: str) -> str | None:
        raise LedgerError("redis went away")

    async def cache_put(self, key: str, value: str, ttl_s: float) -> None:
        raise LedgerError("redis went away")


async def test_an_answer_is_kept_when_settling_or_caching_fails(
    tmp_path: Path, clock: FakeClock
) -> None:
    a = ScriptedProvider(pcfg("a"))
    led = SettleFails(tmp_path / "l.sqlite", clock=clock.time)
    result = await make_router(make_config([a.config]), [a], led, clock).route(req())
    assert result.provider == "a" and result.cost_usd > 0
    await led.aclose()


async def test_at_the_cap_a_cached_answer_is_still_served(ledger: Ledger, clock: FakeClock) -> None:
    a = ScriptedProvider(pcfg("a"))
    policy = Policy(max_cost_per_run=0.5)
    config = make_config([a.config], policy=policy)
    await make_router(config, [a], ledger, clock, run_id="r1").route(req("unchanged"))
    caps = budget_caps(policy, team="t", run_id="r2", wall_time=clock.t)
    await ledger.settle(await ledger.reserve(caps, 0.5, hold_s=60), 0.5)
    router = make_router(config, [a], ledger, clock, run_id="r2")
    assert (await router.route(req("unchanged"))).cache_hit
    with pytest.raises(BudgetExhausted):
        await router.route(req("changed"))
    assert len(a.calls) == 1
