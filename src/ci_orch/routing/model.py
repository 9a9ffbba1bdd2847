"""What goes into the router and what comes out: requests, attempt records, results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ci_orch.config.providers import Capability, Tier
from ci_orch.providers.interface import ProviderRequest, ProviderResponse

Task = Literal["review", "generate"]
Outcome = Literal["ok", "error", "skipped"]

# Returns None when the answer is usable, else why not (the ladder escalates on it).
Validator = Callable[[ProviderResponse], str | None]


@dataclass(frozen=True, slots=True)
class RoutedRequest:
    """One provider call to route, plus what classification needs.

    `input_tokens`: the planner's count; the router recounts per target tokenizer and
    uses the larger. `consensus`: ask N providers and merge (high-stakes profiles).
    """

    request: ProviderRequest
    task: Task = "review"
    paths: tuple[str, ...] = ()
    redactions: int = 0
    input_tokens: int | None = None
    chunk_id: str = ""
    validate: Validator | None = None
    consensus: bool = False


@dataclass(frozen=True, slots=True)
class Classification:
    task: Task
    input_tokens: int
    languages: tuple[str, ...]
    sensitive: bool
    sensitivity_reasons: tuple[str, ...]
    tier: Tier | None
    required_capabilities: tuple[Capability, ...]


@dataclass(frozen=True, slots=True)
class Attempt:
    """One row of the report's provider-call table. `error_kind` is the error class name
    for calls, or the skip reason (blocked, disabled, capability, sensitive, credentials,
    price, context_window, budget, breaker_open, deadline) for providers not called."""

    chunk_id: str
    provider: str
    model: str
    attempt: int
    outcome: Outcome
    error_kind: str | None = None
    detail: str = ""
    wait_s: float = 0.0
    latency_ms: float = 0.0
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    fallback_from: str | None = None
    cache_hit: bool = False


@dataclass(frozen=True, slots=True)
class RouteResult:
    response: ProviderResponse
    provider: str
    attempts: tuple[Attempt, ...]
    classification: Classification
    cost_usd: float
    cache_hit: bool = False
    agreement: float | None = None  # consensus only: mean share of providers per finding
