"""The run's ledger survives the shared one: at start and mid-run it falls back to an
in-process ledger that still enforces the run cap, unless the policy requires the shared one."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from ci_orch.ledger import (
    BudgetExceeded,
    Cap,
    FallbackLedger,
    LedgerError,
    LedgerUnavailable,
    open_ledger,
    open_run_ledger,
)
from ci_orch.ledger.interface import Reservation
from ci_orch.ledger.sqlite import SqliteLedger

RUN = (Cap("run:r", 1.0, 3600), Cap("team:t:day", 5.0, 3600))


class Flaky(SqliteLedger):
    """A real SQLite ledger that starts failing when told to, like a Redis that died."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.down = False

    async def reserve(self, caps: Sequence[Cap], amount_usd: float, *, hold_s: float) -> Reservation:
        if self.down:
            raise LedgerError("Redis ledger at redis://h:1/0: Connection refused")
        return await super().reserve(caps, amount_usd, hold_s=hold_s)

    async def settle(self, reservation: Reservation, cost_usd: float) -> None:
        if self.down:
            raise LedgerError("Redis ledger at redis://h:1/0: Connection refused")
        await super().settle(reservation, cost_usd)


async def test_mid_run_outage_keeps_the_run_cap_and_counts_lost_settlements(tmp_path: Path) -> None:
    shared = Flaky(tmp_path / "shared.sqlite")
    ledger = FallbackLedger(shared)
    first = await ledger.reserve(RUN, 0.4, hold_s=60)
    shared.down = True
    await ledger.settle(first, 0.3)  # the shared ledger never hears of it
    assert ledger.degraded
    second = await ledger.reserve(RUN, 0.6, hold_s=60)
    with pytest.raises(BudgetExceeded):  # 0.3 spent + 0.6 held: no room for 0.2 more
        await ledger.reserve(RUN, 0.2, hold_s=60)
    await ledger.release(second)
    assert (await ledger.used(["run:r"]))["run:r"] == pytest.approx(0.3)
    notes = " ".join(ledger.notes())
    assert "team and org caps were not enforced" in notes
    assert "1 settlement(s) totalling $0.300000 could not be written" in notes
    await ledger.aclose()


async def test_ledger_required_fails_the_reserve_and_holds_nothing(tmp_path: Path) -> None:
    shared = Flaky(tmp_path / "shared.sqlite")
    ledger = FallbackLedger(shared, required=True)
    shared.down = True
    with pytest.raises(LedgerUnavailable, match="ledger_required"):
        await ledger.reserve(RUN, 0.4, hold_s=60)
    shared.down = False
    assert (await ledger.used(["run:r"]))["run:r"] == 0  # nothing held anywhere
    await ledger.aclose()


async def test_a_budget_refusal_by_the_shared_ledger_releases_the_local_hold(
    tmp_path: Path,
) -> None:
    shared = open_ledger(f"sqlite:///{tmp_path}/shared.sqlite")
    other_runner = await shared.reserve(RUN[1:], 4.9, hold_s=60)  # the team cap nearly gone
    ledger = FallbackLedger(open_ledger(f"sqlite:///{tmp_path}/shared.sqlite"))
    with pytest.raises(BudgetExceeded):
        await ledger.reserve(RUN, 0.2, hold_s=60)
    assert not ledger.degraded
    await shared.release(other_runner)
    granted = await ledger.reserve(RUN, 0.2, hold_s=60)  # the local hold did not linger
    await ledger.settle(granted, 0.1)
    assert (await shared.used(["run:r"]))["run:r"] == pytest.approx(0.1)
    await ledger.aclose()
    await shared.aclose()


async def test_unreachable_at_start(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    url = f"sqlite:///{blocked}/ledger.sqlite"
    ledger = await open_run_ledger(url)
    assert ledger.degraded and "cannot open the SQLite ledger" in ledger.notes()[0]
    hold = await ledger.reserve(RUN, 0.5, hold_s=60)
    await ledger.settle(hold, 0.5)
    with pytest.raises(BudgetExceeded):
        await ledger.reserve(RUN, 0.6, hold_s=60)
    with pytest.raises(LedgerError):  # the audit trail is the shared ledger's alone
        await ledger.record_calls([], ttl_s=60)
    await ledger.aclose()
    with pytest.raises(LedgerUnavailable):
        await open_run_ledger(url, required=True)
