"""What `ci-orch spend` computes: totals per group, cost by day and provider, and each
team's use of its daily cap. Plain frozen data; the renderers only read it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

By = Literal["team", "provider", "model", "repo", "day"]
BY_CHOICES: tuple[By, ...] = ("team", "provider", "model", "repo", "day")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Totals(_Frozen):
    """Over audit records: provider calls (ok or failed) and cache hits."""

    requests: int = 0
    errors: int = 0
    fallbacks: int = Field(0, description="calls made in place of a provider that failed")
    cache_hits: int = 0
    input_tokens: int = Field(0, description="billed calls only; includes cached input")
    cached_input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    saved_usd: float = Field(0.0, description="what the cache hits would have cost")

    @computed_field  # type: ignore[prop-decorator]  # pydantic's documented pattern
    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def fallback_rate(self) -> float:
        return self.fallbacks / self.requests if self.requests else 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cache_hit_rate(self) -> float:
        return self.cache_hits / self.requests if self.requests else 0.0


class Group(_Frozen):
    key: str
    totals: Totals


class DayCost(_Frozen):
    day: str
    by_provider: dict[str, float]

    @property
    def total_usd(self) -> float:
        return sum(self.by_provider.values())


class TeamDay(_Frozen):
    """A team's spend on one UTC day against `policy.max_cost_per_day`."""

    team: str
    day: str
    cost_usd: float
    cap_usd: float
    utilisation: float = Field(description="cost / cap")
    near_cap: bool = Field(description="at or above policy.degrade_at of the cap")


class TeamBudget(_Frozen):
    """One team's daily-cap use over the period: its latest day, its peak day, and how
    many days it spent at or above `near_at` of the cap."""

    team: str
    latest: TeamDay
    peak: TeamDay
    days_near_cap: int

    @property
    def near_cap(self) -> bool:
        return self.days_near_cap > 0


class SpendReport(_Frozen):
    since: datetime | None
    until: datetime | None
    by: By
    total: Totals
    groups: tuple[Group, ...]
    days: tuple[DayCost, ...] = Field(description="cost by UTC day, split by provider")
    teams: dict[str, float] = Field(description="cost by team over the period")
    utilisation: tuple[TeamDay, ...] = Field(description="every team and UTC day with spend")
    budgets: tuple[TeamBudget, ...] = Field(description="per team: latest and peak day")
    cap_usd: float = Field(description="policy.max_cost_per_day, per team per UTC day")
    near_at: float = Field(description="policy.degrade_at: the share of the cap called near")

    @property
    def teams_near_cap(self) -> tuple[str, ...]:
        return tuple(b.team for b in self.budgets if b.near_cap)
