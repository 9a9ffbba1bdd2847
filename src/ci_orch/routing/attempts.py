"""The record of one request's attempts: every call and every skip, for the report.

An optional observer (issue 10: telemetry) sees each row as it is added, with the request
and the answer when there is one: the only place prompts and answers exist next to their
attempt. Observers run in the router's task, must be quick, and can never change routing:
what they raise is logged and dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from ci_orch.config.providers import ProviderConfig
from ci_orch.providers.interface import ProviderError, ProviderRequest, ProviderResponse
from ci_orch.routing.model import Attempt

AttemptObserver = Callable[[Attempt, ProviderRequest | None, ProviderResponse | None], None]

# Installed by a caller that does not build the Router itself (the review and generate jobs);
# read once, when a Router is made. A ContextVar, so concurrent runs never see each other's.
_INSTALLED: ContextVar[AttemptObserver | None] = ContextVar("ci_orch_observer", default=None)
# The observer and request of the route() in progress in this task; consensus members run
# in child tasks, which inherit it.
_ACTIVE: ContextVar[tuple[AttemptObserver, ProviderRequest] | None] = ContextVar(
    "ci_orch_observed_request", default=None
)

# Provider ids, error kinds and vendor error messages only: never prompts or answers.
logger = logging.getLogger(__name__)
MAX_DETAIL = 120


def excerpt(text: str) -> str:
    """A row's detail, short enough for a report table and a log line."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 3] + "..."


@contextmanager
def observing(observer: AttemptObserver) -> Iterator[None]:
    """Routers made inside this block report their attempts to `observer`."""
    token = _INSTALLED.set(observer)
    try:
        yield
    finally:
        _INSTALLED.reset(token)


def installed_observer() -> AttemptObserver | None:
    return _INSTALLED.get()


@contextmanager
def observed(observer: AttemptObserver | None, request: ProviderRequest) -> Iterator[None]:
    """Rows added in this block (and in tasks started from it) go to `observer` too."""
    if observer is None:
        yield
        return
    token = _ACTIVE.set((observer, request))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def _notify(row: Attempt, response: ProviderResponse | None) -> None:
    active = _ACTIVE.get()
    if active is None:
        return
    observer, request = active
    try:
        observer(row, request, response)
    except Exception as exc:  # telemetry must never change routing
        logger.warning("attempt observer failed: %s", type(exc).__name__)


class AttemptLog:
    """Rows for one request; each row is also appended to the run-wide `sink`."""

    def __init__(self, chunk_id: str, sink: list[Attempt]) -> None:
        self._chunk = chunk_id
        self._sink = sink
        self.rows: list[Attempt] = []
        self.failures: list[str] = []
        self.calls = 0
        self._last_called: str | None = None

    def _add(self, row: Attempt, response: ProviderResponse | None = None) -> None:
        self.rows.append(row)
        self._sink.append(row)
        _notify(row, response)

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
