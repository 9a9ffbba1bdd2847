"""Every request the publisher sends, checked against GitHub's own OpenAPI description.

Prism (contracts README) serves `api.github.com.json` and answers 422 naming the field for
any request that does not match it. It keeps no state, so two checks:

1. the publisher runs against Prism itself (PyGithub's real requests, headers and all);
2. every request the publisher sent to the stateful fake in the scenarios below (first
   run, re-run, resolving, the 422 fallback, folded comments, batches of annotations) is
   replayed to Prism byte for byte, so the update, edit and file-comment paths that Prism
   alone cannot reach are proven too.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from ci_orch.platforms.github import GitHubPublisher
from tests.platforms.conftest import (
    Sleeps,
    context,
    diff_text,
    finding,
    gate_finding,
    make_report,
    publication,
)
from tests.platforms.fake_github import FakeGitHub, Request

Make = Callable[..., GitHubPublisher]
STATUS = re.compile(r"GitHub (\w+) (\S+) -> (\d+)")


def every_kind_of_finding() -> tuple:
    return (
        finding(1, suggestion="value_1 = 'one'\n"),
        finding(2, start=10, end=12),
        finding(3, path="src/util.py", start=11, side="LEFT"),
        finding(4, path="src/util.py", start=12, end=41),
        finding(5, path="docs/elsewhere.md"),
        *(finding(n) for n in range(20, 55)),
    )


def test_publisher_against_prism(prism_url: str, tmp_path: Path, sleeps: Sleeps,
                                 caplog: pytest.LogCaptureFixture) -> None:
    gate = tuple(gate_finding(n, blocking=n == 1, line=n) for n in range(1, 31))
    report = make_report(every_kind_of_finding(), gate)
    publisher = GitHubPublisher(context(), "ghs_prism", api_url=prism_url,
                                write_interval_s=0.0, sleep=sleeps)
    with caplog.at_level(logging.DEBUG, logger="ci_orch.platforms"):
        out = publisher.publish(publication(report, tmp_path))

    seen = [m.groups() for r in caplog.records if (m := STATUS.search(r.getMessage()))]
    refused = [s for s in seen if int(s[2]) >= 400 and s[1] != "/user"]
    assert refused == [] and not out.warnings
    verbs = {(verb, re.sub(r"/\d+", "/N", path)) for verb, path, _ in seen}
    assert {("POST", "/repos/octo/repo/check-runs"),
            ("PATCH", "/repos/octo/repo/check-runs/N"),  # annotations 51..70
            ("POST", "/repos/octo/repo/pulls/N/reviews"),
            ("POST", "/repos/octo/repo/pulls/N/comments"),
            ("POST", "/repos/octo/repo/issues/N/comments")} <= verbs


def recorded_requests(tmp_path: Path) -> list[Request]:
    sleeps = Sleeps()
    requests: list[Request] = []
    scenarios = [
        (diff_text(), [every_kind_of_finding(), every_kind_of_finding()[:3], ()]),
        (diff_text().split("diff --git a/src/util.py")[0], [every_kind_of_finding()[:4]]),
    ]
    for diff, runs in scenarios:
        fake = FakeGitHub(diff).start()
        try:
            for findings in runs:
                gate = tuple(gate_finding(n, line=n) for n in range(1, 56)) if findings else ()
                GitHubPublisher(context(), "ghs_app", api_url=fake.url, write_interval_s=0,
                                max_inline=20, sleep=sleeps).publish(
                    publication(make_report(findings, gate), tmp_path))
        finally:
            fake.stop()
        requests += fake.requests
    return requests


def test_every_recorded_request_is_valid_for_github(prism_url: str, tmp_path: Path) -> None:
    requests = recorded_requests(tmp_path)
    kinds = {(r.method, re.sub(r"/\d+", "/N", r.path.split("?")[0])) for r in requests}
    assert {("PATCH", "/repos/octo/repo/pulls/comments/N"),  # resolved
            ("PATCH", "/repos/octo/repo/issues/comments/N"),  # summary updated
            ("GET", "/repos/octo/repo/check-runs/N/annotations")} <= kinds
    refused = []
    for r in requests:
        status, answer = replay(prism_url, r)
        if status >= 400 and r.path != "/user":
            refused.append((r.method, r.path, status, answer[:500]))
    assert refused == []


def replay(base: str, r: Request) -> tuple[int, str]:
    data = json.dumps(r.body).encode() if r.body is not None else None
    request = urllib.request.Request(  # noqa: S310 (our own 127.0.0.1 Prism)
        base + r.path, data=data, method=r.method,
        headers={"Authorization": "token ghs_prism", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return answer.status, ""
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace")
