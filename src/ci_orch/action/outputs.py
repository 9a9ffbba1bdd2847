"""The action's outputs, from the run's report; the GitLab templates' `fail-on` helper.

Outputs (action.yml): `gate-verdict` (pass | block | not-run), `findings` (review findings,
including those over `review.max_findings`, plus gate findings), `cost-usd` (provider
spend of the run), `report-path` (the report directory, relative to the workspace so later
steps on the host can use it). For `eval` only `report-path` is meaningful (its verdict is
the exit code; eval.json has the rest).

`fail-on` itself is part of the run's one verdict (`--fail-on`, ci_orch.verdict).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ci_orch.report.model import RunReport

RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


@dataclass(frozen=True, slots=True)
class RunFacts:
    verdict: str = "not-run"
    findings: int = 0
    cost_usd: float = 0.0
    severities: tuple[str, ...] = ()  # of every finding, for fail-on


def report_facts(report: RunReport) -> RunFacts:
    review = tuple(f.severity for f in report.findings)
    severities = (*review, *(g.severity for g in report.gate.findings))
    return RunFacts(
        verdict=report.gate.verdict,
        findings=len(report.findings) + report.findings_omitted + len(report.gate.findings),
        cost_usd=report.cost.total_usd,
        severities=severities,
    )


def outputs(run: RunFacts, report_dir: Path, workspace: Path) -> dict[str, str]:
    return {
        "gate-verdict": run.verdict,
        "findings": str(run.findings),
        "cost-usd": f"{run.cost_usd:.6f}",
        "report-path": _relative(report_dir, workspace),
    }


def _relative(path: Path, workspace: Path) -> str:
    full = path if path.is_absolute() else workspace / path
    try:
        return str(full.resolve().relative_to(workspace.resolve()))
    except ValueError:
        return str(full)


def at_or_above(run: RunFacts, severity: str) -> int:
    """How many findings reach `severity`; unknown severities count as info."""
    floor = RANK[severity]
    return sum(1 for s in run.severities if RANK.get(s, 0) >= floor)
