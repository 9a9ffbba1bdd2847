"""Google Gemini `generateContent` (Generative Language API, v1beta).

Refs: ai.google.dev/api/generate-content (request, `usageMetadata`, `finishReason`,
`promptFeedback.blockReason`), ai.google.dev/gemini-api/docs/structured-output
(`responseJsonSchema`), ai.google.dev/gemini-api/docs/troubleshooting (error codes; an
invalid key is 400 INVALID_ARGUMENT with ErrorInfo reason API_KEY_INVALID).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ci_orch.providers._http import HttpProvider
from ci_orch.providers.errors import (
    AuthError,
    ContentFiltered,
    ContextWindowExceeded,
    MalformedResponse,
    Overloaded,
    ProviderError,
    QuotaExhausted,
    RateLimited,
    Timeout,
)
from ci_orch.providers.interface import ProviderRequest, ProviderResponse, Usage
from ci_orch.providers.retry_after import gemini_retry_delay

_TOO_LONG = re.compile(
    r"input token count \(?(\d+)\)? exceeds the maximum.*?\(?(\d+)\)?", re.I | re.S
)
_FINISH = {"STOP": "stop", "MAX_TOKENS": "length"}
# Answers withheld for policy reasons (FinishReason enum in the API reference).
_FILTERED = {
    "SAFETY",
    "RECITATION",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "LANGUAGE",
}


def _reasons(error: Mapping[str, Any]) -> set[str]:
    """ErrorInfo reasons and QuotaFailure quota ids from a google.rpc error's details."""
    found: set[str] = set()
    for detail in error.get("details") or ():
        if not isinstance(detail, dict):
            continue
        if detail.get("reason"):
            found.add(str(detail["reason"]))
        for violation in detail.get("violations") or ():
            if isinstance(violation, dict) and violation.get("quotaId"):
                found.add(str(violation["quotaId"]))
    return found


class GeminiProvider(HttpProvider):
    def auth_headers(self) -> dict[str, str]:
        # The header keeps the key out of URLs, and so out of any error text or proxy log.
        return {"x-goog-api-key": self._api_key} if self._api_key else {}

    def url(self, request: ProviderRequest) -> str:
        base = (self.config.url or "").rstrip("/")
        model = self.config.model.removeprefix("models/")  # the API lists ids as models/...
        return f"{base}/v1beta/models/{model}:generateContent"

    def probe_url(self) -> str | None:
        # ai.google.dev/api/models#method:-models.list: free; a bad key is the same
        # 400 API_KEY_INVALID a call gets.
        return f"{(self.config.url or '').rstrip('/')}/v1beta/models?pageSize=1"

    def build_body(self, request: ProviderRequest) -> dict[str, Any]:
        generation: dict[str, Any] = {
            "maxOutputTokens": request.max_output_tokens,
            "temperature": request.temperature,
        }
        if request.json_schema is not None:
            generation["responseMimeType"] = "application/json"
            generation["responseJsonSchema"] = request.json_schema
        body: dict[str, Any] = {
            "contents": [
                {
                    "role": "model" if m.role == "assistant" else "user",
                    "parts": [{"text": m.content}],
                }
                for m in request.messages
            ],
            "generationConfig": generation,
        }
        if request.system:
            body["systemInstruction"] = {"parts": [{"text": request.system}]}
        return body

    def count_request(self, request: ProviderRequest) -> tuple[str, dict[str, Any]] | None:
        # ai.google.dev/api/tokens (models.countTokens): free; given the whole
        # generateContentRequest it counts the system instruction too.
        model = self.config.model.removeprefix("models/")
        whole = {"model": f"models/{model}", **self.build_body(request)}
        whole.pop("generationConfig", None)
        base = (self.config.url or "").rstrip("/")
        return f"{base}/v1beta/models/{model}:countTokens", {"generateContentRequest": whole}

    def count_of(self, body: Any) -> int | None:
        value = body.get("totalTokens") if isinstance(body, dict) else None
        return value if isinstance(value, int) and value > 0 else None

    def vendor_error(self, status: int, body: Any, message: str) -> ProviderError | None:
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        reasons = _reasons(error)
        if "API_KEY_INVALID" in reasons:
            return AuthError(message)
        if status == 429:
            # A per-day quota will not come back within a CI job; per-minute ones will.
            if any("PerDay" in r for r in reasons):
                return QuotaExhausted(message)
            return RateLimited(message, retry_after=gemini_retry_delay(error))
        too_long = _TOO_LONG.search(message)
        if too_long:
            requested, limit = (int(g) for g in too_long.groups())
            return ContextWindowExceeded(message, limit=limit, requested=requested)
        if error.get("status") == "UNAVAILABLE":
            return Overloaded(message, retry_after=gemini_retry_delay(error))
        if error.get("status") == "DEADLINE_EXCEEDED":
            return Timeout(message)
        return None

    def usage_of(self, body: Any) -> Usage | None:
        raw = body.get("usageMetadata") if isinstance(body, dict) else None
        return _usage(raw) if isinstance(raw, dict) else None

    def parse_body(
        self, request: ProviderRequest, body: Any, headers: Mapping[str, str], latency_ms: float
    ) -> ProviderResponse:
        if not isinstance(body, dict):
            raise MalformedResponse("response is not an object", provider_id=self.id)
        blocked = (body.get("promptFeedback") or {}).get("blockReason")
        if blocked:
            raise ContentFiltered(f"prompt blocked ({blocked})", provider_id=self.id)
        candidates = body.get("candidates") or []
        if not candidates or not isinstance(candidates[0], dict):
            raise MalformedResponse("response has no candidates", provider_id=self.id)
        reason = str(candidates[0].get("finishReason") or "STOP")
        if reason in _FILTERED:
            raise ContentFiltered(f"answer withheld (finishReason {reason})", provider_id=self.id)
        text = _text(candidates[0])
        if not text:
            raise MalformedResponse(f"empty answer (finishReason {reason})", provider_id=self.id)
        return ProviderResponse(
            text=text,
            parsed=self.decode(request, text),
            finish_reason=_FINISH.get(reason, reason.lower()),
            usage=_usage(body.get("usageMetadata") or {}),
            model=str(body.get("modelVersion") or self.config.model),
            request_id=body.get("responseId"),
            latency_ms=latency_ms,
        )


def _text(candidate: Mapping[str, Any]) -> str:
    parts = (candidate.get("content") or {}).get("parts") or []
    # Thought summaries come back as parts marked `thought: true`; they are not the answer.
    return "".join(
        str(p.get("text", "")) for p in parts if isinstance(p, dict) and not p.get("thought")
    )


def _usage(raw: Mapping[str, Any]) -> Usage:
    # promptTokenCount includes cachedContentTokenCount; thoughts are billed as output.
    return Usage(
        input_tokens=int(raw.get("promptTokenCount") or 0),
        cached_input_tokens=int(raw.get("cachedContentTokenCount") or 0),
        output_tokens=int(raw.get("candidatesTokenCount") or 0)
        + int(raw.get("thoughtsTokenCount") or 0),
    )
