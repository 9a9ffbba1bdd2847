"""`policy:`: spending caps and what may be used."""

from __future__ import annotations

from pydantic import Field

from ci_orch.config.base import Frozen


class Policy(Frozen):
    max_cost_per_request: float = Field(0.15, gt=0, description="USD cap for one provider call")
    max_cost_per_run: float = Field(2.0, gt=0, description="USD cap for one CI run")
    max_cost_per_day: float = Field(45.0, gt=0, description="USD cap per team per UTC day")
    org_max_cost_per_day: float = Field(500.0, gt=0, description="USD cap for the org per UTC day")
    degrade_at: float = Field(
        0.8, gt=0, le=1, description="fraction of a cap at which routing drops to cheaper tiers"
    )
    blocked_providers: tuple[str, ...] = ()
    ledger_required: bool = Field(
        False,
        description="fail the run when the shared ledger is unreachable instead of going on "
        "with only the run cap enforced in process",
    )
    fail_open: bool = Field(
        True, description="provider outages and exhausted budgets do not fail the run"
    )
