"""The HTTP half every adapter shares: one `httpx.AsyncClient`, timeouts, and error translation.

An adapter supplies four things: the URL, the JSON body, how to read a 2xx body and how to
read an error body. Everything httpx raises is translated here, at the boundary, so nothing
from httpx escapes this package.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from abc import abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import Any

import httpx

from ci_orch.answers import decode_json
from ci_orch.config.providers import ProviderConfig
from ci_orch.netconfig import TLS_HINT, Network
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
from ci_orch.providers.interface import (
    Liveness,
    Provider,
    ProviderRequest,
    ProviderResponse,
    Usage,
)
from ci_orch.providers.retry_after import parse_retry_after, parse_should_retry

log = logging.getLogger(__name__)
CONNECT_TIMEOUT_S = 10.0
CONNECTIONS_PER_POOL = 1
# A count is worth a short wait only: without it the hold uses the learned margin.
COUNT_TIMEOUT_S = 3.0
MAX_VENDOR_MESSAGE = 120
# Text that only our prompts contain: a vendor error that echoes the request back is
# dropped whole rather than cut, so no part of a diff reaches a log or a report.
_PROMPT_MARKERS = ("<<<DATA-", "=== FILE", "DATA-END", "```diff")


def short(message: object) -> str:
    """A vendor error message cut short: enough to act on, never a whole body, never our
    own request echoed back."""
    text = " ".join(str(message).split())
    if any(marker in text for marker in _PROMPT_MARKERS):
        return "(vendor message withheld: it quotes the request)"
    return text if len(text) <= MAX_VENDOR_MESSAGE else text[: MAX_VENDOR_MESSAGE - 3] + "..."


class HttpProvider(Provider):
    """Base of every adapter. `api_key` is None for keyless providers; `missing_key`
    names the env variable that should have held the key (then every call is an AuthError,
    so the router disables this provider for the run instead of failing the whole run).
    `network` says which proxy and CAs reach the vendor (default: direct, public roots)."""

    def __init__(
        self,
        config: ProviderConfig,
        *,
        api_key: str | None = None,
        missing_key: str | None = None,
        network: Network | None = None,
    ) -> None:
        self.id = config.id
        self._network = network or Network()
        self.config = config
        self._api_key = api_key
        self._missing_key = missing_key
        # httpcore scans every connection of a pool for every request it queues or
        # finishes, so one pool of 60 connections spends more CPU on bookkeeping than on
        # the calls (600 calls, 60 in flight: 11 s against an ideal 1 s). A pool per
        # connection, each call on the least busy one, keeps that cost flat: profiled at
        # 60 in flight, one connection per pool took about a tenth less CPU per call than
        # four, and a client costs nothing to keep (the TLS context is shared).
        shards = max(1, math.ceil(config.max_concurrency / CONNECTIONS_PER_POOL))
        per_pool = math.ceil(config.max_concurrency / shards)
        self._clients = [self._new_client(config, per_pool) for _ in range(shards)]
        self._busy = [0] * shards

    def _new_client(self, config: ProviderConfig, concurrency: int) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            timeout=httpx.Timeout(config.timeout_s, connect=CONNECT_TIMEOUT_S),
            limits=httpx.Limits(
                max_connections=concurrency * 2, max_keepalive_connections=concurrency
            ),
            headers=self.auth_headers(),
            follow_redirects=False,
            verify=self._network.ssl_context(),
            proxy=self._network.proxy_for(config.url or ""),
            # The proxy and CAs were resolved from the few variables meant for them;
            # httpx reading the environment itself would add .netrc and ALL_PROXY.
            trust_env=False,
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

    @abstractmethod
    def usage_of(self, body: Any) -> Usage | None:
        """The billed usage in a 2xx body, or None when it carries none."""

    def probe_url(self) -> str | None:
        """URL of the vendor's free models endpoint (a GET), or None when it has none."""
        return None

    def count_request(self, request: ProviderRequest) -> tuple[str, dict[str, Any]] | None:
        """URL and body of the vendor's free token-counting endpoint, or None (no endpoint)."""
        return None

    def count_of(self, body: Any) -> int | None:
        """The input token count in a counting endpoint's answer."""
        return None

    async def count_input_tokens(self, request: ProviderRequest) -> int | None:
        counting = self.count_request(request)
        if counting is None or self._missing_key:
            return None
        url, body = counting
        try:
            # On the least busy pool like a call: counts come once per request, and on one
            # pool of two connections they would queue behind each other into the timeout.
            with self._least_busy() as client:
                async with asyncio.timeout(COUNT_TIMEOUT_S):
                    response = await client.post(url, json=body, timeout=COUNT_TIMEOUT_S)
        except (TimeoutError, httpx.HTTPError) as exc:
            log.debug("provider %s: token count unavailable: %s", self.id, type(exc).__name__)
            return None
        if not response.is_success:
            log.debug("provider %s: token count answered HTTP %s", self.id, response.status_code)
            return None
        return self.count_of(self._json(response))

    async def probe(self, timeout_s: float) -> Liveness:
        url = self.probe_url()
        if url is None:
            return "unknown"
        if self._missing_key:
            raise AuthError(f"API key variable {self._missing_key} is not set", provider_id=self.id)
        timeout = httpx.Timeout(timeout_s)
        with self._least_busy() as client, _Translated(self.id, timeout_s):
            async with asyncio.timeout(timeout_s):
                response = await client.send(
                    client.build_request("GET", url, timeout=timeout), stream=True
                )
                try:
                    if response.is_success:
                        # The listing itself is not needed (a gateway's can be large):
                        # closing it unread costs one connection, not a download.
                        log.debug("provider %s: models endpoint answered", self.id)
                        return "up"
                    if response.status_code in {404, 405}:
                        log.debug("provider %s: no models endpoint to probe", self.id)
                        return "unknown"
                    await response.aread()
                finally:
                    await response.aclose()
        error = self._error(response.status_code, response.headers, self._json(response))
        log.debug("provider %s: models endpoint answered HTTP %s", self.id, error.status)
        if isinstance(error, AuthError) or error.health_failure:
            raise error
        return "unknown"  # another 4xx is about the request, not about the API's health

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
            error = MalformedResponse("response body is not valid JSON", provider_id=self.id)
            error.billed_unknown = True
            raise error
        try:
            return self.parse_body(request, body, response.headers, latency_ms)
        except ProviderError as exc:  # an unusable answer is still a billed one
            exc.usage = exc.usage or self.usage_of(body)
            exc.billed_unknown = exc.usage is None
            raise

    async def _post(self, request: ProviderRequest) -> httpx.Response:
        total = request.timeout_s or self.config.timeout_s
        timeout = httpx.Timeout(total, connect=min(total, CONNECT_TIMEOUT_S), pool=total)
        translate = _Translated(self.id, total)
        with self._least_busy() as client, translate:
            # asyncio.timeout bounds the whole exchange; httpx's read timeout alone
            # would let a server that trickles bytes hold us forever.
            async with asyncio.timeout(total):
                sent = client.build_request(
                    "POST", _parsed(self.url(request)), json=self.build_body(request),
                    timeout=timeout,
                )
                response = await client.send(sent, stream=True)
                try:
                    # A 2xx status line arrived: from here on the vendor bills.
                    translate.answering = response.is_success
                    await response.aread()
                finally:
                    await response.aclose()
                return response

    @contextmanager
    def _least_busy(self) -> Iterator[httpx.AsyncClient]:
        pool = self._busy.index(min(self._busy))
        self._busy[pool] += 1
        try:
            yield self._clients[pool]
        finally:
            self._busy[pool] -= 1

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
        # Retry 408, 409, 429 and >= 500: the convention the openai-python and
        # anthropic-sdk-python clients share.
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
        there is no JSON in it (the text is kept for one repair attempt). Whether the value
        fits the schema is the caller's pydantic model's to say."""
        if request.json_schema is None:
            return None
        try:
            return decode_json(text)
        except ValueError:
            raise MalformedResponse(
                "answer is not valid JSON", provider_id=self.id, text=text
            ) from None

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()



@functools.lru_cache(maxsize=256)
def _parsed(url: str) -> httpx.URL:
    # httpx parses a URL string on every request, in pure Python: about 5% of a call's CPU
    # at 60 in flight. A provider uses one or two URLs, so each is parsed once.
    return httpx.URL(url)


class _Translated:
    """httpx's and asyncio's exceptions raised in the block, as ours. `answering` says a
    2xx had begun, so the vendor may have billed the answer that broke off."""

    def __init__(self, provider_id: str, total: float) -> None:
        self._id = provider_id
        self._total = total
        self.answering = False

    def __enter__(self) -> _Translated:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        error: ProviderError
        if isinstance(exc, TimeoutError | httpx.TimeoutException):
            error = Timeout(f"no answer within {self._total:g} s", provider_id=self._id)
        elif isinstance(exc, httpx.HTTPError):
            hint = f" ({TLS_HINT})" if "CERTIFICATE_VERIFY_FAILED" in str(exc) else ""
            message = f"{type(exc).__name__}: {short(exc)}{hint}"
            error = TransportError(message, provider_id=self._id)
        else:
            return
        error.billed_unknown = self.answering
        raise error from exc
