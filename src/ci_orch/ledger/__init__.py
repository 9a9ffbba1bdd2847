"""Spend ledger, breaker state and response cache; `open_ledger(url)` picks the backend."""

from __future__ import annotations

import time
from collections.abc import Callable

from ci_orch.ledger.fallback import FallbackLedger, LedgerUnavailable, open_run_ledger
from ci_orch.ledger.interface import (
    BreakerRecord,
    BudgetExceeded,
    Cap,
    Ledger,
    LedgerError,
    Reservation,
)
from ci_orch.ledger.scopes import budget_caps
from ci_orch.ledger.url import SQLITE, check_ledger_url, sqlite_path

__all__ = [
    "BreakerRecord",
    "BudgetExceeded",
    "Cap",
    "FallbackLedger",
    "Ledger",
    "LedgerError",
    "LedgerUnavailable",
    "Reservation",
    "budget_caps",
    "check_ledger_url",
    "open_ledger",
    "open_run_ledger",
]


def open_ledger(url: str, *, clock: Callable[[], float] = time.time) -> Ledger:
    """`sqlite:///relative/path`, `sqlite:////absolute/path`, `sqlite://:memory:`,
    or `redis://host:port/db` (also `rediss://`, `unix://`). Raises ConfigError for a URL
    we cannot use, LedgerError when the backend cannot be opened."""
    check_ledger_url(url)
    if url.startswith(SQLITE):
        from ci_orch.ledger.sqlite import SqliteLedger

        return SqliteLedger(sqlite_path(url), clock=clock)
    from ci_orch.ledger.redis_ledger import RedisLedger

    return RedisLedger(url, clock=clock)
