"""The liveness probe of every adapter against the provider server: each vendor's models
endpoint, its verdict, and how an API that is down answers it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ci_orch.providers import errors as E
from ci_orch.providers.registry import build_provider
from ci_orch.testing.provider_server import ProviderServer
from tests.providers.kit import ADAPTERS, ENV, config_for, request

KEYED = [(kind, model) for kind, model in ADAPTERS if kind != "ollama"]  # Ollama has no auth


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    with ProviderServer({}) as srv:
        yield srv


async def probe(server: ProviderServer | None, kind: str, model: str, **over: Any) -> str:
    provider = build_provider(config_for(kind, model, server, **over), ENV)
    try:
        return await provider.probe(2.0)
    finally:
        await provider.aclose()


@pytest.mark.parametrize(("kind", "model"), ADAPTERS)
async def test_an_api_that_is_up_passes_the_probe_without_a_call(
    server: ProviderServer, kind: str, model: str
) -> None:
    server.load({"models": {model: {"text": "ok"}}})
    assert await probe(server, kind, model) == "up"
    dialect = "openai" if kind == "openai-compatible" else kind
    assert [p["dialect"] for p in server.probes] == [dialect]
    assert server.requests == [] and server.billed == []  # free: no call, no bill


DOWN: list[tuple[Any, type[E.ProviderError]]] = [
    ("server_error", E.ServerError),
    ({"fault": "rate_limit", "retry_after": 3}, E.RateLimited),
    ("reset", E.TransportError),
    ({"fault": "hang", "hang_s": 10}, E.Timeout),
]


def _down_cases() -> list[tuple[str, str, Any, type[E.ProviderError]]]:
    cases = [(kind, model, fault, error) for kind, model in ADAPTERS for fault, error in DOWN
             if not (kind == "ollama" and error is E.RateLimited)]  # Ollama has no rate limit
    return [*cases, ("anthropic", "claude-sonnet-4-5", "overloaded", E.Overloaded)]  # its 529


@pytest.mark.parametrize(("kind", "model", "fault", "error"), _down_cases())
async def test_an_api_that_is_down_fails_the_probe_with_a_health_failure(
    server: ProviderServer, kind: str, model: str, fault: Any, error: type[E.ProviderError]
) -> None:
    server.load({"models": {model: {"then": fault}}})
    with pytest.raises(error) as caught:
        await probe(server, kind, model)
    assert caught.value.health_failure


@pytest.mark.parametrize(("kind", "model"), KEYED)
@pytest.mark.parametrize("fault", ["auth", {"fault": "status", "status": 403}])
async def test_a_refused_key_fails_the_probe_as_an_auth_error(
    server: ProviderServer, kind: str, model: str, fault: Any
) -> None:
    server.load({"models": {model: {"then": fault}}})
    with pytest.raises(E.AuthError):
        await probe(server, kind, model)


@pytest.mark.parametrize(
    "script",
    [
        {"then": {"fault": "stall", "hang_s": 10}},
        {"text": "Looks fine to me."},
        {"then": "malformed_json"},
    ],
    ids=["stall", "prose", "truncated"],
)
async def test_a_model_that_misbehaves_only_in_its_answers_passes_the_probe(
    server: ProviderServer, script: dict[str, Any]
) -> None:
    server.load({"models": {"claude-sonnet-4-5": script}})
    assert await probe(server, "anthropic", "claude-sonnet-4-5") == "up"


async def test_the_api_is_down_only_when_every_model_it_serves_is(server: ProviderServer) -> None:
    server.load({"models": {"dead": {"then": "server_error"}, "live": {"text": "ok"}}})
    assert await probe(server, "openai", "dead") == "up"


async def test_no_models_endpoint_is_no_verdict(server: ProviderServer) -> None:
    # A gateway path with nothing behind it answers 404; a scripted 405 is the other way
    # a server says it has no such method.
    assert await probe(server, "ollama", "m", base_url=server.base_url + "/gateway") == "unknown"
    server.load({"models": {"m": {"then": {"fault": "status", "status": 405}}}})
    assert await probe(server, "openai", "m") == "unknown"


async def test_a_refused_connection_fails_the_probe() -> None:
    with pytest.raises(E.TransportError):
        await probe(None, "openai", "gpt-4o-mini")  # nothing listens on port 9


async def test_a_missing_key_fails_the_probe_before_any_request(server: ProviderServer) -> None:
    provider = build_provider(config_for("anthropic", "claude-sonnet-4-5", server), {})
    try:
        with pytest.raises(E.AuthError, match="ANTHROPIC_API_KEY"):
            await provider.probe(2.0)
    finally:
        await provider.aclose()
    assert server.probes == []


@pytest.mark.parametrize(("kind", "model"), KEYED)
async def test_the_probe_carries_the_same_auth_headers_as_a_call(
    server: ProviderServer, kind: str, model: str
) -> None:
    server.load({"models": {model: {"text": "ok"}}})
    provider = build_provider(config_for(kind, model, server), ENV)
    try:
        await provider.probe(2.0)
        await provider.complete(request())
    finally:
        await provider.aclose()
    [probed] = server.probes
    [called] = server.requests
    assert {k for k, v in probed["headers"].items() if v == "<redacted>"} == {
        k for k, v in called["headers"].items() if v == "<redacted>"
    } != set()
