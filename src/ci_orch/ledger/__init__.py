"""Spend ledger, breaker state and response cache; `open_ledger(url)` picks the backend."""

from __future__ import annotations

import time
from collections.abc import Callable

from ci_orch.errors import ConfigError
from ci_orch.ledger.interface import (
    BreakerRecord,
    BudgetExceeded,
    Cap,
    Ledger,
    LedgerError,
    Reservation,
)
from ci_orch.ledger.scopes import budget_caps

__all__ = [
    "BreakerRecord",
    "BudgetExceeded",
    "Cap",
    "Ledger",
    "LedgerError",
    "Reservation",
    "budget_caps",
    "open_ledger",
]


def open_ledger(url: str, *, clock: Callable[[], float] = time.time) -> Ledger:
    """`sqlite:///relative/path`, `sqlite:////absolute/path`, `sqlite://:memory:`,
    or `redis://host:port/db` (also `rediss://`, `unix://`)."""
    if url.startswith("sqlite://"):
        from ci_orch.ledger.sqlite import SqliteLedger

        path = url.removeprefix("sqlite://").removeprefix("/")  # sqlite:////abs keeps one /
        if not path:
            raise ConfigError(f"ledger.url {url!r}: give a file, e.g. sqlite:///.ci-orch/ledger.sqlite")
        return SqliteLedger(path, clock=clock)
    if url.startswith(("redis://", "rediss://", "unix://")):
        from ci_orch.ledger.redis_ledger import RedisLedger

        return RedisLedger(url, clock=clock)
    raise ConfigError(
        f"ledger.url {url!r} is not supported: use sqlite:///path/to/file or redis://host:port/db"
    )
