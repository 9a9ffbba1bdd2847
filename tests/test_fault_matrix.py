"""The fault matrix: every fault x {single provider, with backup} x {SQLite, Redis, Redis dies
mid-run}, each a whole review run against the provider servers (the primary's and the
backup's). Spend is checked against what the servers themselves billed; no row may leave a
hold, report `complete` with nothing answered, or take more than 2 x timeout on a provider
that never answers usably. A provider that is down costs at most 3 calls, cold or warm; one
whose API is up but whose answers are unusable at most max(3, max_concurrency) at a cold
start (its liveness probe passes) and 3 on a warm one (a second run on the same ledger)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ci_orch.testing.fault_matrix import (
    FAULTS,
    TIMEOUT_S,
    RedisHandle,
    Row,
    call_bound,
    run_row,
    starts,
)
from tests.test_ledger_redis_support import redis_url, start_redis

__all__ = ["redis_url"]  # the session fixture, used by the Redis rows

# Slack for a loaded 2-core machine on top of the 2 x timeout bound.
WALL_SLACK_S = 1.5
DIES_SUBSET = ("500", "429 long", "hang", "200 prose", "over-billed 1.3x")
ROWS = [(f, s) for f in FAULTS for s in starts(f)]


def check(row: Row) -> None:
    _, kind = FAULTS[row.fault]
    where = f"{row.fault} / {row.mode} / {row.ledger} / {row.start}"
    assert row.billed_usd <= row.cap_usd + 1e-9, f"{where}: billed above a cap"
    assert row.recorded_usd >= row.billed_usd - 1e-9, f"{where}: ledger below the bill"
    assert row.holds_left_usd < 1e-9, f"{where}: a hold was left"
    if row.chunks_ok == 0:
        assert row.status != "complete", where
    bound = call_bound(row.fault, row.start)
    if bound is not None:
        assert row.faulty_calls <= bound, f"{where}: {row.faulty_calls} calls to a {kind} provider"
        assert row.wall_s <= 2 * TIMEOUT_S + WALL_SLACK_S, f"{where}: {row.wall_s:.2f} s"
        expected = "complete" if row.mode == "backup" else "failed"
        assert row.status == expected, f"{where}: {row.status}"
    else:
        assert row.chunks_ok > 0, where


@pytest.mark.parametrize("mode", ["single", "backup"])
@pytest.mark.parametrize(("fault", "start"), ROWS)
async def test_sqlite(tmp_path: Path, fault: str, start: str, mode: str) -> None:
    check(await run_row(fault, mode, "sqlite", tmp_path, start=start))


@pytest.mark.parametrize("mode", ["single", "backup"])
@pytest.mark.parametrize(("fault", "start"), ROWS)
async def test_redis(tmp_path: Path, fault: str, start: str, mode: str, redis_url: str) -> None:
    handle = RedisHandle(redis_url, lambda: None)
    check(await run_row(fault, mode, "redis", tmp_path, handle, start=start))


async def test_a_warm_start_remembers_an_unusable_provider(tmp_path: Path) -> None:
    cold = await run_row("200 prose", "backup", "sqlite", tmp_path / "cold")
    warm = await run_row("200 prose", "backup", "sqlite", tmp_path / "warm", start="warm")
    assert cold.faulty_calls > 0  # the probe passed: the first run had to learn by calling
    assert warm.faulty_calls == 0  # the stored open breaker: not one call the next run


@pytest.fixture
def dying_redis(tmp_path: Path) -> Iterator[RedisHandle]:
    proc, url = start_redis(tmp_path)

    def kill() -> None:
        proc.kill()
        proc.wait(timeout=10)

    try:
        yield RedisHandle(url, kill)
    finally:
        if proc.poll() is None:
            kill()


@pytest.mark.parametrize(
    ("fault", "mode"),
    [(f, "backup") for f in DIES_SUBSET] + [("over-billed 1.3x", "single")],
)
async def test_redis_dies_mid_run(
    tmp_path: Path, fault: str, mode: str, dying_redis: RedisHandle
) -> None:
    row = await run_row(fault, mode, "redis dies", tmp_path, dying_redis)
    check(row)
    assert row.chunks_ok > 0  # the run went on without its shared ledger
    assert any("team and org caps were not enforced" in n for n in row.notes)


CONFIG = """
providers:
  - id: primary
    type: anthropic
    model: slow-model
    base_url: {url}
    timeout_s: 30
    context_window: 6000
    max_output_tokens: 800
    max_concurrency: 4
    price: {{input_per_mtok: 3.0, output_per_mtok: 15.0}}
    capabilities: [review, security-hardened]
routing: {{cache: false}}
ledger: {{url: "sqlite:///{ledger}"}}
"""


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_mid_run_writes_a_cancelled_report_and_leaves_no_hold(
    tmp_path: Path, signum: int, code: int
) -> None:
    from ci_orch.testing.fault_matrix import write_diff
    from ci_orch.testing.provider_server import ProviderServer

    ledger = tmp_path / "ledger.sqlite"
    with ProviderServer({"models": {"slow-model": {"then": {"fault": "hang", "hang_s": 60}}}}) as srv:
        config = tmp_path / "ci.yml"
        config.write_text(CONFIG.format(url=srv.url_for("anthropic"), ledger=ledger))
        out = tmp_path / "report"
        proc = subprocess.Popen(
            [sys.executable, "-m", "ci_orch", "review", "--config", str(config),
             "--diff-file", str(write_diff(tmp_path / "change.diff")),
             "--report-dir", str(out), "--platform", "none"],
            env={**os.environ, "ANTHROPIC_API_KEY": "test-not-a-key", "CI": ""},
            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while not srv.requests and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert srv.requests, "the run never called the provider"
        time.sleep(0.5)  # calls in flight, holds taken
        sent = time.monotonic()
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    assert proc.returncode == code, err.decode()[-2000:]
    assert took < 7.5  # GitHub's grace between SIGINT and SIGTERM
    report = json.loads((out / "report.json").read_text())
    assert report["status"] == "cancelled"
    with sqlite3.connect(ledger) as db:
        assert db.execute("SELECT COUNT(*) FROM holds").fetchone()[0] == 0
