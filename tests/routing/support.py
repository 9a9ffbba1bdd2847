"""Fakes for the routing tests: a scripted `Provider` (subclass of the real ABC) and a clock
whose sleep advances time at once, so retry, backoff and breaker timing runs instantly."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ci_orch.config.model import Config
from ci_orch.config.policy import Policy
from ci_orch.config.providers import Price, ProviderConfig
from ci_orch.config.routing import RoutingConfig
from ci_orch.ledger import Ledger
from ci_orch.providers.interface import (
    Message,
    Provider,
    ProviderError,
    ProviderRequest,
    ProviderResponse,
    Usage,
)
from ci_orch.routing import RoutedRequest, Router


class FakeClock:
    def __init__(self, t: float = 1_800_000_000.0) -> None:
        self.t = t
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.t += max(seconds, 0.0)
        await asyncio.sleep(0)


Outcome = ProviderError | str | Callable[[ProviderRequest], ProviderResponse]


class ScriptedProvider(Provider):
    """Plays `script` one outcome per call ("ok" or an exception), then `then` for ever."""

    def __init__(
        self,
        config: ProviderConfig,
        script: Sequence[Outcome] = (),
        *,
        then: Outcome = "ok",
        delay_s: float = 0.0,
        usage: Usage | None = None,
        parsed: Any = None,
    ) -> None:
        self.id = config.id
        self.config = config
        self._script = list(script)
        self._then = then
        self._delay = delay_s
        self._usage = usage
        self._parsed = parsed
        self.calls: list[ProviderRequest] = []
        self.in_flight = 0
        self.peak = 0

    async def complete(self, request: ProviderRequest) -> ProviderResponse:
        self.calls.append(request)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            if self._delay:
                await asyncio.sleep(self._delay)
            outcome = self._script.pop(0) if self._script else self._then
            if isinstance(outcome, ProviderError):
                outcome.provider_id = self.id
                raise outcome
            if callable(outcome):
                return outcome(request)
            usage = self._usage or Usage(request.input_tokens_estimate or 10, 0, 20)
            return ProviderResponse(
                text=f"answer from {self.id}", parsed=self._parsed, finish_reason="stop",
                usage=usage, model=self.config.model, request_id="req-1", latency_ms=100.0,
            )
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        return None


def pcfg(pid: str, **kw: Any) -> ProviderConfig:
    base: dict[str, Any] = {
        "id": pid,
        "type": "openai-compatible",
        "model": f"{pid}-model",
        "base_url": f"http://127.0.0.1:9/{pid}",
        "price": Price(input_per_mtok=1.0, output_per_mtok=2.0),
    }
    base.update(kw)
    return ProviderConfig(**base)


def make_config(
    providers: Iterable[ProviderConfig], *, policy: Policy | None = None, **routing: Any
) -> Config:
    return Config(
        providers=tuple(providers),
        policy=policy or Policy(),
        routing=RoutingConfig(**routing),
        team="t",
    )


def make_router(
    config: Config,
    providers: Sequence[Provider],
    ledger: Ledger,
    clock: FakeClock | None = None,
    *,
    run_id: str = "run-1",
    env: dict[str, str] | None = None,
) -> Router:
    import random

    return Router(
        config,
        {p.config.id: p for p in providers},
        ledger,
        run_id=run_id,
        clock=clock or FakeClock(),
        env=env or {},
        rng=random.Random(7),
    )


def req(text: str = "def f(): pass", *, max_out: int = 100, **kw: Any) -> RoutedRequest:
    request = ProviderRequest(
        system="review", messages=(Message("user", text),), max_output_tokens=max_out
    )
    return RoutedRequest(request=request, **kw)
