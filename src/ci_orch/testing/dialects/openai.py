"""OpenAI Chat Completions and Azure OpenAI, as the server speaks them."""

from __future__ import annotations

import time
import uuid
from dataclasses import replace
from typing import Any

from ci_orch.testing.dialects.base import Call, Dialect, Reply, Tokens, retry_headers
from ci_orch.testing.script import Outcome


def _texts(body: Any) -> tuple[str, ...]:
    out: list[str] = []
    for message in body.get("messages") or ():
        content = message.get("content")
        if isinstance(content, str):
            out.append(content)
        elif isinstance(content, list):
            out.extend(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return tuple(out)


class OpenAIDialect(Dialect):
    name = "openai"

    def call(self, model: str | None, body: Any) -> Call:
        fmt = body.get("response_format") or {}
        return Call(
            dialect=self.name,
            model=model or str(body.get("model", "")),
            texts=_texts(body),
            wants_json=fmt.get("type") in {"json_schema", "json_object"},
        )

    def ok(self, call: Call, answer: str, tokens: Tokens) -> Reply:
        return Reply(200, self.completion(call, answer, "stop", tokens))

    def listing(self, models: list[str]) -> Reply:
        # `ListModelsResponse` in the OpenAI spec; Azure's list has the same envelope.
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "ci-orch"} for m in models]
        return Reply(200, {"object": "list", "data": data})

    def completion(self, call: Call, content: str | None, finish: str, tokens: Tokens) -> Any:
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": None},
            "finish_reason": finish,
            "logprobs": None,
        }
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": call.model,
            "choices": [choice],
            "usage": {
                "prompt_tokens": tokens.input,
                "completion_tokens": tokens.output + tokens.reasoning,
                "total_tokens": tokens.input + tokens.output + tokens.reasoning,
                "prompt_tokens_details": {"cached_tokens": tokens.cached},
                "completion_tokens_details": {"reasoning_tokens": tokens.reasoning},
            },
        }

    def error(self, status: int, message: str, kind: str, code: str | None = None) -> Reply:
        types = {"server": "server_error", "auth": "invalid_request_error"}
        return Reply(
            status,
            {
                "error": {
                    "message": message,
                    "type": types.get(kind, kind),
                    "param": None,
                    "code": code,
                }
            },
        )

    def fault(self, call: Call, outcome: Outcome, tokens: Tokens) -> Reply | None:
        kind = outcome.fault
        if kind == "rate_limit":
            reply = self.error(
                429, "Rate limit reached for requests.", "requests", "rate_limit_exceeded"
            )
            reply.headers.update(retry_headers(outcome))
            reply.headers["x-ratelimit-remaining-requests"] = "0"
            return reply
        if kind == "quota":
            return self.error(
                429,
                "You exceeded your current quota, please check your plan and billing details.",
                "insufficient_quota",
                "insufficient_quota",
            )
        if kind == "auth":
            return self.error(401, "Incorrect API key provided.", "auth", "invalid_api_key")
        if kind == "context_overflow":
            return self.context_overflow(call, tokens)
        if kind == "content_filter":
            return Reply(200, self.completion(call, None, "content_filter", tokens))
        if kind == "empty":
            body = self.completion(call, "", "stop", tokens)
            body["choices"] = []
            return Reply(200, body)
        return self.common_fault(call, outcome)

    def context_overflow(self, call: Call, tokens: Tokens) -> Reply:
        limit = tokens.limit
        message = (
            f"This model's maximum context length is {limit} tokens. However, your messages "
            f"resulted in {tokens.input} tokens. Please reduce the length of the messages."
        )
        return self.error(400, message, "invalid_request_error", "context_length_exceeded")


class AzureDialect(OpenAIDialect):
    """Azure differs in the path, a 400 for a filtered prompt, `retry-after-ms`, and the
    context message text (and no `code`, which LiteLLM misses: BerriAI/litellm#10793)."""

    name = "azure"

    def fault(self, call: Call, outcome: Outcome, tokens: Tokens) -> Reply | None:
        if outcome.fault == "rate_limit" and outcome.retry_after_form == "seconds":
            outcome = _with_form(outcome, "both")
        if outcome.fault == "content_filter" and outcome.variant != "finish":
            reply = self.error(
                400,
                "The response was filtered due to the prompt triggering Azure OpenAI's "
                "content management policy.",
                "invalid_request_error",
                "content_filter",
            )
            reply.body["error"]["innererror"] = {"code": "ResponsibleAIPolicyViolation"}
            return reply
        if outcome.fault == "auth":
            return Reply(
                401,
                {
                    "error": {
                        "code": "401",
                        "message": "Access denied due to invalid subscription key "
                        "or wrong API endpoint.",
                    }
                },
            )
        return super().fault(call, outcome, tokens)

    def context_overflow(self, call: Call, tokens: Tokens) -> Reply:
        limit = tokens.limit
        message = (
            f"Input tokens exceed the configured limit of {limit} tokens. Your messages "
            f"resulted in {tokens.input} tokens. Please reduce the length of the messages."
        )
        return self.error(400, message, "invalid_request_error", None)


def _with_form(outcome: Outcome, form: str) -> Outcome:
    return replace(outcome, retry_after_form=form)
