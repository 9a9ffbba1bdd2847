"""The fault matrix: every fault x {single provider, with backup} x {SQLite, Redis, Redis dies
mid-run} as a whole review run (6 chunks, timeout 1 s) against the provider servers. Prints,
per row, the calls to the faulty provider (goal <= 3 when it is down, cold or warm; when its
API is up but its answers are unusable, <= max(3, max_concurrency) cold, the liveness probe
having passed, and <= 3 warm, a second run on the same ledger), wall time (goal <= 2 x
timeout), spend by provider-side truth against the tightest cap (goal <= cap), holds left
(goal 0) and the status (goal: `failed` with no backup, `complete` with one).

    .venv/bin/python bench/routing_faults.py            # the SQLite column only
    .venv/bin/python bench/routing_faults.py --all      # plus Redis and Redis dying
"""

from __future__ import annotations

import argparse
import logging
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from ci_orch.testing.fault_matrix import (
    FAULTS,
    LEDGERS,
    MODES,
    TIMEOUT_S,
    RedisHandle,
    call_bound,
    run_sync,
    starts,
)
from figures import figure

DIES = ("500", "429 long", "hang", "200 prose", "over-billed 1.3x")


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    binary = shutil.which("redis-server") or "redis-server"
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir),
         "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("redis-server did not start")


def row_for(fault: str, mode: str, ledger: str, shared: str | None, start: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        handle = None
        proc = None
        if ledger == "redis" and shared:
            handle = RedisHandle(shared, lambda: None)
        elif ledger == "redis dies":
            proc, url = start_redis(Path(tmp))
            handle = RedisHandle(url, proc.kill)
        try:
            r = run_sync(fault, mode, ledger, Path(tmp), handle, start)
        finally:
            if proc is not None and proc.poll() is None:
                proc.kill()
    kind = FAULTS[fault][1]
    bound = call_bound(fault, start)
    goal_calls = f"<={bound}" if bound is not None else "-"
    expected = "complete" if mode == "backup" else "failed"
    ok = (
        (bound is None or (r.faulty_calls <= bound and r.wall_s <= 2 * TIMEOUT_S + 1.5
                           and r.status == expected))
        and (bound is not None or r.chunks_ok > 0)
        and r.billed_usd <= r.cap_usd and r.holds_left_usd < 1e-9
        and not (r.chunks_ok == 0 and r.status == "complete")
    )
    return (
        f"| {fault} | {kind} | {mode} | {ledger} | {start} | {r.faulty_calls} ({goal_calls}) | "
        f"{r.wall_s:.2f} s | "
        f"${r.billed_usd:.4f} / ${r.recorded_usd:.4f} <= ${r.cap_usd:.2f} | "
        f"{r.holds_left_usd:.6f} | {r.status} ({r.chunks_ok}/6) | {'yes' if ok else 'NO'} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--all", action="store_true", help="also the Redis columns")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    ledgers = LEDGERS if args.all else ("sqlite",)
    print(f"timeout_s {TIMEOUT_S:g}; goal wall <= {2 * TIMEOUT_S:g} s (+1.5 s slack) for a dead "
          "provider; spend is billed (server truth) / recorded (ledger)")
    print("| fault | kind | mode | ledger | start | calls to faulty | wall "
          "| spend billed / recorded vs cap | holds left | status (chunks ok) | at goal |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        proc, shared = start_redis(Path(tmp)) if args.all else (None, None)
        started = time.monotonic()
        rows = missed = 0
        try:
            for ledger in ledgers:
                for fault in FAULTS:
                    for start in starts(fault) if ledger != "redis dies" else ("cold",):
                        for mode in MODES:
                            if ledger == "redis dies" and (fault not in DIES or mode != "backup"):
                                continue
                            row = row_for(fault, mode, ledger, shared, start)
                            print(row, flush=True)
                            missed += row.endswith("| NO |")
                            rows += 1
        finally:
            if proc is not None:
                proc.kill()
        whole = time.monotonic() - started
        print(f"whole matrix: {whole:.1f} s (goal < 60 s)")
    figure(f"faults: matrix rows not at goal, of {rows}", missed, "rows", "0", missed == 0)
    figure("faults: the whole matrix, wall", whole, "s", "< 60 s", whole < 60)


if __name__ == "__main__":
    main()
