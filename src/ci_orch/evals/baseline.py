"""The stored baseline: per provider/model, the per-case results of a run that was good.

A baseline entry is written by an explicit `--bless` or by `update_from_nightly` after a
nightly run that PASSed (not WARN: see there). A partial run (budget stop, skipped
cases) or a run whose comparison FAILed never replaces an entry: `bless` refuses it as a
whole, so the last good baseline stays in force. Provider/models that never scored a
trial (every trial an error) are left as they were, and so are entries for
provider/models the run did not cover.

Each entry carries the parts of its key (dataset digest, prompt version, scorer version)
so that a comparison can say what changed when the key no longer matches.
"""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from ci_orch.errors import UsageError
from ci_orch.evals.comparison import Comparison
from ci_orch.evals.model import CaseResult, EvalRun, SuiteMetrics

log = logging.getLogger(__name__)


class BaselineError(UsageError):
    """The baseline file exists but cannot be read as a ci-orch baseline."""


class BaselineRefused(UsageError):
    """A run that must not become the baseline (partial, failed, or nothing scored)."""


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BaselineEntry(_Out):
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


class Baseline(_Out):
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
    fd, tmp = tempfile.mkstemp(prefix=".baseline-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(baseline.model_dump_json(indent=2) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
