"""python-gitlab behind the few calls the publisher makes; its errors end here.

`gitlab.exceptions.*` and `requests` errors become `PublishError` / `PermissionMissing`
(translated here, at the boundary, so the publisher never sees a library's types); a 400 on
a new discussion becomes `PositionRejected`, so the publisher can fall back to a file-level
or plain thread; a 403 on resolving one is `ResolveRefused`, a warning and not a missing
scope; rate limits the run's wait budget could not outlast are `RateLimitedOut` (retry.py).

Proxy and CA come from the resolved network settings (ci_orch.netconfig), never from
requests reading the environment itself.

Every body and position sent passes the egress filter here, and every URL in the session
under python-gitlab (`RateLimitedSession`); the token header does not.

Rate limits: python-gitlab retries a 429 with `time.sleep` (gitlab/utils.py `Retry`) up to
ten times; we want the wait bounded by the run's budget, so `RateLimitedSession` answers
429s before python-gitlab sees them, by the platforms' shared policy (retry.py):
`Retry-After`, else `RateLimit-Reset`, else an exponential backoff, for a bounded number of
tries (GitLab docs "Rate limits", response headers). When that runs out it raises
`RateLimitedOut`. The session reads nothing from the environment (`trust_env` off): the
client sets its proxy and CA from the resolved network settings. It is the last point
before the network: each request's URL passes the egress filter there (bodies are scrubbed
as data by the client, where their structure is still known).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import gitlab
import requests
from gitlab.exceptions import GitlabError

from ci_orch.egress.filter import Egress
from ci_orch.netconfig import TLS_HINT, Network, NetworkConfigError
from ci_orch.platforms.gitlab.positions import DiffRefs
from ci_orch.platforms.interface import PermissionMissing, PublishError
from ci_orch.platforms.retry import (
    GITLAB,
    RateLimitedOut,
    WaitBudget,
    backoff,
    named_wait,
    plan_wait,
)

log = logging.getLogger(__name__)

SCOPE_ADVICE = (
    "Set CI_ORCH_GITLAB_TOKEN to a project or group access token with the `api` scope and "
    "the Reporter role or higher, stored as a masked CI/CD variable (CI_JOB_TOKEN cannot "
    "post merge request notes or discussions)."
)


class ResolveRefused(PublishError):
    """GitLab answered 403 to resolving a thread: the token posts, but may not resolve."""


RESOLVE_403 = ("GitLab answered 403 to resolving a thread: resolving takes the Developer role "
               "(the token's user may post and still not resolve)")


class PositionRejected(PublishError):
    """GitLab answered 400 to a diff position (usually "line_code can't be blank")."""


@dataclass(frozen=True, slots=True)
class Thread:
    """A discussion, described by its first note."""

    id: str
    author_id: int
    body: str
    resolvable: bool
    resolved: bool


@dataclass(frozen=True, slots=True)
class Note:
    id: int
    author_id: int
    body: str


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


def base_url(api_url: str) -> str:
    """python-gitlab wants the instance URL and adds /api/v4 itself (CI_API_V4_URL has it)."""
    url = api_url.rstrip("/")
    return url.removesuffix("/api/v4")


class GitLabClient:
    def __init__(self, api_url: str, token: str, project: str, iid: int, *,
                 sleep: Callable[[float], None], per_page: int = 100,
                 egress: Egress | None = None, network: Network | None = None,
                 budget: WaitBudget | None = None) -> None:
        self._url = base_url(api_url)
        self._egress = egress or Egress.build(None, os.environ)
        try:
            network = network or Network.from_env(os.environ)
        except NetworkConfigError as exc:
            raise PublishError(f"cannot reach GitLab: {exc}") from None
        session = RateLimitedSession(budget or WaitBudget(sleep=sleep), egress=self._egress)
        session.proxies = network.requests_proxies(self._url)
        # keep_base_url: a self-managed instance behind a proxy may answer paging links
        # with its own external_url; keep talking to the URL the job was given.
        self._gl = gitlab.Gitlab(self._url, private_token=token, per_page=per_page,
                                 timeout=30, keep_base_url=True, session=session,
                                 ssl_verify=network.ca_bundle())
        self._mrs = self._gl.projects.get(project, lazy=True).mergerequests
        self._iid = iid
        self._mr = self._mrs.get(iid, lazy=True)

    def user_id(self) -> int:
        with self._translate("read the token's user (GET /user)"):
            user = self._gl.http_get("/user")
        if not isinstance(user, dict) or "id" not in user:
            raise PublishError(f"GitLab at {self._url} answered /user without an id")
        return int(user["id"])

    def newest_version(self) -> DiffRefs:
        """The SHAs of the newest MR version; GitLab lists versions newest first."""
        with self._translate("read the merge request's versions"):
            versions = self._mr.diffs.list(get_all=False, per_page=1)
            if versions:
                v = versions[0]
                return DiffRefs(v.base_commit_sha, v.start_commit_sha, v.head_commit_sha)
            refs = self._mrs.get(self._iid).diff_refs  # an MR still being prepared
        if not refs:
            raise PublishError("the merge request has no diff yet (no versions, no diff_refs)")
        return DiffRefs(refs["base_sha"], refs["start_sha"], refs["head_sha"])

    def threads(self) -> list[Thread]:
        with self._translate("list the merge request's discussions"):
            # `.notes` on a discussion object is a manager; the listed notes are attributes.
            found = [(d.id, d.attributes.get("notes") or [])
                     for d in self._mr.discussions.list(iterator=True)]
        return [_thread(i, notes) for i, notes in found if notes]

    def notes(self) -> list[Note]:
        with self._translate("list the merge request's notes"):
            return [Note(int(n.id), int(n.author["id"]), n.body or "")
                    for n in self._mr.notes.list(iterator=True, sort="asc")]

    def create_discussion(self, body: str, position: dict[str, Any] | None = None) -> str:
        data: dict[str, Any] = {"body": self._egress.scrub(body)}
        if position is not None:
            data["position"] = self._egress.scrub_data(position)
        with self._translate("start a merge request discussion", positioned=position):
            return str(self._mr.discussions.create(data).id)

    def resolve(self, discussion_id: str) -> None:
        with self._translate("resolve a merge request discussion"):
            try:
                self._mr.discussions.update(discussion_id, {"resolved": True})
            except GitlabError as exc:
                if exc.response_code != 403:
                    raise
                # Not the token's scope: it just posted. Resolving takes a higher role.
                raise ResolveRefused(RESOLVE_403) from None

    def create_note(self, body: str) -> int:
        with self._translate("post the summary note"):
            return int(self._mr.notes.create({"body": self._egress.scrub(body)}).id)

    def update_note(self, note_id: int, body: str) -> None:
        with self._translate("update the summary note"):
            self._mr.notes.update(note_id, {"body": self._egress.scrub(body)})

    @contextlib.contextmanager
    def _translate(self, action: str, positioned: object = None) -> Iterator[None]:
        try:
            yield
        except RateLimitedOut as exc:
            raise RateLimitedOut(f"{action}: GitLab answered 429", exc.detail) from None
        except requests.RequestException as exc:
            hint = (f"; {TLS_HINT}, or CI_SERVER_TLS_CA_FILE"
                    if isinstance(exc, requests.exceptions.SSLError) else "")
            raise PublishError(f"cannot {action}: GitLab at {self._url} is unreachable "
                               f"({type(exc).__name__}{hint})") from None
        except GitlabError as exc:
            raise _translated(exc, action, positioned is not None) from None


def _thread(discussion_id: str, notes: list[dict[str, Any]]) -> Thread:
    first = notes[0]
    return Thread(str(discussion_id), int(first["author"]["id"]), first.get("body") or "",
                  bool(first.get("resolvable")), bool(first.get("resolved")))


def _translated(exc: GitlabError, action: str, positioned: bool) -> PublishError:
    code = exc.response_code
    message = str(exc.error_message)[:300]
    if code == 401:
        return PermissionMissing(
            "validity (GitLab answered 401: it is expired, revoked, or a CI_JOB_TOKEN, which "
            "cannot be used here)", action, SCOPE_ADVICE)
    if code == 403:
        return PermissionMissing(
            "the `api` scope or the Reporter role (GitLab answered 403)", action, SCOPE_ADVICE)
    if code == 400 and positioned:
        return PositionRejected(f"GitLab rejected the diff position: {message}")
    if code == 404:
        return PublishError(f"cannot {action}: GitLab answered 404 (is the project id and "
                            "merge request iid right, and can the token's user see them?)")
    return PublishError(f"cannot {action}: GitLab answered {code}: {message}")
