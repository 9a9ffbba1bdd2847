"""`ci-orch review|gate --platform gitlab` end to end: real CLI, real python-gitlab, the fake
GitLab over HTTP, GitLab CI's own variables."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ci_orch.cli import cli
from ci_orch.platforms.markers import SUMMARY_MARKER, sections_in
from tests.conftest import GitRepo
from tests.platforms.fake_gitlab import FakeGitLab, Running
from tests.platforms.test_gitlab_support import DIFF


def gitlab_env(fake: FakeGitLab, api_url: str, workdir: Path, base: str) -> dict[str, str]:
    return {
        # The MR's base: the config is read from it (here, the checkout has none).
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": base,
        "GITLAB_CI": "true", "CI": "true", "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_MERGE_REQUEST_IID": str(fake.iid), "CI_PROJECT_ID": fake.project,
        "CI_PROJECT_PATH": fake.project_path, "CI_API_V4_URL": api_url,
        "CI_ORCH_GITLAB_TOKEN": "glpat-bot", "CI_PROJECT_DIR": str(workdir),
        "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": fake.newest["head_sha"],
        # No provider key: the review is skipped, the gate runs, publishing still happens.
        "OPENAI_API_KEY": "", "ANTHROPIC_API_KEY": "", "GEMINI_API_KEY": "", "OLLAMA_HOST": "",
        "GITHUB_ACTIONS": "", "CI_ORCH_PLATFORM": "",
    }


def test_review_and_gate_share_one_note(
    tmp_path: Path, git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    git_repo.write("README.md", "base\n")
    base = git_repo.commit("base")
    monkeypatch.chdir(git_repo.path)
    fake = FakeGitLab(DIFF)
    diff_file = tmp_path / "change.diff"
    diff_file.write_text(DIFF)
    runner = CliRunner()
    with Running(fake) as api_url:
        env = gitlab_env(fake, api_url, tmp_path, base)
        for _ in range(2):
            for command in ("review", "gate"):
                done = runner.invoke(cli, [command, "--platform", "gitlab", "--diff-file",
                                           str(diff_file), "--report-dir",
                                           str(tmp_path / command)], env=env)
                assert done.exit_code == 0, done.output
                assert "published to gitlab" in done.output
    firsts = [n["body"].split("\n", 1)[0] for n in fake.notes()]
    assert firsts == [SUMMARY_MARKER]  # one summary note, a section per job
    assert set(sections_in(fake.notes()[0]["body"])) == {"review", "gate"}
    assert len(fake.calls("PUT", "")) == 3  # each later run updated it in place
