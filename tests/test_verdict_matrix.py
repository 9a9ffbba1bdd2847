"""One run, one verdict: every outcome, through both platforms, says the same on every surface.

The decision table first; then each outcome is written and published to the GitHub and
GitLab fakes, and report.json, summary.md, the check run, the PR summary comment, the MR
note, the action's outputs and the job log's last line are compared with the one verdict;
last, real CLI runs against the provider server (and a SIGTERM) exit as report.json says.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ci_orch.action.outputs import outputs, report_facts
from ci_orch.cli import cli
from ci_orch.cli._publish import publish_run
from ci_orch.context.changes import Changes
from ci_orch.diff import parse_diff
from ci_orch.platforms.github import GitHubPublisher
from ci_orch.platforms.gitlab import GitLabPublisher
from ci_orch.platforms.interface import Publication
from ci_orch.report.markdown import MarkdownRenderer
from ci_orch.report.model import RunReport
from ci_orch.report.write import write_reports
from ci_orch.testing.provider_server import ProviderServer
from ci_orch.verdict import Outcome, Verdict, decide
from tests.conftest import GitRepo
from tests.platforms.conftest import context as github_context
from tests.platforms.conftest import diff_text
from tests.platforms.fake_github import FakeGitHub
from tests.platforms.fake_gitlab import FakeGitLab, Running
from tests.platforms.test_gitlab_support import DIFF as GITLAB_DIFF
from tests.platforms.test_gitlab_support import context as gitlab_context
from tests.test_report_support import realistic_report
from tests.test_review_pipeline import ENV, one_line_change

# name -> (outcome, exit code, check conclusion)
OUTCOMES: dict[str, tuple[Outcome, int, str]] = {
    "complete": (Outcome("review", "complete"), 0, "success"),
    "partial, fail-open": (Outcome("review", "partial", why="1 provider(s) down"), 0, "neutral"),
    "partial, fail-closed": (
        Outcome("review", "partial", fail_open=False, why="1 provider(s) down"), 4, "failure"),
    "failed, fail-open": (Outcome("review", "failed", why="2 provider(s) down"), 0, "neutral"),
    "failed, fail-closed": (
        Outcome("review", "failed", fail_open=False, why="2 provider(s) down"), 4, "failure"),
    "budget exhausted": (Outcome("review", "failed", why="budget exhausted"), 0, "neutral"),
    "cancelled by SIGINT": (Outcome("review", "cancelled", signal=signal.SIGINT), 130,
                            "cancelled"),
    "cancelled by SIGTERM": (Outcome("review", "cancelled", signal=signal.SIGTERM), 143,
                             "cancelled"),
    "gate block": (Outcome("review", "complete", gate_blocking=2), 1, "failure"),
    "gate block beats fail-open": (Outcome("review", "failed", gate_blocking=1), 1, "failure"),
    "fail-on reached": (
        Outcome("review", "complete", severities=("low", "medium"), fail_on="medium"), 1,
        "failure"),
    "fail-on not reached": (
        Outcome("review", "complete", severities=("low",), fail_on="medium"), 0, "success"),
    "model output withheld (drop)": (
        Outcome("review", "complete", withheld_outputs=1), 0, "success"),
    "model output withheld (block)": (
        Outcome("review", "complete", withheld_outputs=1, withheld_blocks=True), 1, "failure"),
    "no provider key": (Outcome("review", "skipped", why="no provider key"), 0, "neutral"),
    "nothing to review": (Outcome("review", "skipped"), 0, "skipped"),
    "gate alone, clean": (Outcome("gate", "complete"), 0, "success"),
    "gate alone, blocked": (Outcome("gate", "complete", gate_blocking=1), 1, "failure"),
}


@pytest.mark.parametrize("name", list(OUTCOMES))
def test_the_decision_table(name: str) -> None:
    outcome, code, conclusion = OUTCOMES[name]
    verdict = decide(outcome)
    assert (int(verdict.exit_code), verdict.conclusion) == (code, conclusion)
    assert verdict.title.endswith(f"(exit {code})")
    assert verdict.conclusion != "skipped" or outcome.status == "skipped"  # never for outages


def test_titles_say_what_happened() -> None:
    down = decide(Outcome("review", "failed", why="2 provider(s) down"))
    assert down.title == "review failed: 2 provider(s) down; gate passed (exit 0)"
    fail_on = decide(Outcome("review", "complete", severities=("high",), fail_on="medium"))
    assert "1 finding(s) at or above fail-on medium" in fail_on.title


def _report(outcome: Outcome, verdict: Verdict) -> RunReport:
    base = realistic_report(verdict=verdict, gate=None)
    gate = base.gate.model_copy(update={"verdict": "block" if outcome.gate_blocking else "pass"})
    return base.model_copy(update={"gate": gate, "task": outcome.task})


def _github_surfaces(report: RunReport, tmp: Path) -> tuple[dict[str, str], str]:
    fake = FakeGitHub(diff_text()).start()
    try:
        publisher = GitHubPublisher(github_context(), "ghs_app", api_url=fake.url,
                                    write_interval_s=0.0, sleep=lambda _s: None)
        summary = MarkdownRenderer().render(report)
        publisher.publish(Publication(report, parse_diff(diff_text()), tmp, summary))
        [run] = fake.state.check_runs
        [comment] = fake.state.issue_comments
    finally:
        fake.stop()
    return {"conclusion": run["conclusion"], "title": run["output"]["title"]}, comment["body"]


def _gitlab_note(report: RunReport, tmp: Path) -> str:
    fake = FakeGitLab(GITLAB_DIFF)
    with Running(fake) as api_url:
        publisher = GitLabPublisher(gitlab_context(fake), "glpat-bot", api_url=api_url,
                                    sleep=lambda _s: None)
        summary = MarkdownRenderer().render(report)
        publisher.publish(Publication(report, parse_diff(GITLAB_DIFF), tmp, summary))
    [note] = [n for n in fake.notes() if not n.get("position")]
    return str(note["body"])


@pytest.mark.parametrize("name", list(OUTCOMES))
def test_every_surface_says_the_one_verdict(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome, code, conclusion = OUTCOMES[name]
    verdict = decide(outcome)
    report = _report(outcome, verdict)
    write_reports(report, tmp_path)
    written = json.loads((tmp_path / "report.json").read_text())
    assert (written["exit_code"], written["verdict"]["conclusion"]) == (code, conclusion)
    assert written["verdict"]["title"] == verdict.title
    summary = (tmp_path / "summary.md").read_text()
    assert f"**Exit code:** {code} (check: {conclusion})" in summary
    check, comment = _github_surfaces(report, tmp_path)
    assert check == {"conclusion": conclusion, "title": verdict.title}
    assert f"(check: {conclusion})" in comment and f"(exit {code})" in comment
    note = _gitlab_note(report, tmp_path)
    assert f"(check: {conclusion})" in note and f"(exit {code})" in note
    facts = outputs(report_facts(report), tmp_path, tmp_path)
    assert facts["gate-verdict"] == ("block" if outcome.gate_blocking else "pass")
    changes = Changes(github_context(), parse_diff(diff_text()), "test")
    assert publish_run(report, changes, tmp_path, platform="none", max_wait_s=0) == code
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.endswith(verdict.title)


def _review(repo: GitRepo, args: list[str], env: dict[str, str]) -> tuple[int, dict[str, object]]:
    cwd = os.getcwd()
    os.chdir(repo.path)
    try:
        done = CliRunner().invoke(cli, ["review", "--base", "HEAD~1", "--platform", "none",
                                        *args], env=env)
    finally:
        os.chdir(cwd)
    out = Path(args[args.index("--report-dir") + 1])
    report = json.loads((out / "report.json").read_text())
    assert done.output.strip().splitlines()[-1].endswith(report["verdict"]["title"])
    return done.exit_code, report


def _config(tmp: Path, server: ProviderServer, extra: str = "") -> Path:
    path = tmp / "ci.yml"
    path.write_text(f"""
providers:
  - id: only
    type: openai
    model: m
    base_url: {server.url_for("openai")}
    context_window: 6000
    max_output_tokens: 800
    timeout_s: 5
    price: {{input_per_mtok: 1.0, output_per_mtok: 2.0}}
routing: {{backoff_base_s: 0.01, backoff_cap_s: 0.02}}
ledger: {{url: "sqlite:///{tmp}/ledger.sqlite"}}
{extra}
""")
    return path


FINDING = {"path": "app.py", "side": "RIGHT", "start_line": 1, "end_line": 1,
           "severity": "medium", "category": "bug", "title": "t", "body": "b", "suggestion": None}


@pytest.mark.parametrize(("name", "script", "extra", "args", "status", "code"), [
    ("complete", {"json": {"findings": [], "summary": "ok"}}, "", [], "complete", 0),
    ("providers down", {"then": "server_error"}, "", [], "failed", 0),
    ("providers down, fail-closed", {"then": "server_error"},
     "policy: {fail_open: false}", [], "failed", 4),
    ("budget below one call", {"json": {"findings": []}},
     "policy: {max_cost_per_run: 0.0000001}", [], "failed", 0),
    ("fail-on", {"json": {"findings": [FINDING], "summary": "ok"}}, "", ["--fail-on", "medium"],
     "complete", 1),
])
def test_a_real_run_exits_as_its_report_says(
    name: str, script: dict[str, object], extra: str, args: list[str], status: str, code: int,
    tmp_path: Path, git_repo: GitRepo,
) -> None:
    one_line_change(git_repo)
    with ProviderServer({"models": {"m": script}}) as server:
        config = _config(tmp_path, server, extra)
        out = tmp_path / "out"
        exit_code, report = _review(
            git_repo, ["--config", str(config), "--report-dir", str(out), *args], ENV)
    assert (exit_code, report["exit_code"], report["status"]) == (code, code, status), name
    if status == "failed":
        assert report["verdict"]["conclusion"] in ("neutral", "failure")


def test_sigterm_mid_run_writes_a_cancelled_report(tmp_path: Path, git_repo: GitRepo) -> None:
    one_line_change(git_repo)
    slow = {"json": {"findings": []}, "latency_ms": 30_000}
    with ProviderServer({"models": {"m": slow}}) as server:
        config = _config(tmp_path, server).read_text().replace("timeout_s: 5", "timeout_s: 60")
        (tmp_path / "ci.yml").write_text(config)
        out = tmp_path / "out"
        cmd = [sys.executable, "-m", "ci_orch", "review", "--base", "HEAD~1", "--platform",
               "none", "--config", str(tmp_path / "ci.yml"), "--report-dir", str(out)]
        proc = subprocess.Popen(cmd, cwd=git_repo.path, env={**os.environ, **ENV},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.05)  # wait until the call is in flight
        assert server.requests, "the review never called the provider"
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    assert proc.returncode == 143, err
    assert took < 7.5  # GitHub's grace between SIGINT and SIGTERM
    report = json.loads((out / "report.json").read_text())
    assert (report["status"], report["exit_code"]) == ("cancelled", 143)
    assert report["verdict"]["conclusion"] == "cancelled"
    assert (out / "summary.md").is_file()


def test_sigint_mid_generate_writes_a_cancelled_report(tmp_path: Path, git_repo: GitRepo) -> None:
    git_repo.write("app/calc.py", "def add(a, b):\n    return a + b\n")
    git_repo.commit("base")
    git_repo.write("app/calc.py", "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n"
                   "    return a - b\n")
    git_repo.commit("change")
    slow = {"json": {"patches": []}, "latency_ms": 30_000}
    with ProviderServer({"models": {"m": slow}}) as server:
        config = _config(tmp_path, server).read_text().replace("timeout_s: 5", "timeout_s: 60")
        (tmp_path / "ci.yml").write_text(config)
        out = tmp_path / "out"
        cmd = [sys.executable, "-m", "ci_orch", "generate", "--task", "docs", "--base", "HEAD~1",
               "--platform", "none", "--config", str(tmp_path / "ci.yml"),
               "--report-dir", str(out)]
        proc = subprocess.Popen(cmd, cwd=git_repo.path, env={**os.environ, **ENV},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.requests, "generate never called the provider"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    report = json.loads((out / "report.json").read_text())
    assert (report["task"], report["status"], report["exit_code"]) == ("generate", "cancelled", 130)
