"""Classification: what a request is (task, size, languages, sensitivity) and what the
configured path rules demand of the provider that serves it."""

from __future__ import annotations

from ci_orch.config.providers import Capability, Tier
from ci_orch.config.routing import RoutingConfig
from ci_orch.diff.globs import matches_any
from ci_orch.diff.languages import language_of
from ci_orch.routing.model import Classification, RoutedRequest

# When rules disagree, the more demanding tier wins.
TIER_RANK: dict[Tier, int] = {"local": 0, "economy": 1, "standard": 2, "premium": 3}


def classify(request: RoutedRequest, routing: RoutingConfig, input_tokens: int) -> Classification:
    reasons: list[str] = []
    # Redacted text no longer holds the secret, so by default it may go to any provider.
    if request.redactions and routing.redacted_is_sensitive:
        reasons.append(f"{request.redactions} redaction(s) made")
    sensitive_hits = [p for p in request.paths if matches_any(p, routing.sensitive_paths)]
    if sensitive_hits:
        reasons.append(f"sensitive path {sensitive_hits[0]}")
    tier: Tier | None = None
    capabilities: list[Capability] = []
    for rule in routing.rules:
        hits = [p for p in request.paths if matches_any(p, rule.paths)]
        if not hits:
            continue
        if rule.sensitive:
            reasons.append(f"rule {rule.paths[0]} marks {hits[0]} sensitive")
        if rule.tier is not None and (tier is None or TIER_RANK[rule.tier] > TIER_RANK[tier]):
            tier = rule.tier
        capabilities += [c for c in rule.require_capabilities if c not in capabilities]
    languages = sorted({lang for p in request.paths if (lang := language_of(p))})
    return Classification(
        task=request.task,
        input_tokens=input_tokens,
        languages=tuple(languages),
        sensitive=bool(reasons),
        sensitivity_reasons=tuple(reasons),
        tier=tier,
        required_capabilities=tuple(capabilities),
    )
