"""Eval spending caps, kept by the same ledger reservations the router uses.

The router reserves every call's worst case against its caps (run, team-day, org-day).
`CappedLedger` adds two more caps to every reservation, atomically in the same backend:
the eval run's `--max-cost` (`eval:<run id>`) and the case's `limits.max_usd`
(`case:<run id>:<trial>`). When either has no room the router skips the call as `budget`
and raises `BudgetExhausted`; the runner then stops cleanly and reports what is left as
skipped. Nothing is ever spent past a cap (the ledger rounds caps down and costs up).

By default an eval run uses a fresh temporary SQLite ledger, so nightly evals neither
consume nor are stopped by the team and org day caps of real reviews; `--shared-ledger`
uses `ledger.url` from the config instead (evals then count against those caps too).
"""

from __future__ import annotations

from collections.abc import Sequence

from ci_orch.ledger.interface import AuditRow, BreakerRecord, Cap, Ledger, Reservation

_TTL_S = 2 * 86_400
RUN_SCOPE = "eval:"
CASE_SCOPE = "case:"


def run_cap(run_id: str, usd: float | None) -> tuple[Cap, ...]:
    return () if usd is None else (Cap(f"{RUN_SCOPE}{run_id}", usd, _TTL_S),)


def case_cap(run_id: str, trial: str, usd: float | None) -> tuple[Cap, ...]:
    return () if usd is None else (Cap(f"{CASE_SCOPE}{run_id}:{trial}", usd, _TTL_S),)


class CappedLedger(Ledger):
    """Another ledger, with `extra` caps added to every reservation. Closing it leaves the
    inner ledger open (one inner ledger serves every trial of a run)."""

    def __init__(self, inner: Ledger, extra: Sequence[Cap]) -> None:
        self._inner = inner
        self._extra = tuple(extra)

    async def reserve(
        self, caps: Sequence[Cap], amount_usd: float, *, hold_s: float
    ) -> Reservation:
        return await self._inner.reserve((*caps, *self._extra), amount_usd, hold_s=hold_s)

    async def settle(self, reservation: Reservation, cost_usd: float) -> None:
        await self._inner.settle(reservation, cost_usd)

    async def release(self, reservation: Reservation) -> None:
        await self._inner.release(reservation)

    async def used(self, scopes: Sequence[str]) -> dict[str, float]:
        return await self._inner.used(scopes)

    async def get_breaker(self, key: str) -> BreakerRecord | None:
        return await self._inner.get_breaker(key)

    async def put_breaker(self, key: str, record: BreakerRecord, ttl_s: float) -> None:
        await self._inner.put_breaker(key, record, ttl_s)

    async def cache_get(self, key: str) -> str | None:
        return await self._inner.cache_get(key)

    async def cache_put(self, key: str, value: str, ttl_s: float) -> None:
        await self._inner.cache_put(key, value, ttl_s)

    async def record_calls(self, rows: Sequence[AuditRow], *, ttl_s: float) -> None:
        await self._inner.record_calls(rows, ttl_s=ttl_s)  # eval calls are real spend too

    async def calls(
        self, *, since: float | None = None, until: float | None = None
    ) -> list[AuditRow]:
        return await self._inner.calls(since=since, until=until)

    async def aclose(self) -> None:
        return None
