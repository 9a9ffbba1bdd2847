"""One error taxonomy for every provider, so the router acts on kinds, not vendors.

`retryable`: worth another attempt on the same deployment (after `retry_after`).
`health_failure`: counts against the deployment's circuit breaker (429, 5xx, 529, timeouts
and transport errors only: a bad request or a refused key says nothing about the
deployment's health).
Messages never hold the API key, the prompt or the response body; at most a
short vendor error message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ci_orch.errors import CiOrchError, ExitCode

if TYPE_CHECKING:
    from ci_orch.providers.interface import Usage


class ProviderError(CiOrchError):
    """Base of every error an adapter raises; nothing from httpx escapes an adapter."""

    exit_code = ExitCode.INCOMPLETE
    retryable: bool = False
    health_failure: bool = False
    # What the vendor billed for an answer we could not use (a 2xx that was prose, cut
    # short, refused or filtered): the router settles it at its real cost.
    usage: Usage | None = None
    # A 2xx answer began but broke off (reset, stall, truncated body): the vendor has
    # likely billed it, but we cannot read how much, so the router keeps the whole hold.
    billed_unknown: bool = False

    def __init__(
        self,
        message: str,
        *,
        provider_id: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
        should_retry: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider_id = provider_id
        self.status = status
        self.retry_after = retry_after
        # `x-should-retry` from the server; the SDKs obey it over their own rules.
        self.should_retry = should_retry

    @property
    def worth_retrying(self) -> bool:
        """`retryable`, overridden by the server's `x-should-retry` when it sent one."""
        return self.retryable if self.should_retry is None else self.should_retry

    def __str__(self) -> str:
        where = f"provider {self.provider_id}: " if self.provider_id else ""
        code = f" (HTTP {self.status})" if self.status is not None else ""
        return f"{where}{self.message}{code}"


class RateLimited(ProviderError):
    """429 (not out-of-credit). Wait `retry_after` seconds if given."""

    retryable = True
    health_failure = True


class Overloaded(ProviderError):
    """Anthropic 529 `overloaded_error`, 503 UNAVAILABLE: the vendor is shedding load."""

    retryable = True
    health_failure = True


class ServerError(ProviderError):
    """500 and other 5xx."""

    retryable = True
    health_failure = True


class Timeout(ProviderError):
    """No complete answer within the request's timeout (connect, read or total)."""

    retryable = True
    health_failure = True


class TransportError(ProviderError):
    """Connection refused or reset, broken body, TLS failure."""

    retryable = True
    health_failure = True


class ContextWindowExceeded(ProviderError):
    """The prompt does not fit: fall back to a longer-context model or split, do not retry."""

    def __init__(
        self,
        message: str,
        *,
        limit: int | None = None,
        requested: int | None = None,
        provider_id: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message, provider_id=provider_id, status=status)
        self.limit = limit
        self.requested = requested


class ContentFiltered(ProviderError):
    """The vendor refused or filtered the prompt or the answer."""


class AuthError(ProviderError):
    """401/403 or an invalid key: disable this provider for the run."""


class QuotaExhausted(ProviderError):
    """Out of credit or over a spend limit (429 `insufficient_quota`): do not retry."""


class BadRequest(ProviderError):
    """Any other 4xx: our request is wrong for this provider."""


class MalformedResponse(ProviderError):
    """The answer is not what we asked for (not JSON, rejected by a validator, no choices).

    `text` keeps the raw answer text for one repair attempt by the caller; it is
    never part of the message.
    """

    def __init__(
        self,
        message: str,
        *,
        text: str = "",
        provider_id: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message, provider_id=provider_id, status=status)
        self.text = text


__all__ = [
    "AuthError",
    "BadRequest",
    "ContentFiltered",
    "ContextWindowExceeded",
    "MalformedResponse",
    "Overloaded",
    "ProviderError",
    "QuotaExhausted",
    "RateLimited",
    "ServerError",
    "Timeout",
    "TransportError",
]
