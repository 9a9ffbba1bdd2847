"""Anthropic Messages, as the server speaks it (docs.anthropic.com/en/api/errors)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from ci_orch.testing.dialects.base import Call, Dialect, Reply, Tokens, retry_headers
from ci_orch.testing.script import Outcome

# The error types of the spec's ErrorResponse; anything else is reported as api_error.
_ERROR_TYPES = frozenset(
    {
        "api_error",
        "authentication_error",
        "invalid_request_error",
        "not_found_error",
        "overloaded_error",
        "permission_error",
        "rate_limit_error",
    }
)


def _texts(body: Any) -> tuple[str, ...]:
    out: list[str] = []
    for content in [body.get("system"), *(m.get("content") for m in body.get("messages") or ())]:
        if isinstance(content, str):
            out.append(content)
        elif isinstance(content, list):
            out.extend(str(b.get("text", "")) for b in content if isinstance(b, dict))
    return tuple(out)


class AnthropicDialect(Dialect):
    name = "anthropic"

    def call(self, model: str | None, body: Any) -> Call:
        choice = body.get("tool_choice") or {}
        return Call(
            dialect=self.name,
            model=model or str(body.get("model", "")),
            texts=_texts(body),
            wants_json=choice.get("type") == "tool",
            tool=str(choice.get("name") or "") or None,
        )

    def message(self, call: Call, content: list[Any], stop: str, tokens: Tokens) -> Any:
        return {
            "id": f"msg_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": call.model,
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {
                # input_tokens excludes cache reads (docs: "Tracking cache performance").
                "input_tokens": tokens.input - tokens.cached,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": tokens.cached,
                "output_tokens": tokens.output + tokens.reasoning,
            },
        }

    def ok(self, call: Call, answer: str, tokens: Tokens) -> Reply:
        if call.wants_json and call.tool:
            try:
                value = json.loads(answer)
            except ValueError:  # a scripted non-JSON answer still comes back as text
                value = None
            if isinstance(value, dict):
                block = {"type": "tool_use", "id": "toolu_1", "name": call.tool, "input": value}
                return Reply(200, self.message(call, [block], "tool_use", tokens))
        block = {"type": "text", "text": answer}
        return Reply(200, self.message(call, [block], "end_turn", tokens))

    def listing(self, models: list[str]) -> Reply:
        data = [{"type": "model", "id": m, "display_name": m,
                 "created_at": "2025-01-01T00:00:00Z"} for m in models]
        return Reply(200, {"data": data, "has_more": False,
                           "first_id": models[0] if models else None,
                           "last_id": models[-1] if models else None})

    def error(self, status: int, message: str, kind: str) -> Reply:
        kind = kind if kind in _ERROR_TYPES else "api_error"
        return Reply(
            status,
            {"type": "error", "error": {"type": kind, "message": message}},
            {"request-id": f"req_{uuid.uuid4().hex[:20]}"},
        )

    def fault(self, call: Call, outcome: Outcome, tokens: Tokens) -> Reply | None:
        kind = outcome.fault
        if kind == "rate_limit":
            reply = self.error(
                429, "Number of request tokens has exceeded your rate limit.", "rate_limit_error"
            )
            reply.headers.update(retry_headers(outcome))
            return reply
        if kind == "overloaded":
            reply = self.error(529, "Overloaded", "overloaded_error")
            reply.headers.update(retry_headers(outcome))
            return reply
        if kind == "quota":
            return self.error(
                400,
                "Your credit balance is too low to access the Anthropic API. "
                "Please go to Plans & Billing to upgrade or purchase credits.",
                "invalid_request_error",
            )
        if kind == "auth":
            return self.error(401, "invalid x-api-key", "authentication_error")
        if kind == "context_overflow":
            limit = tokens.limit
            message = f"prompt is too long: {tokens.input} tokens > {limit} maximum"
            return self.error(400, message, "invalid_request_error")
        if kind == "content_filter":
            return Reply(200, self.message(call, [], "refusal", tokens))
        if kind == "empty":
            return Reply(200, self.message(call, [], "end_turn", tokens))
        return self.common_fault(call, outcome)
