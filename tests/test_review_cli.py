"""`ci-orch review` from the command line: exit codes follow the gate, files come first."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner, Result

from ci_orch.cli import cli
from ci_orch.testing.provider_server import ProviderServer
from tests.conftest import GitRepo
from tests.test_review_pipeline import (
    ENV,
    config_file,
    fake_github_token,
    make_change,
    one_line_change,
)

SCHEMAS = Path(__file__).parent / "data" / "schemas"


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    with ProviderServer({}) as srv:
        yield srv


def run(repo: GitRepo, args: list[str], env: dict[str, str]) -> Result:
    cwd = os.getcwd()
    os.chdir(repo.path)
    try:
        return CliRunner().invoke(cli, ["review", "--base", "HEAD~1", *args], env=env)
    finally:
        os.chdir(cwd)


def test_review_writes_every_report_and_exits_by_the_gate(
    tmp_path: Path, server: ProviderServer, git_repo: GitRepo
) -> None:
    make_change(git_repo, fake_github_token())
    finding = {"path": "app/views.py", "side": "RIGHT", "start_line": 2, "end_line": 2,
               "severity": "medium", "category": "bug", "title": "unchecked input",
               "body": "validate it", "suggestion": None}
    server.load({"models": {"dead-model": {"then": "server_error"},
                            "live-model": {"json": {"findings": [finding], "summary": "ok"}}}})
    out = tmp_path / "out"
    result = run(git_repo, ["--config", str(config_file(tmp_path, server)),
                            "--report-dir", str(out), "--profile", "general,security"], ENV)
    assert result.exit_code == 1, result.output  # the committed token blocks the merge
    assert "ci-orch review: complete, exit 1" in result.output
    report = json.loads((out / "report.json").read_text())
    assert report["status"] == "complete" and report["gate"]["verdict"] == "block"
    assert report["coverage"]["added_lines_sent"] == report["coverage"]["added_lines_total"] == 182
    assert any(c["fallback_from"] == "primary" for c in report["calls"])
    assert report["cost"]["total_usd"] == pytest.approx(sum(c["cost_usd"] for c in report["calls"]))
    assert (out / "summary.md").read_text().count("unchecked input") >= 1
    sarif = json.loads((out / "results.sarif").read_text())
    schema = json.loads(next(SCHEMAS.glob("sarif*.json")).read_text())
    jsonschema.validate(sarif, schema)
    assert report["redactions"] == {"github-token": 1}
    secrets = json.loads((out / "gl-secret-detection-report.json").read_text())
    jsonschema.validate(secrets, json.loads(next(SCHEMAS.glob("secret-detection*.json")).read_text()))
    assert [v["location"]["file"] for v in secrets["vulnerabilities"]] == ["app/settings.py"]
    quality = json.loads((out / "gl-code-quality-report.json").read_bytes().decode("utf-8"))
    assert quality and all(
        q["severity"] in {"info", "minor", "major", "critical", "blocker"}
        and q["location"]["path"] and q["location"]["lines"]["begin"] >= 1 and q["fingerprint"]
        for q in quality
    )
    assert not (out / "gl-code-quality-report.json").read_bytes().startswith(b"\xef\xbb\xbf")
    # Not a TTY: plain progress lines, one per chunk, with ids and counts but no content.
    lines = result.stderr.splitlines()
    progress = [ln for ln in lines if ln.startswith("ci-orch: [")]
    chunks = int(next(ln for ln in lines if "reviewing 182 added lines" in ln).split(" in ")[1].split()[0])
    assert len(progress) == chunks > 1
    assert progress[-1].startswith(f"ci-orch: [{chunks}/{chunks}]")
    assert "ok via backup" in progress[0] and "render(request" not in result.stderr


def test_no_provider_key_skips_the_review_and_still_gates(
    tmp_path: Path, server: ProviderServer, git_repo: GitRepo
) -> None:
    one_line_change(git_repo)
    out = tmp_path / "out"
    result = run(git_repo, ["--config", str(config_file(tmp_path, server)),
                            "--report-dir", str(out)], {"OPENAI_API_KEY": "", "ANTHROPIC_API_KEY": ""})
    assert result.exit_code == 0, result.output
    assert "ci-orch review: skipped" in result.output
    assert "no provider key available (set ANTHROPIC_API_KEY, OPENAI_API_KEY)" in result.output
    report = json.loads((out / "report.json").read_text())
    assert report["status"] == "skipped" and report["gate"]["verdict"] == "pass"
    assert report["coverage"]["added_lines_total"] == 1 and not server.requests


def test_unknown_profile_is_a_usage_error(git_repo: GitRepo) -> None:
    result = run(git_repo, ["--profile", "general,vibes"], {})
    assert result.exit_code == 2 and "unknown vibes" in result.output
