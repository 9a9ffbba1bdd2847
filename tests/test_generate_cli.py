"""`ci-orch generate` end to end: a real git repo, the provider server over HTTP, the CLI."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ci_orch.cli import cli
from ci_orch.testing.provider_server import ProviderServer
from tests.conftest import GitRepo
from tests.test_generate_patches import CALC, FIX
from tests.test_review_pipeline import fake_github_token

ENV = {"OPENAI_API_KEY": "sk-test-not-a-key"}
NEW_TEST = """--- /dev/null
+++ b/tests/test_calc.py
@@ -0,0 +1,5 @@
+from app.calc import add
+
+
+def test_add():
+    assert add(1, 2) == 3
"""
STALE = FIX.replace(" def div(a, b):", " def divide(a, b):")


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    with ProviderServer({}) as srv:
        yield srv


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("app/calc.py", "def add(a, b):\n    return a + b\n")
    git_repo.commit("base")
    git_repo.write("app/calc.py", CALC)
    git_repo.commit("head")
    return git_repo


def config_file(tmp_path: Path, server: ProviderServer, fail_open: bool = True) -> Path:
    path = tmp_path / "ci.yml"
    path.write_text(f"""
policy: {{fail_open: {str(fail_open).lower()}}}
providers:
  - id: gen
    type: openai
    model: gen-model
    base_url: {server.url_for("openai")}
    context_window: 16000
    max_output_tokens: 1000
    price: {{input_per_mtok: 1.0, output_per_mtok: 2.0}}
    capabilities: [review, generate, security-hardened]
routing: {{backoff_base_s: 0.01, backoff_cap_s: 0.02}}
ledger: {{url: "sqlite:///{tmp_path}/ledger.sqlite"}}
""")
    return path


def answer(*patches: tuple[str, str]) -> dict[str, Any]:
    return {"patches": [{"path": p, "description": f"change {p}", "diff": d} for p, d in patches],
            "summary": "patches"}


def run(repo: GitRepo, tmp_path: Path, server: ProviderServer, *args: str,
        fail_open: bool = True) -> tuple[Result, Path]:
    out = tmp_path / "out"
    cwd = os.getcwd()
    os.chdir(repo.path)
    try:
        result = CliRunner().invoke(cli, [
            "generate", "--base", "HEAD~1", "--config",
            str(config_file(tmp_path, server, fail_open)), "--report-dir", str(out), *args,
        ], env=ENV)
    finally:
        os.chdir(cwd)
    return result, out


def index(out: Path) -> list[dict[str, Any]]:
    patches: list[dict[str, Any]] = json.loads((out / "patches" / "index.json").read_text())["patches"]
    return patches


def test_patches_that_apply_are_written_with_a_suggestion_for_one_hunk(
    tmp_path: Path, server: ProviderServer, repo: GitRepo
) -> None:
    server.load({"models": {"gen-model": {"json": answer(("tests/test_calc.py", NEW_TEST),
                                                         ("app/calc.py", FIX))}}})
    result, out = run(repo, tmp_path, server, "--task", "tests", "--target", "app/calc.py")
    assert result.exit_code == 0, result.output
    assert "ci-orch generate: complete, exit 0" in result.output
    assert [(p["id"], p["status"]) for p in index(out)] == [("p001", "applied"), ("p002", "applied")]
    written = sorted(p.name for p in (out / "patches").glob("*.diff"))
    assert written == ["p001-tests-test_calc.py.diff", "p002-app-calc.py.diff"]
    assert (out / "patches" / "p001-tests-test_calc.py.diff").read_text() == NEW_TEST
    report = json.loads((out / "report.json").read_text())
    assert report["task"] == "generate" and report["status"] == "complete"
    assert report["gate"]["verdict"] == "pass"
    # The fix replaces head line 6, an added line of the change: a postable suggestion.
    [suggestion] = report["findings"]
    assert suggestion["placement"] == "inline" and suggestion["start_line"] == 6
    assert suggestion["suggestion"].startswith("    if b == 0:")
    # The target file went in as data; nothing in the workspace changed.
    body = json.dumps(server.requests[0]["body"])
    assert "=== FILE app/calc.py ===" in body and "<<<DATA-" in body
    assert repo.git("status", "--porcelain") == ""


def test_a_patch_that_does_not_apply_is_retried_once_with_the_error(
    tmp_path: Path, server: ProviderServer, repo: GitRepo
) -> None:
    server.load({"models": {"gen-model": {"outcomes": [
        {"fault": "ok", "json": answer(("app/calc.py", STALE))},
        {"fault": "ok", "json": answer(("app/calc.py", FIX))},
    ]}}})
    result, out = run(repo, tmp_path, server, "--task", "fix")
    assert result.exit_code == 0, result.output
    [patch] = index(out)
    assert patch["status"] == "applied" and patch["retried"] is True
    assert (out / patch["file"]).read_text() == FIX
    assert len(server.requests) == 2
    retry = json.dumps(server.requests[1]["body"])
    assert "do not apply to the head revision" in retry and "app/calc.py" in retry
    report = json.loads((out / "report.json").read_text())
    assert "1 patch(es) retried once" in report["notes"]


def test_a_patch_that_never_applies_is_reported_failed_and_not_written(
    tmp_path: Path, server: ProviderServer, repo: GitRepo
) -> None:
    server.load({"models": {"gen-model": {"json": answer(("app/calc.py", STALE))}}})
    result, out = run(repo, tmp_path, server, "--task", "fix")
    assert result.exit_code == 0, result.output
    [patch] = index(out)
    assert patch["status"] == "failed" and patch["retried"] is True and patch["file"] is None
    assert "git apply --check" in patch["reason"]
    assert not list((out / "patches").glob("*.diff"))
    assert len(server.requests) == 2  # one retry, no more
    assert "1 failed" in result.output


def test_a_patch_adding_a_secret_is_blocked_and_not_written(
    tmp_path: Path, server: ProviderServer, repo: GitRepo
) -> None:
    token = fake_github_token()
    leaky = f"--- /dev/null\n+++ b/app/settings.py\n@@ -0,0 +1 @@\n+TOKEN = \"{token}\"\n"
    server.load({"models": {"gen-model": {"json": answer(("app/settings.py", leaky),
                                                         ("tests/test_calc.py", NEW_TEST))}}})
    result, out = run(repo, tmp_path, server, "--task", "fix")
    assert result.exit_code == 0, result.output  # model output withheld, not the author's fault
    statuses = {p["path"]: p["status"] for p in index(out)}
    assert statuses == {"app/settings.py": "blocked", "tests/test_calc.py": "applied"}
    assert [p.name for p in (out / "patches").glob("*.diff")] == ["p002-tests-test_calc.py.diff"]
    report = json.loads((out / "report.json").read_text())
    assert report["gate"]["verdict"] == "pass" and report["exit_code"] == 0
    assert report["gate"]["findings"] == []  # nothing points at the author's lines
    assert [w["label"] for w in report["gate"]["withheld_outputs"]] == ["p001"]
    for path in out.rglob("*"):
        if path.is_file():
            assert token not in path.read_text(), path  # no report file holds the value


def test_patches_outside_the_repository_are_rejected_without_retry(
    tmp_path: Path, server: ProviderServer, repo: GitRepo
) -> None:
    outside = "--- /dev/null\n+++ b/../escape.py\n@@ -0,0 +1 @@\n+x = 1\n"
    absolute = "--- /dev/null\n+++ /tmp/escape.py\n@@ -0,0 +1 @@\n+x = 1\n"
    server.load({"models": {"gen-model": {"json": answer(("../escape.py", outside),
                                                         ("/tmp/escape.py", absolute))}}})
    result, out = run(repo, tmp_path, server, "--task", "fix")
    assert result.exit_code == 0, result.output
    assert [(p["status"], "refused path" in p["reason"]) for p in index(out)] == [
        ("failed", True), ("failed", True)]
    assert len(server.requests) == 1  # a refused path is not worth a retry
    assert not (repo.path.parent / "escape.py").exists()


def test_the_models_text_is_never_executed(
    tmp_path: Path, server: ProviderServer, repo: GitRepo
) -> None:
    marker = tmp_path / "pwned"
    evil = (f"--- /dev/null\n+++ b/tests/$(touch {marker}).py\n@@ -0,0 +1,2 @@\n"
            f"+import os\n+os.system('touch {marker}')\n")
    payload = answer((f"`touch {marker}`", evil))
    payload["summary"] = f"$(touch {marker}); run `touch {marker}`"
    server.load({"models": {"gen-model": {"json": payload}}})
    result, out = run(repo, tmp_path, server, "--task", "tests")
    assert result.exit_code == 0, result.output
    assert not marker.exists()
    [patch] = index(out)
    assert patch["status"] == "applied"  # it is only text in a file for a human to read
    assert repo.git("status", "--porcelain") == ""


def test_task_must_be_one_of_the_three(tmp_path: Path, server: ProviderServer,
                                       repo: GitRepo) -> None:
    result, _ = run(repo, tmp_path, server, "--task", "refactor")
    assert result.exit_code == 2 and "'refactor' is not one of" in result.output
    missing, _ = run(repo, tmp_path, server)
    assert missing.exit_code == 2 and "--task" in missing.output
    assert not server.requests


def test_an_incomplete_run_exits_4_when_fail_open_is_off(
    tmp_path: Path, server: ProviderServer, repo: GitRepo
) -> None:
    server.load({"models": {"gen-model": {"then": "server_error"}}})
    result, out = run(repo, tmp_path, server, "--task", "docs", fail_open=False)
    assert result.exit_code == 4, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["status"] == "failed" and index(out) == []
    # A fresh ledger: the first run's open breaker would hold the provider back.
    second = tmp_path / "second"
    second.mkdir()
    relaxed, out = run(repo, second, server, "--task", "docs")
    assert relaxed.exit_code == 0, relaxed.output
    assert json.loads((out / "report.json").read_text())["exit_code"] == 0


def test_an_unreadable_answer_gets_one_repair(
    tmp_path: Path, server: ProviderServer, repo: GitRepo
) -> None:
    server.load({"models": {"gen-model": {"outcomes": [
        # Valid for the schema (the adapter checks that), unusable for us: an empty diff.
        {"fault": "ok", "json": answer(("tests/test_calc.py", ""))},
        {"fault": "ok", "json": answer(("tests/test_calc.py", NEW_TEST))},
    ]}}})
    result, out = run(repo, tmp_path, server, "--task", "tests")
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["repairs"] == 1 and [p["status"] for p in index(out)] == ["applied"]
    assert "could not be used" in json.dumps(server.requests[1]["body"])


def test_targets_alone_when_the_change_is_empty(
    tmp_path: Path, server: ProviderServer, repo: GitRepo
) -> None:
    server.load({"models": {"gen-model": {"json": answer(("tests/test_calc.py", NEW_TEST))}}})
    out = tmp_path / "out"
    cwd = os.getcwd()
    os.chdir(repo.path)
    try:
        result = CliRunner().invoke(cli, [
            "generate", "--task", "tests", "--base", "HEAD", "--target", "app",
            "--config", str(config_file(tmp_path, server)), "--report-dir", str(out)], env=ENV)
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    assert [p["status"] for p in index(out)] == ["applied"]
    body = json.dumps(server.requests[0]["body"])
    assert "=== FILE app/calc.py ===" in body and "Diff (part of the change)" not in body


def test_no_provider_key_skips_generation(
    tmp_path: Path, server: ProviderServer, repo: GitRepo
) -> None:
    out = tmp_path / "out"
    cwd = os.getcwd()
    os.chdir(repo.path)
    try:
        result = CliRunner().invoke(cli, [
            "generate", "--task", "docs", "--base", "HEAD~1",
            "--config", str(config_file(tmp_path, server)), "--report-dir", str(out)],
            env={"OPENAI_API_KEY": ""})
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    assert "ci-orch generate: skipped" in result.output and "OPENAI_API_KEY" in result.output
    assert index(out) == [] and not server.requests


def test_a_diff_file_is_checked_against_the_checkouts_head(
    tmp_path: Path, server: ProviderServer, repo: GitRepo
) -> None:
    diff = tmp_path / "change.diff"
    diff.write_text(repo.git("diff", "HEAD~1", "HEAD"))
    server.load({"models": {"gen-model": {"json": answer(("app/calc.py", FIX))}}})
    out = tmp_path / "out"
    cwd = os.getcwd()
    os.chdir(repo.path)
    try:
        result = CliRunner().invoke(cli, [
            "generate", "--task", "fix", "--diff-file", str(diff),
            "--config", str(config_file(tmp_path, server)), "--report-dir", str(out)], env=ENV)
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    assert [p["status"] for p in index(out)] == ["applied"]
