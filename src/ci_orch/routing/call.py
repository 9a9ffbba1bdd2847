"""One call to one provider: a limiter slot, the run's deadline, then settle or release
the budget hold, tell the breaker, and log the attempt."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from ci_orch.ledger.interface import LedgerError, Reservation
from ci_orch.providers.interface import (
    MalformedResponse,
    ProviderError,
    ProviderResponse,
    Timeout,
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
    ) -> Success | ProviderError:
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
                async with asyncio.timeout(max(run.remaining(), 0.0)):
                    response = await cand.provider.complete(request)
        except ProviderError as exc:
            now = run.clock.time()
            was_open = breaker.state(now) == "open"
            changed = breaker.failed(exc, now)  # before any await
            if not was_open and breaker.state(now) == "open":
                logger.warning(
                    "provider %s: circuit open for %.0f s after %d health failures",
                    cand.id, breaker.open_until - now, breaker.failures,
                )
            await run.ledger.release(reservation)
            if changed:
                await run.breakers.persist(breaker)
            self.log.error(cand.config, n, exc, wait_s + queued)
            return exc
        except LimiterDeadline:
            await self._abandon(breaker, reservation)
            self.log.skip(cand.config, "deadline", "no slot free before the run's deadline")
            raise deadline_error(self._run, self.log) from None
        except TimeoutError:
            await self._abandon(breaker, reservation)
            cut = Timeout("cut off by routing.deadline_s", provider_id=cand.id)
            self.log.error(cand.config, n, cut, wait_s + queued, kind="deadline")
            raise deadline_error(self._run, self.log) from None
        except BaseException:
            await self._abandon(breaker, reservation)
            raise
        return await self._succeeded(cand, breaker, reservation, response, n, wait_s + queued)

    async def _abandon(self, breaker: Breaker, reservation: Reservation) -> None:
        breaker.cancel()
        await asyncio.shield(self._run.ledger.release(reservation))

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
        changed = breaker.succeeded()  # before any await: see Chain._provider
        cost = actual_usd(cand.config, response.usage)
        try:
            await run.ledger.settle(reservation, cost)
        except LedgerError as exc:  # the answer is paid for: keep it; the next reserve decides
            logger.warning("could not settle $%.6f with the ledger: %s", cost, exc)
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
