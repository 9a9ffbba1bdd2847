"""The provider chain: an "any of" over the ordered candidates for one request.

Each provider gets its own retry cycle, once per request: a fallback never restarts
the cycle of a provider already tried (LiteLLM #19985). Each retry waits that
attempt's own Retry-After, else jittered backoff; a wait longer than the run has left
means fail over now. Failures route by kind: context-window -> only larger windows
(#10793), content filter -> another provider (#8953), auth/quota -> provider disabled
for the run. When every candidate's breaker is open and one reopens before the
deadline, we wait for it instead of failing at once (#3646, #27823).
"""

from __future__ import annotations

import asyncio

from ci_orch.ledger.interface import BudgetExceeded, Reservation
from ci_orch.providers.interface import (
    AuthError,
    ContextWindowExceeded,
    ProviderError,
    QuotaExhausted,
)
from ci_orch.routing.attempts import AttemptLog
from ci_orch.routing.breaker import Admission, Breaker
from ci_orch.routing.call import Caller, Success, deadline_error
from ci_orch.routing.eligibility import Candidate
from ci_orch.routing.errors import AllProvidersFailed, BudgetExhausted, ContextTooLarge
from ci_orch.routing.model import RoutedRequest
from ci_orch.routing.state import RunState

# After sleeping for a breaker to reopen, try the whole order at most this many times.
_MAX_PASSES = 3
# Extra life of a budget hold beyond the deadline, for a call that is slow to settle.
_HOLD_GRACE_S = 60.0

__all__ = ["Chain", "Success"]


class Chain:
    def __init__(self, run: RunState, routed: RoutedRequest, log: AttemptLog) -> None:
        self._run = run
        self._routed = routed
        self.log = log
        self._caller = Caller(run, routed, log)
        self.min_window = 0
        self._window_limit = 0
        self._budget: list[BudgetExceeded] = []
        self._reopen_at: list[float] = []

    async def run(self, order: list[Candidate]) -> Success:
        for _ in range(_MAX_PASSES):
            self._reopen_at.clear()
            calls_before = self.log.calls
            for cand in order:
                if cand.config.context_window <= self.min_window:
                    self.log.skip(cand.config, "context_window", "no larger than a failed window")
                    continue
                if cand.id in self._run.disabled:
                    self.log.skip(cand.config, "disabled", self._run.disabled[cand.id])
                    continue
                got = await self._provider(cand)
                if got is not None:
                    return got
            if self.log.calls > calls_before or not await self._wait_for_reopen():
                break
        raise self._failure(len(order))

    async def _wait_for_reopen(self) -> bool:
        if not self._reopen_at:
            return False
        now = self._run.clock.time()
        soonest = min(self._reopen_at)
        if soonest >= self._run.deadline:
            return False
        await self._run.clock.sleep(soonest - now)
        return True

    async def _provider(self, cand: Candidate) -> Success | None:
        breaker = await self._run.breakers.get(cand.config)
        wait_s = 0.0
        for n in range(1, self._run.routing.max_attempts + 1):
            held = await self._hold_for_throttle(cand, breaker)
            if held is None:
                return None
            # From admission on, every path ends in exactly one breaker outcome (the
            # reserve and the call handle their own), so no await sits in between.
            admission = await self._admit(breaker)
            if not admission.admitted:
                self._note_open(cand, breaker, admission)
                return None
            reservation = await self._reserve(cand, breaker)
            if reservation is None:
                return None
            outcome = await self._caller.call(cand, breaker, reservation, n, wait_s + held)
            if not isinstance(outcome, ProviderError):
                return outcome
            delay = self._retry_delay(cand, breaker, outcome, n)
            if delay is None or not await self._back_off(breaker, delay):
                return None
            wait_s = delay
        return None

    async def _back_off(self, breaker: Breaker, delay: float) -> bool:
        """Sleep before a retry; False when the breaker opened meanwhile (other requests'
        calls failed), so we fail over at once instead of finishing a pointless wait."""
        sleeper = asyncio.ensure_future(self._run.clock.sleep(delay))
        try:
            while not sleeper.done():
                news = asyncio.ensure_future(breaker.changed())
                await asyncio.wait({sleeper, news}, return_when=asyncio.FIRST_COMPLETED)
                news.cancel()
                if breaker.state(self._run.clock.time()) == "open":
                    self._reopen_at.append(breaker.open_until)
                    return False
        finally:
            sleeper.cancel()
        return True

    async def _admit(self, breaker: Breaker) -> Admission:
        while True:
            admission = breaker.admit(self._run.clock.time())
            if admission is not None:
                return admission
            try:  # calls at risk are in flight: wait for their outcome
                async with asyncio.timeout(max(self._run.remaining(), 0.0)):
                    await breaker.changed()
            except TimeoutError:
                raise deadline_error(self._run, self.log) from None

    def _note_open(self, cand: Candidate, breaker: Breaker, admission: Admission) -> None:
        reopen = admission.reopen_at or breaker.open_until
        self._reopen_at.append(reopen)
        wait = reopen - self._run.clock.time()
        self.log.skip(cand.config, "breaker_open", f"open for another {wait:.1f} s")

    async def _hold_for_throttle(self, cand: Candidate, breaker: Breaker) -> float | None:
        """Obey a Retry-After another caller of this deployment received (shared upstream)."""
        hold = breaker.not_before - self._run.clock.time()
        if hold <= 0:
            return 0.0
        if hold >= self._run.remaining():
            self.log.skip(cand.config, "rate_limited", f"throttled for {hold:.1f} s > time left")
            return None
        await self._run.clock.sleep(hold)
        return hold

    async def _reserve(self, cand: Candidate, breaker: Breaker) -> Reservation | None:
        hold_s = max(self._run.remaining(), cand.config.timeout_s) + _HOLD_GRACE_S
        try:
            return await self._run.ledger.reserve(
                self._run.caps(), cand.worst_case_usd, hold_s=hold_s
            )
        except BudgetExceeded as exc:
            breaker.cancel()
            self._budget.append(exc)
            self.log.skip(cand.config, "budget", str(exc))
            return None
        except BaseException:
            breaker.cancel()
            raise

    def _retry_delay(
        self, cand: Candidate, breaker: Breaker, error: ProviderError, n: int
    ) -> float | None:
        """Seconds to wait before retrying this provider, or None: fail over now."""
        run = self._run
        if isinstance(error, AuthError | QuotaExhausted):
            run.disabled[cand.id] = f"{type(error).__name__}: {error}"
            return None
        if isinstance(error, ContextWindowExceeded):
            self.min_window = max(self.min_window, cand.config.context_window)
            self._window_limit = max(self._window_limit, error.limit or cand.config.context_window)
            return None
        if not error.worth_retrying or n >= run.routing.max_attempts:
            return None
        now = run.clock.time()
        if breaker.state(now) == "open":
            self._reopen_at.append(breaker.open_until)
            return None
        delay = error.retry_after if error.retry_after is not None else run.backoff(n)
        if now + delay >= run.deadline:
            self.log.note(cand.config, f"wait {delay:.1f} s exceeds the time left: failing over")
            return None
        return delay

    def _failure(self, total: int) -> Exception:
        if self._budget and self.log.calls == 0:
            first = self._budget[0]
            return BudgetExhausted(f"budget exhausted: {first}", self.log.rows)
        if self.min_window:
            return ContextTooLarge(self._window_limit, self.log.failures, total, self.log.rows)
        now = self._run.clock.time()
        retry_after = min(self._reopen_at) - now if self._reopen_at else None
        return AllProvidersFailed(self.log.failures, total, self.log.rows, retry_after)

