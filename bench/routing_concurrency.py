"""Concurrency through our provider adapters: 600 calls, 60 in flight at once, 100 ms
injected latency -> wall time vs the ideal 600 / 60 x 0.1 s = 1.0 s (goal: within 1.3x).
One adapter (one `httpx.AsyncClient`) with `max_concurrency` 60, against the provider
server in its own process.

    .venv/bin/python bench/routing_concurrency.py
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from ci_orch.providers.registry import build_provider
from routing_common import provider_config, request, server_process

CALLS, IN_FLIGHT, LATENCY_S = 600, 60, 0.1
GOAL = 1.3


async def run(base_url: str) -> float:
    config = provider_config("fast", base_url, max_concurrency=IN_FLIGHT, timeout_s=30)
    provider = build_provider(config, {})
    slots = asyncio.Semaphore(IN_FLIGHT)

    async def one(i: int) -> None:
        async with slots:
            await provider.complete(request(i).request)

    try:
        await one(-1)  # connect once, as a run's first call would
        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(CALLS)))
        return time.perf_counter() - start
    finally:
        await provider.aclose()


def threaded(base_url: str) -> float:
    """The same calls from 60 threads on one sync httpx client: what this machine and this
    server allow right now (a loaded runner slows both)."""
    body = {"model": "fast", "messages": [{"role": "user", "content": "x"}], "max_tokens": 200}
    limits = httpx.Limits(max_connections=IN_FLIGHT * 2, max_keepalive_connections=IN_FLIGHT)
    with httpx.Client(limits=limits) as client, ThreadPoolExecutor(IN_FLIGHT) as pool:
        client.post(f"{base_url}/chat/completions", json=body)
        start = time.perf_counter()
        list(pool.map(lambda _: client.post(f"{base_url}/chat/completions", json=body),
                      range(CALLS)))
        return time.perf_counter() - start


def main() -> None:
    logging.disable(logging.WARNING)
    ideal = CALLS / IN_FLIGHT * LATENCY_S
    script = {"defaults": {"text": "ok", "latency_ms": LATENCY_S * 1000}}
    with server_process(script) as (base_url, _):
        ours, theirs = [], []
        for _ in range(3):  # interleaved, so both see the same load
            ours.append(asyncio.run(run(base_url)))
            theirs.append(threaded(base_url))
    wall, ref = sorted(ours)[1], sorted(theirs)[1]
    print(f"{CALLS} calls, {IN_FLIGHT} in flight, {LATENCY_S * 1000:.0f} ms latency, medians of 3")
    print(f"ours (async adapter): {wall:.2f} s = {wall / ideal:.2f}x ideal {ideal:.2f} s "
          f"(goal <= {GOAL}x) {'at goal' if wall / ideal <= GOAL else 'NOT at goal'}")
    print(f"threaded sync httpx, same server and load: {ref:.2f} s = {ref / ideal:.2f}x ideal")


if __name__ == "__main__":
    main()
