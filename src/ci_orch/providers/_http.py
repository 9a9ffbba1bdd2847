"""The HTTP half every adapter shares: one `httpx.AsyncClient`, timeouts, and error translation.

An adapter supplies four things: the URL, the JSON body, how to read a 2xx body and how to
read an error body. Everything httpx raises is translated here (STYLE.md 6), so nothing
from httpx escapes this package.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from abc import abstractmethod
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import httpx

from ci_orch.config.providers import ProviderConfig
from ci_orch.providers import _structured
from ci_orch.providers.errors import (
    AuthError,
    BadRequest,
    MalformedResponse,
    Overloaded,
    ProviderError,
    RateLimited,
    ServerError,
    Timeout,
    TransportError,
)
from ci_orch.providers.interface import Provider, ProviderRequest, ProviderResponse
from ci_orch.providers.retry_after import parse_retry_after, parse_should_retry

log = logging.getLogger(__name__)
CONNECT_TIMEOUT_S = 10.0
MAX_VENDOR_MESSAGE = 200


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    # Loading the CA bundle costs ~20 ms per client; one context serves every provider.
    return httpx.create_ssl_context()


def short(message: object) -> str:
    """A vendor error message cut short: enough to act on, never a whole body."""
    text = " ".join(str(message).split())
    return text if len(text) <= MAX_VENDOR_MESSAGE else text[: MAX_VENDOR_MESSAGE - 3] + "..."


class HttpProvider(Provider):
    """Base of every adapter. `api_key` is None for keyless providers; `missing_key`
    names the env variable that should have held the key (then every call is an AuthError,
    so the router disables this provider for the run instead of failing the whole run)."""

    def __init__(
        self,
        config: ProviderConfig,
        *,
        api_key: str | None = None,
        missing_key: str | None = None,
    ) -> None:
        self.id = config.id
        self.config = config
        self._api_key = api_key
        self._missing_key = missing_key
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(config.timeout_s, connect=CONNECT_TIMEOUT_S),
            limits=httpx.Limits(
                max_connections=config.max_concurrency * 2,
                max_keepalive_connections=config.max_concurrency,
            ),
            headers=self.auth_headers(),
            follow_redirects=False,
            verify=_tls(),
            trust_env=False,  # a proxy from the environment must not see our keys by accident
        )

    # -- what each adapter supplies --------------------------------------------------------
    @abstractmethod
    def url(self, request: ProviderRequest) -> str: ...

    @abstractmethod
    def build_body(self, request: ProviderRequest) -> dict[str, Any]: ...

    @abstractmethod
    def auth_headers(self) -> dict[str, str]: ...

    @abstractmethod
    def parse_body(
        self, request: ProviderRequest, body: Any, headers: Mapping[str, str], latency_ms: float
    ) -> ProviderResponse: ...

    @abstractmethod
    def vendor_error(self, status: int, body: Any, message: str) -> ProviderError | None:
        """The error a vendor-specific body means, or None to fall back on the status code."""

    def message_of(self, body: Any) -> str:
        """The vendor's own short error message from an error body."""
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            return short(error.get("message", ""))
        return short(error) if isinstance(error, str) else ""

    # -- shared machinery ------------------------------------------------------------------
    async def complete(self, request: ProviderRequest) -> ProviderResponse:
        if self._missing_key:
            raise AuthError(f"API key variable {self._missing_key} is not set", provider_id=self.id)
        started = time.monotonic()
        response = await self._post(request)
        latency_ms = (time.monotonic() - started) * 1000
        log.debug("provider %s: HTTP %s in %.0f ms", self.id, response.status_code, latency_ms)
        body = self._json(response)
        if not response.is_success:
            raise self._error(response.status_code, response.headers, body)
        if body is None:
            raise MalformedResponse("response body is not valid JSON", provider_id=self.id)
        return self.parse_body(request, body, response.headers, latency_ms)

    async def _post(self, request: ProviderRequest) -> httpx.Response:
        total = request.timeout_s or self.config.timeout_s
        timeout = httpx.Timeout(total, connect=min(total, CONNECT_TIMEOUT_S), pool=total)
        body = self.build_body(request)
        try:
            # asyncio.timeout bounds the whole exchange; httpx's read timeout alone
            # would let a server that trickles bytes hold us forever.
            async with asyncio.timeout(total):
                return await self._client.post(self.url(request), json=body, timeout=timeout)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise Timeout(f"no answer within {total:g} s", provider_id=self.id) from exc
        except httpx.HTTPError as exc:
            raise TransportError(
                f"{type(exc).__name__}: {short(exc)}", provider_id=self.id
            ) from exc

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            return None

    def _error(self, status: int, headers: Mapping[str, str], body: Any) -> ProviderError:
        message = self.message_of(body) or f"HTTP {status}"
        error = self.vendor_error(status, body, message) or self._by_status(status, message)
        error.provider_id = self.id
        error.status = status
        if error.retry_after is None:
            error.retry_after = parse_retry_after(headers)
        error.should_retry = parse_should_retry(headers)
        return error

    @staticmethod
    def _by_status(status: int, message: str) -> ProviderError:
        # The SDKs' shared convention: retry 408, 409, 429 and >= 500 (PROVIDERS.md).
        if status in {401, 403}:
            return AuthError(message)
        if status == 408:
            return Timeout(message)
        if status == 429:
            return RateLimited(message)
        if status in {503, 529}:
            return Overloaded(message)
        if status == 409 or status >= 500:
            return ServerError(message)
        return BadRequest(message)

    def decode(self, request: ProviderRequest, text: str) -> Any | None:
        """The parsed JSON answer when the request asked for a schema; MalformedResponse if
        it is not valid JSON for that schema (the text is kept for one repair attempt)."""
        if request.json_schema is None:
            return None
        try:
            value = _structured.decode_json(text)
        except ValueError:
            raise MalformedResponse(
                "answer is not valid JSON", provider_id=self.id, text=text
            ) from None
        self.check(request, value, text)
        return value

    def check(self, request: ProviderRequest, value: Any, text: str) -> None:
        problem = _structured.schema_problem(value, request.json_schema or {})
        if problem:
            raise MalformedResponse(
                f"answer does not match the schema ({problem})", provider_id=self.id, text=text
            )

    async def aclose(self) -> None:
        await self._client.aclose()
