"""The bodies our adapters build, and the bodies our provider server answers, against the
vendors' official OpenAPI specs (validated as JSON Schema Draft 2020-12 with `referencing`,
the whole spec registered as one resource)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from ci_orch.providers.anthropic import AnthropicProvider
from ci_orch.providers.errors import MalformedResponse
from ci_orch.providers.interface import Message
from ci_orch.providers.openai import OpenAIProvider
from ci_orch.providers.registry import build_provider
from ci_orch.testing.provider_server import ProviderServer
from tests.conftest import require_contracts
from tests.providers.kit import ENV, FINDINGS, SCHEMA, config_for, request

URI = "urn:ci-orch:spec"
OPENAI_TYPES = (
    ("openai", "gpt-4o-mini"),
    ("openai", "gpt-5-mini"),
    ("azure", "gpt-4o"),
    ("openai-compatible", "deepseek-chat"),
)


def _load(rel: str) -> Any:
    path: Path = require_contracts() / rel
    with path.open(encoding="utf-8") as f:
        return yaml.load(f, Loader=yaml.CSafeLoader) if rel.endswith(".yaml") else json.load(f)


@pytest.fixture(scope="module")
def openai_spec() -> Any:
    return _load("openai/openapi.yaml")


@pytest.fixture(scope="module")
def anthropic_spec() -> Any:
    return _load("anthropic/openapi.json")


def validator(spec: Any, name: str) -> Draft202012Validator:
    registry: Registry[Any] = Registry().with_resource(
        URI, Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    return Draft202012Validator({"$ref": f"{URI}#/components/schemas/{name}"}, registry=registry)


def problems(v: Draft202012Validator, body: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in v.iter_errors(body)]


REQUESTS = {
    "plain": request(),
    "schema": request(json_schema=SCHEMA),
    "multi-turn": request(
        messages=(Message("user", "a"), Message("assistant", "b"), Message("user", "c")),
        temperature=0.3,
    ),
    "no-system": request(system=""),
}


@pytest.mark.parametrize("kind,model", OPENAI_TYPES)
@pytest.mark.parametrize("case", sorted(REQUESTS))
def test_openai_request_bodies_match_the_spec(
    openai_spec: Any, kind: str, model: str, case: str
) -> None:
    provider = OpenAIProvider(config_for(kind, model), api_key="k")
    body = provider.build_body(REQUESTS[case])
    assert problems(validator(openai_spec, "CreateChatCompletionRequest"), body) == []


def test_openai_validator_can_fail(openai_spec: Any) -> None:
    body = OpenAIProvider(config_for("openai", "gpt-4o"), api_key="k").build_body(request())
    body["messages"][0]["role"] = "narrator"
    assert problems(validator(openai_spec, "CreateChatCompletionRequest"), body)


@pytest.mark.parametrize("case", sorted([*REQUESTS, "array-schema"]))
def test_anthropic_request_bodies_match_the_spec(anthropic_spec: Any, case: str) -> None:
    req = request(json_schema={"type": "array", "items": {"type": "string"}})
    req = req if case == "array-schema" else REQUESTS[case]
    body = AnthropicProvider(config_for("anthropic", "claude-sonnet-4-5"), api_key="k").build_body(
        req
    )
    assert problems(validator(anthropic_spec, "CreateMessageParams"), body) == []


def test_anthropic_validator_can_fail(anthropic_spec: Any) -> None:
    body = AnthropicProvider(config_for("anthropic", "claude-x"), api_key="k").build_body(request())
    del body["max_tokens"]
    assert problems(validator(anthropic_spec, "CreateMessageParams"), body)


def _openai_examples(spec: Any) -> list[tuple[str, Any]]:
    examples = spec["paths"]["/chat/completions"]["post"]["x-oaiMeta"]["examples"]
    out = []
    for example in examples:
        try:
            out.append((example["title"], json.loads(example["response"])))
        except ValueError:  # the streaming example is a sequence of SSE chunks
            continue
    return out


def test_openai_spec_response_examples_parse(openai_spec: Any) -> None:
    provider = OpenAIProvider(config_for("openai", "gpt-4o"), api_key="k")
    examples = _openai_examples(openai_spec)
    assert len(examples) >= 3
    for title, body in examples:
        content = body["choices"][0]["message"].get("content")
        if content is None:  # the tool-call example has no text answer
            with pytest.raises(MalformedResponse):
                provider.parse_body(request(), body, {}, 1.0)
            continue
        parsed = provider.parse_body(request(), body, {"x-request-id": "req_1"}, 1.0)
        assert parsed.text == content, title
        assert parsed.usage.input_tokens == body["usage"]["prompt_tokens"]
        assert parsed.usage.output_tokens == body["usage"]["completion_tokens"]


def test_anthropic_spec_message_example_parses(anthropic_spec: Any) -> None:
    props = anthropic_spec["components"]["schemas"]["Message"]["properties"]
    body = {
        "id": props["id"]["examples"][0],
        "type": "message",
        "role": "assistant",
        "content": props["content"]["examples"][0],
        "model": "claude-3-5-sonnet-20241022",
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": props["usage"]["examples"][0],
    }
    assert problems(validator(anthropic_spec, "Message"), body) == []
    provider = AnthropicProvider(config_for("anthropic", "claude-x"), api_key="k")
    parsed = provider.parse_body(request(), body, {}, 1.0)
    assert parsed.text == "Hi! My name is Claude."
    assert (parsed.usage.input_tokens, parsed.usage.output_tokens) == (2095, 503)


def _exchange(server: ProviderServer, kind: str, model: str, json_schema: Any = None) -> Any:
    provider = build_provider(config_for(kind, model, server), ENV)
    assert isinstance(provider, OpenAIProvider | AnthropicProvider)
    req = request(json_schema=json_schema)
    answer = httpx.post(
        provider.url(req), json=provider.build_body(req), headers=provider.auth_headers()
    )
    return answer.json()


@pytest.mark.parametrize(
    "fault",
    ["ok", "rate_limit", "quota", "auth", "context_overflow", "server_error", "content_filter"],
)
def test_server_openai_replies_match_the_spec(openai_spec: Any, fault: str) -> None:
    with ProviderServer({"models": {"*": {"json": FINDINGS, "outcomes": [fault]}}}) as server:
        body = _exchange(server, "openai", "gpt-4o", SCHEMA)
    name = "CreateChatCompletionResponse" if "choices" in body else "ErrorResponse"
    assert problems(validator(openai_spec, name), body) == []


@pytest.mark.parametrize(
    "fault",
    [
        "ok",
        "ok-tool",
        "rate_limit",
        "overloaded",
        "quota",
        "auth",
        "context_overflow",
        "server_error",
        "empty",
    ],
)
def test_server_anthropic_replies_match_the_spec(anthropic_spec: Any, fault: str) -> None:
    script = {"models": {"*": {"json": FINDINGS, "outcomes": [fault.removesuffix("-tool")]}}}
    with ProviderServer(script) as server:
        body = _exchange(server, "anthropic", "claude-x", SCHEMA if fault == "ok-tool" else None)
    if fault == "ok-tool":
        assert body["content"][0]["type"] == "tool_use"
    name = "Message" if body.get("type") == "message" else "ErrorResponse"
    assert problems(validator(anthropic_spec, name), body) == []


def test_anthropic_snapshot_lags_the_live_stop_reasons(anthropic_spec: Any) -> None:
    # docs/providers.md, "What the vendor specs disagreed with": the 2024-11 snapshot has no
    # `refusal`. If this starts failing, the spec caught up: update the doc and the test above.
    body = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "c",
        "content": [],
        "stop_reason": "refusal",
        "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }
    assert problems(validator(anthropic_spec, "Message"), body)
