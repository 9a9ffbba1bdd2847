"""What is kept between runs: the baseline and history.jsonl.

The baseline holds, per provider/model, the per-case results of a run that was good.
A baseline entry is written by an explicit `--bless` or by `update_from_nightly` after a
nightly run that PASSed (not WARN: see there). A partial run (budget stop, skipped
cases) or a run whose comparison FAILed never replaces an entry: `bless` refuses it as a
whole, so the last good baseline stays in force. Provider/models that never scored a
trial (every trial an error) are left as they were, and so are entries for
provider/models the run did not cover.

Each entry carries the parts of its key (dataset digest, prompt version, scorer version)
so that a comparison can say what changed when the key no longer matches.

history.jsonl has one line per complete run, read back for the history rule and the chart.
Each line holds, per provider/model, the baseline key, the headline metrics and each
case's (passes, scored trials). Partial runs are not appended: a budget stop would
otherwise look like a quality drop in the trend. A line that does not parse (a truncated
write, a hand edit) is skipped with a warning rather than failing the nightly job.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from ci_orch.egress.filter import Egress
from ci_orch.errors import UsageError
from ci_orch.evals.model import CaseResult, Comparison, EvalRun, Frozen, SuiteMetrics
from ci_orch.report.write import write_atomic

log = logging.getLogger(__name__)


# --- the baseline ------------------------------------------------------------------------


class BaselineError(UsageError):
    """The baseline file exists but cannot be read as a ci-orch baseline."""


class BaselineRefused(UsageError):
    """A run that must not become the baseline (partial, failed, or nothing scored)."""


class BaselineEntry(Frozen):
    provider: str
    model: str
    key: str
    dataset_digest: str
    prompt_version: str
    scorer_version: str
    run_id: str
    source: Literal["bless", "nightly"]
    recorded_at: datetime
    metrics: SuiteMetrics
    cases: tuple[CaseResult, ...]

    @property
    def label(self) -> str:
        return f"{self.provider}/{self.model}"


class Baseline(Frozen):
    version: Literal[1] = 1
    entries: tuple[BaselineEntry, ...] = ()

    def entry(self, provider_model: str) -> BaselineEntry | None:
        return next((e for e in self.entries if e.label == provider_model), None)


def load_baseline(path: Path) -> Baseline | None:
    """The baseline at `path`, or None when there is none yet."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror}") from None
    try:
        return Baseline.model_validate_json(raw)
    except ValidationError as exc:
        raise BaselineError(
            f"{path} is not a ci-orch eval baseline: {exc.error_count()} schema error(s)"
        ) from None


def save_baseline(baseline: Baseline, path: Path) -> None:
    """Write atomically: a crash mid-write must not leave a half baseline behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = Egress.build(None, os.environ).scrub(baseline.model_dump_json(indent=2) + "\n")
    write_atomic(path, text.encode("utf-8"))


def refusal(run: EvalRun, comparison: Comparison | None) -> str | None:
    """Why `run` may not become the baseline, or None when it may."""
    if run.status != "complete":
        return f"run {run.run_id} is {run.status} (budget stop or skipped cases)"
    if run.skipped:
        return f"run {run.run_id} skipped {len(run.skipped)} trial(s)"
    if comparison is not None and comparison.verdict == "FAIL":
        return f"run {run.run_id} failed the regression check"
    if not any(m.scored_trials for m in run.metrics):
        return f"run {run.run_id} scored no trial (every trial was a provider error)"
    return None


def bless(
    run: EvalRun,
    path: Path,
    *,
    comparison: Comparison | None = None,
    source: Literal["bless", "nightly"] = "bless",
) -> Baseline:
    """Make `run` the baseline for every provider/model it scored; raise BaselineRefused."""
    reason = refusal(run, comparison)
    if reason is not None:
        raise BaselineRefused(f"not blessed: {reason}; the previous baseline is kept")
    current = load_baseline(path) or Baseline()
    fresh = _entries(run, source)
    labels = {e.label for e in fresh}
    kept = tuple(e for e in current.entries if e.label not in labels)
    updated = Baseline(entries=tuple(sorted(kept + fresh, key=lambda e: e.label)))
    save_baseline(updated, path)
    log.info("baseline %s: %d entr(ies) from run %s", path, len(fresh), run.run_id)
    return updated


def update_from_nightly(run: EvalRun, comparison: Comparison, path: Path) -> Baseline | None:
    """The "last successful nightly" rule: replace the baseline only when the run PASSed.

    WARN does not count as success here: a drop that is not yet significant would be
    absorbed into the baseline and could never become significant, so a slow decline
    would ratchet the baseline down one warning at a time. An explicit `bless` accepts it.
    """
    if comparison.verdict != "PASS" or refusal(run, comparison) is not None:
        return None
    return bless(run, path, comparison=comparison, source="nightly")


def _entries(run: EvalRun, source: Literal["bless", "nightly"]) -> tuple[BaselineEntry, ...]:
    now = datetime.now(UTC)
    out = []
    for metrics in run.metrics:
        if metrics.scored_trials == 0:
            continue  # nothing but errors: keep whatever baseline this provider had
        cases = tuple(c for c in run.cases if c.key == metrics.key)
        out.append(
            BaselineEntry(
                provider=metrics.provider,
                model=metrics.model,
                key=run.baseline_key(metrics.key),
                dataset_digest=run.dataset_digest,
                prompt_version=run.prompt_version,
                scorer_version=run.scorer_version,
                run_id=run.run_id,
                source=source,
                recorded_at=now,
                metrics=metrics,
                cases=cases,
            )
        )
    return tuple(out)


# --- history.jsonl -----------------------------------------------------------------------


HISTORY_FILE = "history.jsonl"


class HistoryEntry(Frozen):
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


class HistoryRecord(Frozen):
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
        fh.write(Egress.build(None, os.environ).scrub(record_for(run).model_dump_json()) + "\n")
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
