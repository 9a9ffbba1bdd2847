"""Helpers for the GitHub Actions tests: parse what the runner would parse, build reports."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ci_orch.config.policy import Policy
from ci_orch.context.model import PipelineContext
from ci_orch.report.build import build_report
from ci_orch.report.model import GateFinding, ReviewFinding, RunReport
from ci_orch.verdict import Outcome, decide


def parse_outputs(text: str) -> dict[str, str]:
    """`$GITHUB_OUTPUT` as the runner reads it (actions/runner SetOutputFileCommand)."""
    values: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        name, sep, delimiter = lines[i].partition("<<")
        assert sep, f"not a heredoc line: {lines[i]!r}"
        end = lines.index(delimiter, i + 1)
        values[name] = "\n".join(lines[i + 1 : end])
        i = end + 1
    return values


def outside_stop_commands(stdout: str) -> list[str]:
    """The stdout lines the runner would parse as commands (stop-commands blocks removed)."""
    kept: list[str] = []
    token: str | None = None
    for line in stdout.splitlines():
        if token is not None:
            if line == f"::{token}::":
                token = None
            continue
        match = re.fullmatch(r"::stop-commands::(\S+)", line)
        if match:
            token = match.group(1)
            continue
        kept.append(line)
    assert token is None, "a stop-commands block was never closed"
    return kept


def context(**changes: Any) -> PipelineContext:
    base = {"platform": "github", "event": "pull_request", "workspace": Path("."),
            "repo": "o/r", "number": 7, "base_sha": "a" * 40, "head_sha": "b" * 40}
    return PipelineContext(**{**base, **changes})


def review(i: int, severity: str = "high", title: str = "t") -> ReviewFinding:
    return ReviewFinding(
        path=f"src/m{i}.py", side="RIGHT", start_line=i + 1, end_line=i + 1,
        severity=severity, category="bug", title=title, body="b", placement="inline",
        fingerprint=f"fp{i}",
    )


def gate(i: int, severity: str = "critical", blocking: bool = True) -> GateFinding:
    return GateFinding(
        kind="secret", rule="github-token", path="cfg.py", line=i + 1, end_line=i + 1,
        column=(1, 2), severity=severity, confidence="high", fingerprint=f"g{i}",
        preview="<redacted>", message="hard-coded secret", blocking=blocking,
    )


def report(
    findings: tuple[ReviewFinding, ...] = (), gates: tuple[GateFinding, ...] = ()
) -> RunReport:
    base = build_report(
        context=context(), plan=None, added_lines_sent=0, attempts=(), findings=(), gate=None,
        policy=Policy(), verdict=decide(Outcome(task="review", status="complete")),
        started_at=datetime.now(UTC),
    )
    verdict = "block" if any(g.blocking for g in gates) else "pass"
    return base.model_copy(update={
        "findings": findings,
        "gate": base.gate.model_copy(update={"verdict": verdict, "findings": gates}),
    })
