"""A ledger filled from several real review runs against the provider server, and the
hand-made sums the spend tests check `ci-orch spend` against.

Runs (teams by CI_ORCH_TEAM):
  A  web   primary rate-limited -> every chunk falls back to backup
  B  web   the same change again -> every chunk a cache hit (backup's answers)
  C  data  only `cheap`, which reports cached input tokens
  D  data  primary fails once (server error, retried), then answers
  E  data  run C's report recorded again as yesterday's run of acme/api #42
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ci_orch.config import load_config
from ci_orch.report.model import RunReport
from ci_orch.telemetry import record_run
from ci_orch.testing.provider_server import ProviderServer
from tests.conftest import GitRepo
from tests.telemetry.support import ENV, PRICES, answer, config_file, review, small_change


@dataclass(frozen=True)
class Run:
    report: dict[str, Any]  # report.json as written
    team: str
    repo: str | None

    @property
    def day(self) -> str:
        return str(self.report["finished_at"])[:10]

    @property
    def calls(self) -> list[dict[str, Any]]:
        return [c for c in self.report["calls"] if c["outcome"] != "skipped"]


def fill(tmp_path: Path, ledger_url: str) -> list[Run]:
    runs: list[Run] = []
    with ProviderServer({}) as server:
        server.load({"models": {
            "gpt-primary": {"then": {"fault": "rate_limit", "retry_after": 0}},
            "claude-backup": answer(),
            "gpt-cheap": {**answer(), "cached_tokens": 100},
        }})
        both = config_file(tmp_path, server, ledger_url=ledger_url, name="both.yml")
        repo_a = GitRepo(tmp_path / "repo-a")
        small_change(repo_a, files=3)
        for name in ("a", "b"):
            job = review(repo_a, both, tmp_path / name, {**ENV, "CI_ORCH_TEAM": "web"})
            runs.append(_run(tmp_path / name, "web"))
            assert job.report.status == "complete"
        cheap = config_file(tmp_path, server, ledger_url=ledger_url, name="cheap.yml",
                            providers=("cheap",))
        repo_c = GitRepo(tmp_path / "repo-c")
        small_change(repo_c, files=2, salt="c")
        review(repo_c, cheap, tmp_path / "c", {**ENV, "CI_ORCH_TEAM": "data"})
        runs.append(_run(tmp_path / "c", "data"))
    # Run D on a server of its own: a new base URL is a new deployment, so run A's open
    # breaker on primary (kept in the ledger) does not apply.
    with ProviderServer({"models": {
        "gpt-primary": {"outcomes": [{"fault": "server_error"}], "then": answer()},
        "claude-backup": answer(),
    }}) as server:
        fresh = config_file(tmp_path, server, ledger_url=ledger_url, name="fresh.yml")
        repo_d = GitRepo(tmp_path / "repo-d")
        small_change(repo_d, files=1, salt="d")
        review(repo_d, fresh, tmp_path / "d", {**ENV, "CI_ORCH_TEAM": "data"})
        runs.append(_run(tmp_path / "d", "data"))
    runs.append(_yesterday(runs[2], ledger_url, tmp_path))
    return runs


def _run(out: Path, team: str, repo: str | None = None) -> Run:
    return Run(json.loads((out / "report.json").read_text()), team, repo)


def _yesterday(run: Run, ledger_url: str, tmp_path: Path) -> Run:
    report = RunReport.model_validate(run.report)
    when = report.finished_at - timedelta(days=1)
    context = report.context.model_copy(update={"repo": "acme/api", "number": 42})
    moved = report.model_copy(update={"finished_at": when, "context": context})
    config = load_config(tmp_path / "cheap.yml", env={"CI_ORCH_TEAM": "data"})
    assert record_run(moved, config, run_id="yesterday-c") == ()
    return Run(json.loads(moved.model_dump_json()), "data", "acme/api")


# -- the sums, by hand ------------------------------------------------------------------------


def saved(call: dict[str, Any]) -> float:
    p_in, p_out, p_cached = PRICES[call["provider"]]
    fresh = call["input_tokens"] - call["cached_input_tokens"]
    return (fresh * p_in + call["cached_input_tokens"] * p_cached
            + call["output_tokens"] * p_out) / 1e6


def key_of(run: Run, call: dict[str, Any], by: str) -> str:
    return {"team": run.team, "provider": call["provider"], "model": call["model"],
            "repo": run.repo or "(local)", "day": run.day}[by]


def expected(runs: list[Run], by: str) -> dict[str, dict[str, float]]:
    groups: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for run in runs:
        for c in run.calls:
            for g in (groups[key_of(run, c, by)], groups["(total)"]):
                g["requests"] += 1
                g["errors"] += c["outcome"] == "error"
                g["fallbacks"] += c["fallback_from"] is not None
                if c["cache_hit"]:
                    g["cache_hits"] += 1
                    g["saved_usd"] += saved(c)
                else:
                    g["input_tokens"] += c["input_tokens"]
                    g["cached_input_tokens"] += c["cached_input_tokens"]
                    g["output_tokens"] += c["output_tokens"]
                    g["cost_usd"] += c["cost_usd"]
    return groups


def cost_by(runs: list[Run], *keys: str) -> dict[tuple[str, ...], float]:
    out: dict[tuple[str, ...], float] = defaultdict(float)
    for run in runs:
        for c in run.calls:
            out[tuple(key_of(run, c, k) for k in keys)] += c["cost_usd"]
    return out


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")
