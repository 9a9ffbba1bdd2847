"""The seam between the router and the vendors: one normalised request, response and error set."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Literal

from ci_orch.config.providers import ProviderConfig
from ci_orch.providers.errors import (
    AuthError,
    BadRequest,
    ContentFiltered,
    ContextWindowExceeded,
    MalformedResponse,
    Overloaded,
    ProviderError,
    QuotaExhausted,
    RateLimited,
    ServerError,
    Timeout,
    TransportError,
)

# What a vendor's models endpoint says: "up" (it answered 2xx) or "unknown" (there is no
# such endpoint, or its answer says nothing about health). A down API raises instead.
Liveness = Literal["up", "unknown"]


@dataclass(frozen=True, slots=True)
class Message:
    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True, slots=True)
class ProviderRequest:
    """What we ask of any model. `json_schema` asks for structured output via the
    vendor's own mechanism; `input_tokens_estimate` is our own count of the input
    (the ollama adapter uses it to detect silent truncation)."""

    system: str
    messages: tuple[Message, ...]
    max_output_tokens: int
    temperature: float = 0.0
    json_schema: dict[str, Any] | None = None
    schema_name: str = "findings"
    timeout_s: float | None = None
    input_tokens_estimate: int | None = None


@dataclass(frozen=True, slots=True)
class Usage:
    """`input_tokens` includes cached ones; `output_tokens` includes reasoning ones."""

    input_tokens: int
    cached_input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True, slots=True)
class ProviderResponse:
    """`parsed` is the decoded JSON when the request had a schema, else None.
    `finish_reason` is normalised: "stop", "length", or the vendor's own word."""

    text: str
    parsed: Any | None
    finish_reason: str
    usage: Usage
    model: str
    request_id: str | None
    latency_ms: float


class Provider(ABC):
    """One configured model deployment."""

    id: str
    config: ProviderConfig

    @abstractmethod
    async def complete(self, request: ProviderRequest) -> ProviderResponse:
        """Ask the model once (no retries here; the router owns retries).

        Raises only `ProviderError` subclasses: `RateLimited`, `Overloaded`,
        `ServerError`, `Timeout`, `TransportError` (retryable, health failures);
        `ContextWindowExceeded`, `ContentFiltered`, `AuthError`, `QuotaExhausted`,
        `BadRequest`; `MalformedResponse` (text kept) when a `request.json_schema`
        answer holds no JSON, or there is no content. Whether the JSON fits the schema is
        for the caller's pydantic model to say.
        """

    async def count_input_tokens(self, request: ProviderRequest) -> int | None:
        """The input tokens the vendor will bill for `request`, from its own free counting
        endpoint, or None when it has none or it cannot be reached. Never raises."""
        return None

    async def probe(self, timeout_s: float) -> Liveness:
        """Whether the vendor's API is up, from its free models endpoint, within `timeout_s`.

        Returns "up" on a 2xx and "unknown" when there is no such endpoint (404, 405) or
        the answer says nothing about health. Raises `AuthError` when the key is refused
        (401, 403) and a health-failure `ProviderError` (`ServerError`, `Overloaded`,
        `RateLimited`, `Timeout`, `TransportError`) when the API is down. Costs no tokens;
        never retried here.
        """
        return "unknown"

    @abstractmethod
    async def aclose(self) -> None:
        """Release connections; the provider is unusable afterwards."""


__all__ = [
    "AuthError",
    "BadRequest",
    "ContentFiltered",
    "ContextWindowExceeded",
    "MalformedResponse",
    "Liveness",
    "Message",
    "Overloaded",
    "Provider",
    "ProviderError",
    "ProviderRequest",
    "ProviderResponse",
    "QuotaExhausted",
    "RateLimited",
    "ServerError",
    "Timeout",
    "TransportError",
    "Usage",
]
