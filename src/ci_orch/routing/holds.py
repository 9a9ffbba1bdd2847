"""Budget holds that survive cancellation: every hold the run takes is tracked until it is
settled or released, so a cancelled run (SIGINT/SIGTERM, cancel-in-progress) leaves none
behind to block the next run's caps until they expire.

A cancelled `await` may land between the ledger taking a hold and our code seeing it, so the
reserve runs in a task of its own: when we are cancelled we wait for that task and drop
whatever it took before passing the cancellation on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from ci_orch.ledger.interface import Cap, Ledger, LedgerError, Reservation

logger = logging.getLogger(__name__)


class Holds:
    """The open holds of one run, by reservation id."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._open: dict[str, Reservation] = {}
        self._closed = asyncio.Event()  # set (and replaced) whenever a hold is closed
        self.closed_count = 0  # a reserve that failed can tell whether room appeared since

    @property
    def open(self) -> int:
        return len(self._open)

    async def reserve(self, caps: Sequence[Cap], amount_usd: float, hold_s: float) -> Reservation:
        task = asyncio.ensure_future(self._ledger.reserve(caps, amount_usd, hold_s=hold_s))
        try:
            reservation = await asyncio.shield(task)
        except asyncio.CancelledError:
            await self._drop_late(task)
            raise
        self._open[reservation.id] = reservation
        return reservation

    async def _drop_late(self, task: asyncio.Future[Reservation]) -> None:
        try:
            reservation = await task
        except BaseException:  # it took nothing
            return
        await self._ledger.release(reservation)

    async def wait_for_one(self, timeout_s: float) -> bool:
        """Wait until one of the open holds closes; False at once when none is open (or
        none closes within `timeout_s`)."""
        if not self._open or timeout_s <= 0:
            return False
        try:
            async with asyncio.timeout(timeout_s):
                await self._closed.wait()
        except TimeoutError:
            return False
        return True

    def _close(self, reservation: Reservation) -> None:
        if self._open.pop(reservation.id, None) is not None:
            self.closed_count += 1
            self._closed.set()
            self._closed = asyncio.Event()

    async def settle(self, reservation: Reservation, cost_usd: float) -> None:
        """Raises LedgerError like the ledger; the hold is forgotten either way (the ledger
        lets it lapse after its short life)."""
        try:
            await self._ledger.settle(reservation, cost_usd)
        finally:
            self._close(reservation)

    async def release(self, reservation: Reservation) -> None:
        try:
            await self._ledger.release(reservation)
        except LedgerError as exc:  # it lapses with its short life; the run goes on
            logger.warning("could not release a budget hold: %s", exc)
        finally:
            self._close(reservation)

    async def release_all(self) -> int:
        """Drop every hold still open (a cancelled run); returns how many there were."""
        pending = list(self._open.values())
        for reservation in pending:
            await self.release(reservation)
        return len(pending)
