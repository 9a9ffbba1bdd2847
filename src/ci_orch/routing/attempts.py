"""The record of one request's attempts: every call and every skip, for the report.

An optional observer (telemetry) sees each row as it is added, with the request and the
answer when there is one: the only place prompts and answers exist next to their attempt.
The router hands it to each request's log, so it is passed, never looked up. Observers run in
the router's task, must be quick, and can never change routing: what they raise is logged and
dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ci_orch.config.providers import ProviderConfig
from ci_orch.providers.interface import ProviderError, ProviderRequest, ProviderResponse
from ci_orch.routing.model import Attempt

AttemptObserver = Callable[[Attempt, ProviderRequest | None, ProviderResponse | None], None]

# Provider ids, error kinds and vendor error messages only: never prompts or answers.
logger = logging.getLogger(__name__)
MAX_DETAIL = 120


def excerpt(text: str) -> str:
    """A row's detail, short enough for a report table and a log line."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 3] + "..."


def observe_all(*observers: AttemptObserver | None) -> AttemptObserver | None:
    """One observer that tells each of `observers` in turn (None when there are none); one
    that raises does not keep the others from seeing the row."""
    chosen = [o for o in observers if o is not None]
    if len(chosen) <= 1:
        return chosen[0] if chosen else None

    def each(
        row: Attempt, request: ProviderRequest | None, response: ProviderResponse | None
    ) -> None:
        for observer in chosen:
            _tell(observer, row, request, response)

    return each


def _tell(
    observer: AttemptObserver,
    row: Attempt,
    request: ProviderRequest | None,
    response: ProviderResponse | None,
) -> None:
    try:
        observer(row, request, response)
    except Exception as exc:  # telemetry must never change routing
        logger.warning("attempt observer failed: %s", type(exc).__name__)


class AttemptLog:
    """Rows for one request; each row is also appended to the run-wide `sink` and shown to
    `observer` with `request`."""

    def __init__(
        self,
        chunk_id: str,
        sink: list[Attempt],
        observer: AttemptObserver | None = None,
        request: ProviderRequest | None = None,
    ) -> None:
        self._chunk = chunk_id
        self._sink = sink
        self._observer = observer
        self._request = request
        self.rows: list[Attempt] = []
        self.failures: list[str] = []
        self.calls = 0
        self._last_called: str | None = None

    def branch(self) -> AttemptLog:
        """An empty log for the same request, sink and observer (one consensus member's)."""
        return AttemptLog(self._chunk, self._sink, self._observer, self._request)

    def _add(self, row: Attempt, response: ProviderResponse | None = None) -> None:
        self.rows.append(row)
        self._sink.append(row)
        if self._observer is not None:
            _tell(self._observer, row, self._request, response)

    def _fallback_from(self, cfg: ProviderConfig) -> str | None:
        last = self._last_called
        self._last_called = cfg.id
        return last if last != cfg.id else None

    def skip(self, cfg: ProviderConfig, kind: str, detail: str) -> None:
        self._add(Attempt(self._chunk, cfg.id, cfg.model, 0, "skipped", kind, detail))
        logger.debug("chunk %s: %s not called (%s: %s)", self._chunk, cfg.id, kind, detail)
        self.failures.append(f"{cfg.id} ({cfg.model}): not called, {kind}: {detail}")

    def note(self, cfg: ProviderConfig, detail: str) -> None:
        self.failures.append(f"{cfg.id} ({cfg.model}): {detail}")

    def error(
        self,
        cfg: ProviderConfig,
        n: int,
        exc: ProviderError,
        wait_s: float,
        *,
        response: ProviderResponse | None = None,
        cost: float = 0.0,
        kind: str | None = None,
        detail: str = "",
    ) -> None:
        """A failed call; `exc.usage` (an unusable but billed answer) fills the token columns
        when there is no response object."""
        self.calls += 1
        kind = kind or type(exc).__name__
        usage = response.usage if response else exc.usage
        self._add(
            Attempt(
                self._chunk, cfg.id, response.model if response else cfg.model, n, "error",
                kind, excerpt(detail or exc.message), wait_s,
                latency_ms=response.latency_ms if response else 0.0,
                input_tokens=usage.input_tokens if usage else 0,
                cached_input_tokens=usage.cached_input_tokens if usage else 0,
                output_tokens=usage.output_tokens if usage else 0,
                cost_usd=cost, fallback_from=self._fallback_from(cfg),
            ),
            response,
        )
        self.failures.append(f"{cfg.id} ({cfg.model}) attempt {n}: {kind}: {exc}")
        logger.info("chunk %s: %s attempt %d failed: %s: %s", self._chunk, cfg.id, n, kind, exc)

    def ok(
        self, cfg: ProviderConfig, n: int, response: ProviderResponse, cost: float, wait_s: float,
        *, cache_hit: bool = False,
    ) -> None:
        if not cache_hit:
            self.calls += 1
        usage = response.usage
        fallback_from = None if cache_hit else self._fallback_from(cfg)
        if fallback_from or cache_hit:
            how = "from the cache" if cache_hit else f"after {fallback_from} failed"
            logger.info("chunk %s: served by %s %s", self._chunk, cfg.id, how)
        self._add(
            Attempt(
                self._chunk, cfg.id, response.model, n, "ok", None, "", wait_s,
                latency_ms=0.0 if cache_hit else response.latency_ms,
                input_tokens=usage.input_tokens, cached_input_tokens=usage.cached_input_tokens,
                output_tokens=usage.output_tokens, cost_usd=cost,
                fallback_from=fallback_from,
                cache_hit=cache_hit,
            ),
            response,
        )
