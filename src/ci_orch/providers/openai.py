"""OpenAI Chat Completions, Azure OpenAI and any OpenAI-compatible gateway (one wire format).

Refs: platform.openai.com/docs/api-reference/chat/create (spec: contracts/openai/openapi.yaml,
`CreateChatCompletionRequest`); learn.microsoft.com/azure/ai-services/openai/reference
(deployment path, `api-version`, `api-key` header, content-filter 400).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ci_orch.providers._http import HttpProvider
from ci_orch.providers.errors import (
    ContentFiltered,
    ContextWindowExceeded,
    MalformedResponse,
    ProviderError,
    QuotaExhausted,
)
from ci_orch.providers.interface import ProviderRequest, ProviderResponse, Usage

DEFAULT_AZURE_API_VERSION = "2024-10-21"  # the GA version with json_schema response_format
# o-series and gpt-5 reasoning models reject any temperature but the default.
_NO_TEMPERATURE = ("o1", "o3", "o4", "gpt-5")
# Context-overflow wording of OpenAI, Azure, vLLM, sglang and OpenRouter; LiteLLM misses
# several of these (BerriAI/litellm#10793, #15968, #28063).
_CONTEXT_PATTERNS = (
    re.compile(
        r"maximum context length is (?P<limit>\d+) tokens.*?(?P<requested>\d+) tokens", re.S
    ),
    re.compile(r"configured limit of (?P<limit>\d+) tokens.*?resulted in (?P<requested>\d+)", re.S),
    re.compile(
        r"input \((?P<requested>\d+) tokens\) is longer than .*?\((?P<limit>\d+) tokens\)", re.S
    ),
    re.compile(r"context length|context window|input tokens exceed|prompt is too long", re.I),
)
_FINISH = {"stop": "stop", "length": "length", "tool_calls": "stop", "function_call": "stop"}


def context_error(message: str) -> ContextWindowExceeded | None:
    """A ContextWindowExceeded when `message` says the prompt did not fit, with the numbers."""
    for pattern in _CONTEXT_PATTERNS:
        match = pattern.search(message)
        if match:
            found = match.groupdict()
            return ContextWindowExceeded(
                message,
                limit=int(found["limit"]) if found.get("limit") else None,
                requested=int(found["requested"]) if found.get("requested") else None,
            )
    return None


class OpenAIProvider(HttpProvider):
    """`type: openai`, `azure` and `openai-compatible` (LiteLLM proxy, vLLM, OpenRouter, Groq,
    DeepSeek, Ollama's /v1). Gateways get `max_tokens`; OpenAI and Azure get
    `max_completion_tokens` (`max_tokens` is deprecated and rejected by reasoning models)."""

    def auth_headers(self) -> dict[str, str]:
        if not self._api_key:
            return {}
        if self.config.type == "azure":
            return {"api-key": self._api_key}
        return {"Authorization": f"Bearer {self._api_key}"}

    def url(self, request: ProviderRequest) -> str:
        base = (self.config.url or "").rstrip("/")
        if self.config.type != "azure":
            return f"{base}/chat/completions"
        deployment = self.config.deployment or self.config.model
        version = self.config.api_version or DEFAULT_AZURE_API_VERSION
        return f"{base}/openai/deployments/{deployment}/chat/completions?api-version={version}"

    def probe_url(self) -> str | None:
        # GET /models (spec: `listModels`); Azure lists the models of its resource
        # (`GET {endpoint}/openai/models?api-version=`). Every gateway that speaks the
        # format serves the list, since the OpenAI SDKs use it.
        base = (self.config.url or "").rstrip("/")
        if self.config.type != "azure":
            return f"{base}/models"
        version = self.config.api_version or DEFAULT_AZURE_API_VERSION
        return f"{base}/openai/models?api-version={version}"

    def build_body(self, request: ProviderRequest) -> dict[str, Any]:
        messages = [{"role": "system", "content": request.system}] if request.system else []
        messages += [{"role": m.role, "content": m.content} for m in request.messages]
        body: dict[str, Any] = {"model": self.config.model, "messages": messages}
        limit_key = (
            "max_tokens" if self.config.type == "openai-compatible" else "max_completion_tokens"
        )
        body[limit_key] = request.max_output_tokens
        if not self.config.model.lower().rsplit("/", 1)[-1].startswith(_NO_TEMPERATURE):
            body["temperature"] = request.temperature
        if request.json_schema is not None:
            body["response_format"] = self._response_format(request)
        return body

    @staticmethod
    def _response_format(request: ProviderRequest) -> dict[str, Any]:
        schema = request.json_schema or {}
        return {
            "type": "json_schema",
            "json_schema": {
                "name": request.schema_name,
                "schema": schema,
                # strict mode rejects schemas with optional or open properties (400).
                "strict": is_strict_compatible(schema),
            },
        }

    def vendor_error(self, status: int, body: Any, message: str) -> ProviderError | None:
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        code = str(error.get("code") or error.get("type") or "")
        if code == "insufficient_quota" or "insufficient_quota" in message:
            return QuotaExhausted(message)
        # Azure filters a prompt with a 400 `content_filter`; OpenAI flags one `invalid_prompt`.
        if code in {"content_filter", "invalid_prompt"} or "content management policy" in message:
            return ContentFiltered(message)
        if status in {400, 413, 422} and (
            code == "context_length_exceeded" or context_error(message)
        ):
            return context_error(message) or ContextWindowExceeded(message)
        return None

    def usage_of(self, body: Any) -> Usage | None:
        raw = body.get("usage") if isinstance(body, dict) else None
        return _usage(raw) if isinstance(raw, dict) else None

    def parse_body(
        self, request: ProviderRequest, body: Any, headers: Mapping[str, str], latency_ms: float
    ) -> ProviderResponse:
        choices = body.get("choices") if isinstance(body, dict) else None
        if not choices or not isinstance(choices[0], dict):
            raise MalformedResponse("response has no choices", provider_id=self.id)
        choice = choices[0]
        message = choice.get("message") or {}
        reason = str(choice.get("finish_reason") or "stop")
        if reason == "content_filter" or message.get("refusal"):
            raise ContentFiltered(f"answer filtered (finish_reason {reason})", provider_id=self.id)
        text = message.get("content") or ""
        if not text:
            raise MalformedResponse(f"empty answer (finish_reason {reason})", provider_id=self.id)
        return ProviderResponse(
            text=text,
            parsed=self.decode(request, text),
            finish_reason=_FINISH.get(reason, reason),
            usage=_usage(body.get("usage") or {}),
            model=str(body.get("model") or self.config.model),
            request_id=headers.get("x-request-id")
            or headers.get("apim-request-id")
            or body.get("id"),
            latency_ms=latency_ms,
        )


def _usage(raw: Mapping[str, Any]) -> Usage:
    # prompt_tokens already includes cached_tokens; completion_tokens includes reasoning.
    details = raw.get("prompt_tokens_details") or {}
    return Usage(
        input_tokens=int(raw.get("prompt_tokens") or 0),
        cached_input_tokens=int(details.get("cached_tokens") or 0),
        output_tokens=int(raw.get("completion_tokens") or 0),
    )


def is_strict_compatible(schema: dict[str, Any]) -> bool:
    """True when OpenAI `strict: true` would accept the schema: every object closes its
    properties and requires all of them (platform.openai.com/docs/guides/structured-outputs)."""
    if schema.get("type") == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        closed = schema.get("additionalProperties") is False
        if not closed or set(schema.get("required") or ()) != set(props):
            return False
        return all(is_strict_compatible(s) for s in props.values() if isinstance(s, dict))
    items = schema.get("items")
    return not isinstance(items, dict) or is_strict_compatible(items)
