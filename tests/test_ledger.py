"""One contract suite for both ledger backends: real SQLite files and a real redis-server."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from ci_orch.config.policy import Policy
from ci_orch.errors import ConfigError
from ci_orch.ledger import (
    BreakerRecord,
    BudgetExceeded,
    Cap,
    Ledger,
    LedgerError,
    budget_caps,
    open_ledger,
)
from ci_orch.ledger.scopes import utc_day
from ci_orch.ledger.sqlite import SqliteLedger
from tests.test_ledger_redis_support import redis_url  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parent.parent


class Clock:
    def __init__(self, t: float = 1_800_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture(params=["sqlite", "redis"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/ledger.sqlite"
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def ledger(ledger_url: str, clock: Clock) -> AsyncIterator[Ledger]:
    led = open_ledger(ledger_url, clock=clock)
    yield led
    await led.aclose()


def caps(limit: float, *extra: Cap) -> tuple[Cap, ...]:
    # unique scopes: the Redis server is shared by the whole session
    return (Cap(f"run:{uuid.uuid4().hex}", limit, 3600), *extra)


async def test_reserve_settle_release_track_spend(ledger: Ledger) -> None:
    cs = caps(1.0)
    scope = cs[0].scope
    r1 = await ledger.reserve(cs, 0.4, hold_s=60)
    r2 = await ledger.reserve(cs, 0.4, hold_s=60)
    assert (await ledger.used([scope]))[scope] == pytest.approx(0.8)
    await ledger.settle(r1, 0.1)  # real cost below the worst case frees the rest
    await ledger.release(r2)
    assert (await ledger.used([scope]))[scope] == pytest.approx(0.1)


async def test_over_cap_raises_naming_the_scope_and_holds_nothing(ledger: Ledger) -> None:
    team = Cap(f"team:t{uuid.uuid4().hex}:2027-01-15", 0.5, 3600)
    run = Cap(f"run:{uuid.uuid4().hex}", 10.0, 3600)
    await ledger.reserve((run, team), 0.3, hold_s=60)
    with pytest.raises(BudgetExceeded) as info:
        await ledger.reserve((run, team), 0.3, hold_s=60)
    assert info.value.cap == team
    assert "team:" in str(info.value)
    used = await ledger.used([run.scope, team.scope])
    assert used[run.scope] == pytest.approx(0.3)  # the failed call held nothing on `run`


async def test_exact_fill_is_allowed_and_a_nano_dollar_more_is_not(ledger: Ledger) -> None:
    cs = caps(0.3)
    for _ in range(3):
        await ledger.reserve(cs, 0.1, hold_s=60)  # 0.1 * 3 == 0.3 despite float noise
    with pytest.raises(BudgetExceeded):
        await ledger.reserve(cs, 1e-9, hold_s=60)


async def test_50_concurrent_reservations_never_overspend(ledger: Ledger) -> None:
    """LiteLLM's check-then-record let 50 concurrent calls through a cap worth 10."""
    cs = caps(1.0)

    async def one() -> bool:
        try:
            await ledger.reserve(cs, 0.1, hold_s=60)
        except BudgetExceeded:
            return False
        return True

    results = await asyncio.gather(*(one() for _ in range(50)))
    assert sum(results) == 10
    assert (await ledger.used([cs[0].scope]))[cs[0].scope] == pytest.approx(1.0)


async def test_hold_of_a_dead_runner_lapses(ledger: Ledger, clock: Clock) -> None:
    cs = caps(0.1)
    await ledger.reserve(cs, 0.1, hold_s=30)
    with pytest.raises(BudgetExceeded):
        await ledger.reserve(cs, 0.1, hold_s=30)
    clock.t += 31
    await ledger.reserve(cs, 0.1, hold_s=30)


async def test_settled_cost_survives_an_expired_hold(ledger: Ledger, clock: Clock) -> None:
    cs = caps(1.0)
    r = await ledger.reserve(cs, 0.5, hold_s=5)
    clock.t += 10
    await ledger.settle(r, 0.25)
    assert (await ledger.used([cs[0].scope]))[cs[0].scope] == pytest.approx(0.25)


async def test_breaker_state_round_trips_and_expires(ledger: Ledger, clock: Clock) -> None:
    key = f"dep-{uuid.uuid4().hex}"
    assert await ledger.get_breaker(key) is None
    rec = BreakerRecord(failures=3, open_until=clock.t + 60, not_before=clock.t + 5)
    await ledger.put_breaker(key, rec, ttl_s=900)
    assert await ledger.get_breaker(key) == rec


async def test_breaker_state_ttl_on_sqlite(tmp_path: Path) -> None:
    clock = Clock()
    led = open_ledger(f"sqlite:///{tmp_path}/l.sqlite", clock=clock)
    await led.put_breaker("k", BreakerRecord(3, clock.t + 60), ttl_s=100)
    clock.t += 101
    assert await led.get_breaker("k") is None
    await led.cache_put("c", "v", ttl_s=10)
    assert await led.cache_get("c") == "v"
    clock.t += 11
    assert await led.cache_get("c") is None
    await led.aclose()


async def test_cache_round_trips(ledger: Ledger) -> None:
    key = uuid.uuid4().hex
    assert await ledger.cache_get(key) is None
    await ledger.cache_put(key, '{"text": "ok"}', ttl_s=60)
    assert await ledger.cache_get(key) == '{"text": "ok"}'


_WORKER = textwrap.dedent(
    """
    import asyncio, sys
    from ci_orch.ledger import Cap, BudgetExceeded, open_ledger

    async def main(url, scope, n):
        led = open_ledger(url)
        cap = (Cap(scope, 1.0, 3600),)
        async def one():
            try:
                await led.reserve(cap, 0.07, hold_s=60)
                return 1
            except BudgetExceeded:
                return 0
        got = sum(await asyncio.gather(*(one() for _ in range(n))))
        await led.aclose()
        print(got)

    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
    """
)


def run_workers(url: str, scope: str, processes: int, each: int) -> int:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, url, scope, str(each)],
            stdout=subprocess.PIPE, cwd=ROOT,
        )
        for _ in range(processes)
    ]
    return sum(int(p.communicate(timeout=60)[0]) for p in procs)


async def test_four_processes_sharing_a_ledger_never_overspend(ledger_url: str) -> None:
    scope = f"org:{uuid.uuid4().hex}"
    granted = await asyncio.to_thread(run_workers, ledger_url, scope, 4, 25)
    assert granted == 14  # floor(1.00 / 0.07): 100 attempts race for 14 slots
    led = open_ledger(ledger_url)
    assert (await led.used([scope]))[scope] == pytest.approx(0.98)
    await led.aclose()


async def test_opening_waits_for_another_job_writing_the_file(tmp_path: Path) -> None:
    # Another job is mid-write on a ledger file still in rollback-journal mode: SQLite
    # refuses the switch to WAL at once, without its busy timeout, so opening must wait.
    path = tmp_path / "ledger.sqlite"
    peer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    peer.execute("CREATE TABLE spend (scope TEXT PRIMARY KEY, committed INTEGER NOT NULL,"
                 " expires REAL NOT NULL)")
    peer.execute("BEGIN IMMEDIATE")
    threading.Timer(0.3, peer.execute, ("COMMIT",)).start()
    led = SqliteLedger(path)
    assert (await led.used(["org:a"]))["org:a"] == 0
    await led.aclose()
    peer.close()


def test_open_ledger_rejects_unknown_urls() -> None:
    with pytest.raises(ConfigError, match="redis://host:port/db"):
        open_ledger("postgres://x")


async def test_unreachable_redis_is_a_ledger_error() -> None:
    led = open_ledger("redis://127.0.0.1:1/0")
    with pytest.raises(LedgerError, match="127.0.0.1:1"):
        await led.reserve(caps(1.0), 0.1, hold_s=5)
    await led.aclose()


def test_day_caps_are_keyed_by_team_and_utc_day() -> None:
    just_before = 1_800_057_599.0  # 2027-01-15 23:59:59 UTC
    made: Callable[[float], tuple[Cap, ...]] = lambda t: budget_caps(  # noqa: E731
        Policy(), team="web", run_id="r1", wall_time=t
    )
    assert utc_day(just_before) == "2027-01-15"
    assert [c.scope for c in made(just_before)] == ["run:r1", "team:web:2027-01-15", "org:2027-01-15"]
    assert made(just_before + 1)[1].scope == "team:web:2027-01-16"
    assert made(just_before)[1].limit_usd == Policy().max_cost_per_day


async def test_sqlite_urls_take_relative_and_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for url, made in (
        ("sqlite:///rel/l.sqlite", tmp_path / "rel" / "l.sqlite"),
        (f"sqlite:///{tmp_path}/abs/l.sqlite", tmp_path / "abs" / "l.sqlite"),
    ):
        led = open_ledger(url)
        await led.aclose()
        assert made.is_file()


async def test_a_short_hold_does_not_expire_a_longer_one_on_redis(
    redis_url: str,  # noqa: F811
) -> None:
    import redis.asyncio as aioredis

    led = open_ledger(redis_url)
    cs = caps(1.0)
    await led.reserve(cs, 0.5, hold_s=1000)
    await led.reserve(cs, 0.1, hold_s=1)
    client = aioredis.Redis.from_url(redis_url)
    ttl = await client.ttl(f"ci-orch:budget:{cs[0].scope}:holds")
    await client.aclose()
    await led.aclose()
    assert ttl > 1000
