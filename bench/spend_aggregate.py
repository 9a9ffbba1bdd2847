"""`ci-orch spend` over 100,000 audit records: store, read back, aggregate, render.

    .venv/bin/python bench/spend_aggregate.py [N]

Prints seconds per stage for a SQLite ledger, and for Redis when `redis-server` is on PATH.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ci_orch.config.policy import Policy
from ci_orch.ledger import open_ledger
from ci_orch.spend import RENDERERS, aggregate
from ci_orch.spend.load import load_records

sys.path.insert(0, str(Path(__file__).parent))
from spend_common import synthetic_records  # noqa: E402

TTL_S = 90 * 86_400


def bench(url: str, n: int) -> None:
    t0 = time.perf_counter()
    records = synthetic_records(n)
    rows = [r.row(i) for i, r in enumerate(records)]
    t1 = time.perf_counter()

    async def store() -> None:
        led = open_ledger(url)
        for start in range(0, len(rows), 500):  # one run writes tens of rows, not 100k
            await led.record_calls(rows[start:start + 500], ttl_s=TTL_S)
        await led.aclose()

    asyncio.run(store())
    t2 = time.perf_counter()
    loaded = load_records(url)
    t3 = time.perf_counter()
    report = aggregate(loaded, by="team", policy=Policy(max_cost_per_day=20.0))
    t4 = time.perf_counter()
    sizes = {fmt: len(render(report)) for fmt, render in RENDERERS.items()}
    t5 = time.perf_counter()
    assert len(loaded) == n, (len(loaded), n)
    print(f"{url.split(':')[0]}: {n:,} records: build {t1 - t0:.2f} s, store {t2 - t1:.2f} s, "
          f"read+parse {t3 - t2:.2f} s, aggregate {t4 - t3:.2f} s, "
          f"render all 4 formats {t5 - t4:.3f} s (html {sizes['html'] / 1024:.0f} KiB)")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        bench(f"sqlite:///{tmp}/ledger.sqlite", n)
        binary = shutil.which("redis-server")
        if binary is None:
            print("redis: skipped (redis-server not on PATH)")
            return
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save",
                                 "", "--appendonly", "no", "--dir", tmp],
                                stdout=subprocess.DEVNULL)
        try:
            time.sleep(0.5)
            bench(f"redis://127.0.0.1:{port}/0", n)
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
