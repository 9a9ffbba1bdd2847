"""Audit records in, a `SpendReport` out: sums per group, day x provider, team x day.

Definitions (docs/telemetry.md): a request is a provider call or a cache hit; tokens and
cost count billed calls only (a cache hit costs 0 and adds its estimated price to
`saved_usd`); the error rate is failed calls over requests, the fallback rate calls made
in place of another provider over requests. Costs are summed with `math.fsum`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ci_orch.config.policy import Policy
from ci_orch.spend.model import By, DayCost, Group, SpendReport, TeamBudget, TeamDay, Totals
from ci_orch.telemetry.audit import AuditRecord


def utc_day(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


_KEYS: dict[By, Callable[[AuditRecord], str]] = {
    "team": lambda r: r.team,
    "provider": lambda r: r.provider,
    "model": lambda r: r.model,
    "repo": lambda r: r.repo or "(local)",
    "day": lambda r: utc_day(r.timestamp),
}


@dataclass
class _Sum:
    requests: int = 0
    errors: int = 0
    fallbacks: int = 0
    cache_hits: int = 0
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    costs: list[float] = field(default_factory=list)
    saved: list[float] = field(default_factory=list)

    def add(self, r: AuditRecord) -> None:
        self.requests += 1
        self.errors += r.outcome == "error"
        self.fallbacks += r.fallback_from is not None
        if r.cache_hit:
            self.cache_hits += 1
            self.saved.append(r.saved_usd)
            return
        self.input_tokens += r.input_tokens
        self.cached_input_tokens += r.cached_input_tokens
        self.output_tokens += r.output_tokens
        self.costs.append(r.cost_usd)

    def totals(self) -> Totals:
        return Totals(
            requests=self.requests, errors=self.errors, fallbacks=self.fallbacks,
            cache_hits=self.cache_hits, input_tokens=self.input_tokens,
            cached_input_tokens=self.cached_input_tokens, output_tokens=self.output_tokens,
            cost_usd=math.fsum(self.costs), saved_usd=math.fsum(self.saved),
        )


def aggregate(
    records: Iterable[AuditRecord],
    *,
    by: By,
    policy: Policy,
    since: datetime | None = None,
    until: datetime | None = None,
) -> SpendReport:
    key = _KEYS[by]
    total, groups = _Sum(), dict[str, _Sum]()
    day_provider: dict[str, dict[str, list[float]]] = {}
    team_day: dict[tuple[str, str], list[float]] = {}
    for r in records:
        total.add(r)
        groups.setdefault(key(r), _Sum()).add(r)
        day = utc_day(r.timestamp)
        day_provider.setdefault(day, {}).setdefault(r.provider, []).append(r.cost_usd)
        team_day.setdefault((r.team, day), []).append(r.cost_usd)
    rows = _utilisation(team_day, policy)
    return SpendReport(
        since=since, until=until, by=by, total=total.totals(),
        groups=tuple(Group(key=k, totals=s.totals()) for k, s in sorted(groups.items())),
        days=tuple(
            DayCost(day=d, by_provider={p: math.fsum(c) for p, c in sorted(ps.items())})
            for d, ps in sorted(day_provider.items())
        ),
        teams=_teams(team_day),
        utilisation=rows,
        budgets=_budgets(rows),
        cap_usd=policy.max_cost_per_day, near_at=policy.degrade_at,
    )


def _teams(team_day: dict[tuple[str, str], list[float]]) -> dict[str, float]:
    per: dict[str, list[float]] = {}
    for (team, _), costs in team_day.items():
        per.setdefault(team, []).extend(costs)
    return {team: math.fsum(costs) for team, costs in sorted(per.items())}


def _utilisation(
    team_day: dict[tuple[str, str], list[float]], policy: Policy
) -> tuple[TeamDay, ...]:
    cap = policy.max_cost_per_day
    rows = []
    for (team, day), costs in sorted(team_day.items()):
        cost = math.fsum(costs)
        rows.append(TeamDay(
            team=team, day=day, cost_usd=cost, cap_usd=cap, utilisation=cost / cap,
            near_cap=cost >= policy.degrade_at * cap,
        ))
    return tuple(rows)


def _budgets(rows: tuple[TeamDay, ...]) -> tuple[TeamBudget, ...]:
    per: dict[str, list[TeamDay]] = {}
    for row in rows:  # sorted by team, then day
        per.setdefault(row.team, []).append(row)
    return tuple(
        TeamBudget(
            team=team, latest=days[-1], peak=max(days, key=lambda d: (d.cost_usd, d.day)),
            days_near_cap=sum(d.near_cap for d in days),
        )
        for team, days in per.items()
    )
