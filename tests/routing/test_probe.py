"""The liveness probe in a run, over HTTP: a cold deployment's first admission asks the
vendor's models endpoint, and its answer widens, disables or counts against the breaker."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

import pytest

from ci_orch.config.routing import BreakerConfig
from ci_orch.ledger import Ledger
from ci_orch.ledger.interface import Cap, DelegatingLedger, Reservation
from ci_orch.providers.interface import Provider
from ci_orch.providers.registry import build_provider
from ci_orch.routing import Router
from ci_orch.routing.errors import AllProvidersFailed
from ci_orch.testing.provider_server import ProviderServer
from tests.routing.support import FakeClock, make_config, make_router, pcfg, req

KEYS = {"OPENAI_API_KEY": "sk-test"}


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    with ProviderServer({}) as srv:
        yield srv


class HeldUntil(DelegatingLedger):
    """A real ledger whose holds wait for `ready()`: the calls queue behind the probe."""

    def __init__(self, inner: Ledger, ready: Callable[[], Awaitable[None]]) -> None:
        super().__init__(inner)
        self._ready = ready

    async def reserve(
        self, caps: Sequence[Cap], amount_usd: float, *, hold_s: float
    ) -> Reservation:
        await self._ready()
        return await super().reserve(caps, amount_usd, hold_s=hold_s)


def wire(server: ProviderServer, script: dict[str, Any], **kw: Any) -> Provider:
    server.load({"models": {"m": script}})
    kw.setdefault("type", "openai")
    return build_provider(pcfg("p", model="m", base_url=server.url_for(kw["type"]), **kw), KEYS)


async def run(router: Router, n: int) -> list[Any]:
    return await asyncio.gather(*(router.route(req(f"x{i}")) for i in range(n)),
                                return_exceptions=True)


@pytest.mark.parametrize("probe", [True, False])
async def test_a_passing_probe_lets_a_cold_start_go_full_width(
    server: ProviderServer, ledger: Ledger, probe: bool
) -> None:
    provider = wire(server, {"text": "ok", "latency_ms": 800}, max_concurrency=6)
    config = make_config([provider.config], breaker=BreakerConfig(probe=probe))
    router = make_router(config, [provider], ledger, env=KEYS)
    results = await run(router, 6)
    await provider.aclose()
    assert all(r.provider == "p" for r in results)
    # Without the probe 3 go first and the rest once one has answered, so fewer than 6
    # are ever out together (3, or up to 5 when the answers come one by one).
    peak = router.limiter_peaks()["p"]
    assert peak == 6 if probe else 3 <= peak < 6
    assert len(server.probes) == (1 if probe else 0)


async def test_a_key_the_probe_refused_sends_no_call(
    server: ProviderServer, ledger: Ledger
) -> None:
    provider = wire(server, {"then": "auth"}, max_concurrency=6)
    router: Router | None = None

    async def probe_answered() -> None:
        while router is None or not router.disabled:
            await asyncio.sleep(0.01)

    config = make_config([provider.config])
    router = make_router(config, [provider], HeldUntil(ledger, probe_answered), env=KEYS)
    results = await asyncio.wait_for(run(router, 6), 10)
    await provider.aclose()
    assert all(isinstance(r, AllProvidersFailed) for r in results)
    assert server.requests == []  # not one chat call
    assert "models endpoint" in router.disabled["p"]


@pytest.mark.parametrize(("probe", "calls"), [(True, 1), (False, 2)])
async def test_a_down_api_fails_its_probe_as_one_health_failure(
    server: ProviderServer, ledger: Ledger, clock: FakeClock, probe: bool, calls: int
) -> None:
    provider = wire(server, {"then": "server_error"}, max_concurrency=6)
    # Two failures open the breaker; one call may be out before the first answer.
    breaker = BreakerConfig(failure_threshold=2, cold_start_calls=1, probe=probe)
    config = make_config([provider.config], max_attempts=1, breaker=breaker)
    probed = asyncio.Event()

    async def probe_answered() -> None:
        while probe and not server.probes:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # the verdict reaches the breaker
        probed.set()

    router = make_router(config, [provider], HeldUntil(ledger, probe_answered), clock, env=KEYS)
    results = await asyncio.wait_for(run(router, 10), 10)
    await provider.aclose()
    assert probed.is_set()
    assert all(isinstance(r, Exception) for r in results)
    assert len(server.requests) == calls  # the probe's failure and one call's: open
    assert list(router.breaker_states().values()) == ["open"]


async def test_a_deployment_known_healthy_is_not_probed(
    server: ProviderServer, ledger: Ledger
) -> None:
    provider = wire(server, {"text": "ok"}, max_concurrency=6)
    config = make_config([provider.config])
    await run(make_router(config, [provider], ledger, env=KEYS), 2)
    await run(make_router(config, [provider], ledger, run_id="run-2", env=KEYS), 2)
    await provider.aclose()
    assert len(server.probes) == 1  # the second run's ledger remembered the answer


async def test_a_listing_that_fails_after_a_call_answered_is_not_counted() -> None:
    from ci_orch.providers.errors import ServerError
    from ci_orch.routing.breaker import Breaker

    breaker = Breaker("p", BreakerConfig(failure_threshold=3))
    breaker.probed = True  # the probe went out with the first call
    assert breaker.admit(0.0) is not None
    breaker.succeeded()  # the call answered first
    breaker.probe_failed(ServerError("listing 503", provider_id="p", status=503), 1.0)
    assert (breaker.failures, breaker.healthy) == (0, True)


class _Listing:
    """A provider whose models listing fails with `error` (only `probe` is used)."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.config = pcfg("p")

    async def probe(self, timeout_s: float) -> str:
        raise self.error


@pytest.mark.parametrize(("status", "disabled"), [(401, True), (403, False)])
async def test_only_a_rejected_key_disables_a_403_listing_is_no_verdict(
    status: int, disabled: bool
) -> None:
    from ci_orch.providers.errors import AuthError
    from ci_orch.routing.breaker import Breaker
    from ci_orch.routing.liveness import Probes

    async def persist(_: Breaker) -> None:
        return None

    off: dict[str, str] = {}
    probes = Probes(enabled=True, clock=FakeClock(), disabled=off, persist=persist)
    breaker = Breaker("p", BreakerConfig())
    error = AuthError("no", provider_id="p", status=status)
    probes.start(_Listing(error), breaker, 10.0)  # type: ignore[arg-type]
    await asyncio.sleep(0.05)
    assert ("p" in off) is disabled
    assert breaker.failures == 0
