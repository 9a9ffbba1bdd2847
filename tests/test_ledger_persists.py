"""The ledger outlives the job: two CI jobs in fresh workspaces, the second given what the
templates' cache saves from the first, see one team day of spend and one response cache."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from ci_orch.cli import cli
from ci_orch.ledger import open_ledger
from ci_orch.ledger.scopes import utc_day
from ci_orch.testing.provider_server import ProviderServer
from tests.conftest import ROOT, GitRepo

ENV = {"OPENAI_API_KEY": "sk-test-not-a-key"}
TEAM_DAY_USD = 40.0


def cached_paths() -> list[str]:
    """What both CI set-ups carry between jobs: the GitLab template's `cache:` paths, which
    the GitHub examples' actions/cache steps must match."""
    template = yaml.safe_load((ROOT / "gitlab-ci-template.yml").read_text())
    paths = list(template["ci-orch-review"]["cache"]["paths"])
    for name in ("review.yml", "nightly-eval.yml"):
        workflow = yaml.safe_load((ROOT / "examples" / "github" / name).read_text())
        steps = next(iter(workflow["jobs"].values()))["steps"]
        cache_steps = [s for s in steps if "actions/cache/" in str(s.get("uses"))]
        assert len(cache_steps) == 2, name  # restore before the run, save after
        assert all(s["with"]["path"] in paths for s in cache_steps), name
    return paths


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    finding = {"path": "app.py", "side": "RIGHT", "start_line": 2, "end_line": 2,
               "severity": "medium", "category": "bug", "title": "unchecked input",
               "body": "validate it", "suggestion": None}
    with ProviderServer({"models": {"*": {"json": {"findings": [finding],
                                                   "summary": "ok"}}}}) as srv:
        yield srv


@pytest.fixture
def origin(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "origin")
    repo.write("app.py", "x = 1\n")
    repo.commit("base")
    repo.write("app.py", "x = 1\ny = input()\n")
    repo.commit("head")
    return repo


def config(tmp_path: Path, server: ProviderServer) -> Path:
    # No ledger: section: the default SQLite file in the workspace, as adopters run it.
    path = tmp_path / "ci.yml"
    path.write_text(yaml.safe_dump({
        "policy": {"max_cost_per_day": TEAM_DAY_USD},
        "providers": [{"id": "main", "type": "openai", "model": "gpt-4o-mini",
                       "base_url": server.url_for("openai"), "context_window": 8000,
                       "max_output_tokens": 800,
                       "price": {"input_per_mtok": 5.0, "output_per_mtok": 15.0}}],
    }))
    return path


def job(workspace: Path, origin: GitRepo, cfg: Path) -> dict[str, Any]:
    """A fresh checkout, then `ci-orch review` in it, as a CI job runs it."""
    GitRepo(workspace).git("pull", "-q", str(origin.path), "main")
    cwd = os.getcwd()
    os.chdir(workspace)
    try:
        result = CliRunner().invoke(cli, ["review", "--base", "HEAD~1", "--config", str(cfg),
                                          "--report-dir", "report"], env=ENV)
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads((workspace / "report" / "report.json").read_text())
    return report


def carry(paths: list[str], src: Path, dst: Path) -> list[str]:
    """Save `paths` from one workspace and restore them into the next, as the cache does."""
    moved = []
    for pattern in paths:
        for found in src.glob(pattern):
            target = dst / found.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(found, target)
            moved.append(str(found.relative_to(src)))
    return moved


def team_day_used(workspace: Path) -> float:
    """What the team-day cap is checked against, from the workspace's own ledger file."""
    async def read() -> float:
        ledger = open_ledger(f"sqlite:///{workspace}/.ci-orch/ledger.sqlite")
        try:
            scope = f"team:default:{utc_day(time.time())}"
            return (await ledger.used([scope])).get(scope, 0.0)
        finally:
            await ledger.aclose()

    return asyncio.run(read())


def test_the_second_job_sees_the_first_jobs_spend_and_answers(
        tmp_path: Path, server: ProviderServer, origin: GitRepo) -> None:
    cfg = config(tmp_path, server)
    first = job(tmp_path / "job1", origin, cfg)
    spent = first["cost"]["total_usd"]
    assert spent > 0 and team_day_used(tmp_path / "job1") == pytest.approx(spent)

    moved = carry(cached_paths(), tmp_path / "job1", tmp_path / "job2")
    assert ".ci-orch/ledger.sqlite" in moved
    calls = len(server.requests)
    second = job(tmp_path / "job2", origin, cfg)
    # The same diff on the next job: answered from the carried response cache, and the
    # team's day still holds the first job's spend.
    assert len(server.requests) == calls and second["cost"]["total_usd"] == 0
    assert team_day_used(tmp_path / "job2") == pytest.approx(spent)

    # Without the cache, a fresh workspace starts from nothing: it pays again, and its day
    # holds only its own spend.
    third = job(tmp_path / "job3", origin, cfg)
    assert len(server.requests) > calls
    assert team_day_used(tmp_path / "job3") == pytest.approx(third["cost"]["total_usd"])
