"""The audit log file: one JSON object per line, appended.

The run's lines go out in one `write` on a file opened for append (O_APPEND), so runs on
one machine sharing the file do not interleave inside a line.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ci_orch.telemetry.audit import AuditRecord
from ci_orch.telemetry.errors import ExportError


def append(path: Path, records: Sequence[AuditRecord]) -> None:
    if not records:
        return
    text = "".join(r.model_dump_json() + "\n" for r in records)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(text)
    except OSError as exc:
        raise ExportError(f"audit log {path}: {exc.strerror or exc}") from None


def read(path: Path) -> list[AuditRecord]:
    """Every record in an audit log file (for tests and for loading into a ledger)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [AuditRecord.model_validate_json(line) for line in lines if line.strip()]
