"""`ci-orch spend`: spend, tokens, error and fallback rates and cache savings across runs,
from the audit records in the ledger (docs/telemetry.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from ci_orch.config.policy import Policy
from ci_orch.spend.aggregate import aggregate
from ci_orch.spend.html import render_html
from ci_orch.spend.load import load_records, parse_bound
from ci_orch.spend.model import BY_CHOICES, By, SpendReport
from ci_orch.spend.tabular import to_csv, to_json, to_text

Format = Literal["text", "json", "csv", "html"]
RENDERERS: dict[Format, Callable[[SpendReport], str]] = {
    "text": to_text,
    "json": to_json,
    "csv": to_csv,
    "html": render_html,
}


def spend_report(
    ledger_url: str,
    *,
    by: By,
    policy: Policy,
    since: datetime | None = None,
    until: datetime | None = None,
) -> SpendReport:
    records = load_records(ledger_url, since, until)
    return aggregate(records, by=by, policy=policy, since=since, until=until)


__all__ = [
    "BY_CHOICES",
    "RENDERERS",
    "By",
    "Format",
    "SpendReport",
    "aggregate",
    "parse_bound",
    "render_html",
    "spend_report",
]
