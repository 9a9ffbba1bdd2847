"""One review trial: the case's diff through the real review pipeline, then scoring.

`run_review` is production's pipeline (redaction, planning, prompts, chunking, parsing,
placement, the gate), so what is measured is what a pull request would get. The case's
`context_paths` go into the prompt the way a repository's instructions file does.
"""

from __future__ import annotations

from pathlib import Path

from ci_orch.config.model import Config
from ci_orch.context.changes import Changes
from ci_orch.context.model import PipelineContext
from ci_orch.diff.parse import parse_diff
from ci_orch.evals.dataset import resolve
from ci_orch.evals.model import ReviewCase
from ci_orch.evals.scoring import Judge, Produced, ReviewScore, score_review
from ci_orch.review.pipeline import ReviewResult
from ci_orch.review.prompts import PromptSettings

MAX_CONTEXT_CHARS = 8_000  # context files share the instructions' room in the prompt


def case_changes(dataset_path: Path, case: ReviewCase) -> Changes:
    diff_path = resolve(dataset_path, case.input.diff_path)
    context = PipelineContext(
        platform="local",
        event="eval",
        workspace=dataset_path.resolve().parent,
        title=case.input.title or case.id,
        body=case.input.body,
    )
    diff = parse_diff(diff_path.read_bytes(), source=case.input.diff_path)
    return Changes(context, diff, f"eval case {case.id}")


def case_settings(dataset_path: Path, case: ReviewCase, config: Config) -> PromptSettings:
    blocks = []
    for relative in case.input.context_paths:
        text = resolve(dataset_path, relative).read_text(encoding="utf-8", errors="replace")
        blocks.append(f"--- {relative} ---\n{text}")
    return PromptSettings(
        profiles=config.review.profiles,
        enforcement=config.review.enforcement,
        instructions="\n".join(blocks)[:MAX_CONTEXT_CHARS],
    )


def produced(result: ReviewResult) -> list[Produced]:
    return [
        Produced(
            path=p.finding.path,
            side=p.finding.side,
            start_line=p.finding.start_line,
            end_line=p.finding.end_line,
            severity=p.finding.severity,
            category=p.finding.category,
            title=p.finding.title,
            body=p.finding.body,
        )
        for p in result.findings
    ]


async def score(case: ReviewCase, result: ReviewResult, judge: Judge | None) -> ReviewScore:
    return await score_review(case.expect, produced(result), judge)
