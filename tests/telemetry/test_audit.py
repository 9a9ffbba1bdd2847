"""The audit trail: every call of a real review run in the ledger (SQLite, Redis) and the
JSONL file, metadata only unless log_content, and then redacted; old ledgers migrate."""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import string
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ci_orch.ledger import open_ledger
from ci_orch.ledger.interface import AuditRow
from ci_orch.ledger.sqlite import SqliteLedger
from ci_orch.telemetry import AuditRecord
from ci_orch.telemetry.jsonl import read
from ci_orch.testing.provider_server import ProviderServer
from tests.conftest import GitRepo
from tests.telemetry.support import ENV, answer, config_file, review, small_change
from tests.test_ledger_redis_support import redis_url  # noqa: F401 - the fixture
from tests.test_review_pipeline import fake_github_token


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    with ProviderServer({}) as srv:
        yield srv


def _stored(url: str) -> list[AuditRecord]:
    async def go() -> list[AuditRow]:
        led = open_ledger(url)
        try:
            return await led.calls()
        finally:
            await led.aclose()

    return [AuditRecord.from_row(r) for r in asyncio.run(go())]


def test_every_call_lands_in_the_ledger_and_the_audit_log_without_content(
    tmp_path: Path, server: ProviderServer, git_repo: GitRepo
) -> None:
    small_change(git_repo)
    server.load({"models": {"gpt-primary": {"outcomes": [{"fault": "server_error"}],
                                            "then": answer()},
                            "claude-backup": answer()}})
    url = f"sqlite:///{tmp_path}/ledger.sqlite"
    log = tmp_path / "audit" / "calls.jsonl"
    cfg = config_file(tmp_path, server, ledger_url=url, telemetry={"audit_log": str(log)})
    job = review(git_repo, cfg, tmp_path / "out", {**ENV, "CI_ORCH_TEAM": "payments"})
    calls = [c for c in job.report.calls if c.outcome != "skipped"]
    stored, logged = _stored(url), read(log)
    assert len(stored) == len(calls) >= 2 and stored == logged
    assert [(r.provider, r.attempt, r.outcome, r.error_kind, r.cost_usd, r.input_tokens,
             r.output_tokens) for r in stored] == [
        (c.provider, c.attempt, c.outcome, c.error_kind, c.cost_usd, c.input_tokens,
         c.output_tokens) for c in calls]
    assert {r.team for r in stored} == {"payments"} and {r.task for r in stored} == {"review"}
    assert len({r.run_id for r in stored}) == 1
    assert any(r.outcome == "error" and r.error_kind == "ServerError" for r in stored)
    assert all(r.prompt is None and r.answer is None for r in stored)
    text = log.read_text()
    assert "render(request" not in text and all(key not in text for key in ENV.values())
    # Recording the same run again is a no-op in the ledger (ids are run id + index).
    from ci_orch.config import load_config
    from ci_orch.telemetry import record_run

    config = load_config(cfg, env={"CI_ORCH_TEAM": "payments"})
    record_run(job.report, config, run_id=stored[0].run_id)
    assert len(_stored(url)) == len(stored)


def test_log_content_records_prompts_and_answers_redacted(
    tmp_path: Path, server: ProviderServer, git_repo: GitRepo
) -> None:
    token = fake_github_token()
    rng = random.Random(11)  # a second real-format token, made at test time, in the answer
    leaked = "ghp_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))
    git_repo.write("README.md", "base\n")
    git_repo.commit("base")
    git_repo.write("app/settings.py", f'GITHUB_TOKEN = "{token}"\nDEBUG = True\n')
    git_repo.commit("head")
    server.load({"models": {"gpt-primary": answer(f"rotate {leaked} now"),
                            "claude-backup": answer()}})
    log = tmp_path / "calls.jsonl"
    cfg = config_file(tmp_path, server, ledger_url=f"sqlite:///{tmp_path}/l.sqlite",
                      telemetry={"audit_log": str(log), "log_content": True})
    review(git_repo, cfg, tmp_path / "out", ENV)
    records = read(log)
    assert records and all(r.prompt and r.answer for r in records)
    text = log.read_text()
    assert token not in text and leaked not in text
    assert all(key not in text for key in ENV.values())
    assert "DEBUG = True" in text  # content is there, only secrets are withheld
    assert "<redacted:github-token" in records[0].answer  # type: ignore[operator]
    assert "<redacted:" in records[0].prompt  # type: ignore[operator]


# The schema of ledgers made before the audit trail existed (git show HEAD~:sqlite.py).
_OLD_SCHEMA = """
CREATE TABLE spend (scope TEXT PRIMARY KEY, committed INTEGER NOT NULL, expires REAL NOT NULL);
CREATE TABLE holds (id TEXT NOT NULL, scope TEXT NOT NULL, amount INTEGER NOT NULL,
                    expires REAL NOT NULL, PRIMARY KEY (id, scope));
CREATE INDEX holds_scope ON holds (scope);
CREATE TABLE breakers (key TEXT PRIMARY KEY, record TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE cache (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL NOT NULL);
"""


async def test_an_existing_ledger_file_gains_the_audit_table_and_keeps_its_data(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(_OLD_SCHEMA)
    db.execute("INSERT INTO spend VALUES ('team:web:2026-01-01', 1500000000, 9e12)")
    db.execute("INSERT INTO cache VALUES ('k', 'v', 9e12)")
    db.commit()
    db.close()
    led = SqliteLedger(path)
    assert (await led.used(["team:web:2026-01-01"]))["team:web:2026-01-01"] == 1.5
    assert await led.cache_get("k") == "v"
    await led.record_calls([AuditRow("r:00000", 100.0, '{"a": 1}')], ttl_s=9e12)
    assert await led.calls() == [AuditRow("r:00000", 100.0, '{"a": 1}')]
    await led.aclose()


def _rows(day_ts: float) -> list[AuditRow]:
    return [AuditRow(f"r{i}:00000", day_ts + i * 3600.0, json.dumps({"i": i})) for i in range(5)]


def _yesterday_22h() -> float:
    """Recent enough for Redis' own clock to keep the keys; the rows span two UTC days."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today.timestamp() - 2 * 3600


async def _round_trip(url: str, now: float) -> None:
    t0 = _yesterday_22h()
    led = open_ledger(url, clock=lambda: now)
    try:
        await led.record_calls(_rows(t0), ttl_s=30 * 86_400)
        await led.record_calls(_rows(t0)[:2], ttl_s=30 * 86_400)  # again: no duplicates
        everything = await led.calls()
        assert [r.id for r in everything] == [f"r{i}:00000" for i in range(5)]
        assert everything == _rows(t0)
        window = await led.calls(since=t0 + 3600, until=t0 + 3 * 3600)  # until excluded
        assert [r.id for r in window] == ["r1:00000", "r2:00000"]
        assert [r.id for r in await led.calls(since=t0 + 2 * 3600)] == [
            "r2:00000", "r3:00000", "r4:00000"]
    finally:
        await led.aclose()


async def test_sqlite_audit_rows_round_trip_by_time_and_expire(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/l.sqlite"
    now = time.time()
    await _round_trip(url, now)
    later = open_ledger(url, clock=lambda: now + 40 * 86_400)  # past the 30-day retention
    assert await later.calls() == []
    await later.aclose()


async def test_redis_audit_rows_round_trip_by_time_with_a_ttl_per_day(
    redis_url: str,  # noqa: F811
) -> None:
    import redis.asyncio as aioredis

    url = redis_url.rsplit("/", 1)[0] + "/9"  # a database of its own
    client = aioredis.from_url(url, decode_responses=True)
    await client.flushdb()
    await _round_trip(url, time.time())
    t0 = _yesterday_22h()
    days = [datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d") for t in (t0, t0 + 7200)]
    keys = sorted([k async for k in client.scan_iter(match="ci-orch:calls:*")])
    assert keys == [f"ci-orch:calls:{d}" for d in days]
    # Each day's key lives until 30 days after that day ends.
    expire_at = await client.expiretime(f"ci-orch:calls:{days[0]}")
    assert expire_at == t0 + 2 * 3600 + 30 * 86_400
    await client.aclose()
