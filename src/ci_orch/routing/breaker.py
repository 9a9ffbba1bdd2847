"""One circuit breaker per model deployment, built for CI traffic.

A run sends tens of calls, so ratio breakers with a 100-call minimum (the usual default
of proxies such as LiteLLM) never trip within one; we count consecutive health
failures. The breaker also never has more calls at risk than it tolerates: until a
deployment has answered once in this run (or after any failure), only
`threshold - failures` calls may be in flight (`cold_start_calls` before the first
answer, default `threshold`), so a dead provider receives at most `threshold` calls for
the whole run however many requests arrive at once (LiteLLM sent 150 calls for 50
requests). A cold deployment (no stored state) is also probed once through the vendor's
free models endpoint (`routing.liveness`): a passing probe lifts the cold-start limit as
an answer would, a failing one counts as one health failure. Once open, it stays open
for at least `open_s` and at least the server's Retry-After; a failure while open
extends that, never shortens it (LiteLLM #40130). Then one half-open call decides.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal

from ci_orch.config.routing import BreakerConfig
from ci_orch.ledger.interface import BreakerRecord
from ci_orch.providers.interface import ProviderError, RateLimited

State = Literal["closed", "open", "half-open"]


@dataclass(frozen=True, slots=True)
class Admission:
    admitted: bool
    reopen_at: float | None = None  # when an open breaker will admit a probe


class Breaker:
    def __init__(self, key: str, config: BreakerConfig, record: BreakerRecord | None = None):
        self.key = key
        self._cfg = config
        self.failures = record.failures if record else 0
        self.open_until = record.open_until if record else 0.0
        # Shared-upstream throttle: a 429's Retry-After holds every caller of this deployment.
        self.not_before = record.not_before if record else 0.0
        # Answered since the last failure; a persisted clean record counts as an answer.
        self.healthy = record is not None and record.failures == 0
        # The vendor's models endpoint answered in this run (and no call failed since):
        # calls in flight allowed until the first answer, else 0 (not known to be up).
        self.live_width = 0
        self.probed = False
        self.in_flight = 0
        # Opened by failures seen in this run (not a record from an earlier one): the
        # deployment is dead now, so nobody waits for it to reopen.
        self.opened_here = False
        self._changed = asyncio.Event()

    @property
    def cold(self) -> bool:
        """Nothing known yet: no stored state, no answer, no probe in this run."""
        return self.failures == 0 and not self.healthy and not self.probed

    def state(self, now: float) -> State:
        if self.failures < self._cfg.failure_threshold:
            return "closed"
        return "open" if now < self.open_until else "half-open"

    def admit(self, now: float) -> Admission | None:
        """Admission now, a refusal with `reopen_at` when open, or None: wait for news."""
        state = self.state(now)
        if state == "open":
            return Admission(False, self.open_until)
        if state == "half-open":
            return self._take() if self.in_flight == 0 else None
        if self.failures == 0:
            if self.healthy:
                return self._take()
            cold = self._cfg.cold_start_calls or self._cfg.failure_threshold
            return self._take() if self.in_flight < max(cold, self.live_width) else None
        at_risk = self.in_flight + self.failures
        return self._take() if at_risk < self._cfg.failure_threshold else None

    def _take(self) -> Admission:
        self.in_flight += 1
        return Admission(True)

    async def changed(self) -> None:
        """Resolves at the next success, failure or cancelled call."""
        await self._changed.wait()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def cancel(self) -> None:
        """An admitted call that never went out (budget, limiter deadline)."""
        self.in_flight -= 1
        self._notify()

    def succeeded(self) -> bool:
        """Returns True when the state changed (worth persisting)."""
        self.in_flight -= 1
        changed = self.failures > 0 or not self.healthy
        self.failures, self.open_until, self.healthy = 0, 0.0, True
        self._notify()
        return changed

    def failed(self, error: ProviderError, now: float, *, health: bool | None = None) -> bool:
        """`health` overrides the error's own `health_failure` (an unusable answer counts)."""
        self.in_flight -= 1
        if isinstance(error, RateLimited) and error.retry_after:
            self.not_before = max(self.not_before, now + error.retry_after)
        if not (error.health_failure if health is None else health):
            self._notify()
            return isinstance(error, RateLimited)
        self._count(error, now)
        return True

    def probe_passed(self, width: int) -> None:
        """The API is up: admit `width` calls (the deployment's concurrency) until the first
        answer. Not unlimited, as after an answer: each admitted call takes its budget hold
        before it queues for a slot, and until a bill teaches the token margin those holds
        may be short, so no more of them than can be in flight at once."""
        self.live_width = width
        self._notify()

    def probe_failed(self, error: ProviderError, now: float) -> None:
        """A health failure of the models endpoint: counted like a call's, but it held no
        slot, and it sets no throttle (a Retry-After there is the listing's own). A call
        that answered meanwhile outweighs it: the listing failed alone."""
        if self.healthy:
            return
        self._count(error, now)

    def wake(self) -> None:
        """Tell waiting requests to look again (the provider was disabled meanwhile)."""
        self._notify()

    def _count(self, error: ProviderError, now: float) -> None:
        self.failures += 1
        self.healthy = False
        self.live_width = 0
        if self.failures >= self._cfg.failure_threshold:
            hold = max(self._cfg.open_s, error.retry_after or 0.0)
            self.open_until = max(self.open_until, now + hold)  # extend, never shorten
            self.opened_here = True
        self._notify()

    def record(self) -> BreakerRecord:
        return BreakerRecord(self.failures, self.open_until, self.not_before)
