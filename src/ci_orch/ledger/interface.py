"""The ledger seam: budget reservations, breaker state and the response cache.

Budgets are reservations, not check-then-record: with check-then-record, concurrent calls
all pass the check before any records its cost, so a cap is overspent. `reserve` atomically
checks the worst case of a call against every cap it falls under and holds it; `settle`
swaps the hold for the real cost; `release` drops it. A hold that is never settled (the
process died) expires after `hold_s`, so a crashed runner cannot block a shared day cap for
ever. Amounts are kept as integer nano-dollars so sums never drift.

It also keeps the audit trail (one `AuditRow` per provider call): the ledger
stores and returns the rows by time and never reads their JSON, so the record's shape
belongs to `ci_orch.telemetry`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from ci_orch.errors import CiOrchError, ExitCode

NANO = 1_000_000_000


def to_nano_up(usd: float) -> int:
    """Reservations and costs round up: we may under-use a cap, never overspend it."""
    return math.ceil(round(usd * NANO, 3))


def to_nano_down(usd: float) -> int:
    """Caps round down, for the same reason."""
    return math.floor(round(usd * NANO, 3))


def from_nano(nano: int) -> float:
    return nano / NANO


@dataclass(frozen=True, slots=True)
class Cap:
    """One spending limit: `scope` names the window ("run:ID", "team:T:2026-01-31", ...)."""

    scope: str
    limit_usd: float
    ttl_s: float  # how long the scope's totals are kept after the last write


@dataclass(frozen=True, slots=True)
class Reservation:
    id: str
    amount_usd: float
    caps: tuple[Cap, ...]


@dataclass(frozen=True, slots=True)
class BreakerRecord:
    """A deployment's breaker as persisted between runs (wall-clock epoch seconds)."""

    failures: int
    open_until: float
    not_before: float = 0.0


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One audit record as stored: `id` (recording the same id again is a no-op), the
    call's time in epoch seconds, and the record as JSON (opaque to the ledger)."""

    id: str
    timestamp: float
    body: str


class BudgetExceeded(CiOrchError):
    """A reservation would take `scope` over its cap. Not a provider failure: stop or go cheaper."""

    exit_code = ExitCode.INCOMPLETE

    def __init__(self, cap: Cap, used_usd: float, requested_usd: float) -> None:
        super().__init__(
            f"budget {cap.scope}: ${used_usd:.6f} used or held of ${cap.limit_usd:.6f}; "
            f"this call may cost up to ${requested_usd:.6f}"
        )
        self.cap = cap
        self.used_usd = used_usd
        self.requested_usd = requested_usd


class LedgerError(CiOrchError):
    """The ledger backend cannot be reached or used (bad URL, Redis down, locked file)."""

    exit_code = ExitCode.INCOMPLETE


class Ledger(ABC):
    """Shared state for routing. Every method is atomic across processes sharing the backend."""

    @abstractmethod
    async def reserve(
        self, caps: Sequence[Cap], amount_usd: float, *, hold_s: float
    ) -> Reservation:
        """Hold `amount_usd` against every cap, or raise `BudgetExceeded` holding nothing."""

    @abstractmethod
    async def settle(self, reservation: Reservation, cost_usd: float) -> None:
        """Replace the hold with the real cost (which is recorded even if the hold expired)."""

    async def release(self, reservation: Reservation) -> None:
        """Drop the hold: the call cost nothing."""
        await self.settle(reservation, 0.0)

    @abstractmethod
    async def used(self, scopes: Sequence[str]) -> dict[str, float]:
        """Spent plus currently held, per scope."""

    @abstractmethod
    async def get_breaker(self, key: str) -> BreakerRecord | None: ...

    @abstractmethod
    async def put_breaker(self, key: str, record: BreakerRecord, ttl_s: float) -> None: ...

    @abstractmethod
    async def cache_get(self, key: str) -> str | None: ...

    @abstractmethod
    async def cache_put(self, key: str, value: str, ttl_s: float) -> None: ...

    async def record_calls(self, rows: Sequence[AuditRow], *, ttl_s: float) -> None:
        """Append audit rows, kept for `ttl_s` seconds; rows whose id is known are skipped."""
        raise LedgerError(f"{type(self).__name__} keeps no audit trail")

    async def calls(
        self, *, since: float | None = None, until: float | None = None
    ) -> list[AuditRow]:
        """Audit rows with `since <= timestamp < until` (either bound optional), by time."""
        raise LedgerError(f"{type(self).__name__} keeps no audit trail")

    @abstractmethod
    async def aclose(self) -> None: ...


class DelegatingLedger(Ledger):
    """Every call goes to `inner`; a wrapper overrides only what it adds (extra caps, a fault)."""

    def __init__(self, inner: Ledger) -> None:
        self._inner = inner

    async def reserve(
        self, caps: Sequence[Cap], amount_usd: float, *, hold_s: float
    ) -> Reservation:
        return await self._inner.reserve(caps, amount_usd, hold_s=hold_s)

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
        await self._inner.record_calls(rows, ttl_s=ttl_s)

    async def calls(
        self, *, since: float | None = None, until: float | None = None
    ) -> list[AuditRow]:
        return await self._inner.calls(since=since, until=until)

    async def aclose(self) -> None:
        await self._inner.aclose()
