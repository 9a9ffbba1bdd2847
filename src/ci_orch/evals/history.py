"""history.jsonl: one line per complete run, read back for the history rule and the chart.

Each line holds, per provider/model, the baseline key, the headline metrics and each
case's (passes, scored trials). Partial runs are not appended: a budget stop would
otherwise look like a quality drop in the trend. A line that does not parse (a truncated
write, a hand edit) is skipped with a warning rather than failing the nightly job.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from ci_orch.evals.model import EvalRun

log = logging.getLogger(__name__)

HISTORY_FILE = "history.jsonl"


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HistoryEntry(_Out):
    provider: str
    model: str
    key: str
    pass_rate: float | None = None
    precision: float | None = None
    recall: float | None = None
    f1: float | None = None
    cost_per_case: float | None = None
    error_rate: float | None = None
    cases: dict[str, tuple[int, int]] = {}  # case id -> (passes, scored trials)

    @property
    def label(self) -> str:
        return f"{self.provider}/{self.model}"


class HistoryRecord(_Out):
    v: Literal[1] = 1
    run_id: str
    finished_at: datetime
    entries: tuple[HistoryEntry, ...]

    def entry(self, key: str) -> HistoryEntry | None:
        """The entry with this baseline key (same dataset, prompt, scorer and model)."""
        return next((e for e in self.entries if e.key == key), None)


def record_for(run: EvalRun) -> HistoryRecord:
    entries = []
    for m in run.metrics:
        cases = {c.case_id: (c.passes, c.passes + c.fails) for c in run.cases if c.key == m.key}
        entries.append(
            HistoryEntry(
                provider=m.provider,
                model=m.model,
                key=run.baseline_key(m.key),
                pass_rate=m.pass_rate,
                precision=m.precision,
                recall=m.recall,
                f1=m.f1,
                cost_per_case=m.cost_per_case,
                error_rate=m.error_rate,
                cases=cases,
            )
        )
    return HistoryRecord(run_id=run.run_id, finished_at=run.finished_at, entries=tuple(entries))


def read_history(path: Path) -> list[HistoryRecord]:
    """Every readable record, oldest first; [] when the file does not exist yet."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(HistoryRecord.model_validate_json(line))
        except ValidationError:
            log.warning("%s:%d is not a history record; skipped", path, number)
    return sorted(records, key=lambda r: r.finished_at)


def append_history(run: EvalRun, path: Path) -> bool:
    """Append this run's line; False (nothing written) for a partial run or a repeat."""
    if run.status != "complete":
        return False
    if any(r.run_id == run.run_id for r in read_history(path)):
        return False  # re-rendering the same run must not count it twice
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(record_for(run).model_dump_json() + "\n")
    return True


def case_history(history: Sequence[HistoryRecord], key: str, case_id: str) -> tuple[int, int, int]:
    """(runs that scored the case, passes, scored trials) over history entries with `key`."""
    runs = passes = scored = 0
    for record in history:
        entry = record.entry(key)
        if entry is None or case_id not in entry.cases:
            continue
        p, s = entry.cases[case_id]
        if s == 0:
            continue
        runs, passes, scored = runs + 1, passes + p, scored + s
    return runs, passes, scored
