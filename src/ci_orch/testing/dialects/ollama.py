"""Ollama's native /api/chat, as the server speaks it (ollama docs/api.md).

Ollama has no auth, rate limits, quota or content filter; a prompt longer than
`options.num_ctx` is silently truncated and answered with 200, which this server imitates.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ci_orch.testing.dialects.base import Call, Dialect, Reply, Tokens
from ci_orch.testing.script import Outcome

DEFAULT_NUM_CTX = 4096  # Ollama's default when the request sets none


class OllamaDialect(Dialect):
    name = "ollama"

    def call(self, model: str | None, body: Any) -> Call:
        options = body.get("options") or {}
        return Call(
            dialect=self.name,
            model=model or str(body.get("model", "")),
            texts=tuple(str(m.get("content", "")) for m in body.get("messages") or ()),
            wants_json=body.get("format") is not None,
            num_ctx=int(options.get("num_ctx") or DEFAULT_NUM_CTX),
        )

    def listing(self, models: list[str]) -> Reply:
        now = datetime.now(UTC).isoformat()
        return Reply(200, {"models": [
            {"name": m, "model": m, "modified_at": now, "size": 0, "digest": ""} for m in models
        ]})

    def chat(self, call: Call, content: str, seen: int, tokens: Tokens) -> Any:
        return {
            "model": call.model,
            "created_at": datetime.now(UTC).isoformat(),
            "message": {"role": "assistant", "content": content},
            "done": True,
            "done_reason": "stop",
            "prompt_eval_count": seen,
            "eval_count": tokens.output + tokens.reasoning,
            "total_duration": 1,
        }

    def ok(self, call: Call, answer: str, tokens: Tokens) -> Reply:
        # Truncation keeps about num_ctx tokens of the prompt, and says nothing.
        seen = min(tokens.input, call.num_ctx or tokens.input)
        return Reply(200, self.chat(call, answer, seen, tokens))

    def error(self, status: int, message: str, kind: str) -> Reply:
        if kind == "busy":
            message = "server busy, please try again.  maximum pending requests exceeded"
        return Reply(status, {"error": message})

    def fault(self, call: Call, outcome: Outcome, tokens: Tokens) -> Reply | None:
        if outcome.fault == "context_overflow":
            seen = max(min(tokens.input, call.num_ctx or tokens.input) // 2, 1)
            return Reply(200, self.chat(call, "truncated answer", seen, tokens))
        if outcome.fault == "empty":
            return Reply(200, self.chat(call, "", tokens.input, tokens))
        if outcome.fault == "auth":  # from an authenticating proxy in front of Ollama
            return self.error(401, "unauthorized", "auth")
        return self.common_fault(call, outcome)
