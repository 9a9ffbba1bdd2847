"""`ci-orch review` as one library call: config and changes in, one verdict and report files out.

The order is the promise: check everything the user could have got wrong (config, event,
report directory) before any call is paid for; route; decide the verdict once; write every
report file; only then may the caller print or post. SIGINT/SIGTERM stop the routing, and
the report is still written, with status `cancelled`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ci_orch.cancel import Cancellation, on_signals
from ci_orch.config.model import Config
from ci_orch.config.sections import Profile, PublishConfig
from ci_orch.config.trust import load_trusted_config
from ci_orch.context import Changes, load_changes
from ci_orch.context.model import PipelineContext
from ci_orch.egress.filter import Egress
from ci_orch.gate import run_gate
from ci_orch.ledger.fallback import FallbackLedger, LedgerUnavailable, open_run_ledger
from ci_orch.plan.estimate import default_target
from ci_orch.plan.planner import plan_review
from ci_orch.providers.registry import build_provider, missing_key
from ci_orch.report.build import author_blocking, build_report
from ci_orch.report.directory import writable_dir
from ci_orch.report.model import Increment, RunReport
from ci_orch.report.write import write_reports
from ci_orch.review.increment import Scope
from ci_orch.review.incremental_job import increment_of, next_state, remember, scope_for
from ci_orch.review.instructions import load_instructions
from ci_orch.review.pipeline import ReviewResult, review_target, run_review
from ci_orch.review.progress import Progress
from ci_orch.review.prompts import PromptSettings
from ci_orch.review.state import ReviewState
from ci_orch.routing import AttemptObserver, observe_all
from ci_orch.routing.preflight import validate
from ci_orch.runstatus import why_not_complete
from ci_orch.telemetry import content_capture, record_run
from ci_orch.verdict import Outcome, Verdict, decide

log = logging.getLogger(__name__)
LEDGER = "shared ledger"


@dataclass(frozen=True, slots=True)
class ReviewOptions:
    diff_file: Path | None = None
    base: str | None = None
    head: str | None = None
    config_path: Path | None = None
    report_dir: Path | None = None
    profiles: tuple[Profile, ...] = ()
    fail_on: str | None = None  # a severity: review or gate findings at or above it fail
    full: bool = False  # review the whole change even when an increment would do
    # What the last review of this PR left (read back from the platform by the caller);
    # None: the ledger's copy, if any, is used.
    state: ReviewState | None = None
    # Reads that state from the platform once the PR is known (the publisher's side).
    state_source: Callable[[PipelineContext], ReviewState | None] | None = None


@dataclass(frozen=True, slots=True)
class ReviewJob:
    report: RunReport
    files: tuple[Path, ...]
    verdict: Verdict
    changes: Changes  # what was reviewed: publishers validate comment lines against it
    publish: PublishConfig = PublishConfig()  # how publishing this run may wait
    # The run's filter: it has learnt every secret the run met, so what is printed and
    # posted after the job passes it too, not only the process's environment-built one.
    egress: Egress | None = None

    @property
    def exit_code(self) -> int:
        return int(self.verdict.exit_code)


def run_job(
    options: ReviewOptions,
    env: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    on_attempt: AttemptObserver | None = None,
) -> ReviewJob:
    """One review run; `on_attempt` also sees every provider attempt (telemetry hooks)."""
    env = os.environ if env is None else env
    # On a pull/merge request the config decides where code and keys go: read from the base.
    trusted = load_trusted_config(options.config_path, env, Path.cwd())
    config = trusted.config
    validate(config)  # exactly what `config validate` checks, before any call is paid for
    egress = Egress.build(config, env)
    changes = load_changes(
        options.diff_file,
        options.base,
        options.head,
        env=env,
        context_lines=config.review.chunking.context_lines,
    )
    directory = writable_dir(options.report_dir or config.report.dir)
    started = datetime.now(UTC)
    notices = (*changes.context.trust_warnings(), *trusted.notices)
    if not any(missing_key(p, env) is None for p in config.providers):
        skipped = _skipped(changes, config, options, started, notices)
        return _finish(*skipped, changes, directory, egress, config)
    for warning in changes.context.trust_warnings():
        log.warning("%s", warning)
    run_id = uuid.uuid4().hex[:12]
    content = content_capture(config)
    observer = observe_all(content, on_attempt)
    with on_signals(Cancellation()) as cancel:
        work = _review(changes, config, options, env, progress, run_id, cancel, egress,
                       observer)
        try:
            result, scope = asyncio.run(work)
        except LedgerUnavailable as exc:  # at start, with policy.ledger_required
            down = (*notices, str(exc))
            return _finish(*_skipped(changes, config, options, started, down, LEDGER),
                           changes, directory, egress, config)
        increment = increment_of(scope, changes, config)
        reviewed = _reviewed(changes, config, options, result, started, cancel.signum, notices,
                             increment)
        job = _finish(*reviewed, changes, directory, egress, config)
    record_run(job.report, config, run_id=run_id, content=content)  # warns, never fails
    return job


async def _review(
    changes: Changes,
    config: Config,
    options: ReviewOptions,
    env: Mapping[str, str],
    progress: Progress | None,
    run_id: str,
    cancel: Cancellation,
    egress: Egress,
    on_attempt: AttemptObserver | None,
) -> tuple[ReviewResult, Scope]:
    ledger = await open_run_ledger(config.ledger.url, required=config.policy.ledger_required)
    try:
        scope = await _scope(changes, options, env, ledger)
    except BaseException:
        await ledger.aclose()
        raise
    providers = {p.id: build_provider(p, env) for p in config.providers}
    settings = PromptSettings(
        profiles=options.profiles or config.review.profiles,
        enforcement=config.review.enforcement,
        instructions=load_instructions(changes.context, config.review.instructions_file),
    )
    try:
        result = await run_review(
            changes,
            config,
            providers=providers,
            ledger=ledger,
            run_id=run_id,
            settings=settings,
            env=env,
            progress=progress,
            cancel=cancel,
            egress=egress,
            touched=scope.touched if scope.incremental else None,
            on_attempt=on_attempt,
        )
        await remember(ledger, changes, next_state(changes, result, scope))
        return dataclasses.replace(result, notes=(*result.notes, *ledger.notes())), scope
    finally:
        await ledger.aclose()
        for provider in providers.values():
            await provider.aclose()


async def _scope(changes: Changes, options: ReviewOptions, env: Mapping[str, str],
                 ledger: FallbackLedger) -> Scope:
    state = options.state
    if state is None and options.state_source is not None and not options.full:
        state = options.state_source(changes.context)
    return await scope_for(changes, full_flag=options.full, state=state, env=env,
                           ledger=ledger)


def _reviewed(
    changes: Changes,
    config: Config,
    options: ReviewOptions,
    r: ReviewResult,
    started: datetime,
    signum: int | None,
    notices: tuple[str, ...],
    increment: Increment | None = None,
) -> tuple[RunReport, Verdict]:
    outcome = Outcome(
        task="review",
        status=r.status,
        gate_blocking=len(author_blocking(r.gate)),
        withheld_outputs=len(r.gate.blocked_outputs),
        withheld_blocks=config.gate.model_output == "block",
        severities=(*(p.finding.severity for p in r.findings),
                    *(f.severity for f in r.gate.findings if f.origin == "added")),
        fail_on=options.fail_on,
        fail_open=config.policy.fail_open,
        signal=signum,
        why=why_not_complete(r),
        required_failed=LEDGER if r.ledger_lost else "",
    )
    verdict = decide(outcome)
    report = build_report(
        context=changes.context,
        plan=r.plan,
        added_lines_sent=r.added_lines_sent,
        attempts=r.attempts,
        findings=[p.reported() for p in r.findings],
        gate=r.gate,
        policy=config.policy,
        verdict=verdict,
        started_at=started,
        findings_omitted=r.findings_dropped,
        redactions=r.redactions.counts,
        repairs=r.repairs,
        increment=increment,
        notes=(
            *notices,
            *r.notes,
            *(f"{o.chunk.id}: {o.reason}" for o in r.outcomes if o.reason),
        ),
    )
    return report, verdict


def _skipped(
    changes: Changes,
    config: Config,
    options: ReviewOptions,
    started: datetime,
    notices: tuple[str, ...],
    required_failed: str = "",
) -> tuple[RunReport, Verdict]:
    """No provider key, or a required ledger down before the first call: plan and gate
    only; the review is reported as skipped (no key) or failed, never as passed."""
    names = ", ".join(sorted({p.key_env or p.id for p in config.providers})) or (
        "OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY or OLLAMA_HOST"
    )
    gate = run_gate(changes.diff, config.gate)
    plan = plan_review(
        changes.diff,
        review_target(config) if config.providers else default_target(),
        paths=config.review.paths,
        chunking=config.review.chunking,
        sensitive_paths=config.routing.sensitive_globs,
    )
    outcome = Outcome(
        task="review",
        status="failed" if required_failed else "skipped",
        gate_blocking=len(author_blocking(gate)),
        severities=tuple(f.severity for f in gate.findings if f.origin == "added"),
        fail_on=options.fail_on,
        fail_open=config.policy.fail_open,
        why=required_failed or ("no provider key" if plan.chunks else ""),
        required_failed=required_failed,
    )
    verdict = decide(outcome)
    report = build_report(
        context=changes.context,
        plan=plan,
        added_lines_sent=0,
        attempts=(),
        findings=(),
        gate=gate,
        policy=config.policy,
        verdict=verdict,
        started_at=started,
        notes=notices if required_failed else (
            *notices, f"review skipped: no provider key available (set {names})"),
    )
    return report, verdict


def _finish(
    report: RunReport,
    verdict: Verdict,
    changes: Changes,
    directory: Path,
    egress: Egress,
    config: Config,
) -> ReviewJob:
    files = write_reports(report, directory, egress=egress)
    return ReviewJob(report, tuple(files), verdict, changes, config.publish, egress)
