"""What reviewing a diff would cost with each configured provider (no call is made)."""

from __future__ import annotations

from ci_orch.config.model import Config
from ci_orch.config.providers import Capability, ProviderConfig
from ci_orch.diff.model import Diff
from ci_orch.plan.model import Estimate, Plan
from ci_orch.plan.planner import Draft, Target, chunk_budget, draft_plan
from ci_orch.plan.tokens import tokenizer_for

# Used when no provider is configured: a common 128k-window model, counted with o200k.
DEFAULT_TARGET_NAME = "default (o200k_base, 128k window)"


def target_for(provider: ProviderConfig) -> Target:
    return Target(
        name=provider.model,
        context_window=provider.context_window,
        max_output_tokens=provider.max_output_tokens,
        tokenizer=tokenizer_for(provider.type, provider.model),
    )


def default_target() -> Target:
    return Target(DEFAULT_TARGET_NAME, 128_000, 4096, tokenizer_for("openai", "gpt-4o"))


def choose_target(config: Config, provider_id: str | None) -> Target:
    """--model, else the first of routing.fallback, else the first provider, else a default."""
    if provider_id is not None:
        try:
            return target_for(config.provider(provider_id))
        except KeyError:
            known = ", ".join(p.id for p in config.providers) or "none configured"
            raise KeyError(
                f"--model {provider_id!r} is not a configured provider ({known})"
            ) from None
    first = config.routing.fallback[:1] or tuple(p.id for p in config.providers[:1])
    return target_for(config.provider(first[0])) if first else default_target()


def estimate_costs(
    diff: Diff, config: Config, budget: int | None = None, known: Plan | Draft | None = None
) -> list[Estimate]:
    """One estimate per provider. Providers that share a tokenizer and a chunk budget share
    one plan (`known` is one already made), since planning is mostly counting tokens. Only
    sizes are needed, so the other plans' texts are never rendered."""
    plans: dict[tuple[str, int], Plan | Draft] = {}
    if known is not None:
        plans[(known.tokenizer, known.budget_tokens)] = known
    estimates = []
    for provider in config.providers:
        target = target_for(provider)
        size = chunk_budget(target, config.review.chunking) if budget is None else budget
        key = (target.tokenizer.name, size)
        if key not in plans:
            plans[key] = draft_plan(
                diff,
                target,
                paths=config.review.paths,
                chunking=config.review.chunking,
                budget=size,
                sensitive_paths=config.routing.sensitive_globs,
            )
        estimates.append(
            _estimate(provider, plans[key], config.review.chunking.prompt_overhead_tokens)
        )
    return estimates


def _estimate(provider: ProviderConfig, plan: Plan | Draft, overhead: int) -> Estimate:
    price = provider.unit_price
    tokens = sum(c.tokens + overhead for c in plan.chunks)
    worst_output = len(plan.chunks) * provider.max_output_tokens
    return Estimate(
        provider=provider.id,
        model=provider.model,
        chunks=len(plan.chunks),
        input_tokens=tokens,
        input_usd=price.cost(tokens, 0),
        worst_case_usd=price.cost(tokens, worst_output),
    )


def smallest_target(config: Config, capability: Capability) -> Target:
    """The provider with `capability` (else any) whose chunk budget is smallest: chunks cut
    for it fit every provider, so any of them can take over a chunk another one failed."""
    usable = [p for p in config.providers if capability in p.capabilities] or list(config.providers)
    return min(
        (target_for(p) for p in usable), key=lambda t: chunk_budget(t, config.review.chunking)
    )
