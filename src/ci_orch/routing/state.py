"""What one run's requests share: breakers, limiters, disabled providers, stats, deadline."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from ci_orch.config.policy import Policy
from ci_orch.config.providers import ProviderConfig
from ci_orch.config.routing import BreakerConfig, RoutingConfig
from ci_orch.ledger.interface import Cap, Ledger, LedgerError
from ci_orch.routing.breaker import Breaker
from ci_orch.routing.clock import Clock
from ci_orch.routing.holds import Holds
from ci_orch.routing.keys import deployment_key
from ci_orch.routing.limiter import Limiter
from ci_orch.routing.liveness import Probes
from ci_orch.routing.margins import Margins
from ci_orch.routing.model import Attempt
from ci_orch.routing.stats import RunStats

log = logging.getLogger(__name__)

__all__ = ["BreakerBoard", "RunState", "deployment_key"]


class BreakerBoard:
    """Breakers by deployment, loaded from the ledger on first use so a provider that was
    down in the previous CI job is skipped at once; persisted when their state changes."""

    def __init__(self, ledger: Ledger, config: BreakerConfig) -> None:
        self._ledger = ledger
        self._cfg = config
        self._breakers: dict[str, Breaker] = {}
        self._lock = asyncio.Lock()

    async def get(self, cfg: ProviderConfig) -> Breaker:
        key = deployment_key(cfg)
        if key in self._breakers:
            return self._breakers[key]
        async with self._lock:
            if key not in self._breakers:
                try:
                    record = await self._ledger.get_breaker(key)
                except LedgerError as exc:  # breaker memory is an optimisation: degrade
                    log.warning("breaker state unavailable, starting fresh: %s", exc)
                    record = None
                self._breakers[key] = Breaker(key, self._cfg, record)
        return self._breakers[key]

    async def persist(self, breaker: Breaker) -> None:
        try:
            await self._ledger.put_breaker(breaker.key, breaker.record(), self._cfg.state_ttl_s)
        except LedgerError as exc:
            log.warning("could not persist breaker %s: %s", breaker.key, exc)

    def snapshot(self, now: float) -> dict[str, str]:
        return {key: b.state(now) for key, b in self._breakers.items()}


@dataclass
class RunState:
    routing: RoutingConfig
    policy: Policy
    ledger: Ledger
    clock: Clock
    deadline: float
    caps: Callable[[], tuple[Cap, ...]]  # recomputed per call: a run may cross midnight UTC
    breakers: BreakerBoard
    limiters: dict[str, Limiter]
    rng: random.Random
    holds: Holds
    margins: Margins
    probes: Probes
    disabled: dict[str, str]  # provider id -> why it is out for the rest of the run
    stats: RunStats = field(default_factory=RunStats)
    attempts: list[Attempt] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # for the report: no content, no secrets
    excess: dict[str, float] = field(default_factory=dict)  # provider -> USD billed over holds
    raised: dict[str, float] = field(default_factory=dict)  # provider -> margin raised to

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def remaining(self) -> float:
        return self.deadline - self.clock.time()

    def backoff(self, attempt: int) -> float:
        """Exponential from `backoff_base_s`, capped, with up to `backoff_jitter` taken off
        (the vendor SDKs' convention: 0.5 s x 2^n capped at 8 s, jittered)."""
        r = self.routing
        delay = min(r.backoff_cap_s, r.backoff_base_s * 2 ** (attempt - 1))
        return float(delay * (1.0 - r.backoff_jitter * self.rng.random()))
