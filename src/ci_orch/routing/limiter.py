"""Per-provider limits that queue, never reject.

LiteLLM's `max_parallel_requests` rejects calls over the limit instead of queueing them
(15-22 of 60 concurrent calls in our measurement), and a CI run would lose that work. Here a
call waits for a concurrency slot (FIFO), then for room in the provider's one-minute request
and token windows. Tokens are counted as input plus `max_output_tokens`, as OpenAI counts
them against TPM (https://platform.openai.com/docs/guides/rate-limits). Only the run's
deadline ends a wait, with `LimiterDeadline`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ci_orch.config.providers import ProviderConfig
from ci_orch.routing.clock import Clock

_WINDOW_S = 60.0


class LimiterDeadline(Exception):
    """The wait for a slot would outlast the run's deadline."""


class Limiter:
    def __init__(self, config: ProviderConfig, clock: Clock) -> None:
        self._clock = clock
        self._slots = asyncio.Semaphore(config.max_concurrency)
        self._rpm = config.rpm
        self._tpm = config.tpm
        self._sent: deque[tuple[float, int]] = deque()  # (start time, tokens)
        self._window_lock = asyncio.Lock()  # FIFO among calls waiting on the windows
        self.in_flight = 0
        self.peak_in_flight = 0

    @asynccontextmanager
    async def slot(self, tokens: int, deadline: float) -> AsyncIterator[float]:
        """Hold a slot for one call; yields the seconds spent waiting."""
        start = self._clock.time()
        try:
            async with asyncio.timeout(max(deadline - start, 0.0)):
                await self._slots.acquire()
        except TimeoutError:
            raise LimiterDeadline from None
        try:
            await self._wait_for_window(tokens, deadline)
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                yield self._clock.time() - start
            finally:
                self.in_flight -= 1
        finally:
            self._slots.release()

    async def _wait_for_window(self, tokens: int, deadline: float) -> None:
        if self._rpm is None and self._tpm is None:
            return
        async with self._window_lock:
            while True:
                now = self._clock.time()
                while self._sent and self._sent[0][0] <= now - _WINDOW_S:
                    self._sent.popleft()
                if self._fits(tokens):
                    self._sent.append((now, tokens))
                    return
                ready = self._sent[0][0] + _WINDOW_S
                if ready > deadline:
                    raise LimiterDeadline
                await self._clock.sleep(ready - now)

    def _fits(self, tokens: int) -> bool:
        if not self._sent:
            return True  # a call larger than the whole TPM still goes, alone
        if self._rpm is not None and len(self._sent) >= self._rpm:
            return False
        used = sum(t for _, t in self._sent)
        return self._tpm is None or used + tokens <= self._tpm
