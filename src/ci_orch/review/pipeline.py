"""One review run as library code: redact -> plan -> route -> parse -> place -> gate.

Takes its collaborators (providers, ledger) as arguments, so tests pass fakes and no state
hides in globals; the CLI builds
them from config. Files are written and posted by the caller, from the returned result.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from ci_orch.cancel import Cancellation
from ci_orch.config.model import Config
from ci_orch.context.changes import Changes
from ci_orch.egress.filter import Egress
from ci_orch.gate import (
    GateResult,
    ScanText,
    redact_context,
    redact_diff,
    run_gate,
)
from ci_orch.gate.output import OutputScreen, WithheldOutput, with_withheld
from ci_orch.ledger.interface import Ledger
from ci_orch.plan.estimate import smallest_target
from ci_orch.plan.planner import Draft, DraftChunk, Target, draft_plan
from ci_orch.providers.interface import Provider
from ci_orch.review.chunks import ChunkOutcome, review_chunk
from ci_orch.review.increment import Touched, narrow
from ci_orch.review.placement import PlacedFinding, merge_findings
from ci_orch.review.progress import Progress, Silent
from ci_orch.review.prompts import PromptSettings, review_request
from ci_orch.routing import (
    AttemptObserver,
    Router,
)
from ci_orch.runstatus import RunResult, route_chunks, run_status


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewResult(RunResult[ChunkOutcome]):
    findings: tuple[PlacedFinding, ...]
    findings_dropped: int  # over review.max_findings


def review_target(config: Config) -> Target:
    return smallest_target(config, "review")


async def run_review(
    changes: Changes,
    config: Config,
    *,
    providers: Mapping[str, Provider],
    ledger: Ledger,
    run_id: str,
    settings: PromptSettings,
    env: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    cancel: Cancellation | None = None,
    egress: Egress | None = None,
    touched: Touched | None = None,
    on_attempt: AttemptObserver | None = None,
) -> ReviewResult:
    """Review `changes` (only its `touched` added lines, when given: an increment); on
    cancellation, what was answered so far, status `cancelled`. `on_attempt` sees every
    attempt with its request and answer (telemetry)."""
    progress = progress or Silent()
    cancel = cancel or Cancellation()
    egress = egress or Egress.build(config, env or {})
    # Everything that goes into a prompt is redacted first, with the configured extra patterns.
    redactor = egress.redactor
    redacted, _ = redact_diff(changes.diff, redactor)
    sendable = dataclasses.replace(changes, context=redact_context(changes.context, redactor))
    sent = None
    if touched is not None:
        redacted = narrow(redacted, touched, context=config.review.chunking.context_lines)
        sent = redacted.line_map()
    plan = draft_plan(
        redacted,
        review_target(config),
        paths=config.review.paths,
        chunking=config.review.chunking,
        sensitive_paths=config.routing.sensitive_globs,
    )
    progress.planned(len(plan.chunks), plan.added_lines_total)
    router = Router(config, providers, ledger, run_id=run_id, env=env, on_attempt=on_attempt)
    # The router caps this at each provider's own max_output_tokens and sends the capped value.
    max_out = max((p.config.max_output_tokens for p in providers.values()), default=1)
    try:
        outcomes, notes = await _route_all(
            router, plan, sendable, settings, max_out, progress, cancel, egress, providers
        )
    finally:
        progress.close()
        await router.release_holds()  # a safety net: cancelled calls release their own
    reported = [(o.provider or "?", f) for o in outcomes if o.review for f in o.review.findings
                # An increment showed the model a few lines: a finding elsewhere is not
                # grounded in what it saw, and the earlier findings there stay as they are.
                if sent is None or sent.contains(f.path, f.start_line, f.side)]
    placed, dropped = merge_findings(reported, changes.diff, cap=config.review.max_findings)
    # Model text is untrusted output: what it says is published redacted, and what it would
    # have us post as code must pass the gate and the hostile-code rules.
    placed, withheld = _screened(placed, OutputScreen.from_config(config.gate.secrets))
    gate = run_gate(changes.diff, config.gate, model_outputs=_suggestions(placed))
    gate = with_withheld(gate, withheld)
    placed = _drop_blocked(placed, gate)
    return ReviewResult(
        plan=plan,
        outcomes=tuple(outcomes),
        findings=tuple(placed),
        findings_dropped=dropped,
        attempts=tuple(router.attempts),
        gate=gate,
        redactions=redactor.redactions(),
        status=run_status(outcomes, cancelled=cancel.requested),
        notes=(*notes, *router.notes()),
    )


async def _route_all(
    router: Router,
    plan: Draft,
    changes: Changes,
    settings: PromptSettings,
    max_out: int,
    progress: Progress,
    cancel: Cancellation,
    egress: Egress,
    providers: Mapping[str, Provider],
) -> tuple[list[ChunkOutcome], list[str]]:
    ctx = changes.context

    async def ask(chunk: DraftChunk) -> ChunkOutcome:
        # Rendered from the diff on its turn and dropped once answered: the run holds the
        # texts of the chunks in flight, not of the whole diff.
        text = chunk.text
        request = review_request(
            text,
            title=ctx.title,
            body=ctx.body,
            settings=settings,
            max_output_tokens=max_out,
            egress=egress,
        )
        redactions = text.count("<redacted:")
        del text
        return await review_chunk(router, chunk, request, egress, redactions=redactions)

    outcomes, stopped = await route_chunks(
        plan.chunks, ask, ChunkOutcome, cancel, done=progress.chunk_done,
        window=_window(providers),
    )
    return outcomes, [stopped] if stopped else []


def _window(providers: Mapping[str, Provider]) -> int:
    """Chunks asked at once: as many as all providers together may have in flight. Building
    a request is quick next to a call, so a later chunk waits for a slot without its prompt
    rather than with it: a large diff never holds every prompt at once."""
    return sum(p.config.max_concurrency for p in providers.values()) or 1


def _suggestions(placed: list[PlacedFinding]) -> list[ScanText]:
    """Model-written code that could be posted: the gate scans all of it, always."""
    return [
        ScanText(
            path=p.finding.path,
            text=p.suggestion,
            lines=tuple(
                range(p.finding.start_line, p.finding.start_line + p.suggestion.count("\n") + 1)
            ),
            origin="model",
            label=p.fingerprint,
        )
        for p in placed
        if p.suggestion
    ]


def _screened(
    placed: list[PlacedFinding], screen: OutputScreen
) -> tuple[list[PlacedFinding], list[WithheldOutput]]:
    """Titles and bodies redacted, suggestions with a secret or hostile code dropped; each
    recorded as model output withheld (never as the author's finding)."""
    out: list[PlacedFinding] = []
    withheld: list[WithheldOutput] = []
    for p in placed:
        s = screen.finding(path=p.finding.path, title=p.finding.title, body=p.finding.body,
                           suggestion=p.suggestion, label=p.fingerprint)
        finding = p.finding.model_copy(
            update={"title": s.title, "body": s.body, "suggestion": s.suggestion})
        out.append(dataclasses.replace(p, finding=finding, suggestion=s.suggestion))
        withheld.extend(s.withheld)
    return out, withheld


def _drop_blocked(placed: list[PlacedFinding], gate: GateResult) -> list[PlacedFinding]:
    blocked = set(gate.blocked_outputs)
    return [
        dataclasses.replace(p, suggestion=None) if p.fingerprint in blocked else p for p in placed
    ]
