"""Provider adapters as an eval run uses them: built once, limited across trials.

Each trial runs the real pipeline, which makes its own Router and so its own per-provider
limiters. To keep `max_concurrency`, `rpm` and `tpm` for the eval run as a whole, every
call also passes through one shared `Limiter` per provider (the router's own class). A
trial's view (`TrialProviders`) also keeps each answer's text, for generation assertions.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from ci_orch.config.model import Config
from ci_orch.providers.errors import Timeout
from ci_orch.providers.interface import Provider, ProviderRequest, ProviderResponse
from ci_orch.providers.registry import build_provider
from ci_orch.routing.clock import SystemClock
from ci_orch.routing.limiter import Limiter, LimiterDeadline


class SharedProviders:
    """One adapter and one limiter per configured provider, for the whole eval run."""

    def __init__(self, config: Config, env: Mapping[str, str]) -> None:
        clock = SystemClock()
        self.adapters: dict[str, Provider] = {
            p.id: build_provider(p, env) for p in config.providers
        }
        self.limiters = {pid: Limiter(p.config, clock) for pid, p in self.adapters.items()}

    def for_trial(self, ids: tuple[str, ...], deadline_s: float) -> TrialProviders:
        return TrialProviders(
            {pid: self.adapters[pid] for pid in ids},
            {pid: self.limiters[pid] for pid in ids},
            time.time() + deadline_s,
        )

    async def aclose(self) -> None:
        for adapter in self.adapters.values():
            await adapter.aclose()


class TrialProviders:
    """The providers one trial may use, and the answers they gave it."""

    def __init__(
        self, adapters: Mapping[str, Provider], limiters: Mapping[str, Limiter], deadline: float
    ) -> None:
        self.answers: list[str] = []
        self.providers: dict[str, Provider] = {
            pid: _Limited(a, limiters[pid], deadline, self.answers) for pid, a in adapters.items()
        }


class _Limited(Provider):
    def __init__(
        self, inner: Provider, limiter: Limiter, deadline: float, answers: list[str]
    ) -> None:
        self.id = inner.id
        self.config = inner.config
        self._inner = inner
        self._limiter = limiter
        self._deadline = deadline
        self._answers = answers

    async def complete(self, request: ProviderRequest) -> ProviderResponse:
        tokens = (request.input_tokens_estimate or 0) + request.max_output_tokens
        try:
            async with self._limiter.slot(tokens, self._deadline):
                response = await self._inner.complete(request)
        except LimiterDeadline:
            # A provider error the router understands: this trial ran out of time waiting.
            raise Timeout("no eval slot free before the case's timeout") from None
        self._answers.append(response.text)
        return response

    async def aclose(self) -> None:
        return None  # the shared adapter is closed once, by SharedProviders
