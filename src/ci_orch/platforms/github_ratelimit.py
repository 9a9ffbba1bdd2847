"""GitHub's secondary rate limits: serial, spaced writes and bounded, header-driven retries.

GitHub allows about 80 content-creating requests a minute and answers 403 or 429 beyond
that (PLATFORMS.md item 10; docs.github.com/rest/using-the-rest-api/rate-limits-for-the-
rest-api "Handle rate limit errors appropriately"): obey `retry-after`; when
`x-ratelimit-remaining` is 0 wait until `x-ratelimit-reset`; otherwise wait at least a
minute, longer on each retry, and give up after a bounded number of tries.

PyGithub's own pacing and retries are switched off (github_client.py) so that these rules
are the only ones, and `sleep` is injected so tests can assert the waits without waiting.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping

RETRIES = 3  # after the first try: 4 requests at most, then PublishError
BACKOFF_BASE_S = 60.0  # "wait for at least one minute" (GitHub docs, no headers case)
MAX_WAIT_S = 900.0  # one wait longer than this is not worth a CI job's time: give up


def is_rate_limit_message(message: str) -> bool:
    text = message.lower()
    return "rate limit" in text or text.endswith("please retry your request again later.")


class RateLimiter:
    """Spaces writes `write_interval_s` apart and decides how long to wait after a refusal."""

    def __init__(
        self,
        write_interval_s: float,
        sleep: Callable[[float], None],
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.write_interval_s = max(write_interval_s, 0.0)
        self._sleep = sleep
        self._clock = clock
        self._wall = wall
        self._last_write: float | None = None
        self.waited_s = 0.0  # total time spent waiting, for the outcome and the log

    def before_write(self) -> None:
        if self._last_write is None or not self.write_interval_s:
            return
        gap = self._last_write + self.write_interval_s - self._clock()
        if gap > 0:
            self.wait(gap)

    def after_write(self) -> None:
        self._last_write = self._clock()

    def wait(self, seconds: float) -> None:
        self.waited_s += seconds
        self._sleep(seconds)

    def delay(
        self, status: int, headers: Mapping[str, str], message: str, retry: int
    ) -> float | None:
        """Seconds to wait before retry number `retry` (0-based), or None: not a rate limit.

        A 403 that is not a rate limit (a missing permission) is never retried.
        """
        if status not in (403, 429):
            return None
        lower = {k.lower(): v for k, v in headers.items()}
        after = _retry_after(lower.get("retry-after"), self._wall())
        if after is not None:
            return after
        if lower.get("x-ratelimit-remaining") == "0":
            reset = _number(lower.get("x-ratelimit-reset"))
            if reset is not None:
                return max(reset - self._wall(), 0.0) + 1.0  # +1: the reset second itself
        if status == 429 or is_rate_limit_message(message):
            return BACKOFF_BASE_S * 2.0**retry
        return None


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _retry_after(value: str | None, now: float) -> float | None:
    """`retry-after` is seconds, or an HTTP date (RFC 9110 section 10.2.3)."""
    seconds = _number(value)
    if seconds is not None:
        return max(seconds, 0.0)
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - now, 0.0)
