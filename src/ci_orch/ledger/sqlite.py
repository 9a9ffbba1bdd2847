"""The default ledger: one SQLite file, safe for several processes on one machine.

Every check-and-hold runs inside `BEGIN IMMEDIATE`, which takes SQLite's write
lock before reading, so two processes cannot both see room for the last call
(https://www.sqlite.org/lang_transaction.html). Calls run in a worker thread so
the event loop never blocks on the file lock.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ci_orch.ledger.interface import (
    AuditRow,
    BreakerRecord,
    BudgetExceeded,
    Cap,
    Ledger,
    LedgerError,
    Reservation,
    from_nano,
    to_nano_down,
    to_nano_up,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spend (scope TEXT PRIMARY KEY, committed INTEGER NOT NULL,
                                  expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS holds (id TEXT NOT NULL, scope TEXT NOT NULL, amount INTEGER NOT NULL,
                                  expires REAL NOT NULL, PRIMARY KEY (id, scope));
CREATE INDEX IF NOT EXISTS holds_scope ON holds (scope);
CREATE TABLE IF NOT EXISTS breakers (key TEXT PRIMARY KEY, record TEXT NOT NULL,
                                     expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS calls (id TEXT PRIMARY KEY, ts REAL NOT NULL, body TEXT NOT NULL,
                                  expires REAL NOT NULL);
CREATE INDEX IF NOT EXISTS calls_ts ON calls (ts);
"""
# Every statement is IF NOT EXISTS, so opening a ledger file made before a table existed
# (the audit trail's `calls` came later) adds it and leaves the rest as it was.


def _enter_wal(db: sqlite3.Connection, *, deadline: float) -> None:
    """Switch the file to WAL, waiting out other processes that are opening it too.

    A journal-mode change needs the exclusive lock, and SQLite answers "database is
    locked" at once, without the busy timeout, when another connection holds a shared
    lock it would have to wait on (deadlock avoidance). So several jobs opening a new
    ledger together retry here instead of failing the run.
    """
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(random.uniform(0.01, 0.05))  # noqa: S311  (jitter, not a secret)


class SqliteLedger(Ledger):
    def __init__(self, path: str | Path, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        try:
            if str(path) != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN IMMEDIATE ourselves.
            self._db = sqlite3.connect(
                str(path), timeout=30, isolation_level=None, check_same_thread=False
            )
            _enter_wal(self._db, deadline=time.monotonic() + 30)
            self._db.execute("PRAGMA synchronous=NORMAL")
            # In one IMMEDIATE transaction: processes opening a new file at once queue on
            # the write lock (busy timeout) instead of racing each other's CREATEs.
            self._db.executescript("BEGIN IMMEDIATE;" + _SCHEMA + "COMMIT;")
        except (sqlite3.Error, OSError) as exc:
            raise LedgerError(f"cannot open the SQLite ledger at {path}: {exc}") from None

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise LedgerError(f"SQLite ledger: {exc}") from None

    # -- budgets --------------------------------------------------------------------------

    async def reserve(
        self, caps: Sequence[Cap], amount_usd: float, *, hold_s: float
    ) -> Reservation:
        return await asyncio.to_thread(self._reserve, tuple(caps), amount_usd, hold_s)

    def _reserve(self, caps: tuple[Cap, ...], amount_usd: float, hold_s: float) -> Reservation:
        rid = uuid.uuid4().hex
        amount = to_nano_up(amount_usd)
        now = self._clock()
        with self._tx() as db:
            db.execute("DELETE FROM holds WHERE expires <= ?", (now,))
            for cap in caps:
                used = self._used(db, cap.scope, now)
                if used + amount > to_nano_down(cap.limit_usd):
                    raise BudgetExceeded(cap, from_nano(used), amount_usd)
            db.executemany(
                "INSERT INTO holds (id, scope, amount, expires) VALUES (?, ?, ?, ?)",
                [(rid, cap.scope, amount, now + hold_s) for cap in caps],
            )
        return Reservation(rid, amount_usd, caps)

    @staticmethod
    def _used(db: sqlite3.Connection, scope: str, now: float) -> int:
        row = db.execute(
            "SELECT COALESCE((SELECT committed FROM spend WHERE scope = ? AND expires > ?), 0)"
            " + COALESCE((SELECT SUM(amount) FROM holds WHERE scope = ? AND expires > ?), 0)",
            (scope, now, scope, now),
        ).fetchone()
        return int(row[0])

    async def settle(self, reservation: Reservation, cost_usd: float) -> None:
        await asyncio.to_thread(self._settle, reservation, cost_usd)

    def _settle(self, reservation: Reservation, cost_usd: float) -> None:
        cost = to_nano_up(cost_usd)
        now = self._clock()
        with self._tx() as db:
            db.execute("DELETE FROM holds WHERE id = ?", (reservation.id,))
            if cost == 0:
                return
            db.executemany(
                "INSERT INTO spend (scope, committed, expires) VALUES (?, ?, ?)"
                " ON CONFLICT (scope) DO UPDATE SET"
                "  committed = CASE WHEN expires <= ? THEN excluded.committed"
                "              ELSE committed + excluded.committed END,"
                "  expires = MAX(expires, excluded.expires)",
                [(cap.scope, cost, now + cap.ttl_s, now) for cap in reservation.caps],
            )

    async def used(self, scopes: Sequence[str]) -> dict[str, float]:
        return await asyncio.to_thread(self._used_many, tuple(scopes))

    def _used_many(self, scopes: tuple[str, ...]) -> dict[str, float]:
        now = self._clock()
        with self._lock:
            return {s: from_nano(self._used(self._db, s, now)) for s in scopes}

    # -- breakers and cache: plain keyed values with an expiry -------------------------------

    async def get_breaker(self, key: str) -> BreakerRecord | None:
        raw = await asyncio.to_thread(self._get, "breakers", "record", key)
        return None if raw is None else BreakerRecord(**json.loads(raw))

    async def put_breaker(self, key: str, record: BreakerRecord, ttl_s: float) -> None:
        value = json.dumps(
            {"failures": record.failures, "open_until": record.open_until,
             "not_before": record.not_before}
        )
        await asyncio.to_thread(self._put, "breakers", "record", key, value, ttl_s)

    async def cache_get(self, key: str) -> str | None:
        return await asyncio.to_thread(self._get, "cache", "value", key)

    async def cache_put(self, key: str, value: str, ttl_s: float) -> None:
        await asyncio.to_thread(self._put, "cache", "value", key, value, ttl_s)

    def _get(self, table: str, column: str, key: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {column} FROM {table} WHERE key = ? AND expires > ?",  # noqa: S608
                (key, self._clock()),
            ).fetchone()
        return None if row is None else str(row[0])

    def _put(self, table: str, column: str, key: str, value: str, ttl_s: float) -> None:
        with self._tx() as db:
            db.execute(
                f"INSERT OR REPLACE INTO {table} (key, {column}, expires)"  # noqa: S608
                " VALUES (?, ?, ?)",
                (key, value, self._clock() + ttl_s),
            )

    # -- the audit trail ------------------------------------------------------------------

    async def record_calls(self, rows: Sequence[AuditRow], *, ttl_s: float) -> None:
        await asyncio.to_thread(self._record_calls, tuple(rows), ttl_s)

    def _record_calls(self, rows: tuple[AuditRow, ...], ttl_s: float) -> None:
        now = self._clock()
        with self._tx() as db:
            db.execute("DELETE FROM calls WHERE expires <= ?", (now,))
            db.executemany(
                "INSERT OR IGNORE INTO calls (id, ts, body, expires) VALUES (?, ?, ?, ?)",
                [(r.id, r.timestamp, r.body, r.timestamp + ttl_s) for r in rows],
            )

    async def calls(
        self, *, since: float | None = None, until: float | None = None
    ) -> list[AuditRow]:
        return await asyncio.to_thread(self._calls, since, until)

    def _calls(self, since: float | None, until: float | None) -> list[AuditRow]:
        lo = float("-inf") if since is None else since
        hi = float("inf") if until is None else until
        with self._lock:
            try:
                found = self._db.execute(
                    "SELECT id, ts, body FROM calls WHERE ts >= ? AND ts < ? AND expires > ?"
                    " ORDER BY ts, rowid",
                    (lo, hi, self._clock()),
                ).fetchall()
            except sqlite3.Error as exc:
                raise LedgerError(f"SQLite ledger: {exc}") from None
        return [AuditRow(str(i), float(ts), str(body)) for i, ts, body in found]

    async def aclose(self) -> None:
        with self._lock:
            self._db.close()
