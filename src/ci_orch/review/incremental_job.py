"""The review job's side of incremental review: which scope to review, what the increment
saved against a full review (by the plan estimator), and the state left for the next run."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Literal

from ci_orch.config.model import Config
from ci_orch.context.changes import Changes
from ci_orch.diff.model import Diff
from ci_orch.errors import GitError
from ci_orch.ledger.interface import Ledger, LedgerError
from ci_orch.plan.estimate import estimate_costs
from ci_orch.report.model import Increment, KeptFinding
from ci_orch.review.increment import Scope, decide_scope, forced_full, full, narrow
from ci_orch.review.pipeline import ReviewResult
from ci_orch.review.state import OpenFinding, ReviewState, ledger_key

log = logging.getLogger(__name__)
STATE_TTL_S = 30 * 24 * 3600.0  # a PR left alone for a month is reviewed in full again


async def scope_for(changes: Changes, *, full_flag: bool, state: ReviewState | None,
                    env: Mapping[str, str], ledger: Ledger) -> Scope:
    ctx = changes.context
    if ctx.number is None or not ctx.repo or not ctx.head_sha:
        return full("")  # not a pull/merge request: there is no earlier review to build on
    if not changes.source.startswith("git "):
        return full("the diff was given as a file")
    if state is None:
        state = await _stored(ledger, ledger_key(ctx.repo, ctx.number))
    try:
        return decide_scope(ctx.workspace, ctx.head_sha, state,
                            forced=forced_full(full_flag, env))
    except GitError as exc:
        return full(f"the increment could not be computed: {exc}")


async def _stored(ledger: Ledger, key: str) -> ReviewState | None:
    try:
        text = await ledger.cache_get(key)
    except LedgerError as exc:
        log.warning("the last review state could not be read from the ledger: %s", exc)
        return None
    return ReviewState.from_json(text) if text else None


def next_state(changes: Changes, result: ReviewResult, scope: Scope) -> ReviewState | None:
    head = changes.context.head_sha
    if result.status != "complete" or not head:
        return None
    found = [OpenFinding(p.fingerprint, p.finding.path, p.finding.start_line,
                        p.finding.end_line, p.finding.side) for p in result.findings]
    return ReviewState(head, tuple(dict.fromkeys([*found, *scope.kept])))


async def remember(ledger: Ledger, changes: Changes, state: ReviewState | None) -> None:
    ctx = changes.context
    if state is None or ctx.number is None or not ctx.repo:
        return
    try:
        await ledger.cache_put(ledger_key(ctx.repo, ctx.number), state.to_json(), STATE_TTL_S)
    except LedgerError as exc:  # the summary comment still carries it
        log.warning("the review state could not be kept in the ledger: %s", exc)


def increment_of(scope: Scope, changes: Changes, config: Config) -> Increment | None:
    """What was reviewed against the whole change, both priced by the plan estimator (input
    tokens at the first provider's price: the same yardstick for both)."""
    if changes.context.number is None:
        return None
    whole = changes.diff
    sent = (narrow(whole, scope.touched, context=config.review.chunking.context_lines)
            if scope.incremental else whole)
    full_usd, sent_usd = _estimate(whole, config), _estimate(sent, config)
    return Increment(
        mode=scope.mode,
        reason=scope.reason,
        since_sha=scope.since_sha,
        added_lines_total=whole.added_lines_total,
        added_lines_reviewed=sent.added_lines_total,
        kept=tuple(KeptFinding(fingerprint=k.fingerprint, path=k.path, side=_side(k.side),
                               start_line=k.start_line, end_line=k.end_line)
                   for k in scope.kept),
        full_estimate_usd=full_usd,
        increment_estimate_usd=min(sent_usd, full_usd),
    )


def _side(side: str) -> Literal["LEFT", "RIGHT"]:
    return "LEFT" if side == "LEFT" else "RIGHT"


def _estimate(diff: Diff, config: Config) -> float:
    if not config.providers:
        return 0.0
    estimates = estimate_costs(diff, config)
    return estimates[0].input_usd if estimates else 0.0
