"""The shared ledger: one Redis database for every runner that shares caps.

Check-and-hold is one Lua script, which Redis runs atomically: no other command
runs between the check and the hold (https://redis.io/docs/latest/develop/interact/programmability/eval-intro/),
so any number of processes can race for the last dollar and never overspend.
Per scope we keep `committed` (integer nano-dollars), a hash of holds and a
sorted set of hold expiries, so a hold left by a dead runner lapses.

The audit trail is one sorted set per UTC day (`ci-orch:calls:YYYY-MM-DD`), scored by
the call's time, member `id<TAB>json` (so recording a row twice is a no-op). Each day's
key expires `ttl_s` after the day ends: retention costs no sweeping, and a query reads
only the days it asks for.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

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

_PREFIX = "ci-orch:"
_MAX_CONNECTIONS = 32
_CONNECT_TIMEOUT_S = 3.0
_OP_TIMEOUT_S = 10.0

# Only ever lengthen a key's life: a short hold must not expire a longer one's record.
_EXTEND_FN = """
local function extend(key, ttl)
  if redis.call('TTL', key) < tonumber(ttl) then redis.call('EXPIRE', key, ttl) end
end
"""

# Shared by all scripts: drop expired holds of scope i, return committed + live holds.
_USED_FN = """
local function used(i, now)
  local ck, hk, ek = KEYS[3*i-2], KEYS[3*i-1], KEYS[3*i]
  local stale = redis.call('ZRANGEBYSCORE', ek, '-inf', now)
  for _, sid in ipairs(stale) do redis.call('HDEL', hk, sid) end
  if #stale > 0 then redis.call('ZREMRANGEBYSCORE', ek, '-inf', now) end
  local total = tonumber(redis.call('GET', ck) or '0')
  for _, v in ipairs(redis.call('HVALS', hk)) do total = total + tonumber(v) end
  return total
end
"""

# ARGV: now, amount, hold_until, id, hold_ttl, then limit_i per scope.
_RESERVE = _EXTEND_FN + _USED_FN + """
local now, amount, hold_until, id = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4]
local n = #KEYS / 3
for i = 1, n do
  local u = used(i, now)
  if u + amount > tonumber(ARGV[5 + i]) then return {i, tostring(u)} end
end
for i = 1, n do
  redis.call('HSET', KEYS[3*i-1], id, ARGV[2])
  redis.call('ZADD', KEYS[3*i], hold_until, id)
  extend(KEYS[3*i-1], ARGV[5])
  extend(KEYS[3*i], ARGV[5])
end
return {0, '0'}
"""

# ARGV: id, cost, then ttl_i per scope.
_SETTLE = _EXTEND_FN + """
local n = #KEYS / 3
for i = 1, n do
  redis.call('HDEL', KEYS[3*i-1], ARGV[1])
  redis.call('ZREM', KEYS[3*i], ARGV[1])
  if tonumber(ARGV[2]) > 0 then
    redis.call('INCRBY', KEYS[3*i-2], ARGV[2])
    extend(KEYS[3*i-2], ARGV[2 + i])
  end
end
return 0
"""

# ARGV: now.
_USED = _USED_FN + """
local out = {}
for i = 1, #KEYS / 3 do out[i] = tostring(used(i, tonumber(ARGV[1]))) end
return out
"""


_CALLS = _PREFIX + "calls:"
_DAY_S = 86_400


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def _day_start(day: str) -> float:
    return datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()


def _keys(scope: str) -> list[str]:
    base = _PREFIX + "budget:" + scope
    return [base + ":committed", base + ":holds", base + ":expiry"]


class RedisLedger(Ledger):
    def __init__(self, url: str, *, clock: Callable[[], float] = time.time) -> None:
        import redis.asyncio as aioredis  # lazy: only runs that use Redis pay the import

        self._clock = clock
        # A blocking pool: with many calls in flight, callers wait for a connection
        # instead of failing with "Too many connections" (redis-py's default pool caps at
        # 100 and raises).
        # Socket timeouts bound an unreachable or stalled Redis: the run then goes on
        # against its in-process fallback instead of waiting on the network.
        pool: Any = aioredis.BlockingConnectionPool.from_url(
            url,
            decode_responses=True,
            max_connections=_MAX_CONNECTIONS,
            timeout=60,
            socket_connect_timeout=_CONNECT_TIMEOUT_S,
            socket_timeout=_OP_TIMEOUT_S,
        )
        self._redis = aioredis.Redis(connection_pool=pool)
        self._reserve_script = self._redis.register_script(_RESERVE)
        self._settle_script = self._redis.register_script(_SETTLE)
        self._used_script = self._redis.register_script(_USED)
        self._url = url

    async def _call(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        from redis.exceptions import RedisError

        try:
            return await script(keys=keys, args=args)
        except RedisError as exc:
            raise LedgerError(f"Redis ledger at {_safe(self._url)}: {exc}") from None

    async def reserve(
        self, caps: Sequence[Cap], amount_usd: float, *, hold_s: float
    ) -> Reservation:
        rid = uuid.uuid4().hex
        now = self._clock()
        keys = [k for cap in caps for k in _keys(cap.scope)]
        args: list[Any] = [repr(now), to_nano_up(amount_usd), repr(now + hold_s), rid]
        args.append(int(hold_s) + 60)
        args += [to_nano_down(cap.limit_usd) for cap in caps]
        index, used = await self._call(self._reserve_script, keys, args)
        if int(index):
            raise BudgetExceeded(caps[int(index) - 1], from_nano(int(float(used))), amount_usd)
        return Reservation(rid, amount_usd, tuple(caps))

    async def settle(self, reservation: Reservation, cost_usd: float) -> None:
        keys = [k for cap in reservation.caps for k in _keys(cap.scope)]
        args: list[Any] = [reservation.id, to_nano_up(cost_usd)]
        args += [max(int(cap.ttl_s), 1) for cap in reservation.caps]
        await self._call(self._settle_script, keys, args)

    async def used(self, scopes: Sequence[str]) -> dict[str, float]:
        keys = [k for s in scopes for k in _keys(s)]
        out = await self._call(self._used_script, keys, [repr(self._clock())])
        return {s: from_nano(int(float(v))) for s, v in zip(scopes, out, strict=True)}

    async def get_breaker(self, key: str) -> BreakerRecord | None:
        raw = await self._get(_PREFIX + "breaker:" + key)
        return None if raw is None else BreakerRecord(**json.loads(raw))

    async def put_breaker(self, key: str, record: BreakerRecord, ttl_s: float) -> None:
        value = json.dumps(
            {"failures": record.failures, "open_until": record.open_until,
             "not_before": record.not_before}
        )
        await self._set(_PREFIX + "breaker:" + key, value, ttl_s)

    async def cache_get(self, key: str) -> str | None:
        return await self._get(_PREFIX + "cache:" + key)

    async def cache_put(self, key: str, value: str, ttl_s: float) -> None:
        await self._set(_PREFIX + "cache:" + key, value, ttl_s)

    async def _get(self, key: str) -> str | None:
        from redis.exceptions import RedisError

        try:
            raw = await self._redis.get(key)
        except RedisError as exc:
            raise LedgerError(f"Redis ledger at {_safe(self._url)}: {exc}") from None
        return None if raw is None else str(raw)

    async def _set(self, key: str, value: str, ttl_s: float) -> None:
        from redis.exceptions import RedisError

        try:
            await self._redis.set(key, value, px=max(int(ttl_s * 1000), 1))
        except RedisError as exc:
            raise LedgerError(f"Redis ledger at {_safe(self._url)}: {exc}") from None

    async def record_calls(self, rows: Sequence[AuditRow], *, ttl_s: float) -> None:
        from redis.exceptions import RedisError

        by_day: dict[str, dict[str | bytes, bytes | float | int | str]] = {}
        for row in rows:
            by_day.setdefault(_day(row.timestamp), {})[f"{row.id}\t{row.body}"] = row.timestamp
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                for day, members in by_day.items():
                    pipe.zadd(_CALLS + day, members)
                    pipe.expireat(_CALLS + day, int(_day_start(day) + _DAY_S + ttl_s))
                await pipe.execute()
        except RedisError as exc:
            raise LedgerError(f"Redis ledger at {_safe(self._url)}: {exc}") from None

    async def calls(
        self, *, since: float | None = None, until: float | None = None
    ) -> list[AuditRow]:
        from redis.exceptions import RedisError

        lo: float | str = "-inf" if since is None else since
        hi: float | str = "+inf" if until is None else f"({until!r}"  # "(": exclusive
        out: list[AuditRow] = []
        try:
            for key in sorted([k async for k in self._redis.scan_iter(match=_CALLS + "*")]):
                if not _day_in(str(key).removeprefix(_CALLS), since, until):
                    continue
                found = await self._redis.zrangebyscore(key, lo, hi, withscores=True)
                out += [_row(member, score) for member, score in found]
        except RedisError as exc:
            raise LedgerError(f"Redis ledger at {_safe(self._url)}: {exc}") from None
        return sorted(out, key=lambda r: (r.timestamp, r.id))

    async def aclose(self) -> None:
        await self._redis.aclose()  # type: ignore[attr-defined]  # types-redis predates 5.0


def _day_in(day: str, since: float | None, until: float | None) -> bool:
    try:
        start = _day_start(day)
    except ValueError:  # not one of our keys
        return False
    return (since is None or start + _DAY_S > since) and (until is None or start < until)


def _row(member: str | bytes, score: float) -> AuditRow:
    text = member if isinstance(member, str) else member.decode()  # decode_responses=True
    rid, _, body = text.partition("\t")
    return AuditRow(rid, float(score), body)


def _safe(url: str) -> str:
    """The URL without a password (redis://:secret@host)."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rpartition('@')[2]}"
