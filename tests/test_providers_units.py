"""Pure parts of the provider package: Retry-After forms, structured-output checks, registry."""

from __future__ import annotations

from email.utils import formatdate
from typing import Any, get_args

import pytest

from ci_orch.answers import decode_json
from ci_orch.config.providers import ProviderType
from ci_orch.errors import ConfigError
from ci_orch.providers import errors as E
from ci_orch.providers._http import HttpProvider
from ci_orch.providers.interface import Provider
from ci_orch.providers.openai import OpenAIProvider, context_error, is_strict_compatible
from ci_orch.providers.registry import build_provider, missing_key
from ci_orch.providers.retry_after import (
    MAX_RETRY_AFTER_S,
    gemini_retry_delay,
    parse_duration,
    parse_retry_after,
    parse_should_retry,
)
from tests.providers.kit import ADAPTERS, ENV, SCHEMA, config_for, request

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    "headers,expected",
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"Retry-After-Ms": "250", "retry-after": "9"}, 0.25),  # ms wins, names are case-free
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after": formatdate(NOW + 30, usegmt=True)}, 30.0),
        ({"retry-after": formatdate(NOW - 30, usegmt=True)}, 0.0),  # a date in the past
        ({"retry-after": "soon"}, None),
        ({"retry-after": "-3"}, None),
        ({"retry-after-ms": "x", "retry-after": "4"}, 4.0),
        ({"retry-after": "99999999"}, MAX_RETRY_AFTER_S),
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers, now=NOW) == expected


@pytest.mark.parametrize(
    "text,expected", [("37s", 37.0), ("1.5s", 1.5), ("12ms", 0.012), ("2m", 120.0), ("x", None)]
)
def test_parse_duration(text: str, expected: float | None) -> None:
    assert parse_duration(text) == expected


def test_gemini_retry_info() -> None:
    info = "type.googleapis.com/google.rpc.RetryInfo"
    assert (
        gemini_retry_delay(
            {"details": [{"@type": "x.QuotaFailure"}, {"@type": info, "retryDelay": "37s"}]}
        )
        == 37
    )
    assert (
        gemini_retry_delay(
            {"details": [{"@type": info, "retryDelay": {"seconds": 2, "nanos": 5e8}}]}
        )
        == 2.5
    )
    assert gemini_retry_delay({"details": "nope"}) is None


@pytest.mark.parametrize("value,expected", [("true", True), ("FALSE", False), ("maybe", None)])
def test_parse_should_retry(value: str, expected: bool | None) -> None:
    assert parse_should_retry({"x-should-retry": value}) is expected
    assert parse_should_retry({}) is None


def test_error_classes_say_what_the_router_may_do() -> None:
    health = {E.RateLimited, E.Overloaded, E.ServerError, E.Timeout, E.TransportError}
    for cls in (
        E.RateLimited,
        E.Overloaded,
        E.ServerError,
        E.Timeout,
        E.TransportError,
        E.ContextWindowExceeded,
        E.ContentFiltered,
        E.AuthError,
        E.QuotaExhausted,
        E.BadRequest,
        E.MalformedResponse,
    ):
        assert cls.health_failure == (cls in health), cls
        assert cls.retryable == (cls in health), cls
        assert cls("m").retry_after is None
    assert (
        str(E.AuthError("bad key", provider_id="p", status=401)) == "provider p: bad key (HTTP 401)"
    )


@pytest.mark.parametrize(
    "message,limit,requested",
    [
        (
            "This model's maximum context length is 8192 tokens. However, your messages resulted "
            "in 9000 tokens.",
            8192,
            9000,
        ),
        (
            "Input tokens exceed the configured limit of 272000 tokens. Your messages resulted in "
            "300000 tokens.",
            272000,
            300000,
        ),
        (
            "The input (5000 tokens) is longer than the model's context length (4096 tokens).",
            4096,
            5000,
        ),
        ("Requested tokens exceed context window", None, None),
    ],
)
def test_gateway_context_messages(message: str, limit: int | None, requested: int | None) -> None:
    error = context_error(message)
    assert error is not None
    assert (error.limit, error.requested) == (limit, requested)
    assert context_error("Invalid 'temperature': must be <= 2") is None


def test_decode_json_tolerates_one_fence() -> None:
    assert decode_json('```json\n{"a": 1}\n```') == {"a": 1}
    with pytest.raises(ValueError):
        decode_json("not json")


def test_strict_only_when_openai_would_accept_it() -> None:
    assert is_strict_compatible(SCHEMA)
    loose = {"type": "object", "properties": {"a": {"type": "string"}}}
    assert not is_strict_compatible(loose)
    body = OpenAIProvider(config_for("openai", "gpt-4o"), api_key="k").build_body(
        request(json_schema=loose)
    )
    assert body["response_format"]["json_schema"]["strict"] is False


def test_openai_request_shape_per_flavour() -> None:
    def body(kind: str, model: str) -> dict[str, Any]:
        return OpenAIProvider(config_for(kind, model), api_key="k").build_body(request())

    assert "max_completion_tokens" in body("openai", "gpt-4o") and "max_tokens" not in body(
        "openai", "gpt-4o"
    )
    assert "max_tokens" in body("openai-compatible", "llama") and "temperature" in body(
        "openai", "gpt-4o"
    )
    assert "temperature" not in body("openai", "o3-mini")  # reasoning models reject it
    azure = OpenAIProvider(config_for("azure", "gpt-4o", deployment="prod-4o"), api_key="k")
    assert azure.url(request()).endswith(
        "/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21"
    )
    assert azure.auth_headers() == {"api-key": "k"}


def test_every_provider_type_builds_an_adapter() -> None:
    kinds = set(get_args(ProviderType))
    assert kinds == {kind for kind, _ in ADAPTERS}  # the contract suite covers every type
    for kind in kinds:
        provider = build_provider(config_for(kind, "m"), ENV)
        assert isinstance(provider, Provider) and provider.id == f"{kind}-test"


def test_gateway_without_base_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="base_url is required"):
        build_provider(config_for("openai-compatible", "m", base_url=None), ENV)


def test_missing_key_names_the_variable() -> None:
    assert missing_key(config_for("anthropic", "c"), {}) == "ANTHROPIC_API_KEY"
    assert (
        missing_key(config_for("anthropic", "c"), {"ANTHROPIC_API_KEY": ""}) == "ANTHROPIC_API_KEY"
    )
    assert missing_key(config_for("anthropic", "c", api_key_env="MY_KEY"), {"MY_KEY": "x"}) is None
    assert missing_key(config_for("ollama", "q"), {}) is None
    assert missing_key(config_for("openai-compatible", "q", api_key_env=None), {}) is None


def test_gemini_accepts_model_ids_with_the_models_prefix() -> None:
    provider = build_provider(config_for("gemini", "models/gemini-2.5-pro"), ENV)
    assert isinstance(provider, HttpProvider)
    assert provider.url(request()).endswith("/v1beta/models/gemini-2.5-pro:generateContent")


def test_openai_flagged_prompt_is_content_filtered() -> None:
    provider = OpenAIProvider(config_for("openai", "gpt-4o"), api_key="k")
    body = {"error": {"message": "Invalid prompt: flagged", "code": "invalid_prompt"}}
    error = provider.vendor_error(400, body, "Invalid prompt: flagged")
    assert isinstance(error, E.ContentFiltered)


def test_anthropic_non_object_schema_is_wrapped_and_unwrapped() -> None:
    from ci_orch.providers.anthropic import AnthropicProvider

    schema = {"type": "array", "items": {"type": "string"}}
    provider = AnthropicProvider(config_for("anthropic", "claude-x"), api_key="k")
    body = provider.build_body(request(json_schema=schema))
    assert body["tools"][0]["input_schema"]["properties"]["result"] == schema
    block = {"type": "tool_use", "id": "t", "name": "findings", "input": {"result": ["a", "b"]}}
    message = {"content": [block], "stop_reason": "tool_use", "usage": {"input_tokens": 1}}
    answer = provider.parse_body(request(json_schema=schema), message, {}, 1.0)
    assert answer.parsed == ["a", "b"] and answer.finish_reason == "stop"
    # Off the schema still unwraps: the caller's pydantic model judges the shape.
    off = {**message, "content": [{**block, "input": {"result": [1]}}]}
    assert provider.parse_body(request(json_schema=schema), off, {}, 1.0).parsed == [1]
