"""What a failed answer cost, and what an answer will cost: every adapter keeps the usage of
a 2xx answer it could not use, flags an answer that broke off after it began, and the
Anthropic and Gemini adapters ask their vendor's free counting endpoint."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ci_orch.providers import errors as E
from ci_orch.providers.registry import build_provider
from ci_orch.testing.dialects.base import count_tokens
from ci_orch.testing.provider_server import ProviderServer
from tests.providers.kit import ADAPTERS, ENV, SCHEMA, SYSTEM, USER, config_for, request

IDS = [kind for kind, _ in ADAPTERS]


async def failure(script: dict[str, Any], kind: str, model: str, **over: Any) -> E.ProviderError:
    with ProviderServer({"models": {"*": script}}) as server:
        provider = build_provider(config_for(kind, model, server, **over), ENV)
        try:
            with pytest.raises(E.ProviderError) as caught:
                await provider.complete(request(json_schema=SCHEMA))
        finally:
            await provider.aclose()
    return caught.value


@pytest.mark.parametrize("kind,model", ADAPTERS, ids=IDS)
async def test_prose_for_a_schema_is_malformed_but_keeps_its_billed_usage(
    kind: str, model: str
) -> None:
    error = await failure({"text": "All good, no findings here."}, kind, model)
    assert isinstance(error, E.MalformedResponse) and error.text.startswith("All good")
    assert error.usage is not None and not error.billed_unknown
    assert error.usage.input_tokens >= count_tokens([SYSTEM, USER])
    assert error.usage.output_tokens == count_tokens(["All good, no findings here."])


@pytest.mark.parametrize("kind,model", ADAPTERS, ids=IDS)
async def test_an_answer_cut_off_after_its_status_line_is_flagged_billed(
    kind: str, model: str
) -> None:
    error = await failure({"then": {"fault": "stall", "hang_s": 5}}, kind, model, timeout_s=0.5)
    assert isinstance(error, E.Timeout | E.TransportError) and error.billed_unknown
    refused = await failure({}, kind, model, base_url="http://127.0.0.1:9")
    assert isinstance(refused, E.TransportError) and not refused.billed_unknown


@pytest.mark.parametrize(("kind", "model"), [("anthropic", "claude-x"), ("gemini", "gemini-x")])
async def test_vendor_counting_endpoints_give_what_the_vendor_bills(kind: str, model: str) -> None:
    script = {"models": {model: {"bill_input_factor": 1.4}}}
    with ProviderServer(script) as server:
        provider = build_provider(config_for(kind, model, server), ENV)
        counted = await provider.count_input_tokens(request())
        answer = await provider.complete(request())
        server.load({"models": {model: {"count_tokens": False}}})
        missing = await provider.count_input_tokens(request())
        await provider.aclose()
    assert counted == answer.usage.input_tokens > count_tokens([SYSTEM, USER])
    assert missing is None
    assert [r["model"] for r in server.requests] == [model]  # counting is not a call


@pytest.mark.parametrize("kind,model", [a for a in ADAPTERS if a[0] not in {"anthropic", "gemini"}])
async def test_adapters_without_a_counting_endpoint_say_so_without_a_request(
    kind: str, model: str
) -> None:
    with ProviderServer({}) as server:
        provider = build_provider(config_for(kind, model, server), ENV)
        assert await provider.count_input_tokens(request()) is None
        await provider.aclose()
    assert server.requests == [] and server.counts == []


async def test_many_calls_in_flight_on_one_adapter_all_go_out_at_once() -> None:
    script = {"defaults": {"text": "ok", "latency_ms": 300}}
    with ProviderServer(script) as server:
        provider = build_provider(
            config_for("openai", "gpt-4o-mini", server, max_concurrency=24), ENV
        )
        started = asyncio.get_running_loop().time()
        await asyncio.gather(*(provider.complete(request()) for _ in range(24)))
        wall = asyncio.get_running_loop().time() - started
        await provider.aclose()
    assert len(server.requests) == 24
    assert wall < 2 * 0.3 + 1.0  # one wave, not 24 / pool size waves
