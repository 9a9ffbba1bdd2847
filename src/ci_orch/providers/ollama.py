"""Ollama's native chat API (`/api/chat`, non-streaming).

Refs: github.com/ollama/ollama/blob/main/docs/api.md ("Generate a chat completion";
`options.num_ctx`, `format` as a JSON schema, `prompt_eval_count`, `eval_count`).
Why native and not `/v1`: only `/api/chat` honours `options.num_ctx` (the OpenAI-compatible
endpoint ignores it: github.com/ollama/ollama/blob/main/docs/openai.md), and a prompt
longer than `num_ctx` is silently truncated with a 200, so we compare the count the model
saw with our own estimate and raise ContextWindowExceeded instead of trusting the review.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ci_orch.providers._http import HttpProvider
from ci_orch.providers.errors import (
    ContextWindowExceeded,
    MalformedResponse,
    Overloaded,
    ProviderError,
)
from ci_orch.providers.interface import ProviderRequest, ProviderResponse, Usage

# Truncation leaves the model with about num_ctx tokens while we counted more. Our estimate
# is padded (no llama tokenizer offline) and Ollama's prompt cache lowers prompt_eval_count
# on repeats, so demand both: the model saw well under our count, and our count fills the window.
SAW_FRACTION = 0.8
FILLS_WINDOW = 0.9
_FINISH = {"stop": "stop", "length": "length"}


class OllamaProvider(HttpProvider):
    def auth_headers(self) -> dict[str, str]:
        # Ollama has no auth; a key is still sent when configured, for proxies in front of it.
        return {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    def url(self, request: ProviderRequest) -> str:
        return f"{(self.config.url or '').rstrip('/')}/api/chat"

    def probe_url(self) -> str | None:
        # "List Local Models" in the API docs: instant, and a model is never loaded for it.
        return f"{(self.config.url or '').rstrip('/')}/api/tags"

    def build_body(self, request: ProviderRequest) -> dict[str, Any]:
        messages = [{"role": "system", "content": request.system}] if request.system else []
        messages += [{"role": m.role, "content": m.content} for m in request.messages]
        body: dict[str, Any] = {
            "model": self.config.model,
            "messages": messages,
            "stream": False,
            "options": {
                "num_ctx": self.config.context_window,  # the default (2048-4096) truncates reviews
                "num_predict": request.max_output_tokens,
                "temperature": request.temperature,
            },
        }
        if request.json_schema is not None:
            body["format"] = request.json_schema
        return body

    def vendor_error(self, status: int, body: Any, message: str) -> ProviderError | None:
        if status == 503:  # "server busy, please try again" when OLLAMA_MAX_QUEUE is full
            return Overloaded(message)
        return None

    def usage_of(self, body: Any) -> Usage | None:
        if not isinstance(body, dict) or "prompt_eval_count" not in body:
            return None
        return Usage(
            input_tokens=int(body.get("prompt_eval_count") or 0),
            output_tokens=int(body.get("eval_count") or 0),
        )

    def parse_body(
        self, request: ProviderRequest, body: Any, headers: Mapping[str, str], latency_ms: float
    ) -> ProviderResponse:
        if not isinstance(body, dict) or not isinstance(body.get("message"), dict):
            raise MalformedResponse("response has no message", provider_id=self.id)
        usage = Usage(
            input_tokens=int(body.get("prompt_eval_count") or 0),
            output_tokens=int(body.get("eval_count") or 0),
        )
        self._check_truncation(request, usage.input_tokens)
        text = str(body["message"].get("content") or "")
        if not text:
            raise MalformedResponse("empty answer", provider_id=self.id)
        reason = str(body.get("done_reason") or "stop")
        return ProviderResponse(
            text=text,
            parsed=self.decode(request, text),
            finish_reason=_FINISH.get(reason, reason),
            usage=usage,
            model=str(body.get("model") or self.config.model),
            request_id=None,
            latency_ms=latency_ms,
        )

    def _check_truncation(self, request: ProviderRequest, seen: int) -> None:
        ours = request.input_tokens_estimate
        window = self.config.context_window
        if ours is None or seen <= 0:
            return
        if seen < ours * SAW_FRACTION and ours >= window * FILLS_WINDOW:
            raise ContextWindowExceeded(
                f"prompt silently truncated: the model saw {seen} tokens, we sent about {ours}",
                provider_id=self.id,
                limit=window,
                requested=ours,
            )
