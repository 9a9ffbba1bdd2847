"""Which caps a call falls under: its run, its team's UTC day, the org's UTC day."""

from __future__ import annotations

from datetime import UTC, datetime

from ci_orch.config.policy import Policy
from ci_orch.ledger.interface import Cap

# Day totals outlive their day so a runner that starts just after midnight UTC still sees
# yesterday's key expire on its own, and a run's total outlives any plausible run.
_DAY_TTL_S = 2 * 86_400
_RUN_TTL_S = 2 * 86_400


def utc_day(wall_time: float) -> str:
    return datetime.fromtimestamp(wall_time, UTC).strftime("%Y-%m-%d")


def budget_caps(policy: Policy, *, team: str, run_id: str, wall_time: float) -> tuple[Cap, ...]:
    """The shared caps (the per-request cap needs no ledger: it bounds one call's worst case)."""
    day = utc_day(wall_time)
    return (
        Cap(f"run:{run_id}", policy.max_cost_per_run, _RUN_TTL_S),
        Cap(f"team:{team}:{day}", policy.max_cost_per_day, _DAY_TTL_S),
        Cap(f"org:{day}", policy.org_max_cost_per_day, _DAY_TTL_S),
    )
