"""The provider chain: an "any of" over the ordered candidates for one request.

Each provider gets its own retry cycle, once per request: a fallback never restarts
the cycle of a provider already tried (LiteLLM #19985). Each retry waits that
attempt's own Retry-After, else jittered backoff; a wait longer than the run has left
means fail over now. Failures route by kind: context-window -> only larger windows
(#10793), content filter -> another provider (#8953), auth/quota -> provider disabled
for the run. When every candidate's breaker is open and one reopens before the
deadline, we wait for it instead of failing at once (#3646, #27823), unless this run's
own calls opened it: then the deployment is dead now, and waiting would only turn one
dead provider into minutes per chunk. A Retry-After longer than a backup is likely to
need is not slept: the chunk fails over at once.
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
from ci_orch.routing.cost import worst_case_usd
from ci_orch.routing.eligibility import Candidate
from ci_orch.routing.errors import AllProvidersFailed, BudgetExhausted, ContextTooLarge
from ci_orch.routing.model import RoutedRequest
from ci_orch.routing.state import RunState

# After sleeping for a breaker to reopen, try the whole order at most this many times.
_MAX_PASSES = 3
# Extra life of a budget hold beyond the run's deadline, for a call that is slow to settle.
# Short, so a run killed without cleanup (SIGKILL) blocks the next one's caps only briefly.
_HOLD_GRACE_S = 10.0
# What a backup with no latency observed yet in this run is assumed to need.
_UNKNOWN_BACKUP_S = 10.0

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
        self._order: list[Candidate] = []

    async def run(self, order: list[Candidate]) -> Success:
        self._order = order
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
            admission = await self._admit(cand, breaker)
            if admission is None:  # another request's call, or the probe, had the key refused
                self.log.skip(cand.config, "disabled", self._run.disabled[cand.id])
                return None
            if not admission.admitted:
                self._note_open(cand, breaker, admission)
                return None
            self._run.probes.start(cand.provider, breaker, self._run.remaining())
            reservation = await self._reserve(cand, breaker)
            if reservation is None:
                return None
            outcome = await self._caller.call(cand, breaker, reservation, n, wait_s + held)
            if outcome is None:  # disabled while it queued: never sent
                return None
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
                    self._may_reopen(breaker)
                    return False
        finally:
            sleeper.cancel()
        return True

    async def _admit(self, cand: Candidate, breaker: Breaker) -> Admission | None:
        """The breaker's admission, waiting while its calls at risk are out; None when the
        provider is disabled (checked with no await before the admission, so an admitted
        call never belongs to a disabled provider)."""
        while True:
            if cand.id in self._run.disabled:
                return None
            admission = breaker.admit(self._run.clock.time())
            if admission is not None:
                return admission
            try:  # calls at risk are in flight: wait for their outcome
                async with asyncio.timeout(max(self._run.remaining(), 0.0)):
                    await breaker.changed()
            except TimeoutError:
                raise deadline_error(self._run, self.log) from None

    def _may_reopen(self, breaker: Breaker, at: float | None = None) -> None:
        """Remember when `breaker` admits a probe, worth waiting for only when it was
        opened by an earlier run (its record may be stale), not by this run's failures."""
        if not breaker.opened_here:
            self._reopen_at.append(at or breaker.open_until)

    def _note_open(self, cand: Candidate, breaker: Breaker, admission: Admission) -> None:
        reopen = admission.reopen_at or breaker.open_until
        self._may_reopen(breaker, reopen)
        wait = reopen - self._run.clock.time()
        why = f"{breaker.failures} failures in this run" if breaker.opened_here else "stored state"
        self.log.skip(cand.config, "breaker_open", f"open for another {wait:.1f} s ({why})")

    async def _hold_for_throttle(self, cand: Candidate, breaker: Breaker) -> float | None:
        """Obey a Retry-After another caller of this deployment received (shared upstream)."""
        hold = breaker.not_before - self._run.clock.time()
        if hold <= 0:
            return 0.0
        if hold >= self._run.remaining():
            self.log.skip(cand.config, "rate_limited", f"throttled for {hold:.1f} s > time left")
            return None
        if self._backup_need(cand) < hold:
            self.log.skip(cand.config, "rate_limited", f"throttled for {hold:.1f} s: failing over")
            return None
        await self._run.clock.sleep(hold)
        return hold

    async def _reserve(self, cand: Candidate, breaker: Breaker) -> Reservation | None:
        """A hold for the call's worst case. A cap full only of this run's own holds is not
        exhausted: wait for one of them to settle (most settle far below their hold)."""
        holds = self._run.holds
        try:
            while True:
                hold_s = max(self._run.remaining(), 0.0) + _HOLD_GRACE_S
                closed = holds.closed_count
                try:
                    return await holds.reserve(self._run.caps(), self._hold_usd(cand), hold_s)
                except BudgetExceeded as exc:
                    if closed != holds.closed_count:  # a hold closed meanwhile: try again
                        continue
                    if not await holds.wait_for_one(self._run.remaining()):
                        breaker.cancel()
                        self._budget.append(exc)
                        self.log.skip(cand.config, "budget", str(exc))
                        return None
        except BaseException:
            breaker.cancel()
            raise

    def _hold_usd(self, cand: Candidate) -> float:
        """The worst case with the margin as it stands now: bills that arrived while this
        request queued may have raised it since the candidate was priced."""
        if cand.vendor_counted:
            return cand.worst_case_usd
        tokens = self._run.margins.hold_tokens(cand.config, cand.input_tokens)
        now = worst_case_usd(cand.config, tokens, cand.max_output_tokens)
        return max(cand.worst_case_usd, now)

    def _retry_delay(
        self, cand: Candidate, breaker: Breaker, error: ProviderError, n: int
    ) -> float | None:
        """Seconds to wait before retrying this provider, or None: fail over now."""
        run = self._run
        if isinstance(error, AuthError | QuotaExhausted):  # disabled by the caller already
            return None
        if isinstance(error, ContextWindowExceeded):
            self.min_window = max(self.min_window, cand.config.context_window)
            self._window_limit = max(self._window_limit, error.limit or cand.config.context_window)
            return None
        if not error.worth_retrying or n >= run.routing.max_attempts:
            return None
        now = run.clock.time()
        if breaker.state(now) == "open":
            self._may_reopen(breaker)
            return None
        delay = error.retry_after if error.retry_after is not None else run.backoff(n)
        if now + delay >= run.deadline:
            self.log.note(cand.config, f"wait {delay:.1f} s exceeds the time left: failing over")
            return None
        if error.retry_after is not None and self._backup_need(cand) < delay:
            self.log.note(cand.config, f"Retry-After {delay:.1f} s: a backup is quicker")
            return None
        return delay

    def _backup_need(self, cand: Candidate) -> float:
        """Seconds the quickest usable provider after `cand` in this order likely needs;
        infinite when there is none (then waiting is the only way to an answer)."""
        later = self._order[self._order.index(cand) + 1 :] if cand in self._order else []
        needs = [
            (self._run.stats.latency_ms(b.id) or _UNKNOWN_BACKUP_S * 1000) / 1000
            for b in later
            if b.id not in self._run.disabled and b.config.context_window > self.min_window
        ]
        return min(needs, default=float("inf"))

    def _failure(self, total: int) -> Exception:
        if self._budget and self.log.calls == 0:
            first = self._budget[0]
            return BudgetExhausted(f"budget exhausted: {first}", self.log.rows)
        if self.min_window:
            return ContextTooLarge(self._window_limit, self.log.failures, total, self.log.rows)
        now = self._run.clock.time()
        retry_after = min(self._reopen_at) - now if self._reopen_at else None
        return AllProvidersFailed(self.log.failures, total, self.log.rows, retry_after)

