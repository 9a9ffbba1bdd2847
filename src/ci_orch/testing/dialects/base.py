"""What every wire format has in common on the server side: the request as understood,
the token counts, and the reply to send."""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import formatdate
from functools import lru_cache
from typing import Any

from ci_orch.plan.tokens import Tokenizer, tokenizer_for
from ci_orch.testing.script import ModelScript, Outcome


@lru_cache(maxsize=1)
def _tokenizer() -> Tokenizer:
    return tokenizer_for("openai", "gpt-4o")  # exact o200k, the same for every dialect


def count_tokens(texts: Iterable[str]) -> int:
    """The server's input count: the sum of exact o200k counts of every text in the request
    (system prompt and each message). Tests compute expectations with this same function."""
    items = [t for t in texts if t]
    tokenizer = _tokenizer()
    return sum(tokenizer.count(t) for t in items)


@dataclass(frozen=True)
class Call:
    """One request as the server understood it."""

    dialect: str
    model: str
    texts: tuple[str, ...]
    wants_json: bool = False
    num_ctx: int | None = None
    tool: str | None = None  # anthropic: the forced tool name

    @property
    def input_tokens(self) -> int:
        return count_tokens(self.texts)


@dataclass(frozen=True)
class Tokens:
    """What `usage` reports; input includes cached, output excludes reasoning here and each
    dialect adds them up the way its vendor does."""

    input: int
    cached: int
    output: int
    reasoning: int
    window: int | None = None  # the scripted context window, for overflow messages

    @property
    def limit(self) -> int:
        """The context limit an overflow message states: the scripted one, else just under."""
        return self.window or max(self.input - 1, 1)

    @classmethod
    def of(cls, call: Call, spec: ModelScript, answer: str) -> Tokens:
        total = math.ceil(call.input_tokens * spec.bill_input_factor)
        return cls(
            input=total,
            cached=min(spec.cached_tokens, total),
            output=count_tokens([answer]),
            reasoning=spec.reasoning_tokens,
            window=spec.context_window,
        )


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def retry_headers(outcome: Outcome) -> dict[str, str]:
    """`retry-after` in the form the outcome asks for (RFC 9110 10.2.3; Azure adds -ms)."""
    wait = outcome.retry_after
    form = outcome.retry_after_form
    if wait is None or form == "none":
        return {}
    seconds = {"retry-after": f"{wait:g}"}
    millis = {"retry-after-ms": f"{wait * 1000:g}"}
    if form == "ms":
        return millis
    if form == "both":
        return {**millis, **seconds}
    if form == "date":
        return {"retry-after": formatdate(time.time() + wait, usegmt=True)}
    return seconds


class Dialect(ABC):
    """One vendor's wire format. `fault` returns None when the vendor has no such fault."""

    name: str

    @abstractmethod
    def call(self, model: str | None, body: Any) -> Call: ...

    @abstractmethod
    def ok(self, call: Call, answer: str, tokens: Tokens) -> Reply: ...

    @abstractmethod
    def fault(self, call: Call, outcome: Outcome, tokens: Tokens) -> Reply | None: ...

    @abstractmethod
    def error(self, status: int, message: str, kind: str) -> Reply:
        """A plain error in this vendor's error envelope."""

    @abstractmethod
    def listing(self, models: list[str]) -> Reply:
        """The vendor's models list (the free endpoint a liveness probe asks)."""

    def common_fault(self, call: Call, outcome: Outcome) -> Reply | None:
        """Faults whose shape only differs by the error envelope."""
        headers = retry_headers(outcome)
        if outcome.fault == "server_error":
            reply = self.error(500, "The server had an error processing your request.", "server")
        elif outcome.fault == "unavailable":
            reply = self.error(503, "The model is overloaded. Please try again later.", "busy")
        elif outcome.fault == "timeout_status":
            reply = self.error(504, "The request timed out.", "timeout")
        elif outcome.fault == "status":
            reply = self.error(outcome.status, f"scripted HTTP {outcome.status}", "status")
        else:
            return None
        reply.headers.update(headers)
        return reply
