"""Which provider entries share upstream state (breaker, throttle, token margin)."""

from __future__ import annotations

from ci_orch.config.providers import ProviderConfig


def deployment_key(cfg: ProviderConfig) -> str:
    """Two provider entries on the same upstream model share one breaker (and its throttle)."""
    return f"{cfg.type}|{cfg.url or ''}|{cfg.deployment or cfg.model}"
