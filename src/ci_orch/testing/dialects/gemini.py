"""Gemini generateContent, as the server speaks it.

Ref: ai.google.dev/gemini-api/docs/troubleshooting (error codes and bodies).
"""

from __future__ import annotations

import uuid
from typing import Any

from ci_orch.testing.dialects.base import Call, Dialect, Reply, Tokens
from ci_orch.testing.script import Outcome

_RPC = "type.googleapis.com/google.rpc."
_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def _texts(body: Any) -> tuple[str, ...]:
    blocks = [body.get("systemInstruction") or {}, *(body.get("contents") or ())]
    return tuple(
        str(p.get("text", ""))
        for b in blocks
        for p in (b.get("parts") or ())
        if isinstance(p, dict)
    )


class GeminiDialect(Dialect):
    name = "gemini"

    def listing(self, models: list[str]) -> Reply:
        return Reply(200, {"models": [
            {"name": f"models/{m}", "displayName": m,
             "supportedGenerationMethods": ["generateContent", "countTokens"]}
            for m in models
        ]})

    def call(self, model: str | None, body: Any) -> Call:
        generation = body.get("generationConfig") or {}
        return Call(
            dialect=self.name,
            model=model or "",
            texts=_texts(body),
            wants_json=generation.get("responseMimeType") == "application/json",
        )

    def response(self, call: Call, candidates: list[Any], tokens: Tokens, **extra: Any) -> Any:
        return {
            "candidates": candidates,
            "usageMetadata": {
                "promptTokenCount": tokens.input,  # includes cachedContentTokenCount
                "cachedContentTokenCount": tokens.cached,
                "candidatesTokenCount": tokens.output,
                "thoughtsTokenCount": tokens.reasoning,
                "totalTokenCount": tokens.input + tokens.output + tokens.reasoning,
            },
            "modelVersion": call.model,
            "responseId": uuid.uuid4().hex[:20],
            **extra,
        }

    @staticmethod
    def candidate(text: str | None, finish: str) -> Any:
        content = {"role": "model", "parts": [{"text": text}] if text is not None else []}
        return {"content": content, "finishReason": finish, "index": 0}

    def ok(self, call: Call, answer: str, tokens: Tokens) -> Reply:
        return Reply(200, self.response(call, [self.candidate(answer, "STOP")], tokens))

    def error(
        self, status: int, message: str, kind: str, details: list[Any] | None = None
    ) -> Reply:
        error = {"code": status, "message": message, "status": _STATUS.get(status, "UNKNOWN")}
        if details:
            error["details"] = details
        return Reply(status, {"error": error})

    def fault(self, call: Call, outcome: Outcome, tokens: Tokens) -> Reply | None:
        kind = outcome.fault
        if kind in {"rate_limit", "quota"}:
            quota = (
                "GenerateRequestsPerDayPerProjectPerModel"
                if kind == "quota"
                else ("GenerateRequestsPerMinutePerProjectPerModel")
            )
            details: list[Any] = [
                {"@type": _RPC + "QuotaFailure", "violations": [{"quotaId": quota}]}
            ]
            if kind == "rate_limit" and outcome.retry_after is not None:
                details.append(
                    {"@type": _RPC + "RetryInfo", "retryDelay": f"{outcome.retry_after:g}s"}
                )
            return self.error(429, "You exceeded your current quota.", "quota", details)
        if kind == "auth":
            info = {
                "@type": _RPC + "ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
            }
            return self.error(
                400, "API key not valid. Please pass a valid API key.", "auth", [info]
            )
        if kind == "context_overflow":
            limit = tokens.limit
            return self.error(
                400,
                f"The input token count ({tokens.input}) exceeds the maximum "
                f"number of tokens allowed ({limit}).",
                "invalid",
            )
        if kind == "content_filter":
            if outcome.variant == "finish":
                return Reply(200, self.response(call, [self.candidate(None, "SAFETY")], tokens))
            return Reply(
                200, self.response(call, [], tokens, promptFeedback={"blockReason": "SAFETY"})
            )
        if kind == "empty":
            return Reply(200, self.response(call, [], tokens))
        return self.common_fault(call, outcome)
