"""Scheduling: 60 chunks, 300 ms injected latency, max_concurrency 6 -> wall time vs the
ideal ceil(60/6) x 0.3 s (goal: within 15%). Real adapters over HTTP to the provider
server (in its own process).

    .venv/bin/python bench/routing_scheduling.py

"cold" is a first run with no breaker memory: until the provider has answered once, the
breaker lets at most `failure_threshold` (3) calls be at risk, so the first wave would be
3 wide (that is what keeps a dead provider to 3 calls in bench/routing_failover.py); the
free liveness probe (the vendor's models list) lifts that limit as soon as it answers.
"warm" is the next CI job, whose ledger remembers the provider answered. The
`breaker.cold_start_calls: 6` line is the other way to start wide, at the price of 6
calls to a dead provider.

The figures: a cold start of 6 chunks x 300 ms at concurrency 6 (median of 5, each run on
a fresh ledger) as a ratio to the ideal 0.3 s, probe on (goal <= 1.15x) and off (what it
was before the probe), and the calls a dead provider gets at a cold start with the probe
on (goal <= 3; it has a server of its own, as a vendor would).
"""

from __future__ import annotations

import asyncio
import logging
import math
import statistics
import tempfile
import time

from ci_orch.config.model import Config
from ci_orch.config.routing import BreakerConfig, RoutingConfig
from ci_orch.ledger import open_ledger
from ci_orch.providers.registry import build_provider
from ci_orch.routing import Router
from figures import figure
from routing_common import (
    calls_by_model,
    provider_config,
    request,
    server_process,
    warm_up,
)

CHUNKS, LATENCY_S, CONCURRENCY = 60, 0.3, 6
COLD_CHUNKS, COLD_RUNS, COLD_GOAL = 6, 5, 1.15


async def run_once(
    base_url: str, ledger_url: str, run_id: str, cold_start_calls: int | None = None,
    *, chunks: int = CHUNKS, probe: bool = True,
) -> tuple[float, int]:
    cfg = provider_config("m", base_url, max_concurrency=CONCURRENCY)
    breaker = BreakerConfig(cold_start_calls=cold_start_calls, probe=probe)
    config = Config(providers=(cfg,), routing=RoutingConfig(cache=False, breaker=breaker))
    provider = build_provider(cfg, {})
    ledger = open_ledger(ledger_url)
    router = Router(config, {cfg.id: provider}, ledger, run_id=run_id, env={})
    start = time.perf_counter()
    await asyncio.gather(*(router.route(request(i)) for i in range(chunks)))
    wall = time.perf_counter() - start
    peak = router.limiter_peaks()[cfg.id]
    await provider.aclose()
    await ledger.aclose()
    return wall, peak


async def main() -> None:
    ideal = math.ceil(CHUNKS / CONCURRENCY) * LATENCY_S
    print(f"scheduling: {CHUNKS} chunks, {LATENCY_S * 1000:.0f} ms latency, "
          f"max_concurrency {CONCURRENCY}; ideal {ideal:.2f} s")
    script = {"defaults": {"latency_ms": LATENCY_S * 1000, "text": "ok"}}
    with tempfile.TemporaryDirectory() as tmp, server_process(script) as (base_url, _):
        url = f"sqlite:///{tmp}/ledger.sqlite"
        warm = await warm_up(base_url)
        print(f"  process warm-up (tokenizer, imports; not counted): {warm:.3f} s")
        runs = [("cold", url, None), ("warm", url, None), ("warm", url, None),
                ("cold, breaker.cold_start_calls=6", f"sqlite:///{tmp}/other.sqlite", 6)]
        for label, ledger_url, cold_start in runs:
            wall, peak = await run_once(base_url, ledger_url, f"bench-{time.time()}", cold_start)
            over = (wall / ideal - 1) * 100
            print(f"  {label}: wall {wall:.3f} s ({over:+.1f}% vs ideal; goal <= +15%), "
                  f"peak in flight {peak}")
        ideal = math.ceil(COLD_CHUNKS / CONCURRENCY) * LATENCY_S
        for probe in (True, False):
            walls = []
            for n in range(COLD_RUNS):
                cold_url = f"sqlite:///{tmp}/cold-{probe}-{n}.sqlite"
                wall, _ = await run_once(base_url, cold_url, f"cold-{n}", chunks=COLD_CHUNKS,
                                         probe=probe)
                walls.append(wall)
            ratio = statistics.median(walls) / ideal
            name = f"cold start, {COLD_CHUNKS} chunks x {LATENCY_S * 1000:.0f} ms, concurrency " \
                f"{CONCURRENCY}" + ("" if probe else " (probe off)")
            figure(name, ratio, "x", f"<= {COLD_GOAL}x ideal" if probe else "-",
                   ratio <= COLD_GOAL if probe else None)
    calls = await dead_provider_calls()
    figure("calls to a dead provider (cold, probe on)", calls, "calls", "<= 3", calls <= 3)


async def dead_provider_calls() -> int:
    """A cold start with a dead primary (its own server: 500 to everything) and a live
    backup: the calls the primary gets."""
    dead_script = {"models": {"dead": {"then": "server_error"}}}
    live_script = {"defaults": {"latency_ms": LATENCY_S * 1000, "text": "ok"}}
    with (tempfile.TemporaryDirectory() as tmp, server_process(dead_script) as (dead_url, record),
          server_process(live_script) as (live_url, _)):
        configs = [provider_config("dead", dead_url, max_concurrency=CONCURRENCY),
                   provider_config("live", live_url, max_concurrency=CONCURRENCY)]
        routing = RoutingConfig(cache=False, fallback=("dead", "live"))
        providers = {c.id: build_provider(c, {}) for c in configs}
        ledger = open_ledger(f"sqlite:///{tmp}/dead.sqlite")
        router = Router(Config(providers=tuple(configs), routing=routing), providers, ledger,
                        run_id="dead", env={})
        await asyncio.gather(*(router.route(request(i)) for i in range(COLD_CHUNKS)))
        for provider in providers.values():
            await provider.aclose()
        await ledger.aclose()
        return calls_by_model(record).get("dead", 0)


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)  # the router's breaker warnings are expected here
    asyncio.run(main())
