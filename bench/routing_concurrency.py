"""Concurrency through our provider adapters: 600 calls, 60 in flight at once, 100 ms
injected latency -> wall time vs the ideal 600 / 60 x 0.1 s = 1.0 s (goal: within 1.3x).
One adapter with `max_concurrency` 60, against the provider server in its own process.

Two figures for context, from the same server under the same load: 60 threads on one sync
httpx client, and a bare asyncio client (prebuilt request bytes on 60 kept-alive sockets,
no HTTP library): the latter is what the server itself allows, so when it is near 1.0x
and ours is not, the time is ours, not the server's.

    .venv/bin/python bench/routing_concurrency.py
"""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from ci_orch.providers.registry import build_provider
from figures import figure
from routing_common import provider_config, request, server_process

CALLS, IN_FLIGHT, LATENCY_S = 600, 60, 0.1
GOAL = 1.3
RUNS = 5


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


async def bare(base_url: str) -> float:
    """The same calls as prebuilt bytes on 60 kept-alive sockets: the server alone."""
    url = httpx.URL(base_url)
    host, port = url.host, url.port or 80
    config = provider_config("fast", base_url, max_concurrency=IN_FLIGHT)
    body = json.dumps(build_provider(config, {}).build_body(request(0).request)).encode()
    head = (f"POST {url.path}/chat/completions HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    raw = head.encode() + body
    sockets = [await asyncio.open_connection(host, port) for _ in range(IN_FLIGHT)]
    todo = list(range(CALLS))

    async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(raw)
        headers = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in headers.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        await reader.readexactly(length)

    async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while todo:
            todo.pop()
            await one(reader, writer)

    try:
        await asyncio.gather(*(one(r, w) for r, w in sockets))  # connect and warm each
        start = time.perf_counter()
        await asyncio.gather(*(worker(r, w) for r, w in sockets))
        return time.perf_counter() - start
    finally:
        for _, writer in sockets:
            writer.close()


def main() -> None:
    logging.disable(logging.WARNING)
    ideal = CALLS / IN_FLIGHT * LATENCY_S
    script = {"defaults": {"text": "ok", "latency_ms": LATENCY_S * 1000}}
    with server_process(script) as (base_url, _):
        ours, theirs, server = [], [], []
        for _ in range(RUNS):  # interleaved, so all three see the same load
            ours.append(asyncio.run(run(base_url)))
            theirs.append(threaded(base_url))
            server.append(asyncio.run(bare(base_url)))
    print(f"{CALLS} calls, {IN_FLIGHT} in flight, {LATENCY_S * 1000:.0f} ms latency, "
          f"ideal {ideal:.2f} s; medians of {RUNS}")
    ratio = statistics.median(ours) / ideal
    figure(f"{CALLS} calls, {IN_FLIGHT} in flight, through our adapters", ratio, "x",
           f"<= {GOAL}x ideal", ratio <= GOAL)
    figure("same calls, 60 threads on sync httpx (context)", statistics.median(theirs) / ideal,
           "x", "-", None)
    figure("same calls, bare asyncio sockets: the server alone", statistics.median(server) / ideal,
           "x", "-", None)


if __name__ == "__main__":
    main()
