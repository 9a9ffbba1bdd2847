"""`record_run`: a finished run's calls into the ledger, the audit log and metrics.

Called once per run, after the report files are written. Nothing here can fail the run or
change its exit code: every problem is a warning (logged, and returned for the caller).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from ci_orch.config.model import Config
from ci_orch.gate import Redactor
from ci_orch.ledger import LedgerError, open_ledger
from ci_orch.report.model import Call, RunContext, RunReport
from ci_orch.telemetry import jsonl
from ci_orch.telemetry.audit import AuditRecord, Task, audit_records
from ci_orch.telemetry.content import ContentCapture
from ci_orch.telemetry.errors import ExportError

logger = logging.getLogger(__name__)

_DAY_S = 86_400


def record_run(
    report: RunReport, config: Config, *, run_id: str, content: ContentCapture | None = None
) -> tuple[str, ...]:
    """Record a review or generate run; returns the warnings (also logged)."""
    return record_calls(
        report.calls, config, run_id=run_id, task=report.task, context=report.context,
        finished_at=report.finished_at, content=content,
    )


def record_calls(
    calls: Sequence[Call],
    config: Config,
    *,
    run_id: str,
    task: Task,
    context: RunContext | None = None,
    finished_at: datetime | None = None,
    content: ContentCapture | None = None,
) -> tuple[str, ...]:
    """The same for any list of calls (e.g. an eval run: `task="eval"`, no context).
    Synchronous; from inside an event loop use `record_calls_async`."""
    return asyncio.run(record_calls_async(
        calls, config, run_id=run_id, task=task, context=context, finished_at=finished_at,
        content=content,
    ))


async def record_calls_async(
    calls: Sequence[Call],
    config: Config,
    *,
    run_id: str,
    task: Task,
    context: RunContext | None = None,
    finished_at: datetime | None = None,
    content: ContentCapture | None = None,
) -> tuple[str, ...]:
    records = audit_records(
        calls, config, run_id=run_id, task=task, context=context,
        finished_at=finished_at or datetime.now(UTC),
    )
    if not records:
        return ()
    if content is not None and config.telemetry.log_content:
        records = content.attach(records, Redactor.from_config(config.gate.secrets))
    warnings = [await _to_ledger(records, config)]
    warnings += await asyncio.to_thread(_export, records, config, run_id)
    for warning in filter(None, warnings):
        logger.warning("telemetry: %s", warning)
    return tuple(w for w in warnings if w)


async def _to_ledger(records: Sequence[AuditRecord], config: Config) -> str | None:
    ttl_s = config.telemetry.audit_retention_days * _DAY_S
    try:
        ledger = open_ledger(config.ledger.url)
    except LedgerError as exc:
        return f"audit records not stored in the ledger: {exc}"
    try:
        await ledger.record_calls([r.row(i) for i, r in enumerate(records)], ttl_s=ttl_s)
    except LedgerError as exc:
        return f"audit records not stored in the ledger: {exc}"
    finally:
        await ledger.aclose()
    return None


def _export(records: Sequence[AuditRecord], config: Config, run_id: str) -> list[str | None]:
    from ci_orch.telemetry import otlp, prometheus  # only runs that export pay the imports

    t = config.telemetry
    out: list[str | None] = []
    if t.audit_log:
        out.append(_attempt(lambda: jsonl.append(Path(t.audit_log or ""), records)))
    if t.prometheus_pushgateway:
        url = t.prometheus_pushgateway
        out.append(_attempt(lambda: prometheus.push(
            url, records, run_id=run_id, timeout_s=t.export_timeout_s)))
    if t.otlp_endpoint:
        endpoint = t.otlp_endpoint
        out.append(_attempt(lambda: otlp.export(
            endpoint, records, run_id=run_id, timeout_s=t.export_timeout_s)))
    return out


def _attempt(action: Callable[[], None]) -> str | None:
    try:
        action()
    except ExportError as exc:
        return str(exc)
    except Exception as exc:  # a library bug must not fail a finished run; data only at DEBUG
        logger.debug("telemetry export failed", exc_info=True)
        return f"export failed unexpectedly: {type(exc).__name__}"
    return None
