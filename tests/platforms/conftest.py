"""Fixtures for the GitHub publisher tests: a diff, reports, the stateful fake, and Prism."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ci_orch.context.model import PipelineContext
from ci_orch.diff import parse_diff
from ci_orch.platforms.github import GitHubPublisher
from ci_orch.platforms.interface import Publication
from ci_orch.report.markdown import MarkdownRenderer
from ci_orch.report.model import GateFinding, ReviewFinding, RunReport
from tests.conftest import ROOT, require_contracts, skip_or_fail
from tests.platforms.fake_github import FakeGitHub

HEAD = "c0ffee" + "0" * 34
BASE = "ba5e" + "0" * 36
APP_LINES = 80


def diff_text() -> str:
    """A new 80-line file, and a modified file with two hunks (removed + context lines)."""
    added = "".join(f"+value_{n} = {n}\n" for n in range(1, APP_LINES + 1))
    return (
        "diff --git a/src/app.py b/src/app.py\nnew file mode 100644\nindex 0000000..1111111\n"
        f"--- /dev/null\n+++ b/src/app.py\n@@ -0,0 +1,{APP_LINES} @@\n{added}"
        "diff --git a/src/util.py b/src/util.py\nindex 2222222..3333333 100644\n"
        "--- a/src/util.py\n+++ b/src/util.py\n"
        "@@ -10,4 +10,4 @@ def f():\n ctx10\n-old11\n+new11\n ctx12\n ctx13\n"
        "@@ -40,3 +40,3 @@ def g():\n c40\n-old41\n+new41\n c42\n"
    )


def finding(n: int, *, path: str = "src/app.py", start: int | None = None,
            end: int | None = None, side: str = "RIGHT", placement: str = "inline",
            suggestion: str | None = None, severity: str = "medium") -> ReviewFinding:
    line = start if start is not None else n
    return ReviewFinding.model_validate({
        "path": path, "side": side, "start_line": line,
        "end_line": end if end is not None else line, "severity": severity,
        "category": "bug", "title": f"Problem number {n}", "body": f"Explain problem {n}.",
        "placement": placement, "fingerprint": f"fp{n:04d}", "suggestion": suggestion,
    })


def gate_finding(n: int, *, blocking: bool = True, line: int = 3,
                 end_line: int | None = None) -> GateFinding:
    return GateFinding.model_validate({
        "kind": "secret", "rule": "aws-access-key", "path": "src/app.py", "line": line,
        "end_line": end_line or line, "column": (5, 25), "severity": "critical",
        "confidence": "high", "fingerprint": f"gate{n:04d}", "preview": "AKIA************",
        "message": f"AWS access key {n}", "blocking": blocking,
    })


def make_report(findings: tuple[ReviewFinding, ...] = (), gate: tuple[GateFinding, ...] = (),
                *, verdict: str | None = None, status: str = "complete",
                exit_code: int | None = None, task: str = "review") -> RunReport:
    blocks = any(g.blocking for g in gate)
    verdict = verdict or ("block" if blocks else "pass")
    zero = {"per_request_usd": 1.0, "per_run_usd": 5.0, "per_team_day_usd": 50.0,
            "per_org_day_usd": 500.0}
    code = exit_code if exit_code is not None else (1 if verdict == "block" else 0)
    conclusion = "failure" if code else {"complete": "success", "skipped": "skipped"}.get(
        status, "neutral")
    return RunReport.model_validate({
        "tool": {"version": "0.0.0-test"}, "task": task,
        "started_at": datetime(2026, 11, 22, 9, 0, tzinfo=UTC),
        "finished_at": datetime(2026, 11, 22, 9, 1, tzinfo=UTC),
        "status": status,
        "exit_code": code,
        "verdict": {"conclusion": conclusion, "title": f"{task} {status} (exit {code})"},
        "context": {"platform": "github", "event": "pull_request", "repo": "octo/repo",
                    "number": 7, "head_sha": HEAD, "base_sha": BASE},
        "coverage": {"added_lines_total": 82, "added_lines_planned": 82, "added_lines_sent": 82},
        "cost": {"total_usd": 0.01, "by_provider": {"fake": 0.01}, "caps": zero,
                 "remaining": {"run_usd": 4.99}},
        "findings": findings,
        "gate": {"verdict": verdict, "findings": gate, "files_scanned": 2,
                 "added_lines_scanned": 82},
    })


def publication(report: RunReport, tmp: Path, summary_md: str | None = None) -> Publication:
    text = summary_md if summary_md is not None else MarkdownRenderer().render(report)
    return Publication(report=report, diff=parse_diff(diff_text()), report_dir=tmp,
                       summary_md=text)


def context(**over: Any) -> PipelineContext:
    values: dict[str, Any] = {"platform": "github", "event": "pull_request",
                              "workspace": Path("."), "repo": "octo/repo", "number": 7,
                              "head_sha": HEAD, "base_sha": BASE, **over}
    return PipelineContext(**values)


class Sleeps(list[float]):
    """The injected `sleep`: records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub(diff_text()).start()
    yield fake
    fake.stop()


@pytest.fixture
def make_publisher(fake_github: FakeGitHub,
                   sleeps: Sleeps) -> Callable[..., GitHubPublisher]:
    def make(token: str = "ghs_app", **over: Any) -> GitHubPublisher:  # noqa: S107 (fake)
        kwargs: dict[str, Any] = {"api_url": fake_github.url, "write_interval_s": 0.0,
                                  "sleep": sleeps, **over}
        ctx = kwargs.pop("context", None) or context()
        return GitHubPublisher(ctx, token, **kwargs)

    return make


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def prism_url() -> Iterator[str]:
    """Prism mocking GitHub's own OpenAPI description: it refuses bad requests with 422."""
    spec = require_contracts() / "github" / "api.github.com.json"
    binary = ROOT / "tests" / "node" / "node_modules" / ".bin" / "prism"
    if not binary.exists() or not spec.exists():
        skip_or_fail(f"needs {binary} (scripts/install-test-deps.sh) and {spec}")
    port = _free_port()
    proc = subprocess.Popen([str(binary), "mock", "-p", str(port), str(spec)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"prism exited with {proc.returncode}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("prism did not listen within 45 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
