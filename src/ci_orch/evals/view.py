"""The few lines `ci-orch eval` prints: verdict, per provider/model figures, files."""

from __future__ import annotations

from ci_orch.evals.job import EvalJob
from ci_orch.evals.model import SuiteMetrics


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
