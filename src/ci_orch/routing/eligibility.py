"""Eligibility (policy): which providers may serve this request, and why the others may not.

Checks run cheapest first; the first failing one is the reason shown in the report.
A provider whose price cannot be resolved is dropped alone, never blocking the rest
(LiteLLM #20615: one wrong price entry blocked every request).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ci_orch.config.policy import Policy
from ci_orch.config.providers import ProviderConfig
from ci_orch.providers.interface import Provider
from ci_orch.routing.classify import TIER_RANK
from ci_orch.routing.cost import TokenCounter, worst_case_usd
from ci_orch.routing.model import Classification


@dataclass(frozen=True, slots=True)
class Candidate:
    provider: Provider
    input_tokens: int
    worst_case_usd: float
    max_output_tokens: int  # the request's, capped at what this deployment allows
    vendor_counted: bool = False  # input_tokens is the vendor's own count: no margin needed

    @property
    def config(self) -> ProviderConfig:
        return self.provider.config

    @property
    def id(self) -> str:
        return self.provider.config.id


@dataclass(frozen=True, slots=True)
class Rejection:
    provider: ProviderConfig
    reason: str  # short kind, as in Attempt.error_kind
    detail: str


@dataclass(frozen=True, slots=True)
class Limits:
    """The run's policy state at the moment of asking."""

    policy: Policy
    budget_left_usd: float  # smallest room left among run / team-day / org-day caps
    degraded: bool  # some cap is past `degrade_at`
    disabled: Mapping[str, str]  # provider id -> why (auth, quota) for the rest of the run
    env: Mapping[str, str]


def _static_reason(
    cfg: ProviderConfig, cls: Classification, limits: Limits, tokens: int, max_out: int
) -> tuple[str, str] | None:
    if cfg.id in limits.policy.blocked_providers:
        return "blocked", "listed in policy.blocked_providers"
    if cfg.id in limits.disabled:
        return "disabled", limits.disabled[cfg.id]
    missing = [c for c in (cls.task, *cls.required_capabilities) if c not in cfg.capabilities]
    if missing:
        return "capability", f"lacks {', '.join(missing)}"
    if cls.sensitive and cfg.tier != "local" and "security-hardened" not in cfg.capabilities:
        return "sensitive", "sensitive input needs tier local or capability security-hardened"
    if cfg.key_env and not limits.env.get(cfg.key_env):
        return "credentials", f"${cfg.key_env} is not set"
    if tokens + max_out > cfg.context_window:
        return "context_window", f"{tokens} input + {max_out} output > window {cfg.context_window}"
    return None


def _cost_reason(worst: float, limits: Limits) -> tuple[str, str] | None:
    cap = limits.policy.max_cost_per_request
    if worst > cap:
        return "request_cap", f"worst case ${worst:.4f} > max_cost_per_request ${cap:.4f}"
    if worst > limits.budget_left_usd:
        return "budget", f"worst case ${worst:.4f} > ${limits.budget_left_usd:.4f} left"
    return None


def screen(
    providers: Sequence[Provider],
    cls: Classification,
    limits: Limits,
    counter: TokenCounter,
    max_output_tokens: int,
    hold_tokens: Callable[[ProviderConfig, int], int] = lambda _cfg, n: n,
) -> tuple[list[Candidate], list[Rejection]]:
    """Split providers into candidates and rejections (each with its reason). The worst case
    prices `hold_tokens(config, count)` input tokens: our count padded by what the provider
    is known to bill over it."""
    ok: list[Candidate] = []
    rejected: list[Rejection] = []
    for provider in providers:
        cfg = provider.config
        tokens = counter.count(cfg)
        max_out = min(max_output_tokens, cfg.max_output_tokens)
        why = _static_reason(cfg, cls, limits, tokens, max_out)
        if why is None:
            try:
                worst = worst_case_usd(cfg, hold_tokens(cfg, tokens), max_out)
            except RuntimeError as exc:
                why = "price", str(exc)
            else:
                why = _cost_reason(worst, limits)
        if why is None:
            ok.append(Candidate(provider, tokens, worst, max_out, counter.vendor_counted(cfg)))
        else:
            rejected.append(Rejection(cfg, *why))
    return narrow(ok, rejected, cls, limits)


def narrow(
    ok: list[Candidate], rejected: list[Rejection], cls: Classification, limits: Limits
) -> tuple[list[Candidate], list[Rejection]]:
    """Near a cap drop the costliest tier (budget beats path rules); then apply a rule's tier
    when some candidate has it."""
    if limits.degraded and ok:
        top = max(TIER_RANK[c.config.tier] for c in ok)
        cheaper = [c for c in ok if TIER_RANK[c.config.tier] < top]
        if cheaper:
            rejected += [
                Rejection(c.config, "degraded", "budget past policy.degrade_at: cheaper tiers only")
                for c in ok
                if c not in cheaper
            ]
            ok = cheaper
    if cls.tier is not None and any(c.config.tier == cls.tier for c in ok):
        rejected += [
            Rejection(c.config, "tier", f"path rule asks for tier {cls.tier}")
            for c in ok
            if c.config.tier != cls.tier
        ]
        ok = [c for c in ok if c.config.tier == cls.tier]
    return ok, rejected
