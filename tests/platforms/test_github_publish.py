"""The GitHub publisher against the stateful fake: what a first run posts, and re-runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ci_orch.platforms.github import GitHubPublisher
from ci_orch.platforms.markers import (
    SUMMARY_MARKER,
    finding_marker,
    fingerprints_in,
    sections_in,
    summary_marker,
)
from tests.platforms.conftest import (
    HEAD,
    finding,
    gate_finding,
    make_report,
    publication,
)
from tests.platforms.fake_github import BOT, FakeGitHub
from tests.test_inert_text import assert_inert

Make = Callable[..., GitHubPublisher]


def findings() -> tuple:
    return (
        finding(1, suggestion="value_1 = 'one'\n"),
        finding(2, start=10, end=12),  # multi-line, one hunk
        finding(3, path="src/util.py", start=11, side="LEFT"),  # a removed line
        finding(4, path="src/util.py", start=12, end=41),  # spans two hunks: file-level
        finding(5, path="docs/elsewhere.md"),  # not in the diff: summary
        finding(6, placement="summary"),
    )


def inline_bodies(fake: FakeGitHub) -> list[str]:
    return [c["body"] for c in fake.state.review_comments if c["subject_type"] == "line"]


def test_first_run_posts_check_review_and_summary(fake_github: FakeGitHub, make_publisher: Make,
                                                  tmp_path: Path) -> None:
    report = make_report(findings(), (gate_finding(1),))
    out = make_publisher().publish(publication(report, tmp_path))

    state = fake_github.state
    # 1 gate + 5 review annotations: none for the removed line (side LEFT).
    assert out.posted == {"annotations": 6, "check_run": 1, "file": 1, "inline": 3,
                          "review": 1, "summary": 1}
    assert [r["conclusion"] for r in state.check_runs] == ["failure"]
    assert state.check_runs[0]["head_sha"] == HEAD
    assert len(state.reviews) == 1 and state.reviews[0]["commit_id"] == HEAD
    review = next(r for r in fake_github.requests if r.path.endswith("/reviews")
                  and r.method == "POST").body
    assert review["event"] == "COMMENT"
    assert all("position" not in c for c in review["comments"])
    multi = next(c for c in review["comments"] if c["line"] == 12)
    assert (multi["start_line"], multi["start_side"], multi["side"]) == (10, "RIGHT", "RIGHT")
    left = next(c for c in review["comments"] if c["path"] == "src/util.py")
    assert (left["line"], left["side"]) == (11, "LEFT") and "start_line" not in left
    assert "```suggestion\nvalue_1 = 'one'\n```" in inline_bodies(fake_github)[0]
    files = [c for c in state.review_comments if c["subject_type"] == "file"]
    assert [(c["path"], fingerprints_in(c["body"])) for c in files] == [("src/util.py",
                                                                          {"fp0004"})]
    [summary] = state.issue_comments
    assert summary["body"].endswith(SUMMARY_MARKER) and summary["user"]["login"] == BOT
    # Not in the diff: added to the summary; placed "summary": summary.md shows it already.
    assert fingerprints_in(summary["body"]) == {"fp0005"}
    assert "Problem number 6" in summary["body"] and "Explain problem 6." in summary["body"]


def test_second_run_posts_nothing_new_and_updates_in_place(
        fake_github: FakeGitHub, make_publisher: Make, tmp_path: Path) -> None:
    report = make_report(findings(), (gate_finding(1),))
    make_publisher().publish(publication(report, tmp_path))
    before = len(fake_github.state.review_comments)
    writes_before = len(fake_github.writes())

    out = make_publisher().publish(publication(report, tmp_path))

    state = fake_github.state
    assert len(state.review_comments) == before and len(state.reviews) == 1
    assert len(state.issue_comments) == 1 and len(state.check_runs) == 1
    assert out.updated == {"check_run": 1, "summary": 1}
    assert "inline" not in out.posted and out.skipped["duplicate"] == 4
    assert len(state.annotations[state.check_runs[0]["id"]]) == 6  # none appended twice
    second = [(r.method, r.path.split("?")[0]) for r in fake_github.writes()[writes_before:]]
    assert second == [("PATCH", f"/repos/octo/repo/check-runs/{state.check_runs[0]['id']}"),
                      ("PATCH", f"/repos/octo/repo/issues/comments/{state.issue_comments[0]['id']}")]


def test_removed_finding_is_resolved_and_new_one_posted(
        fake_github: FakeGitHub, make_publisher: Make, tmp_path: Path) -> None:
    first = (finding(1, suggestion="value_1 = 1\n"), finding(2))
    make_publisher().publish(publication(make_report(first), tmp_path))
    out = make_publisher().publish(publication(make_report((finding(2), finding(7))), tmp_path))

    assert out.resolved == 1 and out.posted["inline"] == 1
    by_fp = {c["id"]: c["body"] for c in fake_github.state.review_comments}
    resolved = [b for b in by_fp.values() if "Resolved:" in b]
    assert len(resolved) == 1 and "Problem number 1" in resolved[0]
    assert fingerprints_in(resolved[0]) == set()  # the next run ignores it
    assert "```suggestion" not in resolved[0] and "value_1 = 1" in resolved[0]
    live = set().union(*(fingerprints_in(b) for b in by_fp.values()))
    assert live == {"fp0002", "fp0007"}
    # A third run with the same findings changes nothing.
    third = make_publisher().publish(publication(make_report((finding(2), finding(7))),
                                                 tmp_path))
    assert third.resolved == 0 and "inline" not in third.posted


def test_partial_run_does_not_resolve(fake_github: FakeGitHub, make_publisher: Make,
                                      tmp_path: Path) -> None:
    make_publisher().publish(publication(make_report((finding(1),)), tmp_path))
    out = make_publisher().publish(publication(make_report((), status="partial"), tmp_path))
    assert out.resolved == 0
    assert not any("Resolved:" in c["body"] for c in fake_github.state.review_comments)


def test_markers_by_someone_else_are_not_ours(fake_github: FakeGitHub, make_publisher: Make,
                                              tmp_path: Path) -> None:
    mallory_summary = fake_github.add_issue_comment("mallory", f"hi {SUMMARY_MARKER}")
    fake_github.add_review_comment("mallory", f"fake {finding_marker('fp0001')}")
    report = make_report((finding(1), finding(2)))

    out = make_publisher().publish(publication(report, tmp_path))

    assert out.posted["inline"] == 2 and out.posted["summary"] == 1
    assert mallory_summary["body"] == f"hi {SUMMARY_MARKER}"  # untouched
    assert out.resolved == 0  # mallory's "stale" marker is not ours to resolve


def test_pages_through_existing_comments(fake_github: FakeGitHub, make_publisher: Make,
                                         tmp_path: Path) -> None:
    fake_github.max_per_page = 2
    for n in range(7):
        fake_github.add_issue_comment("someone", f"noise {n}")
        fake_github.add_review_comment("someone", f"noise {n}")
    report = make_report(tuple(finding(n) for n in range(1, 6)))
    make_publisher().publish(publication(report, tmp_path))

    out = make_publisher().publish(publication(report, tmp_path))

    assert "inline" not in out.posted and out.skipped["duplicate"] == 5
    assert out.updated["summary"] == 1 and len(fake_github.state.issue_comments) == 8
    pages = [r.path for r in fake_github.requests if "/pulls/7/comments" in r.path
             and r.method == "GET"]
    # 7 then 12 comments, 2 a page: 4 pages on the first run, 6 on the second.
    assert len(pages) == 4 + 6 and sum("page=6" in p for p in pages) == 1


def test_personal_token_is_identified_by_get_user(fake_github: FakeGitHub,
                                                  make_publisher: Make,
                                                  tmp_path: Path) -> None:
    report = make_report((finding(1),))
    out = make_publisher("ghp_user").publish(publication(report, tmp_path))
    # A PAT cannot write check runs (GitHub: "You must authenticate via a GitHub App."):
    # a warning, and the review and summary still go, authored by octo-dev.
    assert any("GitHub App" in w for w in out.warnings)
    assert out.posted["inline"] == 1 and out.posted["summary"] == 1
    again = make_publisher("ghp_user").publish(publication(report, tmp_path))
    assert again.updated.get("summary") == 1 and "inline" not in again.posted
    assert {c["user"]["login"] for c in fake_github.state.issue_comments} == {"octo-dev"}


def test_generate_reports_touch_no_review_comments(fake_github: FakeGitHub,
                                                   make_publisher: Make,
                                                   tmp_path: Path) -> None:
    make_publisher().publish(publication(make_report((finding(1),)), tmp_path))
    out = make_publisher().publish(publication(make_report(task="generate"), tmp_path))
    assert out.resolved == 0
    names = sorted(r["name"] for r in fake_github.state.check_runs)
    assert names == ["ci-orch generate", "ci-orch review"]


INJECTED = ("Fine.\n/merge\n::add-mask::x\n@octocat see #1 ![px](https://t.example/p.gif)\n"
            "<details><summary>more</summary>\n\n```suggestion\nimport os\n```\n\n"
            "Use `run(args)`.")


def test_model_text_reaches_github_inert(fake_github: FakeGitHub, make_publisher: Make,
                                         tmp_path: Path) -> None:
    hostile = tuple(f.model_copy(update={"title": "/close <img src=x> @all", "body": INJECTED})
                    for f in (finding(1), finding(4, path="src/util.py", start=12, end=41)))
    out = make_publisher().publish(publication(make_report(hostile), tmp_path))

    assert out.posted["inline"] == 1 and out.posted["file"] == 1
    ours = frozenset(f.fingerprint for f in hostile)
    comments = [c["body"] for c in fake_github.state.review_comments]
    assert len(comments) == 2
    for body in comments:
        assert_inert(body, ours)
        assert "\\/merge" in body.split("\n") and "`run(args)`" in body
    [run] = fake_github.state.check_runs
    assert_inert(run["output"]["text"], ours)  # the check run's details: the same bodies
    for note in fake_github.state.annotations[run["id"]]:
        for line in (note["title"], *note["message"].split("\n")):
            assert not line.lstrip().startswith(("/", "::")), line
        assert "<img" not in note["title"] and "<details" not in note["message"]



class _Racing(list):  # type: ignore[type-arg]
    """The issue comments; once armed, the first read after our next write finds an older
    copy of the summary written over ours, as when two jobs of one pipeline race."""

    def __init__(self, fake: FakeGitHub) -> None:
        super().__init__()
        self.fake = fake
        self.stale: str | None = None
        self.writes_before = 0

    def __getitem__(self, index: Any) -> Any:
        if self.stale is not None and len(self.fake.writes()) > self.writes_before:
            for comment in list.__iter__(self):
                if SUMMARY_MARKER in comment["body"]:
                    comment["body"], self.stale = self.stale, None
        return super().__getitem__(index)


def test_gate_and_review_share_one_summary_even_when_they_race(
        fake_github: FakeGitHub, make_publisher: Make, tmp_path: Path) -> None:
    racing = _Racing(fake_github)
    fake_github.state.issue_comments = racing
    review = publication(make_report(findings()[:1]), tmp_path)
    gate_report = review.report.model_copy(update={"task": "gate", "findings": ()})
    gate = replace(review, report=gate_report, summary_md="gate summary")
    make_publisher().publish(review)
    [summary] = racing
    racing.stale, racing.writes_before = summary["body"], len(fake_github.writes())
    make_publisher().publish(gate)
    assert racing.stale is None  # the race happened
    [summary] = [c for c in racing if SUMMARY_MARKER in c["body"]]
    sections = sections_in(summary["body"])
    assert sections["gate"] == "gate summary" and "ci-orch review" in sections["review"]
    assert summary["body"].index("section:gate") < summary["body"].index("section:review")


def test_a_legacy_gate_summary_is_left_alone(fake_github: FakeGitHub, make_publisher: Make,
                                            tmp_path: Path) -> None:
    legacy = fake_github.add_issue_comment(BOT, f"old gate\n\n{summary_marker('gate')}")
    make_publisher().publish(publication(make_report(findings()[:1]), tmp_path))
    assert legacy["body"] == f"old gate\n\n{summary_marker('gate')}"
    assert len(fake_github.state.issue_comments) == 2
