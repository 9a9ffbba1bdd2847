"""`ci-orch spend` against a ledger (SQLite and Redis) filled by real review runs: every
aggregate equals the sum made by hand from the runs' report.json calls."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ci_orch.cli import cli
from tests.telemetry.fill import Run, cost_by, expected, fill, today
from tests.telemetry.support import spend_config
from tests.test_ledger_redis_support import redis_url  # noqa: F401 - the fixture

COUNTS = ("requests", "errors", "fallbacks", "cache_hits", "input_tokens",
          "cached_input_tokens", "output_tokens")


@pytest.fixture(scope="module", params=["sqlite", "redis"])
def filled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, list[Run], Path]:
    tmp = tmp_path_factory.mktemp(f"spend-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp}/ledger.sqlite"
    else:
        import redis

        base = request.getfixturevalue("redis_url")
        url = base.rsplit("/", 1)[0] + "/8"  # a database of its own
        redis.Redis.from_url(url).flushdb()
    return url, fill(tmp, url), tmp


def spend(args: list[str]) -> Any:
    result = CliRunner().invoke(cli, ["spend", *args])
    assert result.exit_code == 0, result.output
    return result.output


def spend_json(url: str, tmp: Path, *args: str, cap: float = 45.0) -> dict[str, Any]:
    cfg = spend_config(tmp, ledger_url=url, cap=cap)
    return json.loads(spend(["--config", str(cfg), "--format", "json", *args]))


def check(totals: dict[str, Any], want: dict[str, float]) -> None:
    for name in COUNTS:
        assert totals[name] == want.get(name, 0), name
    assert totals["cost_usd"] == pytest.approx(want.get("cost_usd", 0), rel=1e-9, abs=1e-12)
    assert totals["saved_usd"] == pytest.approx(want.get("saved_usd", 0), rel=1e-9, abs=1e-12)
    assert totals["error_rate"] == pytest.approx(want["errors"] / want["requests"])
    assert totals["fallback_rate"] == pytest.approx(want["fallbacks"] / want["requests"])


def test_the_runs_cover_what_the_report_must_show(filled: tuple[str, list[Run], Path]) -> None:
    _, runs, _ = filled
    total = expected(runs, "team")["(total)"]
    assert total["errors"] > 0 and total["fallbacks"] > 0 and total["cache_hits"] > 0
    assert total["cached_input_tokens"] > 0 and total["saved_usd"] > 0
    assert {r.day for r in runs} == {today(), runs[-1].day} and runs[-1].day != today()
    assert all(c["cache_hit"] for c in runs[1].calls)  # run B: all from the cache


@pytest.mark.parametrize("by", ["team", "provider", "model", "repo", "day"])
def test_every_group_equals_the_hand_made_sums(
    filled: tuple[str, list[Run], Path], by: str
) -> None:
    url, runs, tmp = filled
    report = spend_json(url, tmp, "--by", by)
    want = expected(runs, by)
    assert report["by"] == by
    assert [g["key"] for g in report["groups"]] == sorted(k for k in want if k != "(total)")
    for group in report["groups"]:
        check(group["totals"], want[group["key"]])
    check(report["total"], want["(total)"])


def test_cost_by_day_and_provider_and_by_team(filled: tuple[str, list[Run], Path]) -> None:
    url, runs, tmp = filled
    report = spend_json(url, tmp, "--ledger", url)
    days = {(d["day"], p): c for d in report["days"] for p, c in d["by_provider"].items()}
    want = cost_by(runs, "day", "provider")
    assert days.keys() == want.keys()
    for k, v in want.items():
        assert days[k] == pytest.approx(v, rel=1e-9, abs=1e-12)
    teams = cost_by(runs, "team")
    assert report["teams"] == pytest.approx({k[0]: v for k, v in teams.items()}, rel=1e-9)


def test_utilisation_flags_the_teams_near_their_daily_cap(
    filled: tuple[str, list[Run], Path],
) -> None:
    url, runs, tmp = filled
    per_day = cost_by(runs, "team", "day")
    web, data = per_day[("web", today())], per_day[("data", today())]
    cap = max(web, data) / 0.9  # the dearer team at 90% of the cap
    report = spend_json(url, tmp, cap=cap)
    rows = {(u["team"], u["day"]): u for u in report["utilisation"]}
    assert rows.keys() == per_day.keys()
    for key, cost in per_day.items():
        assert rows[key]["cost_usd"] == pytest.approx(cost, rel=1e-9)
        assert rows[key]["utilisation"] == pytest.approx(cost / cap, rel=1e-9)
        assert rows[key]["near_cap"] is (cost >= 0.8 * cap)
    dearer = "web" if web >= data else "data"
    assert rows[(dearer, today())]["near_cap"] is True
    assert rows[("data", runs[-1].day)]["near_cap"] is (per_day[("data", runs[-1].day)] >= 0.8 * cap)
    assert report["cap_usd"] == pytest.approx(cap) and report["near_at"] == 0.8
    budgets = {b["team"]: b for b in report["budgets"]}
    assert budgets.keys() == {"web", "data"}
    for team, b in budgets.items():
        mine = {day: cost for (t, day), cost in per_day.items() if t == team}
        assert b["latest"]["day"] == max(mine)
        assert b["peak"]["cost_usd"] == pytest.approx(max(mine.values()), rel=1e-9)
        assert b["days_near_cap"] == sum(cost >= 0.8 * cap for cost in mine.values())


def test_since_and_until_select_utc_days(filled: tuple[str, list[Run], Path]) -> None:
    url, runs, tmp = filled
    yesterday = runs[-1].day
    only_today = spend_json(url, tmp, "--since", today())
    check(only_today["total"], expected([r for r in runs if r.day == today()], "team")["(total)"])
    only_yesterday = spend_json(url, tmp, "--until", yesterday)
    check(only_yesterday["total"], expected([runs[-1]], "team")["(total)"])
    assert [g["key"] for g in spend_json(url, tmp, "--since", yesterday, "--until",
                                         yesterday, "--by", "repo")["groups"]] == ["acme/api"]
