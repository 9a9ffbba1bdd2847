"""The HTTP session under python-gitlab: it waits out GitLab's rate limits itself.

python-gitlab retries a 429 with `time.sleep` (gitlab/utils.py `Retry`) up to ten times;
we want the wait bounded by the run's budget, so this session answers 429s before
python-gitlab sees them, by the platforms' shared policy (retry.py): `Retry-After`, else
`RateLimit-Reset`, else an exponential backoff, for a bounded number of tries (GitLab docs
"Rate limits", response headers). When that runs out it raises `RateLimitedOut`.

It reads nothing from the environment (`trust_env` off): the client sets its proxy and CA
from the resolved network settings.

It is also the last point before the network: each request's URL passes the egress filter
(bodies are scrubbed as data by the client, where their structure is still known).
"""

from __future__ import annotations

import logging
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import requests

from ci_orch.egress.filter import Egress
from ci_orch.platforms.retry import GITLAB, WaitBudget, backoff, named_wait, plan_wait

log = logging.getLogger(__name__)


class RateLimitedSession(requests.Session):
    def __init__(self, budget: WaitBudget, clock: Callable[[], float] = time.time,
                 *, egress: Egress | None = None) -> None:
        super().__init__()
        self.trust_env = False
        self.budget = budget
        self._clock = clock
        self._egress = egress

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if self._egress is not None and request.url:
            request.url = self._egress.scrub(request.url)
        attempt = 0
        while True:
            response = super().send(request, **kwargs)
            if response.status_code != 429:
                return response
            wait = self.wait_for(response, attempt)
            response.close()
            plan_wait(GITLAB, self.budget, wait, attempt,
                      f"GitLab {request.method} {_path(request.url)} answered 429")
            attempt += 1

    def wait_for(self, response: requests.Response, attempt: int) -> float:
        named = named_wait(response.headers, self._clock())
        return backoff(GITLAB, attempt) if named is None else named


def _path(url: str | None) -> str:
    return urllib.parse.urlsplit(url or "").path
