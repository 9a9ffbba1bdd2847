"""GitHub's limits: 50 annotations a request, ~30 comments a review, 65,535-char texts, 422s."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ci_orch.platforms.github import GitHubPublisher
from ci_orch.platforms.github.checks import gate_annotation, review_annotation
from ci_orch.platforms.markers import SUMMARY_MARKER, fingerprints_in
from ci_orch.report.model import ReviewFinding
from tests.platforms.conftest import (
    context,
    diff_text,
    finding,
    gate_finding,
    make_report,
    publication,
)
from tests.platforms.fake_github import FakeGitHub

Make = Callable[..., GitHubPublisher]


def test_annotations_go_fifty_a_request(fake_github: FakeGitHub, make_publisher: Make,
                                        tmp_path: Path) -> None:
    gate = tuple(gate_finding(n, blocking=False, line=n) for n in range(1, 71))
    review = tuple(finding(n, start=(n % 80) + 1) for n in range(60))
    out = make_publisher(max_inline=5).publish(publication(make_report(review, gate),
                                                           tmp_path))

    sent = [len(r.body["output"]["annotations"]) for r in fake_github.writes()
            if "/check-runs" in r.path]
    assert sent == [50, 50, 30]  # the fake refuses more than 50 in one request
    [run] = fake_github.state.check_runs
    assert len(fake_github.state.annotations[run["id"]]) == 130 == out.posted["annotations"]


def test_more_than_max_inline_are_folded_into_the_body(fake_github: FakeGitHub,
                                                       make_publisher: Make,
                                                       tmp_path: Path) -> None:
    report = make_report(tuple(finding(n) for n in range(1, 46)))
    out = make_publisher().publish(publication(report, tmp_path))

    [review] = fake_github.state.reviews
    assert out.posted["inline"] == 30 and out.skipped["folded"] == 15
    assert len(fake_github.state.review_comments) == 30
    assert fingerprints_in(review["body"]) == {f"fp{n:04d}" for n in range(31, 46)}
    assert "15 more below" in review["body"]
    again = make_publisher().publish(publication(report, tmp_path))
    assert len(fake_github.state.reviews) == 1 and again.skipped["duplicate"] == 45


def test_long_summary_and_check_text_are_trimmed(fake_github: FakeGitHub,
                                                 make_publisher: Make,
                                                 tmp_path: Path) -> None:
    long_body = "x" * 3_900
    review = tuple(ReviewFinding.model_validate({**finding(n).model_dump(), "body": long_body})
                   for n in range(1, 31))
    summary_md = "\n".join(f"line {n} " + "y" * 90 for n in range(800))  # ~78,000 chars
    out = make_publisher().publish(publication(make_report(review), tmp_path, summary_md))

    assert not out.warnings
    [comment] = fake_github.state.issue_comments
    assert len(comment["body"]) < 65_536 and comment["body"].endswith(SUMMARY_MARKER)
    assert "cut to fit GitHub's limit" in comment["body"]
    output = fake_github.state.check_runs[0]["output"]
    for part in ("summary", "text"):
        assert len(output[part]) <= 65_535 and "cut to fit GitHub's limit" in output[part]


def test_a_refused_review_loses_no_finding(tmp_path: Path, sleeps: list[float]) -> None:
    # The fake knows only src/app.py (the PR moved on): the review is refused with 422, its
    # comments become file-level ones, and util.py's, refused again, go to the summary.
    fake = FakeGitHub(diff_text().split("diff --git a/src/util.py")[0]).start()
    try:
        findings = (finding(90, path="src/util.py", start=11),
                    *(finding(n) for n in range(1, 36)))
        publisher = GitHubPublisher(context(), "ghs_app", api_url=fake.url,
                                    write_interval_s=0.0, sleep=sleeps)
        out = publisher.publish(publication(make_report(findings), tmp_path))
    finally:
        fake.stop()

    assert fake.state.reviews == [] and any("refused the review" in w for w in out.warnings)
    posted = set().union(*(fingerprints_in(c["body"]) for c in fake.state.review_comments))
    assert all(c["subject_type"] == "file" for c in fake.state.review_comments)
    summary = fingerprints_in(fake.state.issue_comments[0]["body"])
    assert posted | summary == {f.fingerprint for f in findings}
    # 30 inline became file comments (util.py's refused: summary); 6 folded: summary.
    assert "fp0090" in summary and len(posted) == 29 and len(summary) == 7


def test_stale_annotations_get_a_new_check_run(fake_github: FakeGitHub, make_publisher: Make,
                                               tmp_path: Path) -> None:
    make_publisher().publish(publication(make_report((), (gate_finding(1),)), tmp_path))
    make_publisher().publish(publication(make_report(()), tmp_path))  # the secret is gone
    runs = fake_github.state.check_runs
    assert [r["conclusion"] for r in runs] == ["success", "success"]
    assert runs[0]["output"]["title"] == "Superseded by a newer run"
    assert fake_github.state.annotations[runs[1]["id"]] == []
    make_publisher().publish(publication(make_report(()), tmp_path))
    assert len(runs) == 2  # nothing stale on the newest: updated in place


def test_blocked_suggestions_are_not_posted(fake_github: FakeGitHub, make_publisher: Make,
                                            tmp_path: Path) -> None:
    report = make_report((finding(1, suggestion="KEY = 'AKIA...'\n"),))
    report = report.model_copy(update={"gate": report.gate.model_copy(
        update={"blocked_outputs": ("fp0001",)})})
    make_publisher().publish(publication(report, tmp_path))
    [comment] = fake_github.state.review_comments
    assert "suggestion" not in comment["body"] and "AKIA" not in comment["body"]


def test_annotation_shapes() -> None:
    one = gate_annotation(gate_finding(1, line=4))
    assert (one["start_column"], one["end_column"]) == (5, 24)  # 1-based, end inclusive
    assert one["annotation_level"] == "failure" and "AKIA****" in one["message"]
    multi = gate_annotation(gate_finding(2, line=4, end_line=6, blocking=False))
    assert "start_column" not in multi and multi["annotation_level"] == "warning"
    long = ReviewFinding.model_validate({**finding(3).model_dump(), "title": "t" * 400})
    assert len((review_annotation(long) or {})["title"]) <= 255
    assert review_annotation(finding(4, side="LEFT")) is None
