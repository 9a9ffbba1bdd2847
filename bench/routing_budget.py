"""Budget: 200 concurrent reservations racing for a $1 cap -> overspend (goal: 0) and the
throughput of the SQLite and Redis ledgers; also 4 processes x 50 racing on one ledger.

    .venv/bin/python bench/routing_budget.py

Each reservation is a random worst case of $0.002-$0.02, settled at 30-100% of it, the
way real calls come in under their worst case. Redis figures need `redis-server` on PATH.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ci_orch.ledger import BudgetExceeded, Cap, Ledger, open_ledger
from figures import figure
from routing_common import free_port, wait_for_port

CAP_USD, RACERS = 1.0, 200


async def race(ledger: Ledger, scope: str, n: int, seed: int) -> tuple[int, float]:
    """n concurrent reserve-then-settle calls; returns (granted, settled spend)."""
    rng = random.Random(seed)
    caps = (Cap(scope, CAP_USD, 3600),)
    plan = [(rng.uniform(0.002, 0.02), rng.uniform(0.3, 1.0)) for _ in range(n)]

    async def one(worst: float, share: float) -> float:
        try:
            reservation = await ledger.reserve(caps, worst, hold_s=60)
        except BudgetExceeded:
            return -1.0
        await asyncio.sleep(0)  # the "call"
        await ledger.settle(reservation, worst * share)
        return worst * share

    spent = await asyncio.gather(*(one(w, s) for w, s in plan))
    return sum(1 for x in spent if x >= 0), sum(x for x in spent if x >= 0)


async def in_process(url: str) -> str:
    ledger = open_ledger(url)
    scope = f"bench:{uuid.uuid4().hex}"
    start = time.perf_counter()
    granted, spent = await race(ledger, scope, RACERS, seed=1)
    elapsed = time.perf_counter() - start
    recorded = (await ledger.used([scope]))[scope]
    await ledger.aclose()
    over = max(recorded - CAP_USD, 0)
    figure(f"budget: overspend of a $1 cap, {RACERS} racers, {url.split(':')[0]}", over, "$",
           "0", over == 0)
    return (f"{RACERS} racers: granted {granted}, settled ${spent:.6f}, ledger says "
            f"${recorded:.6f}, overspend ${max(recorded - CAP_USD, 0):.6f}; "
            f"{RACERS / elapsed:,.0f} reserve+settle/s")


_WORKER = """
import asyncio, sys
sys.path.insert(0, {bench!r})
from routing_budget import race
from ci_orch.ledger import open_ledger
async def main():
    led = open_ledger(sys.argv[1])
    granted, spent = await race(led, sys.argv[2], 50, int(sys.argv[3]))
    await led.aclose()
    print(granted, spent)
asyncio.run(main())
"""


def four_processes(url: str) -> str:
    scope = f"bench:{uuid.uuid4().hex}"
    code = _WORKER.format(bench=str(Path(__file__).parent))
    procs = [
        subprocess.Popen([sys.executable, "-c", code, url, scope, str(seed)],
                         stdout=subprocess.PIPE)
        for seed in range(4)
    ]
    outs = [p.communicate(timeout=120)[0].split() for p in procs]
    recorded = asyncio.run(used(url, scope))
    granted = sum(int(o[0]) for o in outs)
    return (f"4 processes x 50: granted {granted}, ledger says ${recorded:.6f}, "
            f"overspend ${max(recorded - CAP_USD, 0):.6f}")


async def used(url: str, scope: str) -> float:
    ledger = open_ledger(url)
    value = (await ledger.used([scope]))[scope]
    await ledger.aclose()
    return value


async def throughput(url: str, n: int = 2000) -> str:
    ledger = open_ledger(url)
    caps = (Cap(f"bench:{uuid.uuid4().hex}", 1e9, 3600),)
    start = time.perf_counter()
    for _ in range(n):
        await ledger.settle(await ledger.reserve(caps, 0.01, hold_s=60), 0.005)
    elapsed = time.perf_counter() - start
    await ledger.aclose()
    return f"sequential: {n / elapsed:,.0f} reserve+settle/s ({elapsed / n * 1e3:.2f} ms each)"


@contextmanager
def redis_server() -> Iterator[str | None]:
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp, "--save", ""],
            stdout=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def main() -> None:
    print(f"budget: cap ${CAP_USD:.2f}; worst cases $0.002-$0.02, settled at 30-100%")
    with tempfile.TemporaryDirectory() as tmp, redis_server() as redis_url:
        backends = [("sqlite", f"sqlite:///{tmp}/ledger.sqlite"), ("redis", redis_url)]
        for name, url in backends:
            if url is None:
                print(f"  {name}: SKIPPED (redis-server not on PATH)")
                continue
            print(f"  {name}: {asyncio.run(in_process(url))}")
            print(f"  {name}: {four_processes(url)}")
            print(f"  {name}: {asyncio.run(throughput(url))}")


if __name__ == "__main__":
    main()
