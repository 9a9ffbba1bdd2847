"""`ci-orch action` as the runner starts it: a real git repo, INPUT_* and GITHUB_* variables,
the event payload, $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY as files; stdout as the log."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ci_orch.testing.provider_server import ProviderServer
from tests.conftest import GitRepo
from tests.gate.formats import ALNUM, r
from tests.platforms.action_support import outside_stop_commands, parse_outputs

CI_ORCH = shutil.which("ci-orch", path=str(Path(sys.executable).parent)) or "ci-orch"
INPUT_TOKEN = "ghs_" + r(random.Random(7), ALNUM, 36)
OPENAI_KEY = "sk-proj-" + r(random.Random(8), ALNUM, 40)
KEYS = [f"ghp_{r(random.Random(100 + i), ALNUM, 36)}" for i in range(12)]
OURS = ("::add-mask::", "::error ", "::warning ", "::notice ")


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str


def _event(repo: GitRepo, base: str, head: str, fork: bool) -> dict[str, object]:
    head_repo = "someone/fork" if fork else "o/r"
    return {
        "action": "synchronize", "number": 9,
        "pull_request": {
            "number": 9, "title": "change", "body": "::add-mask::nope",
            "head": {"sha": head, "repo": {"full_name": head_repo}},
            "base": {"sha": base, "repo": {"full_name": "o/r"}}, "user": {"login": "dev"},
        },
        "repository": {"full_name": "o/r", "default_branch": "main"},
    }


def run_action(
    tmp_path: Path, repo: GitRepo, base: str, head: str, inputs: dict[str, str], fork: bool = True
) -> Run:
    event = tmp_path / "event.json"
    event.write_text(json.dumps(_event(repo, base, head, fork)))
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    files = {"GITHUB_OUTPUT": tmp_path / "output", "GITHUB_STEP_SUMMARY": tmp_path / "summary"}
    for path in files.values():
        path.write_text("")
    env = {
        "PATH": os.environ["PATH"], "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1",
        "GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event), "GITHUB_WORKSPACE": str(repo.path),
        "GITHUB_REPOSITORY": "o/r", "GITHUB_API_URL": "http://127.0.0.1:9",
        "INPUT_GITHUB-TOKEN": INPUT_TOKEN,
        **{k: str(v) for k, v in files.items()},
        **{f"INPUT_{k.upper()}": v for k, v in inputs.items()},
    }
    done = subprocess.run([CI_ORCH, "action"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    return Run(done.returncode, done.stdout, done.stderr,
               parse_outputs(files["GITHUB_OUTPUT"].read_text()),
               files["GITHUB_STEP_SUMMARY"].read_text())


def leak_change(repo: GitRepo) -> tuple[str, str]:
    repo.write("README.md", "hello\n")
    base = repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("config.py", "".join(f'TOKEN_{i} = "{k}"\n' for i, k in enumerate(KEYS)))
    return base, repo.commit("leak")


def test_blocked_gate_masks_first_caps_annotations_and_exits_1(
    tmp_path: Path, git_repo: GitRepo
) -> None:
    base, head = leak_change(git_repo)
    run = run_action(tmp_path, git_repo, base, head, {"command": "gate"})
    assert run.code == 1, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == f"::add-mask::{INPUT_TOKEN}"  # masked before anything else
    assert INPUT_TOKEN not in run.stdout.replace(lines[0], "")
    assert not any(k in run.stdout + run.stderr + run.summary for k in KEYS)
    commands = [line for line in outside_stop_commands(run.stdout) if line.startswith("::")]
    assert all(line.startswith(OURS) for line in commands), commands
    errors = [line for line in commands if line.startswith("::error ")]
    assert len(errors) == 10  # GitHub shows 10 per level: we chose which
    assert "2 error(s) left out" in run.stdout and "2 error(s) left out" in run.summary
    assert "ci-orch gate: BLOCK" in run.stdout
    assert "ci-orch gate: BLOCK" not in "\n".join(outside_stop_commands(run.stdout))
    assert run.outputs == {"gate-verdict": "block", "findings": "12", "cost-usd": "0.000000",
                           "report-path": "ci-orch-report"}
    assert json.loads((git_repo.path / "ci-orch-report" / "gate.json").read_text())["verdict"] == "block"
    assert "**BLOCKED**" in run.summary
    assert "fork pull request" in run.stderr


def test_fail_on_fails_a_passing_run_with_findings_at_or_above(
    tmp_path: Path, git_repo: GitRepo
) -> None:
    git_repo.write("README.md", "hello\n")
    base = git_repo.commit("base")
    git_repo.write("deploy.sh", "#!/bin/sh\nchmod 777 /srv/app\n")
    head = git_repo.commit("medium finding")
    passing = run_action(tmp_path, git_repo, base, head, {"command": "gate", "fail-on": "high"})
    assert passing.code == 0, passing.stderr
    assert passing.outputs["gate-verdict"] == "pass" and passing.outputs["findings"] == "1"
    failing = run_action(tmp_path, git_repo, base, head, {"command": "gate", "fail-on": "medium"})
    assert failing.code == 1
    assert "1 finding(s) at or above fail-on medium (exit 1)" in failing.stderr
    bad = run_action(tmp_path, git_repo, base, head, {"command": "gate", "fail-on": "severe"})
    assert bad.code == 2 and "input fail-on" in bad.stderr


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    with ProviderServer({}) as srv:
        yield srv


def test_review_wraps_model_text_and_masks_the_key_input(
    tmp_path: Path, git_repo: GitRepo, server: ProviderServer
) -> None:
    git_repo.write("app.py", "x = 1\n")
    base = git_repo.commit("base")
    git_repo.write("app.py", "x = 1\ny = int(input())\n")
    head = git_repo.commit("eval")
    evil = "eval of input\n::add-mask::x\n::error::injected"
    finding = {"path": "app.py", "side": "RIGHT", "start_line": 2, "end_line": 2,
               "severity": "high", "category": "security", "title": evil,
               "body": "::warning::also injected", "suggestion": None}
    server.load({"models": {"gpt-4o-mini": {"json": {"findings": [finding], "summary": "ok"}}}})
    config = tmp_path / "ci.yml"
    config.write_text(
        "providers:\n  - {id: main, type: openai, model: gpt-4o-mini, "
        f"base_url: '{server.url_for('openai')}', price: {{input_per_mtok: 1, output_per_mtok: 2}}}}\n"
        f"ledger: {{url: 'sqlite:///{tmp_path}/ledger.sqlite'}}\n"
    )
    run = run_action(tmp_path, git_repo, base, head, {
        "command": "review", "config": str(config), "openai-api-key": OPENAI_KEY,
        "max-cost-per-run": "0.5", "report-dir": "out/review",
    })
    assert run.code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert set(lines[:2]) == {f"::add-mask::{INPUT_TOKEN}", f"::add-mask::{OPENAI_KEY}"}
    assert OPENAI_KEY not in "\n".join(lines[2:]) + run.stderr + run.summary
    commands = [line for line in outside_stop_commands(run.stdout) if line.startswith("::")]
    assert all(line.startswith(OURS) for line in commands), commands
    assert not any(line.startswith(("::error::", "::warning::")) for line in commands)
    (annotation,) = [line for line in commands if line.startswith("::error ")]
    assert "%3A%3Aadd-mask%3A%3Ax" in annotation and "\n" not in annotation  # one line, inert
    assert "ci-orch review: complete" in run.stdout
    assert "ci-orch review: complete" not in "\n".join(outside_stop_commands(run.stdout))
    assert run.outputs["gate-verdict"] == "pass" and run.outputs["findings"] == "1"
    assert float(run.outputs["cost-usd"]) > 0
    assert run.outputs["report-path"] == "out/review"
    report = json.loads((git_repo.path / "out" / "review" / "report.json").read_text())
    assert report["cost"]["caps"]["per_run_usd"] == 0.5


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_files_go_back_to_the_workspace_owner(tmp_path: Path, git_repo: GitRepo) -> None:
    base, head = leak_change(git_repo)
    for parent, dirs, files in os.walk(git_repo.path):
        for name in (parent, *(os.path.join(parent, n) for n in (*dirs, *files))):
            os.lchown(name, 4242, 4343)
    run = run_action(tmp_path, git_repo, base, head, {"command": "gate"})
    assert run.code == 1, run.stderr  # git trusted the foreign-owned checkout (safe.directory)
    assert f"directory = {git_repo.path}" in (tmp_path / "home" / ".gitconfig").read_text()
    written = [git_repo.path / "ci-orch-report", *(git_repo.path / "ci-orch-report").iterdir()]
    assert {(p.stat().st_uid, p.stat().st_gid) for p in written} == {(4242, 4343)}


def test_unknown_command_is_a_usage_error(tmp_path: Path, git_repo: GitRepo) -> None:
    base, head = leak_change(git_repo)
    run = run_action(tmp_path, git_repo, base, head, {"command": "deploy"})
    assert run.code == 2 and "input command" in run.stderr


def test_unreachable_github_api_is_reported_and_annotations_stand_in(
    tmp_path: Path, git_repo: GitRepo
) -> None:
    pytest.importorskip("ci_orch.platforms.github")
    base, head = leak_change(git_repo)
    run = run_action(tmp_path, git_repo, base, head, {"command": "gate"}, fork=False)
    assert run.code == 1, run.stderr  # the gate's verdict, whatever publishing did
    assert "error: publishing failed: github:" in run.stderr
    assert "published to github-annotations" in run.stderr
    assert len([x for x in run.stdout.splitlines() if x.startswith("::error ")]) == 10
    assert run.summary.count("## ci-orch") == 1  # the step summary, once
    assert INPUT_TOKEN not in run.stderr
