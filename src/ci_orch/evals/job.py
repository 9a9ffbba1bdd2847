"""`ci-orch eval` as one library call: dataset and config in, eval files and exit code out.

Exit codes: 0 no regression (PASS or WARN); 1 regression (FAIL); 2 usage, config, dataset
or baseline file error; 4 the run is incomplete (trials skipped for budget, or provider
errors) and `policy.fail_open` is false, or whatever fail_open says when not one trial
could be scored (every call failed, or a prompt change missed every recorded response): a
run with no signal must not pass as "no regression". A FAIL wins over incomplete: what was
scored regressed either way.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ci_orch.config import load_config
from ci_orch.config.model import Config
from ci_orch.errors import ExitCode, UsageError
from ci_orch.evals.dataset import load_dataset
from ci_orch.evals.decide import compare
from ci_orch.evals.model import Comparison, Dataset, EvalRun, SuiteMetrics
from ci_orch.evals.render import write_outputs
from ci_orch.evals.run import EvalSettings, run_eval, selections
from ci_orch.evals.store import (
    HISTORY_FILE,
    BaselineRefused,
    bless,
    load_baseline,
    read_history,
    update_from_nightly,
)
from ci_orch.ledger import open_ledger
from ci_orch.providers.registry import missing_key
from ci_orch.report.build import call_of
from ci_orch.routing import Attempt, AttemptObserver
from ci_orch.telemetry import record_calls

log = logging.getLogger(__name__)

BASELINE_FILE = "eval-baseline.json"


@dataclass(frozen=True, slots=True)
class EvalOptions:
    dataset: Path
    providers: tuple[str, ...] = ()
    repeats: int = 1
    baseline: Path | None = None
    bless: bool = False
    max_cost: float | None = None
    report_dir: Path | None = None
    config_path: Path | None = None
    judge: str | None = None
    shared_ledger: bool = False


@dataclass(frozen=True, slots=True)
class EvalJob:
    run: EvalRun
    comparison: Comparison
    files: tuple[Path, ...]
    exit_code: ExitCode
    notes: tuple[str, ...] = ()


def run_eval_job(options: EvalOptions, env: Mapping[str, str] | None = None) -> EvalJob:
    env = os.environ if env is None else env
    if options.repeats < 1:
        raise UsageError("--repeats must be 1 or more")
    config = load_config(options.config_path, env=env)
    dataset = load_dataset(options.dataset)
    _check_keys(config, options.providers, env)
    settings = EvalSettings(options.providers, options.repeats, options.max_cost, options.judge)
    made: list[Attempt] = []  # every call of every trial, for the audit trail and metrics
    run = asyncio.run(_run(dataset, config, settings, options.shared_ledger, env,
                           lambda attempt, _request, _response: made.append(attempt)))
    report_dir = options.report_dir or Path(config.report.dir)
    baseline_path = options.baseline or report_dir / BASELINE_FILE
    history = read_history(report_dir / HISTORY_FILE)
    comparison = compare(run, load_baseline(baseline_path), history)
    files = write_outputs(run, comparison, report_dir)
    notes = _update_baseline(run, comparison, baseline_path, options.bless)
    # Eval spend is real spend: audited and exported like a review's (warns, never fails).
    record_calls([call_of(a) for a in made], config, run_id=run.run_id, task="eval")
    return EvalJob(run, comparison, tuple(files), exit_code(run, comparison, config), notes)


def exit_code(run: EvalRun, comparison: Comparison, config: Config) -> ExitCode:
    if comparison.verdict == "FAIL":
        return ExitCode.BLOCKED
    if run.trials and not any(m.scored_trials for m in run.metrics):
        return ExitCode.INCOMPLETE
    if run.status != "complete" and not config.policy.fail_open:
        return ExitCode.INCOMPLETE
    return ExitCode.OK


def _check_keys(config: Config, wanted: tuple[str, ...], env: Mapping[str, str]) -> None:
    """Each selected provider needs its key; the chain needs at least one usable provider."""
    chosen = [cfg for _, c in selections(config, wanted) for cfg in c.providers]
    missing = [(p.id, missing_key(p, env)) for p in chosen]
    missing = [(pid, var) for pid, var in missing if var is not None]
    if wanted and missing:
        names = ", ".join(f"{pid} ({var})" for pid, var in missing)
        raise UsageError(f"no API key for {names}: set the variable or leave it out of --providers")
    if not wanted and len(missing) == len(chosen):
        names = ", ".join(sorted({str(var) for _, var in missing}))
        raise UsageError(f"no provider has its API key; set one of {names}")


async def _run(
    dataset: Dataset,
    config: Config,
    settings: EvalSettings,
    shared: bool,
    env: Mapping[str, str],
    on_attempt: AttemptObserver,
) -> EvalRun:
    with tempfile.TemporaryDirectory(prefix="ci-orch-eval-ledger-") as tmp:
        # A fresh ledger per run (docs/eval.md): nightly evals neither use nor are stopped
        # by the day caps of real reviews, and start with no breaker memory.
        url = config.ledger.url if shared else f"sqlite:///{Path(tmp).resolve()}/ledger.sqlite"
        ledger = open_ledger(url)
        try:
            return await run_eval(
                dataset, config, settings, ledger=ledger, env=env, on_attempt=on_attempt
            )
        finally:
            await ledger.aclose()


def _update_baseline(
    run: EvalRun, comparison: Comparison, path: Path, blessing: bool
) -> tuple[str, ...]:
    try:
        if blessing:
            # The issue: a failed or partial run never replaces the baseline, blessed or not.
            # A lower score that is not a FAIL is the human's call to accept.
            bless(run, path, comparison=comparison)
            return (f"baseline {path} blessed from run {run.run_id}",)
    except BaselineRefused as exc:
        return (str(exc),)
    if update_from_nightly(run, comparison, path) is not None:
        return (f"baseline {path} updated from run {run.run_id}",)
    return ()


# The few lines `ci-orch eval` prints: verdict, per provider/model figures, files.


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def _line(m: SuiteMetrics) -> str:
    cost = "-" if m.cost_per_case is None else f"${m.cost_per_case:.4f}"
    return (
        f"  {m.key}: pass {_pct(m.pass_rate)}, precision {_pct(m.precision)}, "
        f"recall {_pct(m.recall)}, errors {_pct(m.error_rate)}, cost/case {cost}"
    )


def summary(job: EvalJob) -> str:
    run = job.run
    cap = "" if run.budget.cap_usd is None else f" of ${run.budget.cap_usd:.4f}"
    lines = [
        f"eval {run.run_id}: {job.comparison.verdict}, run {run.status}, "
        f"{len(run.trials)} trial(s), spent ${run.budget.spent_usd:.4f}{cap}",
        *(_line(m) for m in run.metrics),
        *(f"  note: {n}" for n in (*run.notes, *job.notes)),
        *(f"  wrote {p}" for p in job.files),
    ]
    return "\n".join(lines)
