"""One call to one provider: a limiter slot, the run's deadline, then settle or release
the budget hold, tell the breaker, and log the attempt.

Whatever a billed answer turns out to be (prose, cut short, refused, filtered), it is
settled at the cost its usage says: the vendor charged for it. An answer that broke off
after it began (reset, stall, unreadable body) keeps its whole hold as spent, since the
vendor may have billed it and we cannot read how much.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from ci_orch.ledger.interface import LedgerError, Reservation
from ci_orch.providers.interface import (
    AuthError,
    MalformedResponse,
    ProviderError,
    ProviderResponse,
    QuotaExhausted,
    Timeout,
    Usage,
)
from ci_orch.routing.attempts import AttemptLog
from ci_orch.routing.breaker import Breaker
from ci_orch.routing.cost import actual_usd
from ci_orch.routing.eligibility import Candidate
from ci_orch.routing.errors import DeadlineExceeded
from ci_orch.routing.limiter import LimiterDeadline
from ci_orch.routing.model import RoutedRequest
from ci_orch.routing.state import RunState

logger = logging.getLogger(__name__)

Success = tuple[Candidate, ProviderResponse, float]


def deadline_error(run: RunState, log: AttemptLog) -> DeadlineExceeded:
    return DeadlineExceeded(f"routing.deadline_s ({run.routing.deadline_s:g} s) passed", log.rows)


class Caller:
    def __init__(self, run: RunState, routed: RoutedRequest, log: AttemptLog) -> None:
        self._run = run
        self._routed = routed
        self.log = log

    async def call(
        self, cand: Candidate, breaker: Breaker, reservation: Reservation, n: int, wait_s: float
    ) -> Success | ProviderError | None:
        """The call's success or error; None when the provider was disabled while the call
        waited for its slot (then it was never sent, and its hold is released)."""
        run = self._run
        request = dataclasses.replace(
            self._routed.request,
            timeout_s=min(cand.config.timeout_s, max(run.remaining(), 0.001)),
            input_tokens_estimate=cand.input_tokens,
            max_output_tokens=cand.max_output_tokens,
        )
        queued = 0.0
        try:
            tokens = cand.input_tokens + cand.max_output_tokens
            async with run.limiters[cand.id].slot(tokens, run.deadline) as queued:
                if cand.id in run.disabled:  # the probe found the key refused: do not send
                    response = None
                else:
                    async with asyncio.timeout(max(run.remaining(), 0.0)):
                        response = await cand.provider.complete(request)
        except ProviderError as exc:
            return await self._failed(cand, breaker, reservation, exc, n, wait_s + queued)
        except LimiterDeadline:
            await self._abandon(breaker, reservation)
            self.log.skip(cand.config, "deadline", "no slot free before the run's deadline")
            raise deadline_error(self._run, self.log) from None
        except TimeoutError:
            await self._abandon(breaker, reservation)
            cut = Timeout("cut off by routing.deadline_s", provider_id=cand.id)
            self.log.error(cand.config, n, cut, wait_s + queued, kind="deadline")
            raise deadline_error(self._run, self.log) from None
        except BaseException:  # cancelled: the hold goes now, not when it expires
            await self._abandon(breaker, reservation)
            raise
        if response is None:
            await self._abandon(breaker, reservation)
            self.log.skip(cand.config, "disabled", run.disabled[cand.id])
            return None
        return await self._succeeded(cand, breaker, reservation, response, n, wait_s + queued)

    async def _abandon(self, breaker: Breaker, reservation: Reservation) -> None:
        breaker.cancel()
        # A second cancellation (a caller tearing down its tasks twice) must not leave the
        # hold to expire: the release runs to its end unless it is itself cancelled.
        release = asyncio.ensure_future(self._run.holds.release(reservation))
        while not release.done():
            try:
                await asyncio.shield(release)
            except asyncio.CancelledError:
                if release.cancelled():
                    raise

    async def _failed(
        self,
        cand: Candidate,
        breaker: Breaker,
        reservation: Reservation,
        exc: ProviderError,
        n: int,
        wait_s: float,
    ) -> Success | ProviderError:
        run = self._run
        now = run.clock.time()
        was_open = breaker.state(now) == "open"
        # A deployment that answers but never usably is as useless to us as a dead one.
        unusable = isinstance(exc, MalformedResponse) and exc.usage is not None
        raised = self._learn(cand, exc.usage)
        changed = breaker.failed(exc, now, health=True if unusable else None)  # before any await
        if isinstance(exc, AuthError | QuotaExhausted):
            # Also before any await: a request admitted the moment the breaker hears of this
            # failure must already see the provider disabled.
            run.disabled.setdefault(cand.id, f"{type(exc).__name__}: {exc}")
        if not was_open and breaker.state(now) == "open":
            logger.warning(
                "provider %s: circuit open for %.0f s after %d failures",
                cand.id, breaker.open_until - now, breaker.failures,
            )
        cost = await self._settle_failed(cand, reservation, exc, raised)
        if changed:
            await run.breakers.persist(breaker)
        repairable = self._repairable(cand, exc, cost)
        if repairable is not None:
            self.log.error(
                cand.config, n, exc, wait_s, response=repairable[1], cost=cost,
                detail=f"handed back for one repair: {exc.message}",
            )
            return repairable
        self.log.error(cand.config, n, exc, wait_s, cost=cost)
        return exc

    async def _settle_failed(
        self, cand: Candidate, reservation: Reservation, exc: ProviderError, raised: bool
    ) -> float:
        if exc.usage is not None:
            cost = actual_usd(cand.config, exc.usage)
            await self._settle(cand, reservation, cost, raised)
            return cost
        if exc.billed_unknown:
            self._run.note(
                f"{cand.id}: an answer that broke off after it began was counted at its full "
                "hold (the vendor may bill it; its usage could not be read)"
            )
            await self._settle(cand, reservation, reservation.amount_usd, False)
            return reservation.amount_usd
        await self._run.holds.release(reservation)
        return 0.0

    def _repairable(self, cand: Candidate, exc: ProviderError, cost: float) -> Success | None:
        """A billed answer that is not valid JSON goes back to the caller, which owns the
        one repair attempt (a real call of its own); a validator's rejection does not."""
        request = self._routed.request
        if not isinstance(exc, MalformedResponse) or exc.usage is None or not exc.text:
            return None
        if request.json_schema is None or self._routed.validate is not None:
            return None
        response = ProviderResponse(
            text=exc.text, parsed=None, finish_reason="stop", usage=exc.usage,
            model=cand.config.model, request_id=None, latency_ms=0.0,
        )
        return cand, response, cost

    def _learn(self, cand: Candidate, usage: Usage | None) -> bool:
        """Raise the deployment's margin from a bill, before any await; True if raised."""
        if usage is None or cand.vendor_counted:
            return False
        raised = self._run.margins.learn(cand.config, cand.input_tokens, usage.input_tokens)
        if raised is None:
            return False
        self._run.raised[cand.id] = raised
        return True

    async def _settle(
        self, cand: Candidate, reservation: Reservation, cost: float, raised: bool
    ) -> None:
        run = self._run
        try:
            await run.holds.settle(reservation, cost)
        except LedgerError as exc:  # the answer is paid for: keep it; the next reserve decides
            logger.warning("could not settle $%.6f with the ledger: %s", cost, exc)
        if cost > reservation.amount_usd:
            run.excess[cand.id] = run.excess.get(cand.id, 0.0) + cost - reservation.amount_usd
        if raised:
            await run.margins.store(cand.config)

    async def _succeeded(
        self,
        cand: Candidate,
        breaker: Breaker,
        reservation: Reservation,
        response: ProviderResponse,
        n: int,
        wait_s: float,
    ) -> Success | ProviderError:
        run = self._run
        raised = self._learn(cand, response.usage)
        changed = breaker.succeeded()  # before any await: see Chain._provider
        cost = actual_usd(cand.config, response.usage)
        await self._settle(cand, reservation, cost, raised)
        if changed:
            await run.breakers.persist(breaker)
        run.stats.observe_latency(cand.id, response.latency_ms)
        problem = self._routed.validate(response) if self._routed.validate else None
        if problem is not None:
            err = MalformedResponse(f"answer failed validation: {problem}", provider_id=cand.id)
            self.log.error(
                cand.config, n, err, wait_s, response=response, cost=cost, kind="invalid"
            )
            return err
        self.log.ok(cand.config, n, response, cost, wait_s)
        return cand, response, cost
