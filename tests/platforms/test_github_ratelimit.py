"""Secondary rate limits, pacing of writes, and tokens that cannot write.

GitHub's rules: https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
"""

from __future__ import annotations

import time
from collections.abc import Callable
from email.utils import formatdate
from pathlib import Path

import pytest

from ci_orch.platforms.github import GitHubPublisher
from ci_orch.platforms.github.client import RateLimiter
from ci_orch.platforms.interface import PermissionMissing, PublishError, PublishOutcome
from tests.platforms.conftest import Sleeps, context, finding, make_report, publication
from tests.platforms.fake_github import FakeGitHub

Make = Callable[..., GitHubPublisher]


def run(make: Make, tmp: Path, **kw: object) -> PublishOutcome:
    return make(**kw).publish(publication(make_report((finding(1), finding(2))), tmp))


def test_retry_after_is_obeyed(fake_github: FakeGitHub, make_publisher: Make,
                               sleeps: Sleeps, tmp_path: Path) -> None:
    fake_github.rate_limit_next(2, 403, {"retry-after": "7"})
    run(make_publisher, tmp_path)
    assert sleeps == [7.0, 7.0]
    assert len(fake_github.state.check_runs) == 1  # posted once, after the waits


def test_reset_is_waited_for_when_nothing_remains(fake_github: FakeGitHub,
                                                  make_publisher: Make, sleeps: Sleeps,
                                                  tmp_path: Path) -> None:
    reset = int(time.time()) + 100
    fake_github.rate_limit_next(1, 403, {"x-ratelimit-remaining": "0",
                                         "x-ratelimit-reset": str(reset)})
    run(make_publisher, tmp_path)
    assert len(sleeps) == 1 and 97 <= sleeps[0] <= 102


def test_backoff_without_headers_then_success(fake_github: FakeGitHub, make_publisher: Make,
                                              sleeps: Sleeps, tmp_path: Path) -> None:
    fake_github.rate_limit_next(2, 403)  # the secondary-rate-limit message, no headers
    out = run(make_publisher, tmp_path)
    assert sleeps == [60.0, 120.0]
    assert not out.warnings and len(fake_github.state.check_runs) == 1


def test_bounded_tries_then_the_part_fails(fake_github: FakeGitHub, make_publisher: Make,
                                           sleeps: Sleeps, tmp_path: Path) -> None:
    fake_github.rate_limit_next(4, 429, {"retry-after": "2"})
    out = run(make_publisher, tmp_path)
    assert sleeps == [2.0, 2.0, 2.0]
    assert fake_github.state.check_runs == []
    assert any("gave up after 4 tries" in w for w in out.warnings)
    # The other parts still went out.
    assert len(fake_github.state.review_comments) == 2 and fake_github.state.issue_comments


def test_writes_are_serial_and_spaced(fake_github: FakeGitHub, make_publisher: Make,
                                      sleeps: Sleeps, tmp_path: Path) -> None:
    run(make_publisher, tmp_path, write_interval_s=1.0)
    writes = len(fake_github.writes())
    assert writes == 3 and len(sleeps) == writes - 1  # before every write but the first
    assert all(0.5 < s <= 1.0 for s in sleeps)


def test_read_only_token_names_the_permissions(fake_github: FakeGitHub,
                                               make_publisher: Make, tmp_path: Path) -> None:
    fake_github.read_only = True
    with pytest.raises(PermissionMissing) as caught:
        run(make_publisher, tmp_path)
    message = str(caught.value)
    assert "checks: write" in message and "pull-requests: write" in message
    assert "permissions:" in message and caught.value.needed == (
        "checks: write and pull-requests: write")
    assert fake_github.state.issue_comments == []


def test_missing_checks_permission_is_a_warning(fake_github: FakeGitHub,
                                               make_publisher: Make, tmp_path: Path) -> None:
    fake_github.no_checks = True
    out = run(make_publisher, tmp_path, context=context(is_fork=True))
    [warning] = out.warnings
    assert "checks: write" in warning and "pull-requests" not in warning
    assert out.posted["inline"] == 2 and out.posted["summary"] == 1


def test_bad_token_is_a_publish_error(fake_github: FakeGitHub, make_publisher: Make,
                                      tmp_path: Path) -> None:
    with pytest.raises(PublishError, match="401") as caught:
        run(make_publisher, tmp_path, token="nope")
    assert not isinstance(caught.value, PermissionMissing)


def test_unreachable_github_is_a_publish_error(tmp_path: Path, sleeps: Sleeps) -> None:
    publisher = GitHubPublisher(context(), "ghs_app", api_url="http://127.0.0.1:9",
                                write_interval_s=0, sleep=sleeps)
    with pytest.raises(PublishError, match="cannot reach GitHub"):
        publisher.publish(publication(make_report((finding(1),)), tmp_path))


def test_delay_rules() -> None:
    limiter = RateLimiter(1.0, lambda s: None, wall=lambda: 1_000_000.0)
    date = formatdate(1_000_030.0, usegmt=True)
    assert limiter.delay(403, {"Retry-After": date}, "", 0) == 30.0
    assert limiter.delay(429, {"retry-after": "0"}, "", 2) == 0.0
    assert limiter.delay(403, {}, "Resource not accessible by integration", 0) is None
    assert limiter.delay(403, {"x-ratelimit-remaining": "12"}, "", 0) is None
    assert limiter.delay(422, {"retry-after": "5"}, "", 0) is None
    assert limiter.delay(403, {}, "API rate limit exceeded for installation", 1) == 120.0


def test_a_refused_resolve_is_a_warning_and_the_summary_still_goes(
        fake_github: FakeGitHub, make_publisher: Make, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from tests.platforms import fake_github as fake_module

    make_publisher().publish(publication(make_report((finding(1), finding(2))), tmp_path))
    monkeypatch.setattr(fake_module.Routes, "edit_review_comment", lambda self, _id: (
        fake_module.error(403, "Resource not accessible by integration")))
    out = make_publisher().publish(publication(make_report((finding(2), finding(7))),
                                               tmp_path))
    assert out.resolved == 0 and out.posted["inline"] == 1
    assert out.updated.get("summary") == 1
    assert not any("pull-requests: write" in w for w in out.warnings)
    assert "1 comments of gone findings were not marked resolved" in caplog.text
