"""Assemble a `RunReport` from the pipeline's parts (context, plan, attempts, findings, gate).

The orchestrator calls `build_report` once, after the gate and before publishing; the
report is then written to files (report/write.py) before anything is posted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from ci_orch import __version__
from ci_orch.config.policy import Policy
from ci_orch.context.model import PipelineContext
from ci_orch.gate.model import Finding, GateResult
from ci_orch.plan.model import Plan
from ci_orch.plan.planner import Draft
from ci_orch.report.cost import cost_section
from ci_orch.report.model import (
    Call,
    Coverage,
    Gate,
    GateFinding,
    Increment,
    ReviewFinding,
    RunContext,
    RunReport,
    RunVerdict,
    Tool,
    WithheldOutput,
)
from ci_orch.routing.model import Attempt
from ci_orch.verdict import Outcome, Verdict, decide

DETAIL_CHARS = 200


def build_report(
    *,
    context: PipelineContext,
    plan: Plan | Draft | None,
    added_lines_sent: int,
    attempts: Sequence[Attempt],
    findings: Sequence[ReviewFinding],
    gate: GateResult | None,
    policy: Policy,
    verdict: Verdict,
    started_at: datetime,
    finished_at: datetime | None = None,
    findings_omitted: int = 0,
    redactions: Mapping[str, int] | None = None,
    saved_by_cache_usd: float = 0.0,
    team_day_remaining_usd: float | None = None,
    org_day_remaining_usd: float | None = None,
    repairs: int = 0,
    notes: Sequence[str] = (),
    task: str = "review",
    increment: Increment | None = None,
) -> RunReport:
    """`plan=None` when the run stopped before planning; `gate=None` when it never ran."""
    calls = tuple(call_of(a) for a in attempts)
    return RunReport.model_validate({
        "tool": Tool(version=__version__),
        "task": task,
        "started_at": _aware(started_at),
        "finished_at": _aware(finished_at or datetime.now(UTC)),
        "status": verdict.status,
        "exit_code": int(verdict.exit_code),
        "verdict": RunVerdict(conclusion=verdict.conclusion, title=verdict.title),
        "notes": tuple(notes),
        "context": context_of(context),
        "coverage": coverage_of(plan, added_lines_sent),
        "calls": calls,
        "cost": cost_section(
            calls, policy, saved_by_cache_usd=saved_by_cache_usd,
            team_day_remaining_usd=team_day_remaining_usd,
            org_day_remaining_usd=org_day_remaining_usd,
        ),
        "findings": tuple(findings),
        "findings_omitted": findings_omitted,
        "repairs": repairs,
        "gate": gate_of(gate),
        "redactions": {k: v for k, v in sorted((redactions or {}).items()) if v},
        "increment": increment,
    })


def _aware(moment: datetime) -> datetime:
    # A naive time is taken as UTC: the report and GitLab's scan times are all UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def context_of(ctx: PipelineContext) -> RunContext:
    # Title and body are attacker-controlled and add nothing the platform does not show.
    return RunContext(
        platform=ctx.platform, event=ctx.event, repo=ctx.repo, number=ctx.number,
        base_sha=ctx.base_sha, head_sha=ctx.head_sha, actor=ctx.actor, is_fork=ctx.is_fork,
    )


def coverage_of(plan: Plan | Draft | None, added_lines_sent: int) -> Coverage:
    if plan is None:
        return Coverage(added_lines_total=0, added_lines_planned=0, added_lines_sent=0)
    return Coverage(
        added_lines_total=plan.added_lines_total,
        added_lines_planned=plan.added_lines_planned,
        added_lines_sent=min(added_lines_sent, plan.added_lines_planned),
        skipped_files=plan.skipped_files,
    )


def call_of(a: Attempt) -> Call:
    detail = " ".join(a.detail.split())
    if len(detail) > DETAIL_CHARS:
        detail = detail[: DETAIL_CHARS - 1] + "…"
    return Call(
        chunk_id=a.chunk_id, provider=a.provider, model=a.model, attempt=a.attempt,
        outcome=a.outcome, error_kind=a.error_kind, detail=detail, wait_s=max(a.wait_s, 0.0),
        latency_ms=max(a.latency_ms, 0.0), input_tokens=a.input_tokens,
        cached_input_tokens=a.cached_input_tokens, output_tokens=a.output_tokens,
        cost_usd=0.0 if a.cache_hit else max(a.cost_usd, 0.0),  # a cache hit costs nothing
        fallback_from=a.fallback_from, cache_hit=a.cache_hit,
    )


def gate_of(result: GateResult | None) -> Gate:
    if result is None:
        return Gate(verdict="not-run")
    blocking = {_key(f) for f in result.blocking}
    # Model output is never reported as a finding on the author's line: it is withheld.
    authored = [f for f in result.findings if f.origin == "added"]
    return Gate(
        verdict="block" if author_blocking(result) else "pass",
        findings=tuple(gate_finding(f, _key(f) in blocking) for f in authored),
        suppressed=len(result.suppressed),
        files_scanned=result.scanned.files,
        added_lines_scanned=result.scanned.added_lines,
        model_outputs_scanned=result.scanned.model_outputs,
        elapsed_s=result.elapsed_s,
        blocked_outputs=result.blocked_outputs,
        withheld_outputs=tuple(
            WithheldOutput(rule=f.rule, kind=f.kind, label=f.label, message=f.message)
            for f in result.findings if f.origin == "model" and _key(f) in blocking
        ),
    )


def author_blocking(result: GateResult) -> tuple[Finding, ...]:
    """Blocking findings on the author's change; model output only ever gets withheld."""
    return tuple(f for f in result.blocking if f.origin == "added")


def gate_finding(f: Finding, blocking: bool) -> GateFinding:
    return GateFinding(
        kind=f.kind, rule=f.rule, path=f.path, line=max(f.line, 1),
        end_line=max(f.end_line or f.line, f.line, 1), column=f.column, severity=f.severity,
        confidence=f.confidence, fingerprint=f.fingerprint, preview=f.preview,
        message=f.message, origin=f.origin, label=f.label, blocking=blocking, context=f.context,
    )


def _key(f: Finding) -> tuple[str, str, int, str]:
    return (f.fingerprint, f.path, f.line, f.origin)


def gate_outcome(gate: GateResult, *, fail_on: str | None = None) -> Outcome:
    """What `ci-orch gate` did: complete once it has run."""
    return Outcome(
        task="gate", status="complete", gate_blocking=len(author_blocking(gate)),
        severities=tuple(f.severity for f in gate.findings if f.origin == "added"),
        fail_on=fail_on,
    )


def gate_report(
    context: PipelineContext,
    gate: GateResult,
    policy: Policy,
    started_at: datetime,
    verdict: Verdict | None = None,
    notes: Sequence[str] = (),
) -> RunReport:
    """A report of the gate alone (`ci-orch gate`): task "gate"."""
    return build_report(
        context=context, plan=None, added_lines_sent=0, attempts=(), findings=(), gate=gate,
        policy=policy, verdict=verdict or decide(gate_outcome(gate)), started_at=started_at,
        task="gate", notes=notes,
    )
