"""Reading audit records back from a ledger, and the `--since` / `--until` dates."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import ValidationError

from ci_orch.errors import UsageError
from ci_orch.ledger import open_ledger
from ci_orch.ledger.url import SQLITE, check_ledger_url, sqlite_path
from ci_orch.telemetry.audit import AuditRecord

logger = logging.getLogger(__name__)


def parse_bound(text: str | None, *, end_of_day: bool, option: str) -> datetime | None:
    """`YYYY-MM-DD` (a UTC day; `--until` includes it) or an ISO 8601 time (UTC if naive)."""
    if text is None:
        return None
    try:
        if len(text) == 10:
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
            return day + timedelta(days=1) if end_of_day else day
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"{option} {text!r}: give a date (2026-01-31) or an ISO time (2026-01-31T12:00Z)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def load_records(
    url: str, since: datetime | None = None, until: datetime | None = None
) -> list[AuditRecord]:
    """Records with `since <= timestamp < until`; raises `LedgerError` if unreachable and
    UsageError for a SQLite ledger that does not exist (opening it would create it, and a
    mistyped path would then report "no spend")."""
    check_ledger_url(url)
    if url.startswith(SQLITE) and sqlite_path(url) != ":memory:":
        path = Path(sqlite_path(url))
        if not path.is_file():
            raise UsageError(
                f"ledger {url!r}: no ledger file at {path} (check --ledger or ledger.url; "
                "a run creates it on its first call)"
            )
    return asyncio.run(_load(url, since, until))


async def _load(url: str, since: datetime | None, until: datetime | None) -> list[AuditRecord]:
    ledger = open_ledger(url)
    try:
        rows = await ledger.calls(
            since=since.timestamp() if since else None,
            until=until.timestamp() if until else None,
        )
    finally:
        await ledger.aclose()
    out, bad = [], 0
    for row in rows:
        try:
            out.append(AuditRecord.from_row(row))
        except ValidationError:  # written by another ci-orch version: count, do not crash
            bad += 1
    if bad:
        logger.warning("%d audit record(s) in the ledger could not be read and were left out", bad)
    return out
