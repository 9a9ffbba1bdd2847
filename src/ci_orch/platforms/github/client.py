"""PyGithub's requester behind the few REST calls the publisher makes; its errors end here.

Why the requester and not PyGithub's object API: the objects lack `subject_type: "file"`
review comments and hide response headers, and every call must pass through one place
that spaces writes and obeys GitHub's rate-limit headers (`RateLimiter`). PyGithub
still does authentication, the base URL (GitHub Enterprise's /api/v3 too), JSON and
connection pooling. Its own retries and sleeps are off (`retry=0`,
`seconds_between_requests=None`, `seconds_between_writes=None`) so ours are the only ones.

`requests` errors (all `OSError`s) and HTTP errors become `PublishError`,
`PermissionMissing`, `Unprocessable` or, once the run's wait budget is spent,
`RateLimitedOut`: errors are translated here, at the boundary, so the publisher handles
our own types and never a library's.

Every URL, query and body passes the egress filter in `_send`, the one place requests leave;
headers do not (the token in `Authorization` is the one key that must reach GitHub).

Rate limits: GitHub allows about 80 content-creating requests a minute and answers 403 or
429 beyond that (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api,
"Handle rate limit errors appropriately"): obey `retry-after`; when `x-ratelimit-remaining`
is 0 wait until `x-ratelimit-reset`; otherwise wait at least a minute, longer on each retry,
and give up after a bounded number of tries. Those rules are the platforms' shared ones
(retry.py); what is GitHub's own is telling a rate-limit 403 from a missing permission, and
the spacing of writes. `sleep` is injected so tests can assert the waits without waiting.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from github import Auth, Github

from ci_orch import __version__
from ci_orch.egress.filter import Egress
from ci_orch.netconfig import TLS_HINT, Network, NetworkConfigError
from ci_orch.platforms.interface import PermissionMissing, PublishError
from ci_orch.platforms.retry import GITHUB, WaitBudget, backoff, named_wait, plan_wait

log = logging.getLogger(__name__)

MAX_PAGES = 50  # 5,000 items at 100 a page: far more than one PR's comments
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')
_FORKS = (
    "Pull requests from forks always get a read-only token; there the gate job's exit code "
    "is what blocks the merge."
)


@dataclass(frozen=True, slots=True)
class Scope:
    """What a call needs, so a 403 can name the workflow permission to add."""

    needed: str  # "checks: write" or "pull-requests: write"
    action: str  # "create the check run"


class Unprocessable(PublishError):
    """GitHub answered 422 (e.g. "Line could not be resolved", "Body is too long")."""


def how_to_grant(*needed: str) -> str:
    lines = "".join(f"\n    {n}" for n in needed)
    return (
        f"Add {'it' if len(needed) == 1 else 'them'} to the job's permissions in the "
        f"workflow:\n  permissions:\n    contents: read"
        f"{lines}\n{_FORKS}"
    )


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


class GitHubClient:
    def __init__(
        self, token: str, api_url: str, limiter: RateLimiter, *, egress: Egress | None = None,
        network: Network | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._egress = egress or Egress.build(None, os.environ)
        # PyGithub builds its requests session itself, so requests reads the proxy
        # variables there; the CA files are ours to hand over.
        try:
            network = network or Network.from_env(os.environ)
        except NetworkConfigError as exc:
            raise PublishError(f"cannot reach GitHub: {exc}") from None
        self._origin = urllib.parse.urlsplit(self.api_url)[:2]
        self._limiter = limiter
        self._github = Github(
            auth=Auth.Token(token), base_url=self.api_url, retry=0, timeout=30,
            seconds_between_requests=None, seconds_between_writes=None,
            user_agent=f"ci-orch/{__version__}", verify=network.ca_bundle(),
        )

    def close(self) -> None:
        self._github.close()

    def request(
        self, verb: str, url: str, scope: Scope, *, params: dict[str, Any] | None = None,
        body: Any = None,
    ) -> tuple[dict[str, Any], Any]:
        """One call: `(response headers, JSON)`. Writes are paced; rate limits are waited out."""
        retry = 0
        while True:
            status, headers, data = self._send(verb, url, params, body)
            if status < 400:
                return headers, data
            message = _message(data)
            wait = self._limiter.delay(status, headers, message, retry)
            if wait is None:
                raise _error(status, message, data, f"{verb} {_path(url)}", scope)
            plan_wait(self._limiter.policy, self._limiter.budget, wait, retry,
                      f"GitHub {verb} {_path(url)}, {status} {message[:200]}")
            retry += 1

    def paginate(
        self, url: str, scope: Scope, *, params: dict[str, Any] | None = None,
        key: str | None = None,
    ) -> Iterator[Any]:
        """Every item of a list endpoint, following `Link: rel="next"` on our own host only."""
        next_url: str | None = url
        query: dict[str, Any] | None = {**(params or {}), "per_page": 100}
        for _ in range(MAX_PAGES):
            if next_url is None:
                return
            headers, data = self.request("GET", next_url, scope, params=query)
            items = data.get(key) if key and isinstance(data, dict) else data
            yield from (items if isinstance(items, list) else [])
            next_url, query = self._next_page(headers.get("link")), None
        if next_url is not None:
            log.warning("stopped listing %s after %d pages", _path(url), MAX_PAGES)

    def _next_page(self, link: str | None) -> str | None:
        match = _NEXT.search(link or "")
        if match is None:
            return None
        if urllib.parse.urlsplit(match.group(1))[:2] != self._origin:
            # Never send the token to another host (a proxy or a mock may hand out any link).
            log.warning("ignored a pagination link to another host: %s", match.group(1)[:200])
            return None
        return match.group(1)

    def _send(
        self, verb: str, url: str, params: dict[str, Any] | None, body: Any
    ) -> tuple[int, dict[str, Any], Any]:
        url, params, body = self._scrubbed(url, params, body)
        write = verb != "GET"
        if write:
            self._limiter.before_write()
        try:
            status, headers, text = self._github.requester.requestJson(
                verb, url, parameters=params, input=body
            )
        except OSError as exc:  # requests' errors are OSErrors
            hint = f" ({TLS_HINT})" if isinstance(exc, requests.exceptions.SSLError) else ""
            raise PublishError(
                f"cannot reach GitHub at {self.api_url}: {type(exc).__name__}{hint}"
            ) from None
        except RuntimeError as exc:  # PyGithub: a redirect to another host or scheme
            raise PublishError(f"GitHub at {self.api_url}: {str(exc)[:300]}") from None
        finally:
            if write:
                self._limiter.after_write()
        log.debug("GitHub %s %s -> %d", verb, _path(url), status)
        try:
            data = json.loads(text) if text else None
        except ValueError:
            data = {"message": text[:200]}
        return status, headers, data


    def _scrubbed(
        self, url: str, params: dict[str, Any] | None, body: Any
    ) -> tuple[str, dict[str, Any] | None, Any]:
        return (
            self._egress.scrub(url),
            self._egress.scrub_data(params) if params else params,
            self._egress.scrub_data(body) if body is not None else body,
        )


def _path(url: str) -> str:
    return urllib.parse.urlsplit(url).path or url


def _message(data: Any) -> str:
    return str(data.get("message", "")) if isinstance(data, dict) else ""


def _error(status: int, message: str, data: Any, what: str, scope: Scope) -> PublishError:
    if status == 403 and "not accessible" in message.lower():
        # "Resource not accessible by integration" (GITHUB_TOKEN, apps) or "... by personal
        # access token" (fine-grained PATs): a permission the token was not granted.
        return PermissionMissing(scope.needed, scope.action, how_to_grant(scope.needed))
    if status == 401:
        return PublishError(f"GitHub rejected the token (401 {message}) on {what}")
    if status == 404:
        return PublishError(
            f"{what}: 404 (wrong repository or PR number, or the token cannot see the repo)"
        )
    detail = f"{what}: GitHub answered {status} {message[:200]} {_errors(data)}".rstrip()
    if status == 422:
        return Unprocessable(detail)
    return PublishError(detail)


def _errors(data: Any) -> str:
    """GitHub's `errors` list, without any value it may echo back (model text, paths)."""
    items = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return ""
    kept = [item[:120] if isinstance(item, str) else
            {k: item[k] for k in ("resource", "field", "code") if k in item}
            for item in items[:5] if isinstance(item, str | dict)]
    return json.dumps(kept, ensure_ascii=False)[:300]
