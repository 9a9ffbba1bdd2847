"""A run's waits on platform rate limits stay within `publish.max_wait_s`, and what could not
be posted in that time is named in the outcome: both platforms, through their fakes."""

from __future__ import annotations

from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest

from ci_orch.platforms.github import GitHubPublisher
from ci_orch.platforms.gitlab import GitLabPublisher
from ci_orch.platforms.interface import PublishError
from ci_orch.platforms.retry import (
    GITHUB,
    GITLAB,
    RateLimitedOut,
    WaitBudget,
    named_wait,
    plan_wait,
)
from tests.platforms.conftest import Sleeps, context, diff_text, make_report, publication
from tests.platforms.conftest import finding as gh_finding
from tests.platforms.fake_github import FakeGitHub
from tests.platforms.fake_gitlab import FakeGitLab, Running
from tests.platforms.test_gitlab_support import DIFF
from tests.platforms.test_gitlab_support import context as gl_context
from tests.platforms.test_gitlab_support import finding as gl_finding
from tests.platforms.test_gitlab_support import publication as gl_publication

ELEVEN = tuple(gl_finding("src/app.py", 3, title=f"finding {n}") for n in range(11))


def _eleven() -> tuple[Any, ...]:
    # Distinct fingerprints on one valid line: one POST each.
    return tuple(f.model_copy(update={"fingerprint": f"fp-budget-{n}"})
                 for n, f in enumerate(ELEVEN))


class WritesThrottled(list[str]):
    """The fake GitLab's 429 queue, answering `Retry-After: 60` to every write, never a read.

    The fake logs each request before it asks this queue, so the last entry is the one
    being answered."""

    def __init__(self, fake: FakeGitLab, limit: int = 10_000) -> None:
        super().__init__()
        self._fake = fake
        self.left = limit

    def __bool__(self) -> bool:
        return self.left > 0 and self._fake.log[-1][0] in {"POST", "PUT"}

    def pop(self, index: Any = -1) -> str:
        self.left -= 1
        return "60"


def gitlab_publish(fake: FakeGitLab, api_url: str, sleeps: Sleeps) -> Any:
    publisher = GitLabPublisher(gl_context(fake), "glpat-bot", api_url=api_url, sleep=sleeps)
    return publisher.publish(gl_publication(_eleven()))


def test_gitlab_every_write_limited_sleeps_at_most_the_budget() -> None:
    fake = FakeGitLab(DIFF)
    fake.throttle = WritesThrottled(fake)
    sleeps = Sleeps()
    with Running(fake) as api_url, pytest.raises(PublishError, match="rate-limited"):
        gitlab_publish(fake, api_url, sleeps)
    assert sum(sleeps) <= 300.0 and sleeps  # it did wait, within the budget
    writes = [entry for entry in fake.log if entry[0] in {"POST", "PUT"}]
    # 11 threads and a summary: after the budget, each gets one try and no wait.
    assert len(writes) <= 5 + 2 + 10 + 1
    assert fake.discussions == []


def test_gitlab_names_every_thread_the_budget_left_behind() -> None:
    fake = FakeGitLab(DIFF)
    fake.throttle = WritesThrottled(fake, limit=7)  # the limit lifts after 7 refused writes
    sleeps = Sleeps()
    with Running(fake) as api_url:
        outcome = gitlab_publish(fake, api_url, sleeps)
    assert sum(sleeps) <= 300.0
    lost = [w for w in outcome.warnings if "rate-limited" in w]
    assert len(lost) == 2  # the first thread ran out of tries, the second out of budget
    assert outcome.posted == {"inline": 9, "summary": 1}


def test_github_every_write_limited_sleeps_at_most_the_budget(tmp_path: Path) -> None:
    fake = FakeGitHub(diff_text()).start()
    sleeps = Sleeps()
    try:
        fake.rate_limit_next(10_000, 429, {"retry-after": "60"})
        publisher = _github(fake, sleeps)
        report = make_report(tuple(gh_finding(n, start=11) for n in range(1, 12)))
        with pytest.raises(PublishError, match="rate-limited"):
            publisher.publish(publication(report, tmp_path))
    finally:
        fake.stop()
    assert 0 < sum(sleeps) <= 300.0
    assert len(fake.writes()) <= 4 + 2 + 2


def test_github_the_summary_still_goes_when_the_budget_is_spent(tmp_path: Path) -> None:
    fake = FakeGitHub(diff_text()).start()
    sleeps = Sleeps()
    try:
        # The check run waits 150 + 150 s and is given up; the review's one try is refused.
        fake.rate_limit_next(4, 429, {"retry-after": "150"})
        outcome = _github(fake, sleeps).publish(
            publication(make_report((gh_finding(1, start=11),)), tmp_path))
    finally:
        fake.stop()
    assert sleeps == [150.0, 150.0]
    lost = [w for w in outcome.warnings if w.startswith("not posted: rate-limited")]
    assert len(lost) == 2 and "check-runs" in lost[0] and "reviews" in lost[1]
    assert outcome.posted.get("summary") == 1


def _github(fake: FakeGitHub, sleeps: Sleeps) -> GitHubPublisher:
    return GitHubPublisher(context(), "ghs_app", api_url=fake.url, write_interval_s=0.0,
                           sleep=sleeps)


def test_one_wait_rule_for_both_platforms() -> None:
    now = 1_000_000.0
    assert named_wait({"Retry-After": "7"}, now) == 7.0
    assert named_wait({"retry-after": formatdate(now + 30, usegmt=True)}, now) == 30.0
    assert named_wait({"RateLimit-Reset": str(int(now) + 12)}, now) == 12.0  # GitLab
    assert named_wait({"x-ratelimit-remaining": "0",
                       "x-ratelimit-reset": str(int(now) + 12)}, now) == 13.0  # GitHub
    assert named_wait({"x-ratelimit-remaining": "5",
                       "x-ratelimit-reset": str(int(now) + 12)}, now) is None
    assert named_wait({}, now) is None


def test_a_wait_the_budget_cannot_pay_is_not_taken() -> None:
    sleeps = Sleeps()
    budget = WaitBudget(100.0, sleeps)
    plan_wait(GITLAB, budget, 60.0, 0, "POST")
    with pytest.raises(RateLimitedOut, match="60 s is more than the 40 s left"):
        plan_wait(GITLAB, budget, 60.0, 1, "POST")
    with pytest.raises(RateLimitedOut, match="gave up after 4 tries"):
        plan_wait(GITHUB, WaitBudget(1e9, sleeps), 1.0, 3, "POST")
    assert sleeps == [60.0] and budget.left_s == 40.0
