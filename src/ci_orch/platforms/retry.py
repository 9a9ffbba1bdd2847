"""One retry policy for both platforms: how long to wait after a refusal, and for how long in all.

GitHub and GitLab say the same three things when they refuse a write for rate: a
`Retry-After` (seconds or an HTTP date), else a reset time (`x-ratelimit-reset` with
`x-ratelimit-remaining: 0` on GitHub, `RateLimit-Reset` on GitLab, both Unix seconds),
else nothing, and then a growing backoff is the polite answer. `Retry-After` is read by
the code base's one parser (`providers.retry_after`).

Every wait of a run draws on one `WaitBudget` (`publish.max_wait_s`): a wait the budget
cannot pay is not taken, the write is given up with `RateLimitedOut`, and later writes
get one try each without waiting, so the summary still has its chance and a CI job never
sleeps past its timeout on a platform's say-so.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ci_orch.platforms.interface import PublishError
from ci_orch.providers.retry_after import parse_retry_after

log = logging.getLogger(__name__)

DEFAULT_MAX_WAIT_S = 300.0


class RateLimitedOut(PublishError):
    """A write the platform kept refusing for rate, given up within the run's wait budget."""

    def __init__(self, what: str, detail: str) -> None:
        super().__init__(f"not posted: rate-limited ({what}: {detail})")
        self.detail = detail


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    tries: int  # requests at most, the first included
    backoff_base_s: float  # the first wait when the platform names none; doubles each time
    max_single_wait_s: float  # a longer wait is not a plan for a CI job: give up


GITHUB = RetryPolicy(tries=4, backoff_base_s=60.0, max_single_wait_s=900.0)
GITLAB = RetryPolicy(tries=5, backoff_base_s=1.0, max_single_wait_s=120.0)


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def named_wait(headers: Mapping[str, str], now: float) -> float | None:
    """The wait the platform asked for, from `Retry-After` or a reset time; None if none."""
    after = parse_retry_after(headers, now=now)
    if after is not None:
        return after
    lower = _lower(headers)
    reset = _number(lower.get("ratelimit-reset"))
    if reset is None and lower.get("x-ratelimit-remaining") == "0":
        reset = _number(lower.get("x-ratelimit-reset"))
        if reset is not None:
            reset += 1.0  # GitHub: the reset second itself is still limited
    return None if reset is None else max(reset - now, 0.0)


def backoff(policy: RetryPolicy, attempt: int) -> float:
    return policy.backoff_base_s * 2.0**attempt


class WaitBudget:
    """The seconds a run may still sleep on platforms' rate limits; spent by every wait."""

    def __init__(self, max_wait_s: float = DEFAULT_MAX_WAIT_S,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.max_wait_s = max(max_wait_s, 0.0)
        self._sleep = sleep
        self.spent_s = 0.0

    @property
    def left_s(self) -> float:
        return max(self.max_wait_s - self.spent_s, 0.0)

    def pays(self, seconds: float) -> bool:
        return seconds <= self.left_s

    def wait(self, seconds: float) -> None:
        """Sleep `seconds`, or as much of it as is left (pacing between writes)."""
        seconds = min(max(seconds, 0.0), self.left_s)
        if seconds:
            self.spent_s += seconds
            self._sleep(seconds)


def plan_wait(policy: RetryPolicy, budget: WaitBudget, wait: float, attempt: int,
              what: str) -> None:
    """Wait before retry `attempt` (0-based), or raise `RateLimitedOut` when it is not worth it."""
    if attempt + 1 >= policy.tries:
        raise RateLimitedOut(what, f"gave up after {attempt + 1} tries "
                                   f"(next wait would be {wait:.0f} s)")
    if wait > policy.max_single_wait_s:
        raise RateLimitedOut(what, f"asked to wait {wait:.0f} s")
    if not budget.pays(wait):
        raise RateLimitedOut(what, f"a wait of {wait:.0f} s is more than the "
                                   f"{budget.left_s:.0f} s left of the run's "
                                   f"{budget.max_wait_s:.0f} s (publish.max_wait_s)")
    log.warning("rate limit on %s: waiting %.0f s (try %d of %d)", what, wait, attempt + 1,
                policy.tries)
    budget.wait(wait)
