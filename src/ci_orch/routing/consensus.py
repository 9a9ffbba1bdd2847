"""Consensus: ask N providers in parallel and merge their findings with an agreement score.

For high-stakes profiles (e.g. security). A finding's agreement is the share of the
answering providers that reported it, matched by (path, line) or else by title; the
result's agreement is the mean over findings (1.0 when nobody found anything).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

from ci_orch.providers.interface import ProviderResponse, Usage
from ci_orch.routing.attempts import AttemptLog
from ci_orch.routing.chain import Chain, Success
from ci_orch.routing.eligibility import Candidate
from ci_orch.routing.errors import (
    AllProvidersFailed,
    BudgetExhausted,
    DeadlineExceeded,
    RoutingError,
)
from ci_orch.routing.model import RoutedRequest
from ci_orch.routing.state import RunState


def finding_key(finding: dict[str, Any]) -> tuple[str, str]:
    path = finding.get("path") or finding.get("file")
    line = finding.get("line") or finding.get("start_line")
    if path is not None and line is not None:
        return str(path), str(line)
    return "title", str(finding.get("title") or finding.get("message") or "").strip().lower()


def merge(answers: Sequence[tuple[str, ProviderResponse]]) -> tuple[dict[str, Any], float]:
    groups: dict[tuple[str, str], tuple[dict[str, Any], list[str]]] = {}
    for pid, response in answers:
        parsed = response.parsed if isinstance(response.parsed, dict) else {}
        seen: set[tuple[str, str]] = set()
        for finding in parsed.get("findings") or []:
            if not isinstance(finding, dict) or (key := finding_key(finding)) in seen:
                continue
            seen.add(key)
            groups.setdefault(key, (finding, []))[1].append(pid)
    merged = [
        {**finding, "agreement": len(pids) / len(answers), "providers": pids}
        for finding, pids in groups.values()
    ]
    score = sum(f["agreement"] for f in merged) / len(merged) if merged else 1.0
    return {"findings": merged}, score


def combine(wins: Sequence[Success]) -> tuple[ProviderResponse, float, float]:
    parsed, agreement = merge([(cand.id, resp) for cand, resp, _ in wins])
    usage = Usage(
        sum(r.usage.input_tokens for _, r, _ in wins),
        sum(r.usage.cached_input_tokens for _, r, _ in wins),
        sum(r.usage.output_tokens for _, r, _ in wins),
    )
    response = ProviderResponse(
        text=json.dumps(parsed),
        parsed=parsed,
        finish_reason="stop",
        usage=usage,
        model="+".join(r.model for _, r, _ in wins),
        request_id=None,
        latency_ms=max(r.latency_ms for _, r, _ in wins),
    )
    return response, sum(cost for _, _, cost in wins), agreement


async def ask_all(
    run: RunState, routed: RoutedRequest, picks: Sequence[Candidate], log: AttemptLog
) -> list[Success]:
    """Each pick gets its own one-provider chain (with retries); all run at once."""

    async def one(cand: Candidate) -> tuple[Success | RoutingError, AttemptLog]:
        sub = log.branch()
        try:
            return await Chain(run, routed, sub).run([cand]), sub
        except RoutingError as exc:  # each member's failure is reported, not fatal to the rest
            return exc, sub

    outcomes = await asyncio.gather(*(one(c) for c in picks))
    wins: list[Success] = []
    errors: list[RoutingError] = []
    for outcome, sub in outcomes:
        log.rows += sub.rows
        log.failures += sub.failures
        log.calls += sub.calls
        if isinstance(outcome, RoutingError):
            errors.append(outcome)
        else:
            wins.append(outcome)
    if not wins:
        for stop in (DeadlineExceeded, BudgetExhausted):
            if all(isinstance(e, stop) for e in errors):
                raise stop(str(errors[0]), log.rows)
        raise AllProvidersFailed(log.failures, len(picks), log.rows)
    return wins
