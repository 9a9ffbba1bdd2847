"""What every trial shares: who answered (after fallbacks), what it cost, and why a trial
that was not scored is `error` or `skipped`.

Attribution: a trial is credited to the provider/model that answered the most of its
chunks (ties: the first to answer), read from the router's attempt records, so a
fallback's answers count for the model that gave them, not for the one that was asked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ci_orch.config.providers import ProviderConfig
from ci_orch.evals.budget import RUN_SCOPE
from ci_orch.routing import Attempt

# Caps whose exhaustion means no later trial can run either (vs. this case's own cap).
_RUN_WIDE = (f"budget {RUN_SCOPE}", "budget team:", "budget org:")


@dataclass(frozen=True, slots=True)
class Selection:
    """What a trial is run against: one provider alone, or the configured chain."""

    label: str  # the provider id, or "chain"
    provider_ids: tuple[str, ...]
    fallback: ProviderConfig  # credited when nobody answered


@dataclass(frozen=True, slots=True)
class Halt:
    """A trial that could not be scored: `outcome` error or skipped, and why."""

    outcome: str
    kind: str
    detail: str
    stops_run: bool = False


def call_fields(attempts: Sequence[Attempt], selection: Selection) -> dict[str, Any]:
    """The Trial fields read from the attempt records (attribution, cost, tokens, latency)."""
    called = [a for a in attempts if a.outcome != "skipped"]
    answered = [a for a in called if a.outcome == "ok"]
    votes = Counter(f"{a.provider}\0{a.model}" for a in answered)
    if votes:
        provider, model = votes.most_common(1)[0][0].split("\0", 1)
    else:
        provider, model = selection.fallback.id, selection.fallback.model
    return {
        "provider": provider,
        "model": model,
        "cost_usd": sum(a.cost_usd for a in called),
        "input_tokens": sum(a.input_tokens for a in called),
        "cached_input_tokens": sum(a.cached_input_tokens for a in called),
        "output_tokens": sum(a.output_tokens for a in called),
        "calls": len(called),
        "fallback_used": any(a.fallback_from for a in answered),
        "answered_by": tuple(dict.fromkeys(f"{a.provider}/{a.model}" for a in answered)),
        "call_latencies_ms": tuple(a.latency_ms for a in answered if not a.cache_hit),
    }


def halt_of(
    statuses: Sequence[tuple[str, str]], attempts: Sequence[Attempt]
) -> Halt | None:
    """None when every chunk was answered; else why the trial is skipped or an error.
    `statuses` are (chunk status, reason) pairs from the pipeline's outcomes."""
    if all(status == "ok" for status, _ in statuses):
        return None
    budget = [a.detail for a in attempts if a.error_kind == "budget"]
    reasons = [reason for status, reason in statuses if status == "skipped"]
    if any("budget" in r.lower() for r in reasons) or (budget and not _answered(attempts)):
        detail = (budget or reasons)[0]
        return Halt("skipped", "budget", detail[:300], any(s in detail for s in _RUN_WIDE))
    if any("deadline" in r.lower() for r in reasons):
        return Halt("error", "timeout", "the case's timeout_s passed")
    failed = [a for a in attempts if a.outcome == "error"] or list(attempts)
    kind = failed[-1].error_kind if failed and failed[-1].error_kind else "AllProvidersFailed"
    first = next((r for _, r in statuses if r), "no provider answered")
    return Halt("error", kind, first[:300])


def _answered(attempts: Sequence[Attempt]) -> bool:
    return any(a.outcome == "ok" for a in attempts)
