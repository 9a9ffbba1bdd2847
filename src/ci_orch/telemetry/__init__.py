"""Audit trail and metrics for provider calls (docs/telemetry.md).

    content = content_capture(config)        # prompts/answers only with log_content
    ...Router(..., on_attempt=content)...
    record_run(report, config, run_id=run_id, content=content)

`record_run` never raises for a sink or exporter that is down: it logs a warning.
"""

from __future__ import annotations

from ci_orch.telemetry.audit import AuditRecord, audit_records, saved_by_cache
from ci_orch.telemetry.content import ContentCapture, content_capture
from ci_orch.telemetry.errors import ExportError
from ci_orch.telemetry.run import record_calls, record_calls_async, record_run

__all__ = [
    "AuditRecord",
    "ContentCapture",
    "ExportError",
    "audit_records",
    "content_capture",
    "record_calls",
    "record_calls_async",
    "record_run",
    "saved_by_cache",
]
