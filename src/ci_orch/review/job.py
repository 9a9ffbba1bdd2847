"""`ci-orch review` as one library call: config and changes in, report files and exit code out.

Files first, then anything else: every report is written before the caller prints or posts.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ci_orch.config import load_config
from ci_orch.config.model import Config
from ci_orch.config.sections import Profile
from ci_orch.context import Changes, load_changes
from ci_orch.errors import ExitCode
from ci_orch.gate import run_gate
from ci_orch.ledger import open_ledger
from ci_orch.plan.estimate import default_target
from ci_orch.plan.planner import plan_review
from ci_orch.providers.registry import build_provider, missing_key
from ci_orch.report.build import build_report
from ci_orch.report.model import RunReport
from ci_orch.report.write import write_reports
from ci_orch.review.instructions import load_instructions
from ci_orch.review.pipeline import ReviewResult, review_target, run_review
from ci_orch.review.progress import Progress
from ci_orch.review.prompts import PromptSettings
from ci_orch.telemetry import capturing, record_run


@dataclass(frozen=True, slots=True)
class ReviewOptions:
    diff_file: Path | None = None
    base: str | None = None
    head: str | None = None
    config_path: Path | None = None
    report_dir: Path | None = None
    profiles: tuple[Profile, ...] = ()


@dataclass(frozen=True, slots=True)
class ReviewJob:
    report: RunReport
    files: tuple[Path, ...]
    exit_code: ExitCode
    changes: Changes  # what was reviewed: publishers validate comment lines against it


def run_job(
    options: ReviewOptions,
    env: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> ReviewJob:
    env = os.environ if env is None else env
    config = load_config(options.config_path, env=env)
    changes = load_changes(
        options.diff_file,
        options.base,
        options.head,
        env=env,
        context_lines=config.review.chunking.context_lines,
    )
    started = datetime.now(UTC)
    usable = [p for p in config.providers if missing_key(p, env) is None]
    if not usable:
        return _finish(_skipped(changes, config, started), changes, config, options)
    run_id = uuid.uuid4().hex[:12]
    with capturing(config) as content:  # prompts for the audit log only with log_content
        result = asyncio.run(_review(changes, config, options, env, progress, run_id))
    job = _finish(_reviewed(changes, config, result, started), changes, config, options)
    record_run(job.report, config, run_id=run_id, content=content)  # warns, never fails
    return job


async def _review(
    changes: Changes,
    config: Config,
    options: ReviewOptions,
    env: Mapping[str, str],
    progress: Progress | None,
    run_id: str,
) -> ReviewResult:
    providers = {p.id: build_provider(p, env) for p in config.providers}
    ledger = open_ledger(config.ledger.url)
    settings = PromptSettings(
        profiles=options.profiles or config.review.profiles,
        enforcement=config.review.enforcement,
        instructions=load_instructions(changes.context, config.review.instructions_file),
    )
    try:
        return await run_review(
            changes,
            config,
            providers=providers,
            ledger=ledger,
            run_id=run_id,
            settings=settings,
            env=env,
            progress=progress,
        )
    finally:
        await ledger.aclose()
        for provider in providers.values():
            await provider.aclose()


def _exit_code(blocked: bool, complete: bool, config: Config) -> ExitCode:
    if blocked:
        return ExitCode.BLOCKED
    if not complete and not config.policy.fail_open:
        return ExitCode.INCOMPLETE
    return ExitCode.OK


def _reviewed(changes: Changes, config: Config, r: ReviewResult, started: datetime) -> RunReport:
    code = _exit_code(r.gate.verdict == "block", r.status == "complete", config)
    return build_report(
        context=changes.context,
        plan=r.plan,
        added_lines_sent=r.added_lines_sent,
        attempts=r.attempts,
        findings=r.findings,
        gate=r.gate,
        policy=config.policy,
        status=r.status,
        exit_code=code,
        started_at=started,
        findings_omitted=r.findings_dropped,
        redactions=r.redactions.counts,
        repairs=r.repairs,
        notes=(*r.notes, *(f"{o.chunk.id}: {o.reason}" for o in r.outcomes if o.reason)),
    )


def _skipped(changes: Changes, config: Config, started: datetime) -> RunReport:
    """No provider key: plan and gate only; the review is reported as skipped, not passed."""
    names = ", ".join(sorted({p.key_env or p.id for p in config.providers})) or (
        "OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY or OLLAMA_HOST"
    )
    gate = run_gate(changes.diff, config.gate)
    plan = plan_review(
        changes.diff,
        review_target(config) if config.providers else default_target(),
        paths=config.review.paths,
        chunking=config.review.chunking,
    )
    # The issue: a skipped review exits according to the gate alone.
    code = ExitCode.BLOCKED if gate.verdict == "block" else ExitCode.OK
    return build_report(
        context=changes.context,
        plan=plan,
        added_lines_sent=0,
        attempts=(),
        findings=(),
        gate=gate,
        policy=config.policy,
        status="skipped",
        exit_code=code,
        started_at=started,
        notes=(f"review skipped: no provider key available (set {names})",),
    )


def _finish(
    report: RunReport, changes: Changes, config: Config, options: ReviewOptions
) -> ReviewJob:
    directory = options.report_dir or Path(config.report.dir)
    files = write_reports(report, directory)
    return ReviewJob(report, tuple(files), ExitCode(report.exit_code), changes)
