"""`routing:`: how a request picks its provider chain."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ci_orch.config.base import Frozen
from ci_orch.config.providers import Capability, Tier

Strategy = Literal["cost", "latency", "score", "round-robin", "weighted", "ladder", "consensus"]


class ScoreWeights(Frozen):
    capability: float = Field(0.4, ge=0)
    cost: float = Field(0.25, ge=0)
    performance: float = Field(0.2, ge=0)
    preference: float = Field(0.15, ge=0)


class PathRule(Frozen):
    """Requests touching any of `paths` (globs) get these constraints."""

    paths: tuple[str, ...] = Field(min_length=1)
    tier: Tier | None = None
    require_capabilities: tuple[Capability, ...] = ()
    sensitive: bool = False


class BreakerConfig(Frozen):
    failure_threshold: int = Field(3, gt=0, description="consecutive health failures to open")
    open_s: float = Field(60, gt=0, description="minimum open period; Retry-After extends it")
    state_ttl_s: float = Field(900, gt=0, description="how long the ledger keeps breaker state")
    cold_start_calls: int | None = Field(
        None,
        gt=0,
        description="calls in flight to a deployment before its first answer or passing "
        "probe (default: failure_threshold, so a dead provider gets no more); raise it to "
        "max_concurrency for a faster cold start at the price of that many calls to a dead "
        "provider",
    )
    probe: bool = Field(
        True,
        description="on a cold start, ask the vendor's free models endpoint whether the API "
        "is up: an answer lifts the cold-start limit at once, a rejected key (401) disables "
        "the provider, and calls still waiting are never sent; turn off for a gateway with "
        "no models endpoint",
    )


class RoutingConfig(Frozen):
    strategy: Strategy = "score"
    fallback: tuple[str, ...] = Field(
        (), description="explicit provider order; overrides the strategy's order"
    )
    weights: ScoreWeights = ScoreWeights()
    rules: tuple[PathRule, ...] = ()
    sensitive_paths: tuple[str, ...] = Field(
        (),
        description="globs of files only tier local or security-hardened providers may see; "
        "the planner keeps them in chunks of their own",
    )
    redacted_is_sensitive: bool = Field(
        False,
        description="treat a chunk with any redacted secret as sensitive too; by default "
        "redacted text may go to any provider, since the secret itself never leaves",
    )
    deadline_s: float = Field(900, gt=0, description="whole-run deadline")
    max_attempts: int = Field(3, gt=0, description="attempts per provider before failing over")
    backoff_base_s: float = Field(0.5, ge=0)
    backoff_cap_s: float = Field(8.0, ge=0)
    backoff_jitter: float = Field(
        0.25, ge=0, le=1, description="share of each backoff wait taken off at random"
    )
    consensus_n: int = Field(2, ge=2)
    breaker: BreakerConfig = BreakerConfig()
    cache: bool = Field(True, description="serve identical requests from the ledger's cache")
    cache_ttl_s: float = Field(7 * 86_400, gt=0, description="how long a cached response lives")

    @property
    def sensitive_globs(self) -> tuple[str, ...]:
        """Every glob that makes a file sensitive: `sensitive_paths` and rules marked so."""
        marked = (glob for rule in self.rules if rule.sensitive for glob in rule.paths)
        return tuple(dict.fromkeys((*self.sensitive_paths, *marked)))
