"""Scheduling: 60 chunks, 300 ms injected latency, max_concurrency 6 -> wall time vs the
ideal ceil(60/6) x 0.3 s (goal: within 15%). Real adapters over HTTP to the provider
server (in its own process).

    .venv/bin/python bench/routing_scheduling.py

"cold" is a first run with no breaker memory: until the provider has answered once, the
breaker lets at most `failure_threshold` (3) calls be at risk, so the first wave is 3
wide (that is what keeps a dead provider to 3 calls in bench/routing_failover.py).
"warm" is the next CI job, whose ledger remembers the provider answered. The last line
shows the other side of the trade: `breaker.cold_start_calls: 6` starts 6 wide, and a
dead provider would then get 6 calls (bench/routing_failover.py prints both).
"""

from __future__ import annotations

import asyncio
import logging
import math
import tempfile
import time

from ci_orch.config.model import Config
from ci_orch.config.routing import BreakerConfig, RoutingConfig
from ci_orch.ledger import open_ledger
from ci_orch.providers.registry import build_provider
from ci_orch.routing import Router
from routing_common import provider_config, request, server_process, warm_up

CHUNKS, LATENCY_S, CONCURRENCY = 60, 0.3, 6


async def run_once(
    base_url: str, ledger_url: str, run_id: str, cold_start_calls: int | None = None
) -> tuple[float, int]:
    cfg = provider_config("m", base_url, max_concurrency=CONCURRENCY)
    breaker = BreakerConfig(cold_start_calls=cold_start_calls)
    config = Config(providers=(cfg,), routing=RoutingConfig(cache=False, breaker=breaker))
    provider = build_provider(cfg, {})
    ledger = open_ledger(ledger_url)
    router = Router(config, {cfg.id: provider}, ledger, run_id=run_id, env={})
    start = time.perf_counter()
    await asyncio.gather(*(router.route(request(i)) for i in range(CHUNKS)))
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


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)  # the router's breaker warnings are expected here
    asyncio.run(main())
