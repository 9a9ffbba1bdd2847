"""Workflow-command annotations: 10 per level per step, the most severe first, the rest named."""

from __future__ import annotations

import io
import re
from pathlib import Path

from ci_orch.action.publisher import (
    StepSummaryPublisher,
    WorkflowCommandPublisher,
    annotations_of,
    choose,
)
from ci_orch.diff.parse import parse_diff
from ci_orch.platforms.interface import Publication
from tests.platforms.action_support import gate, report, review

EMPTY = parse_diff(b"", source="test")


def _publish(tmp_path: Path, rep: object, **kwargs: bool) -> tuple[str, str, object]:
    out = io.StringIO()
    summary = tmp_path / "step.md"
    publisher = WorkflowCommandPublisher({"GITHUB_STEP_SUMMARY": str(summary)}, out, **kwargs)
    outcome = publisher.publish(Publication(rep, EMPTY, tmp_path, "## the summary\n"))  # type: ignore[arg-type]
    return out.getvalue(), summary.read_text() if summary.exists() else "", outcome


def test_levels_follow_severity_and_blocking() -> None:
    rep = report(
        findings=(review(1, "critical"), review(2, "medium"), review(3, "info")),
        gates=(gate(1, "low", blocking=True), gate(2, "medium", blocking=False)),
    )
    got = [(a.level, a.title.split(":")[0]) for a in annotations_of(rep)]
    assert sorted(got) == sorted([
        ("error", "ci-orch review"), ("warning", "ci-orch review"), ("notice", "ci-orch review"),
        ("error", "ci-orch gate"), ("warning", "ci-orch gate"),
    ])


def test_ten_most_severe_per_level_and_a_note_for_the_rest(tmp_path: Path) -> None:
    findings = (
        *(review(i, "high") for i in range(8)),
        *(review(100 + i, "critical") for i in range(5)),  # 13 errors: 5 critical + 8 high
        *(review(200 + i, "medium") for i in range(11)),  # 11 warnings
        *(review(300 + i, "low") for i in range(3)),  # 3 notices
    )
    stdout, summary, outcome = _publish(tmp_path, report(findings, gates=(gate(0),)))
    lines = stdout.splitlines()
    levels = [re.match(r"::(\w+) ", line).group(1) for line in lines if line.startswith("::")]  # type: ignore[union-attr]
    assert levels.count("error") == 10 and levels.count("warning") == 10
    assert levels.count("notice") == 3
    errors = [line for line in lines if line.startswith("::error")]
    assert "ci-orch gate" in errors[0]  # critical and blocking first
    assert sum("(critical)" in e or "critical bug" in e for e in errors) == 6  # all criticals kept
    note = lines[-1]
    assert not note.startswith("::")
    assert "4 error(s), 1 warning(s) left out" in note and "report.json" in note
    assert summary.startswith("## the summary") and "4 error(s), 1 warning(s) left out" in summary
    assert outcome.posted == {"annotations": 23, "step_summary": 1}  # type: ignore[attr-defined]
    assert outcome.skipped == {"annotations_over_limit": 5}  # type: ignore[attr-defined]


def test_properties_carry_file_lines_and_an_escaped_title(tmp_path: Path) -> None:
    evil = "bad, very: bad\n::add-mask::everything"
    stdout, _summary, _ = _publish(tmp_path, report(findings=(review(4, "high", evil),)))
    (line,) = stdout.splitlines()
    # The title is one line, and the message's own line break cannot start a command.
    assert line.startswith("::error file=src/m4.py,line=5,endLine=5,title=ci-orch review%3A high "
                           "bug%3A bad%2C very%3A bad %3A%3Aadd-mask%3A%3Aeverything::")
    assert "%0A::add-mask::" not in line


def test_no_step_summary_when_the_rest_publisher_wrote_it(tmp_path: Path) -> None:
    stdout, summary, outcome = _publish(tmp_path, report(), step_summary=False)
    assert stdout == "" and summary == ""
    assert outcome.posted == {"annotations": 0, "step_summary": 0}  # type: ignore[attr-defined]


def test_choose_keeps_order_within_a_level() -> None:
    shown, left = choose(annotations_of(report(tuple(review(i, "low") for i in range(12)))))
    assert left == {"notice": 2} and len(shown) == 10
    assert [(a.path, a.line) for a in shown] == sorted((a.path, a.line) for a in shown)


def test_step_summary_publisher(tmp_path: Path) -> None:
    target = tmp_path / "s.md"
    outcome = StepSummaryPublisher({"GITHUB_STEP_SUMMARY": str(target)}).publish(
        Publication(report(), EMPTY, tmp_path, "# hello\n")
    )
    assert target.read_text() == "# hello\n" and outcome.posted == {"step_summary": 1}
