"""Publishing without the REST API: workflow-command annotations and the step summary.

Used for fork PRs and read-only tokens, where the token cannot write
checks, reviews or comments. GitHub shows at most 10 annotations per level (error, warning,
notice) per step and silently drops the rest, so we choose which 10: the most
severe of each level, and say in the log and the step summary how many were left out.

Levels: a blocking gate finding is an `error`; other findings map by severity: critical
and high -> `error`, medium -> `warning`, low and info -> `notice`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TextIO

from ci_orch.action.runtime import append_summary, command
from ci_orch.platforms.interface import Publication, Publisher, PublishError, PublishOutcome
from ci_orch.platforms.select import RunnerPublishers
from ci_orch.report.inert import plain
from ci_orch.report.model import SEVERITY_ORDER, GateFinding, ReviewFinding, RunReport

Level = Literal["error", "warning", "notice"]
LEVELS: tuple[Level, ...] = ("error", "warning", "notice")
PER_LEVEL = 10  # GitHub's per-step limit for each level
MESSAGE_CHARS = 2_000  # far below the 64 KB limit: the annotation is a pointer, not the report
_LEVEL: dict[str, Level] = {
    "critical": "error", "high": "error", "medium": "warning", "low": "notice", "info": "notice"
}


@dataclass(frozen=True, slots=True)
class Annotation:
    level: Level
    path: str
    line: int
    end_line: int
    title: str
    message: str
    order: tuple[int, int, str, int]  # most severe first; gate before review; then place


def _from_gate(f: GateFinding) -> Annotation:
    level: Level = "error" if f.blocking else _LEVEL[f.severity]
    verdict = "blocks the merge" if f.blocking else "does not block"
    return Annotation(
        level, f.path, f.line, max(f.end_line, f.line),
        f"ci-orch gate: {f.kind} {f.rule} ({f.severity})",
        plain(f"{f.message or f.label or f.rule} ({verdict})", MESSAGE_CHARS),
        (SEVERITY_ORDER[f.severity], 0 if f.blocking else 1, f.path, f.line),
    )


def _from_review(f: ReviewFinding) -> Annotation:
    text = f"{f.title}\n\n{f.body}".strip() if f.body else f.title
    return Annotation(
        _LEVEL[f.severity], f.path, f.start_line, f.end_line,
        plain(f"ci-orch review: {f.severity} {f.category}: {f.title}", 255, one_line=True),
        plain(text, MESSAGE_CHARS),
        (SEVERITY_ORDER[f.severity], 2, f.path, f.start_line),
    )


def annotations_of(report: RunReport) -> list[Annotation]:
    # LEFT-side review findings point at deleted lines, which an annotation cannot show.
    review = [_from_review(f) for f in report.findings if f.side == "RIGHT"]
    return sorted([*map(_from_gate, report.gate.findings), *review], key=lambda a: a.order)


def choose(annotations: list[Annotation]) -> tuple[list[Annotation], dict[Level, int]]:
    """The `PER_LEVEL` most severe of each level, and how many of each were left out."""
    shown: list[Annotation] = []
    left_out: dict[Level, int] = {}
    for level in LEVELS:
        of_level = [a for a in annotations if a.level == level]
        shown += of_level[:PER_LEVEL]
        if len(of_level) > PER_LEVEL:
            left_out[level] = len(of_level) - PER_LEVEL
    return shown, left_out


def left_out_note(left_out: Mapping[Level, int]) -> str:
    counts = ", ".join(f"{n} {level}(s)" for level, n in left_out.items())
    return (
        f"ci-orch: {counts} left out of the annotations (GitHub shows {PER_LEVEL} per level per "
        "step); every finding is in the step summary and in report.json."
    )


def _append(markdown: str, env: Mapping[str, str]) -> tuple[bool, int]:
    try:
        return append_summary(markdown, env)
    except OSError as exc:
        raise PublishError(f"cannot append to $GITHUB_STEP_SUMMARY: {exc.strerror}") from None


class WorkflowCommandPublisher(Publisher):
    """Annotations through `::error`/`::warning`/`::notice` lines, plus the step summary."""

    name = "github-annotations"

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        out: TextIO | None = None,
        *,
        step_summary: bool = True,
    ) -> None:
        self._env = os.environ if env is None else env
        self._out = out
        self._step_summary = step_summary

    def publish(self, publication: Publication) -> PublishOutcome:
        out = self._out or sys.stdout
        shown, left_out = choose(annotations_of(publication.report))
        for a in shown:
            line = command(a.level, a.message, file=a.path, line=a.line,
                           endLine=a.end_line, title=a.title)
            out.write(line + "\n")
        notes = (left_out_note(left_out),) if left_out else ()
        for note in notes:
            out.write(note + "\n")  # a plain line: an annotation would be dropped too
        out.flush()
        summary = publication.summary_md if self._step_summary else ""
        if notes:
            summary = f"{summary}\n> {notes[0]}\n" if summary else f"> {notes[0]}\n"
        written = _append(summary, self._env)[0] if summary else False
        return PublishOutcome(
            platform=self.name,
            posted={"annotations": len(shown), "step_summary": int(written)},
            skipped={"annotations_over_limit": sum(left_out.values())},
            warnings=notes,
        )


class StepSummaryPublisher(Publisher):
    """The step summary alone: runs beside the REST publisher, which posts everything else."""

    name = "github-step-summary"

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = os.environ if env is None else env

    def publish(self, publication: Publication) -> PublishOutcome:
        written, cut = _append(publication.summary_md, self._env)
        warnings = (f"step summary cut by {cut} bytes (1 MiB limit)",) if cut else ()
        return PublishOutcome(
            platform=self.name, posted={"step_summary": int(written)}, warnings=warnings
        )


def _annotations(env: Mapping[str, str], step_summary: bool) -> Publisher:
    return WorkflowCommandPublisher(env, step_summary=step_summary)


# What `platforms.select` builds on GitHub besides (or instead of) the REST publisher.
RUNNER = RunnerPublishers(annotations=_annotations, step_summary=StepSummaryPublisher)
