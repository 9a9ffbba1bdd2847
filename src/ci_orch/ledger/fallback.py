"""A run's ledger that never loses the run: the shared ledger when it works, an in-process
one when it does not.

Every hold is taken in an in-process SQLite ledger first and then in the shared one, so the
run cap is enforced locally whatever happens to the shared backend. When the shared ledger
cannot be reached at start or fails mid-run, the run goes on against the in-process ledger
alone: team and org caps (which need the other runners' spend) are no longer enforced, the
settlements the shared ledger did not get are counted, and `notes()` says both. With
`policy.ledger_required: true` the first failure raises `LedgerUnavailable` instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from ci_orch.errors import ExitCode
from ci_orch.ledger.interface import (
    AuditRow,
    BreakerRecord,
    BudgetExceeded,
    Cap,
    Ledger,
    LedgerError,
    Reservation,
)
from ci_orch.ledger.sqlite import SqliteLedger

logger = logging.getLogger(__name__)


class LedgerUnavailable(LedgerError):
    """The shared ledger failed and `policy.ledger_required` is true: the run must not go on
    without team and org caps."""

    exit_code = ExitCode.INCOMPLETE


class FallbackLedger(Ledger):
    """`shared` is None when it could not even be opened (`why` says what went wrong)."""

    def __init__(
        self,
        shared: Ledger | None,
        *,
        required: bool = False,
        why: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._shared = shared
        self._local = SqliteLedger(":memory:", clock=clock)
        self._required = required
        self._pairs: dict[str, Reservation] = {}  # local reservation id -> shared one
        self._lost: list[float] = []  # settlements the shared ledger never recorded
        self._why = ""
        if shared is None:
            self._fail(LedgerError(why or "not opened"))

    # -- state -----------------------------------------------------------------------------
    @property
    def degraded(self) -> bool:
        """True once the run is on the in-process ledger alone."""
        return bool(self._why)

    def notes(self) -> tuple[str, ...]:
        if not self.degraded:
            return ()
        out = [
            f"shared ledger unavailable ({self._why}): the run cap was enforced in process; "
            "team and org caps were not enforced"
        ]
        if self._lost:
            out.append(
                f"{len(self._lost)} settlement(s) totalling ${sum(self._lost):.6f} could not "
                "be written to the shared ledger"
            )
        return tuple(out)

    def _fail(self, exc: LedgerError) -> None:
        if self._required:
            raise LedgerUnavailable(
                f"{exc} (policy.ledger_required is true: not running without the shared ledger)"
            ) from None
        if not self._why:
            self._why = str(exc).splitlines()[0][:160]
            logger.warning("shared ledger unavailable, continuing in process: %s", self._why)

    def _live(self) -> Ledger | None:
        return None if self.degraded else self._shared

    # -- budgets ---------------------------------------------------------------------------
    async def reserve(
        self, caps: Sequence[Cap], amount_usd: float, *, hold_s: float
    ) -> Reservation:
        local = await self._local.reserve(caps, amount_usd, hold_s=hold_s)
        shared = self._live()
        if shared is None:
            return local
        try:
            self._pairs[local.id] = await shared.reserve(caps, amount_usd, hold_s=hold_s)
        except BudgetExceeded:
            await self._local.release(local)
            raise
        except LedgerError as exc:
            try:
                self._fail(exc)
            except LedgerUnavailable:
                await self._local.release(local)
                raise
        return local

    async def settle(self, reservation: Reservation, cost_usd: float) -> None:
        await self._local.settle(reservation, cost_usd)
        paired = self._pairs.pop(reservation.id, None)
        shared = self._live()
        if paired is not None and shared is not None:
            try:
                await shared.settle(paired, cost_usd)
                return
            except LedgerError as exc:
                self._fail(exc)
        if cost_usd > 0:
            self._lost.append(cost_usd)

    async def used(self, scopes: Sequence[str]) -> dict[str, float]:
        shared = self._live()
        if shared is not None:
            try:
                return await shared.used(scopes)
            except LedgerError as exc:
                self._fail(exc)
        return await self._local.used(scopes)

    # -- breaker memory and cache: the shared copy while it works, else this run's ---------
    async def get_breaker(self, key: str) -> BreakerRecord | None:
        shared = self._live()
        if shared is not None:
            try:
                return await shared.get_breaker(key)
            except LedgerError as exc:
                self._fail(exc)
        return await self._local.get_breaker(key)

    async def put_breaker(self, key: str, record: BreakerRecord, ttl_s: float) -> None:
        await self._local.put_breaker(key, record, ttl_s)
        shared = self._live()
        if shared is not None:
            try:
                await shared.put_breaker(key, record, ttl_s)
            except LedgerError as exc:
                self._fail(exc)

    async def cache_get(self, key: str) -> str | None:
        shared = self._live()
        if shared is not None:
            try:
                return await shared.cache_get(key)
            except LedgerError as exc:
                self._fail(exc)
        return await self._local.cache_get(key)

    async def cache_put(self, key: str, value: str, ttl_s: float) -> None:
        await self._local.cache_put(key, value, ttl_s)
        shared = self._live()
        if shared is not None:
            try:
                await shared.cache_put(key, value, ttl_s)
            except LedgerError as exc:
                self._fail(exc)

    # -- the audit trail lives only in the shared ledger ------------------------------------
    async def record_calls(self, rows: Sequence[AuditRow], *, ttl_s: float) -> None:
        shared = self._live()
        if shared is None:
            raise LedgerError(f"shared ledger unavailable ({self._why}): audit rows not kept")
        await shared.record_calls(rows, ttl_s=ttl_s)

    async def calls(
        self, *, since: float | None = None, until: float | None = None
    ) -> list[AuditRow]:
        shared = self._live()
        if shared is None:
            raise LedgerError(f"shared ledger unavailable ({self._why})")
        return await shared.calls(since=since, until=until)

    async def aclose(self) -> None:
        await self._local.aclose()
        if self._shared is not None:
            try:
                await self._shared.aclose()
            except LedgerError as exc:
                logger.debug("closing the shared ledger: %s", exc)


async def open_run_ledger(
    url: str, *, required: bool = False, clock: Callable[[], float] = time.time
) -> FallbackLedger:
    """The ledger a review or generate run uses: `url`'s backend, checked with one cheap
    read, behind an in-process fallback. Raises ConfigError for an unusable URL, and
    LedgerUnavailable when the backend is down and `required` is true."""
    from ci_orch.ledger import open_ledger

    shared: Ledger | None
    try:
        shared = open_ledger(url, clock=clock)
        await shared.used(())  # Redis connects lazily: find out now, before any call
    except LedgerError as exc:
        return FallbackLedger(None, required=required, why=str(exc), clock=clock)
    return FallbackLedger(shared, required=required, clock=clock)
