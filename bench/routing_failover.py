"""Failover: the primary answers 500 to every call, breaker threshold 3 -> calls to the
dead provider and the wall time it adds (goal: at most 3 calls for the whole run).
LiteLLM 1.106 sent 150 calls for 50 requests and added about 5 s to each.

    .venv/bin/python bench/routing_failover.py
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time

from ci_orch.config.model import Config
from ci_orch.config.providers import ProviderConfig
from ci_orch.config.routing import BreakerConfig, RoutingConfig
from ci_orch.ledger import open_ledger
from ci_orch.providers.registry import build_provider
from ci_orch.routing import Router
from figures import figure
from routing_common import calls_by_model, provider_config, request, server_process, warm_up

REQUESTS, LATENCY_MS, CONCURRENCY = 50, 100, 6


async def timed(router: Router, i: int) -> tuple[str, float]:
    start = time.perf_counter()
    result = await router.route(request(i))
    return result.provider, time.perf_counter() - start


async def run(
    configs: list[ProviderConfig], ledger_url: str, run_id: str, cold_start: int | None = None
) -> tuple[float, float, float]:
    """Wall time, mean and max per-request latency."""
    routing = RoutingConfig(
        cache=False,
        fallback=tuple(c.id for c in configs),
        breaker=BreakerConfig(cold_start_calls=cold_start),
    )
    config = Config(providers=tuple(configs), routing=routing)
    providers = {c.id: build_provider(c, {}) for c in configs}
    ledger = open_ledger(ledger_url)
    router = Router(config, providers, ledger, run_id=run_id, env={})
    start = time.perf_counter()
    results = await asyncio.gather(*(timed(router, i) for i in range(REQUESTS)))
    wall = time.perf_counter() - start
    assert all(provider == "live" for provider, _ in results)
    latencies = [t for _, t in results]
    for p in providers.values():
        await p.aclose()
    await ledger.aclose()
    return wall, sum(latencies) / len(latencies), max(latencies)


async def main() -> None:
    script = {
        "defaults": {"latency_ms": LATENCY_MS, "text": "ok"},
        "models": {"dead": {"then": "server_error"}},
    }
    with tempfile.TemporaryDirectory() as tmp, server_process(script) as (base_url, record):
        await warm_up(base_url)
        dead = provider_config("dead", base_url, max_concurrency=CONCURRENCY)
        live = provider_config("live", base_url, max_concurrency=CONCURRENCY)
        print(f"failover: {REQUESTS} requests, backup latency {LATENCY_MS} ms, "
              f"max_concurrency {CONCURRENCY}, breaker threshold 3")
        baseline, mean0, max0 = await run([live], f"sqlite:///{tmp}/base.sqlite", "base")
        print(f"  backup alone: wall {baseline:.3f} s, per request mean {mean0:.3f} s "
              f"max {max0:.3f} s")
        shared = f"sqlite:///{tmp}/ledger.sqlite"
        runs = [("dead primary, first job", shared, None), ("dead primary, next job", shared, None),
                ("first job, breaker.cold_start_calls=6", f"sqlite:///{tmp}/other.sqlite", 6)]
        for label, ledger_url, cold_start in runs:
            before = calls_by_model(record).get("dead", 0)
            wall, mean, top = await run([dead, live], ledger_url, f"job-{time.time()}", cold_start)
            calls = calls_by_model(record).get("dead", 0) - before
            print(f"  {label}: calls to the dead provider: {calls} (goal <= 3); "
                  f"wall {wall:.3f} s ({wall - baseline:+.3f} s), per request mean "
                  f"{mean:.3f} s ({mean - mean0:+.3f}) max {top:.3f} s ({top - max0:+.3f})")
            # A configured cold start lets that many calls through before the breaker opens.
            most = cold_start or 3
            figure(f"failover: calls to a dead provider, {label}", calls, "calls",
                   f"<= {most}", calls <= most)


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)  # the router's breaker warnings are expected here
    asyncio.run(main())
