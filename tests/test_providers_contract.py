"""One contract suite, run against every adapter over the real provider server on 127.0.0.1.

Each fault (rate limit, overload, context too long, bad key, content filter, ...) is sent
in the vendor's own
wire format by the server; the adapter must map it to the right error kind.
"""

from __future__ import annotations

from typing import Any

import pytest

from ci_orch.providers import errors as E
from ci_orch.providers.interface import Message, ProviderResponse
from ci_orch.providers.registry import build_provider
from ci_orch.testing.dialects.base import count_tokens
from ci_orch.testing.provider_server import ProviderServer
from tests.providers.kit import ADAPTERS, ENV, FINDINGS, SCHEMA, SYSTEM, USER, config_for, request

ALL = frozenset(kind for kind, _ in ADAPTERS)
KEYED = ALL - {"ollama"}
IDS = [kind for kind, _ in ADAPTERS]


async def call(
    script: dict[str, Any], kind: str, model: str, **req: Any
) -> tuple[Any, ProviderServer]:
    """One request through the adapter; returns the response or the ProviderError raised."""
    over = req.pop("config", {})
    with ProviderServer(script) as server:
        provider = build_provider(config_for(kind, model, server, **over), ENV)
        try:
            return await provider.complete(request(**req)), server
        except E.ProviderError as exc:
            return exc, server
        finally:
            await provider.aclose()


def model_script(**spec: Any) -> dict[str, Any]:
    return {"models": {"*": spec}}


@pytest.mark.parametrize("kind,model", ADAPTERS, ids=IDS)
async def test_success_text_usage_and_record(kind: str, model: str) -> None:
    answer, server = await call(model_script(text="Looks fine to me."), kind, model)
    assert isinstance(answer, ProviderResponse), answer
    assert answer.text == "Looks fine to me."
    assert answer.finish_reason == "stop"
    assert answer.usage.input_tokens == count_tokens([SYSTEM, USER])
    assert answer.usage.output_tokens == count_tokens(["Looks fine to me."])
    assert model in answer.model
    assert answer.latency_ms > 0
    assert answer.parsed is None
    (seen,) = server.requests
    assert seen["model"] == model
    assert not any(secret in str(seen["headers"]) for secret in ENV.values())
    assert "<redacted>" in seen["headers"].values() or kind == "ollama"


@pytest.mark.parametrize("kind,model", ADAPTERS, ids=IDS)
async def test_usage_is_normalised(kind: str, model: str) -> None:
    script = model_script(text="ok", cached_tokens=4, reasoning_tokens=9)
    answer, _ = await call(script, kind, model)
    assert isinstance(answer, ProviderResponse), answer
    total = count_tokens([SYSTEM, USER])
    cached = 0 if kind == "ollama" else 4  # Ollama reports no cache
    assert answer.usage.input_tokens == total  # includes cached, whatever the vendor does
    assert answer.usage.cached_input_tokens == cached
    assert answer.usage.output_tokens == count_tokens(["ok"]) + 9  # includes reasoning


VENDOR_MECHANISM = {
    "openai": lambda b: b["response_format"]["json_schema"]["schema"],
    "azure": lambda b: b["response_format"]["json_schema"]["schema"],
    "openai-compatible": lambda b: b["response_format"]["json_schema"]["schema"],
    "anthropic": lambda b: b["tools"][0]["input_schema"],
    "gemini": lambda b: b["generationConfig"]["responseJsonSchema"],
    "ollama": lambda b: b["format"],
}


@pytest.mark.parametrize("kind,model", ADAPTERS, ids=IDS)
async def test_structured_output(kind: str, model: str) -> None:
    answer, server = await call(model_script(json=FINDINGS), kind, model, json_schema=SCHEMA)
    assert isinstance(answer, ProviderResponse), answer
    assert answer.parsed == FINDINGS
    assert VENDOR_MECHANISM[kind](server.requests[0]["body"]) == SCHEMA


@pytest.mark.parametrize("kind,model", ADAPTERS, ids=IDS)
async def test_answer_with_no_json_is_malformed_with_text(kind: str, model: str) -> None:
    text = "Sorry, here you go: {findings"
    error, _ = await call(model_script(text=text), kind, model, json_schema=SCHEMA)
    assert isinstance(error, E.MalformedResponse), error
    assert error.text == text
    assert text not in str(error)


@pytest.mark.parametrize("kind,model", ADAPTERS, ids=IDS)
async def test_json_off_the_schema_comes_back_for_the_callers_model(kind: str, model: str) -> None:
    # The adapters only decode; the caller's pydantic model judges the shape (and asks for
    # the one repair), so an answer off the schema arrives parsed, not as an error.
    off = {"findings": [{"path": 1}]}
    answer, _ = await call(model_script(json=off), kind, model, json_schema=SCHEMA)
    assert isinstance(answer, ProviderResponse), answer
    assert answer.parsed == off


# fault -> (error kind, adapters whose vendor has this fault)
FAULTS: dict[str, tuple[type[E.ProviderError], frozenset[str]]] = {
    "rate_limit": (E.RateLimited, KEYED),
    "quota": (E.QuotaExhausted, KEYED),
    "server_error": (E.ServerError, ALL),
    "unavailable": (E.Overloaded, ALL),
    "overloaded": (E.Overloaded, frozenset({"anthropic"})),
    "timeout_status": (E.Timeout, frozenset({"gemini"})),
    "auth": (E.AuthError, ALL),
    "context_overflow": (E.ContextWindowExceeded, KEYED),
    "content_filter": (E.ContentFiltered, KEYED),
    "empty": (E.MalformedResponse, ALL),
    "malformed_json": (E.MalformedResponse, ALL),
    "reset": (E.TransportError, ALL),
}
CASES = [
    pytest.param(fault, kind, model, id=f"{fault}-{kind}")
    for fault, (_, kinds) in FAULTS.items()
    for kind, model in ADAPTERS
    if kind in kinds
]


@pytest.mark.parametrize("fault,kind,model", CASES)
async def test_fault_maps_to_error_kind(fault: str, kind: str, model: str) -> None:
    outcome = {"fault": fault, "retry_after": 2}
    error, server = await call(model_script(outcomes=[outcome, "ok"]), kind, model)
    expected, _ = FAULTS[fault]
    assert type(error) is expected, error
    assert error.provider_id == f"{kind}-test"
    message = str(error)
    assert USER not in message and SYSTEM not in message
    assert not any(secret in message for secret in ENV.values())
    assert error.health_failure == (
        fault
        in {"rate_limit", "server_error", "unavailable", "overloaded", "timeout_status", "reset"}
    )
    if fault in {"rate_limit", "overloaded"}:
        assert error.retry_after == 2
    assert len(server.requests) == 1  # adapters never retry on their own


@pytest.mark.parametrize(
    "kind,model", [a for a in ADAPTERS if a[0] in KEYED], ids=sorted(KEYED, key=IDS.index)
)
async def test_context_overflow_carries_the_numbers(kind: str, model: str) -> None:
    error, _ = await call(model_script(context_window=10), kind, model)
    assert isinstance(error, E.ContextWindowExceeded), error
    total = count_tokens([SYSTEM, USER])
    assert (error.limit, error.requested) == (10, total) or kind == "openai-compatible"


async def test_ollama_silent_truncation_is_context_exceeded() -> None:
    long_prompt = "def f():\n    return 1\n" * 200
    estimate = int(count_tokens([SYSTEM, long_prompt]) * 1.15) + 1
    error, server = await call(
        model_script(text="fine"),
        "ollama",
        "qwen2.5-coder",
        messages=(Message("user", long_prompt),),
        input_tokens_estimate=estimate,
        config={"context_window": 512},
    )
    assert isinstance(error, E.ContextWindowExceeded), error
    assert (error.limit, error.requested) == (512, estimate)
    assert server.requests[0]["body"]["options"]["num_ctx"] == 512


async def test_ollama_prompt_cache_is_not_truncation() -> None:
    # A prompt far below the window whose prompt_eval_count is low (cache hit) is fine.
    answer, _ = await call(
        model_script(text="fine"),
        "ollama",
        "qwen2.5-coder",
        input_tokens_estimate=5000,
        config={"context_window": 32000},
    )
    assert isinstance(answer, ProviderResponse), answer


@pytest.mark.parametrize("kind,model", ADAPTERS, ids=IDS)
async def test_hang_past_timeout_is_timeout(kind: str, model: str) -> None:
    error, _ = await call(
        model_script(outcomes=[{"fault": "hang", "hang_s": 10}]), kind, model, timeout_s=0.3
    )
    assert isinstance(error, E.Timeout), error
    assert error.retryable and error.health_failure


@pytest.mark.parametrize("variant,kind", [("finish", "azure"), ("finish", "gemini")])
async def test_content_filter_variants(variant: str, kind: str) -> None:
    model = dict(ADAPTERS)[kind]
    outcome = {"fault": "content_filter", "variant": variant}
    error, _ = await call(model_script(outcomes=[outcome]), kind, model)
    assert isinstance(error, E.ContentFiltered), error


@pytest.mark.parametrize("form", ["seconds", "ms", "both", "date"])
@pytest.mark.parametrize("kind", ["openai", "azure", "anthropic"])
async def test_retry_after_forms(form: str, kind: str) -> None:
    outcome = {"fault": "rate_limit", "retry_after": 30, "retry_after_form": form}
    error, _ = await call(model_script(outcomes=[outcome]), kind, dict(ADAPTERS)[kind])
    assert isinstance(error, E.RateLimited), error
    assert error.retry_after == pytest.approx(30, abs=1.5)


async def test_x_should_retry_is_honoured() -> None:
    outcome = {"fault": "server_error", "should_retry": False}
    error, _ = await call(model_script(outcomes=[outcome]), "anthropic", "claude-x")
    assert isinstance(error, E.ServerError)
    assert error.retryable and error.should_retry is False and not error.worth_retrying


async def test_sequence_of_outcomes_then_ok() -> None:
    script = model_script(
        text="done", outcomes=[{"fault": "rate_limit", "retry_after": 1, "times": 2}]
    )
    with ProviderServer(script) as server:
        provider = build_provider(config_for("openai", "gpt-4o", server), ENV)
        kinds = []
        for _ in range(3):
            try:
                kinds.append((await provider.complete(request())).text)
            except E.RateLimited as exc:
                kinds.append(f"429/{exc.retry_after:g}")
        await provider.aclose()
    assert kinds == ["429/1", "429/1", "done"]


@pytest.mark.parametrize(
    "kind,model", [a for a in ADAPTERS if a[0] in KEYED], ids=sorted(KEYED, key=IDS.index)
)
async def test_missing_key_is_auth_error_naming_the_variable(kind: str, model: str) -> None:
    with ProviderServer() as server:
        provider = build_provider(config_for(kind, model, server), {})
        with pytest.raises(E.AuthError, match=r"variable [A-Z_]+ is not set"):
            await provider.complete(request())
        await provider.aclose()
        assert server.requests == []


@pytest.mark.parametrize("kind,model", ADAPTERS, ids=IDS)
async def test_connection_refused_is_transport_error(kind: str, model: str) -> None:
    provider = build_provider(config_for(kind, model, None), ENV)
    with pytest.raises(E.TransportError):
        await provider.complete(request())
    await provider.aclose()


@pytest.mark.parametrize("kind,model", ADAPTERS, ids=IDS)
@pytest.mark.parametrize("status,expected", [(502, E.ServerError), (403, E.AuthError)])
async def test_proxy_error_page_without_json(
    kind: str, model: str, status: int, expected: type[E.ProviderError]
) -> None:
    outcome = {"fault": "status", "status": status, "variant": "html"}
    error, _ = await call(model_script(outcomes=[outcome]), kind, model)
    assert type(error) is expected, error
    assert error.status == status and "<html>" not in str(error)
