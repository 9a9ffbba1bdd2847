"""The free liveness probe of a cold deployment.

A deployment with no stored breaker state may have only `cold_start_calls` calls in
flight until one answers, which keeps a dead provider to 3 calls but makes the first
wave to a live one 3 wide. So the first admission to a cold breaker also asks the
vendor's models endpoint, which costs no tokens, whether the API is up:

- 2xx: the API and the key are good; the breaker admits up to the deployment's
  `max_concurrency` before its first answer, as many as the limiter lets through;
- 401: the key is refused; the provider is disabled for the run, and a call still
  queued behind its hold or slot is never sent;
- 403: no verdict (listing models is a permission of its own, which a restricted key
  may lack while it can chat);
- 5xx, refused, reset, timeout: one health failure on the breaker, unless a call has
  answered meanwhile;
- 429: no verdict (the list has a rate limit of its own); the cold-start limit stays;
- 404/405 or any other answer: no verdict; the cold-start limit stays.

A probe is never retried and never billed. It is not a call, so it has no row in the
run's attempts; its outcome is logged at DEBUG, and a key it refused shows in the
`disabled` skip rows of every chunk that would have used the provider.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping

from ci_orch.providers.interface import AuthError, Provider, ProviderError, RateLimited
from ci_orch.routing.breaker import Breaker
from ci_orch.routing.clock import Clock

log = logging.getLogger(__name__)

# An up API answers its models list in well under a second; a slower one would hold
# back no call (the cold-start limit applies meanwhile), only the widening.
PROBE_TIMEOUT_S = 3.0


class Probes:
    """At most one probe per deployment per run, each in a task of its own."""

    def __init__(
        self,
        *,
        enabled: bool,
        clock: Clock,
        disabled: MutableMapping[str, str],
        persist: Callable[[Breaker], Awaitable[None]],
    ) -> None:
        self._enabled = enabled
        self._clock = clock
        self._disabled = disabled
        self._persist = persist
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, provider: Provider, breaker: Breaker, time_left: float) -> None:
        """Probe `breaker`'s deployment through `provider` if nothing is known of it yet."""
        if not self._enabled or not breaker.cold or provider.config.id in self._disabled:
            return
        breaker.probed = True
        timeout = min(PROBE_TIMEOUT_S, provider.config.timeout_s, max(time_left, 0.0))
        if timeout <= 0:
            return
        task = asyncio.create_task(self._probe(provider, breaker, timeout))
        self._tasks.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(self._tasks.discard)

    async def _probe(self, provider: Provider, breaker: Breaker, timeout: float) -> None:
        pid = provider.config.id
        try:
            verdict = await provider.probe(timeout)
        except AuthError as exc:
            if exc.status == 403:
                # Listing models is a permission of its own: a restricted key (OpenAI's,
                # a gateway's per-model key) may chat without it. No verdict: the calls say.
                log.debug("provider %s: models endpoint forbidden to this key", pid)
                return
            self._disabled.setdefault(pid, f"AuthError: {exc} (models endpoint)")
            log.debug("provider %s: models endpoint refused the key", pid)
            breaker.wake()
            return
        except ProviderError as exc:
            log.debug("provider %s: models endpoint failed: %s", pid, type(exc).__name__)
            # The models endpoint sits behind the same front door as the calls, so an
            # outage there is the one a call would meet: counting it opens the breaker
            # one call sooner. It is one failure, not a verdict, since a listing can fail
            # alone (a flaky replica) while the calls would not. A 429 is the list's own
            # rate limit, which says nothing about the calls': not counted.
            if exc.health_failure and not isinstance(exc, RateLimited):
                breaker.probe_failed(exc, self._clock.time())
                await self._persist(breaker)
            return
        except Exception as exc:  # a probe must never break the run (client closed, ...)
            log.debug("provider %s: probe abandoned: %s", pid, type(exc).__name__)
            return
        log.debug("provider %s: models endpoint says %s", pid, verdict)
        if verdict == "up":
            breaker.probe_passed(provider.config.max_concurrency)
