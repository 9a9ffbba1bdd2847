"""GitHub's secondary rate limits: serial, spaced writes and bounded, header-driven retries.

GitHub allows about 80 content-creating requests a minute and answers 403 or 429 beyond
that (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api,
"Handle rate limit errors appropriately"): obey `retry-after`; when
`x-ratelimit-remaining` is 0 wait until `x-ratelimit-reset`; otherwise wait at least a
minute, longer on each retry, and give up after a bounded number of tries. Those rules are
the platforms' shared ones (retry.py); what is GitHub's own is telling a rate-limit 403
from a missing permission, and the spacing of writes.

PyGithub's own pacing and retries are switched off (github_client.py) so that these rules
are the only ones, and `sleep` is injected so tests can assert the waits without waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from ci_orch.platforms.retry import GITHUB, WaitBudget, backoff, named_wait


def is_rate_limit_message(message: str) -> bool:
    text = message.lower()
    return "rate limit" in text or text.endswith("please retry your request again later.")


class RateLimiter:
    """Spaces writes `write_interval_s` apart and decides how long to wait after a refusal.

    Every wait, spacing included, is paid from `budget` (the run's `publish.max_wait_s`)."""

    def __init__(
        self,
        write_interval_s: float,
        sleep: Callable[[float], None],
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        budget: WaitBudget | None = None,
    ) -> None:
        self.write_interval_s = max(write_interval_s, 0.0)
        self.budget = budget or WaitBudget(sleep=sleep)
        self.policy = GITHUB
        self._clock = clock
        self._wall = wall
        self._last_write: float | None = None

    def before_write(self) -> None:
        if self._last_write is None or not self.write_interval_s:
            return
        gap = self._last_write + self.write_interval_s - self._clock()
        if gap > 0:
            self.budget.wait(gap)

    def after_write(self) -> None:
        self._last_write = self._clock()

    def delay(
        self, status: int, headers: Mapping[str, str], message: str, retry: int
    ) -> float | None:
        """Seconds to wait before retry number `retry` (0-based), or None: not a rate limit.

        A 403 that is not a rate limit (a missing permission) is never retried.
        """
        if status not in (403, 429):
            return None
        named = named_wait(headers, self._wall())
        if named is not None:
            return named
        if status == 429 or is_rate_limit_message(message):
            return backoff(self.policy, retry)
        return None
