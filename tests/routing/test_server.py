"""The router against the real adapters and the fault-injecting provider server (HTTP on
127.0.0.1): the same failure cases as test_chain.py, end to end over the wire."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from ci_orch.config.providers import ProviderConfig
from ci_orch.ledger import Ledger
from ci_orch.providers.interface import Provider
from ci_orch.providers.registry import build_provider
from ci_orch.testing.provider_server import ProviderServer
from tests.routing.support import FakeClock, make_config, make_router, pcfg, req


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    with ProviderServer({}) as srv:
        yield srv


def wire(server: ProviderServer, script: dict[str, Any], *ids: str, **kw: Any) -> list[Provider]:
    server.load({"models": script})
    configs: list[ProviderConfig] = [
        pcfg(pid, model=pid, base_url=server.url_for("openai-compatible"), timeout_s=10, **kw)
        for pid in ids
    ]
    return [build_provider(c, {}) for c in configs]


def calls_per_model(server: ProviderServer) -> Counter[str]:
    return Counter(r["model"] for r in server.requests)


async def test_dead_primary_over_http_gets_three_calls_for_the_whole_run(
    server: ProviderServer, ledger: Ledger, clock: FakeClock
) -> None:
    providers = wire(server, {"dead": {"then": "server_error"}}, "dead", "live")
    config = make_config([p.config for p in providers], fallback=("dead", "live"))
    router = make_router(config, providers, ledger, clock)
    results = await asyncio.gather(*(router.route(req(f"x{i}")) for i in range(20)))
    assert {r.provider for r in results} == {"live"}
    assert calls_per_model(server) == {"dead": 3, "live": 20}
    for p in providers:
        await p.aclose()


async def test_retry_after_headers_are_honoured_per_attempt_over_http(
    server: ProviderServer, ledger: Ledger, clock: FakeClock
) -> None:
    script = {"a": {"outcomes": [
        {"fault": "rate_limit", "retry_after": 2},
        {"fault": "rate_limit", "retry_after": 5, "retry_after_form": "ms"},
    ]}}
    [a] = wire(server, script, "a")
    result = await make_router(make_config([a.config]), [a], ledger, clock).route(req())
    assert clock.sleeps == [2, 5]
    assert [x.error_kind for x in result.attempts] == ["RateLimited", "RateLimited", None]
    await a.aclose()


async def test_context_overflow_and_content_filter_fail_over_over_http(
    server: ProviderServer, ledger: Ledger, clock: FakeClock
) -> None:
    script = {"small": {"then": "context_overflow"}, "filtered": {"then": "content_filter"}}
    providers = wire(server, script, "small", "filtered", "big")
    small, filtered, big = providers
    configs = [
        small.config.model_copy(update={"context_window": 8000}),
        filtered.config.model_copy(update={"context_window": 32000}),
        big.config.model_copy(update={"context_window": 64000}),
    ]
    providers = [build_provider(c, {}) for c in configs]
    config = make_config(configs, fallback=("small", "filtered", "big"))
    result = await make_router(config, providers, ledger, clock).route(req())
    assert result.provider == "big"
    kinds = [(x.provider, x.error_kind) for x in result.attempts]
    assert kinds == [("small", "ContextWindowExceeded"), ("filtered", "ContentFiltered"),
                     ("big", None)]
    for p in providers:
        await p.aclose()


async def test_auth_failure_over_http_disables_the_provider(
    server: ProviderServer, ledger: Ledger, clock: FakeClock
) -> None:
    # One vendor serving both models (its models list is up), one key of it refused.
    providers = wire(server, {"locked": {"then": "auth"}, "open": {}}, "locked", "open")
    config = make_config([p.config for p in providers], fallback=("locked", "open"))
    router = make_router(config, providers, ledger, clock)
    for i in range(5):
        assert (await router.route(req(f"{i}"))).provider == "open"
    assert calls_per_model(server)["locked"] == 1
    assert "AuthError" in router.disabled["locked"]
    for p in providers:
        await p.aclose()
