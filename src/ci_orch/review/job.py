"""`ci-orch review` as one library call: config and changes in, one verdict and report files out.

The order is the promise: check everything the user could have got wrong (config, event,
report directory) before any call is paid for; route; decide the verdict once; write every
report file; only then may the caller print or post. SIGINT/SIGTERM stop the routing, and
the report is still written, with status `cancelled`.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ci_orch.config.sections import Profile
from ci_orch.context import Changes
from ci_orch.context.model import PipelineContext
from ci_orch.gate import run_gate
from ci_orch.jobs import LEDGER, Inputs, Job, Paid, Routing, Start, finish, run_paid, start
from ci_orch.ledger.fallback import FallbackLedger, LedgerUnavailable
from ci_orch.plan.estimate import default_target
from ci_orch.plan.planner import draft_plan
from ci_orch.report.build import author_blocking, build_report
from ci_orch.report.model import Increment, RunReport
from ci_orch.review.increment import Scope
from ci_orch.review.incremental_job import increment_of, next_state, remember, scope_for
from ci_orch.review.instructions import load_instructions
from ci_orch.review.pipeline import ReviewResult, review_target, run_review
from ci_orch.review.progress import Progress
from ci_orch.review.prompts import PromptSettings
from ci_orch.review.state import ReviewState
from ci_orch.routing import AttemptObserver
from ci_orch.runstatus import why_not_complete
from ci_orch.verdict import Outcome, Verdict, decide

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReviewOptions:
    inputs: Inputs = Inputs()
    profiles: tuple[Profile, ...] = ()
    fail_on: str | None = None  # a severity: review or gate findings at or above it fail
    full: bool = False  # review the whole change even when an increment would do
    # What the last review of this PR left (read back from the platform by the caller);
    # None: the ledger's copy, if any, is used.
    state: ReviewState | None = None
    # Reads that state from the platform once the PR is known (the publisher's side).
    state_source: Callable[[PipelineContext], ReviewState | None] | None = None


def run_job(
    options: ReviewOptions,
    env: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    on_attempt: AttemptObserver | None = None,
) -> Job:
    """One review run; `on_attempt` also sees every provider attempt (telemetry hooks)."""
    env = os.environ if env is None else env
    begun = start(options.inputs, env)
    changes, config = begun.changes, begun.config
    notices = (*changes.context.trust_warnings(), *begun.notices)
    no_key = begun.no_key_note("review", env)
    if no_key:
        return finish(begun, *_skipped(begun, options, (*notices, no_key)))
    for warning in changes.context.trust_warnings():
        log.warning("%s", warning)
    work = functools.partial(_review, begun, options, env, progress)
    try:
        paid = run_paid(begun, env, work, on_attempt)
    except LedgerUnavailable as exc:  # at start, with policy.ledger_required
        return finish(begun, *_skipped(begun, options, (*notices, str(exc)), LEDGER))
    result, scope = paid.result
    increment = increment_of(scope, changes, config)
    reviewed = _reviewed(begun, options, result, paid, notices, increment)
    return finish(begun, *reviewed, paid=paid)


async def _review(
    begun: Start,
    options: ReviewOptions,
    env: Mapping[str, str],
    progress: Progress | None,
    routing: Routing,
) -> tuple[ReviewResult, Scope]:
    changes, config = begun.changes, begun.config
    scope = await _scope(changes, options, env, routing.ledger)
    settings = PromptSettings(
        profiles=options.profiles or config.review.profiles,
        enforcement=config.review.enforcement,
        instructions=load_instructions(changes.context, config.review.instructions_file),
    )
    result = await run_review(
        changes,
        config,
        providers=routing.providers,
        ledger=routing.ledger,
        run_id=routing.run_id,
        settings=settings,
        env=env,
        progress=progress,
        cancel=routing.cancel,
        egress=begun.egress,
        touched=scope.touched if scope.incremental else None,
        on_attempt=routing.on_attempt,
    )
    await remember(routing.ledger, changes, next_state(changes, result, scope))
    return result, scope


async def _scope(changes: Changes, options: ReviewOptions, env: Mapping[str, str],
                 ledger: FallbackLedger) -> Scope:
    state = options.state
    if state is None and options.state_source is not None and not options.full:
        state = options.state_source(changes.context)
    return await scope_for(changes, full_flag=options.full, state=state, env=env,
                           ledger=ledger)


def _reviewed(
    begun: Start,
    options: ReviewOptions,
    r: ReviewResult,
    paid: Paid[tuple[ReviewResult, Scope]],
    notices: tuple[str, ...],
    increment: Increment | None = None,
) -> tuple[RunReport, Verdict]:
    config = begun.config
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
        signal=paid.signum,
        why=why_not_complete(r),
        required_failed=LEDGER if r.ledger_lost else "",
    )
    verdict = decide(outcome)
    report = build_report(
        context=begun.changes.context,
        plan=r.plan,
        added_lines_sent=r.added_lines_sent,
        attempts=r.attempts,
        findings=[p.reported() for p in r.findings],
        gate=r.gate,
        policy=config.policy,
        verdict=verdict,
        started_at=begun.started,
        findings_omitted=r.findings_dropped,
        redactions=r.redactions.counts,
        repairs=r.repairs,
        increment=increment,
        notes=(
            *notices,
            *r.notes,
            *paid.notes,
            *(f"{o.chunk.id}: {o.reason}" for o in r.outcomes if o.reason),
        ),
    )
    return report, verdict


def _skipped(
    begun: Start,
    options: ReviewOptions,
    notes: tuple[str, ...],
    required_failed: str = "",
) -> tuple[RunReport, Verdict]:
    """No provider key, or a required ledger down before the first call: plan and gate
    only; the review is reported as skipped (no key) or failed, never as passed."""
    changes, config = begun.changes, begun.config
    gate = run_gate(changes.diff, config.gate)
    plan = draft_plan(
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
        started_at=begun.started,
        notes=notes,
    )
    return report, verdict
