"""The HTTP session under python-gitlab: it waits out GitLab's rate limits itself.

python-gitlab retries a 429 with `time.sleep` (gitlab/utils.py `Retry`) up to ten times;
we want the wait injectable (tests, and one place that bounds it), so this session answers
429s before python-gitlab sees them: it obeys `Retry-After`, else `RateLimit-Reset`, else
backs off exponentially, for a bounded number of tries (GitLab docs "Rate limits",
response headers). When the tries run out it raises `RateLimited`, which the client turns
into a PublishError.

It is also the last point before the network: each request's URL passes the egress filter
(bodies are scrubbed as data by the client, where their structure is still known).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from ci_orch.egress.filter import Egress

log = logging.getLogger(__name__)

MAX_TRIES = 5
MAX_WAIT_S = 120.0  # GitLab's limits are per minute; longer waits mean something else


class RateLimited(Exception):  # noqa: N818 - it is a condition, not a bug
    def __init__(self, wait_s: float) -> None:
        super().__init__(f"GitLab kept answering 429 (last Retry-After: {wait_s:.0f} s)")


class RateLimitedSession(requests.Session):
    def __init__(self, sleep: Callable[[float], None], clock: Callable[[], float] = time.time,
                 *, egress: Egress | None = None) -> None:
        super().__init__()
        self._sleep = sleep
        self._clock = clock
        self._egress = egress

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if self._egress is not None and request.url:
            request.url = self._egress.scrub(request.url)
        for attempt in range(MAX_TRIES):
            response = super().send(request, **kwargs)
            if response.status_code != 429:
                return response
            wait = self.wait_for(response, attempt)
            response.close()
            if attempt == MAX_TRIES - 1 or wait > MAX_WAIT_S:
                raise RateLimited(wait)
            log.warning("GitLab rate limit: waiting %.1f s (try %d of %d)", wait,
                        attempt + 1, MAX_TRIES)
            self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def wait_for(self, response: requests.Response, attempt: int) -> float:
        retry_after = response.headers.get("Retry-After")
        if retry_after:
            return _retry_after(retry_after, self._clock())
        reset = response.headers.get("RateLimit-Reset")
        if reset and reset.isdigit():
            return max(0.0, int(reset) - self._clock())
        return float(2**attempt)


def _retry_after(value: str, now: float) -> float:
    """Retry-After is seconds or an HTTP date (RFC 9110 section 10.2.3)."""
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return 60.0
