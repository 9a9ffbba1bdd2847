"""Anthropic Messages API.

Refs: docs.anthropic.com/en/api/messages (spec: contracts/anthropic/openapi.json,
`CreateMessageParams`), docs.anthropic.com/en/api/errors (529 overloaded_error,
413 request_too_large), docs.anthropic.com/en/docs/build-with-claude/tool-use
(a forced tool call is the structured-output mechanism every Claude model supports).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ci_orch.providers._http import HttpProvider
from ci_orch.providers.errors import (
    ContentFiltered,
    ContextWindowExceeded,
    MalformedResponse,
    Overloaded,
    ProviderError,
    QuotaExhausted,
    RateLimited,
)
from ci_orch.providers.interface import ProviderRequest, ProviderResponse, Usage

API_VERSION = "2023-06-01"
_TOO_LONG = re.compile(r"prompt is too long: (\d+) tokens > (\d+) maximum")
_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "tool_use": "stop", "max_tokens": "length"}
# Out of credit or over the workspace spend limit: retrying cannot help.
_QUOTA_WORDS = ("credit balance", "spend limit", "enforced_spend_limit_reached")
_WRAP_KEY = "result"
_COUNTED = frozenset({"model", "messages", "system", "tools", "tool_choice"})


class AnthropicProvider(HttpProvider):
    def auth_headers(self) -> dict[str, str]:
        headers = {"anthropic-version": API_VERSION}
        if self._api_key:
            headers["x-api-key"] = self._api_key
        return headers

    def url(self, request: ProviderRequest) -> str:
        return f"{(self.config.url or '').rstrip('/')}/v1/messages"

    def probe_url(self) -> str | None:
        # docs.anthropic.com/en/api/models-list: free, same headers as a message; one
        # entry is enough to know the API and the key are good.
        return f"{(self.config.url or '').rstrip('/')}/v1/models?limit=1"

    def build_body(self, request: ProviderRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.config.model,
            "max_tokens": request.max_output_tokens,  # required by the Messages API
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "temperature": request.temperature,
        }
        if request.system:
            body["system"] = request.system  # top level: a "system" role is rejected
        if request.json_schema is not None:
            body["tools"] = [
                {
                    "name": request.schema_name,
                    "description": "Report the result in this exact structure.",
                    "input_schema": _input_schema(request.json_schema),
                }
            ]
            body["tool_choice"] = {"type": "tool", "name": request.schema_name}
        return body

    def count_request(self, request: ProviderRequest) -> tuple[str, dict[str, Any]] | None:
        # docs.anthropic.com/en/api/messages-count-tokens: free, the Messages body without
        # the generation settings; the answer is the input the message would be billed.
        body = {k: v for k, v in self.build_body(request).items() if k in _COUNTED}
        return f"{(self.config.url or '').rstrip('/')}/v1/messages/count_tokens", body

    def count_of(self, body: Any) -> int | None:
        value = body.get("input_tokens") if isinstance(body, dict) else None
        return value if isinstance(value, int) and value > 0 else None

    def vendor_error(self, status: int, body: Any, message: str) -> ProviderError | None:
        error = body.get("error") if isinstance(body, dict) else None
        kind = str(error.get("type", "")) if isinstance(error, dict) else ""
        if any(word in message.lower() or word == kind for word in _QUOTA_WORDS):
            return QuotaExhausted(message)
        if kind == "overloaded_error":
            return Overloaded(message)
        if kind == "rate_limit_error":
            return RateLimited(message)
        too_long = _TOO_LONG.search(message)
        if too_long or status == 413:
            requested, limit = (int(g) for g in too_long.groups()) if too_long else (None, None)
            return ContextWindowExceeded(message, limit=limit, requested=requested)
        return None

    def usage_of(self, body: Any) -> Usage | None:
        raw = body.get("usage") if isinstance(body, dict) else None
        return _usage(raw) if isinstance(raw, dict) else None

    def parse_body(
        self, request: ProviderRequest, body: Any, headers: Mapping[str, str], latency_ms: float
    ) -> ProviderResponse:
        if not isinstance(body, dict):
            raise MalformedResponse("response is not a message object", provider_id=self.id)
        reason = str(body.get("stop_reason") or "end_turn")
        self._raise_for_stop(reason)
        text, parsed = self._content(request, body.get("content") or [])
        return ProviderResponse(
            text=text,
            parsed=parsed,
            finish_reason=_FINISH.get(reason, reason),
            usage=_usage(body.get("usage") or {}),
            model=str(body.get("model") or self.config.model),
            request_id=headers.get("request-id") or body.get("id"),
            latency_ms=latency_ms,
        )

    def _raise_for_stop(self, reason: str) -> None:
        if reason == "refusal":  # the safety classifiers stopped the answer
            raise ContentFiltered("model refused (stop_reason refusal)", provider_id=self.id)
        if reason == "model_context_window_exceeded":
            raise ContextWindowExceeded("answer stopped at the context window", provider_id=self.id)

    def _content(self, request: ProviderRequest, blocks: list[Any]) -> tuple[str, Any | None]:
        tool = next(
            (b for b in blocks if isinstance(b, dict) and b.get("type") == "tool_use"), None
        )
        if tool is not None and request.json_schema is not None:
            return _tool_answer(request.json_schema, tool.get("input"))
        text = "".join(
            b.get("text", "") for b in blocks if isinstance(b, dict) and b.get("type") == "text"
        )
        if not text:
            raise MalformedResponse("response has no content", provider_id=self.id)
        return text, self.decode(request, text)


def _tool_answer(schema: dict[str, Any], value: Any) -> tuple[str, Any]:
    # The tool input arrives already parsed; unwrap a non-object schema.
    if schema.get("type") != "object" and isinstance(value, dict):
        value = value.get(_WRAP_KEY)
    return json.dumps(value), value


def _input_schema(schema: dict[str, Any]) -> dict[str, Any]:
    # A tool's input_schema must be an object; wrap anything else under one property.
    if schema.get("type") == "object":
        return schema
    return {"type": "object", "properties": {_WRAP_KEY: schema}, "required": [_WRAP_KEY]}


def _usage(raw: Mapping[str, Any]) -> Usage:
    # input_tokens excludes both cache fields; we report all input with cache reads apart.
    fresh = int(raw.get("input_tokens") or 0)
    written = int(raw.get("cache_creation_input_tokens") or 0)
    read = int(raw.get("cache_read_input_tokens") or 0)
    return Usage(
        input_tokens=fresh + written + read,
        cached_input_tokens=read,
        output_tokens=int(raw.get("output_tokens") or 0),
    )
