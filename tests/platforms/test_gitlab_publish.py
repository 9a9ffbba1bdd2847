"""Idempotent publishing, the summary note, paging, rate limits, tokens and self-managed URLs,
all against the fake GitLab over real HTTP."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from ci_orch.platforms.gitlab.publisher import gitlab_token
from ci_orch.platforms.gitlab.summary import NOTE_LIMIT, summary_body
from ci_orch.platforms.interface import PermissionMissing, PublishError
from ci_orch.platforms.markers import (
    SUMMARY_MARKER,
    finding_marker,
    fingerprints_in,
    sections_in,
    summary_marker,
)
from tests.platforms.fake_gitlab import FakeGitLab, Running
from tests.platforms.test_gitlab_support import (
    ADDED,
    CONTEXT,
    DIFF,
    INLINE,
    ON_FILE,
    REMOVED,
    bodies,
    publication,
    publish,
)
from tests.test_inert_text import assert_inert


class Racing(FakeGitLab):
    """Once armed, the first read after our next write finds an older copy written over it."""

    stale: str | None = None
    puts_before = 0

    def notes(self) -> list[dict[str, Any]]:
        found = super().notes()
        if self.stale is not None and len(self.calls("PUT", "")) > self.puts_before:
            for note in found:
                if str(note["body"]).startswith(SUMMARY_MARKER):
                    note["body"], self.stale = self.stale, None
        return found


def review_text(body: str) -> str:
    """The review's section without its hidden state marker."""
    return sections_in(body)["review"].split("\n\n<!-- ci-orch:state:")[0]


def summaries(fake: FakeGitLab) -> list[dict[str, Any]]:
    return [n for n in fake.notes() if SUMMARY_MARKER in str(n["body"])]


def test_a_second_run_posts_nothing_new_and_updates_the_summary() -> None:
    fake = FakeGitLab(DIFF)  # per_page 2: eight threads take four pages
    with Running(fake) as api_url:
        first = publish(fake, api_url, publication(INLINE, summary="run 1"))
        threads = len(fake.discussions)
        second = publish(fake, api_url, publication(INLINE, summary="run 2"))
    assert first.posted == {"inline": len(INLINE), "summary": 1}
    assert second.posted == {} and second.updated == {"summary": 1}
    assert second.skipped == {"duplicate": len(INLINE)}
    assert len(fake.discussions) == threads
    assert len(fake.calls("PUT", "/notes/" + str(summaries(fake)[0]["id"]))) == 1
    [note] = summaries(fake)
    assert note["body"].startswith(SUMMARY_MARKER)
    assert review_text(note["body"]) == "run 2"


def test_lists_are_read_page_by_page() -> None:
    fake = FakeGitLab(DIFF)
    with Running(fake) as api_url:
        publish(fake, api_url, publication(INLINE))
        fake.log.clear()
        publish(fake, api_url, publication(INLINE))
    pages = [q.get("page", "1") for m, p, q in fake.log if m == "GET" and
             p.endswith("/discussions")]
    assert pages == ["1", "2", "3", "4", "5"]  # 8 threads + the summary, 2 a page
    assert any(m == "GET" and p.endswith("/notes") and q.get("page") == "5"
               for m, p, q in fake.log)


def test_a_gone_finding_has_its_thread_resolved() -> None:
    fake = FakeGitLab(DIFF)
    with Running(fake) as api_url:
        publish(fake, api_url, publication((ADDED, REMOVED, CONTEXT)))
        partial = publish(fake, api_url, publication((ADDED,), status="partial"))
        done = publish(fake, api_url, publication((ADDED, CONTEXT)))
    assert partial.resolved == 0  # a partial run may simply have missed them
    assert done.resolved == 1 and done.posted == {}
    notes = bodies(fake)
    assert notes[REMOVED.fingerprint]["resolved"] is True
    assert notes[ADDED.fingerprint]["resolved"] is False


def test_markers_count_only_on_our_own_notes() -> None:
    fake = FakeGitLab(DIFF)
    fake.add_note("glpat-human", f"{SUMMARY_MARKER}\nfake summary")
    fake.add_note("glpat-human", f"quoting {finding_marker(ADDED.fingerprint)}",
                  individual=False)
    with Running(fake) as api_url:
        outcome = publish(fake, api_url, publication((ADDED,), summary="ours"))
    assert outcome.posted == {"inline": 1, "summary": 1}
    ours = [n for n in summaries(fake) if n["author"]["username"] == "ci-orch-bot"]
    assert [review_text(n["body"]) for n in ours] == ["ours"]
    assert summaries(fake)[0]["body"] == f"{SUMMARY_MARKER}\nfake summary"  # untouched


def test_rate_limits_are_waited_out_with_the_injected_sleep() -> None:
    fake = FakeGitLab(DIFF)
    fake.throttle = ["7", "3"]
    sleeps: list[float] = []
    with Running(fake) as api_url:
        outcome = publish(fake, api_url, publication((ADDED,)), sleeps=sleeps)
    assert sleeps == [7.0, 3.0]
    assert outcome.posted == {"inline": 1, "summary": 1}


def test_endless_rate_limiting_is_a_publish_error_not_a_hang() -> None:
    fake = FakeGitLab(DIFF)
    fake.throttle = ["1"] * 10
    sleeps: list[float] = []
    with Running(fake) as api_url, pytest.raises(PublishError, match="429"):
        publish(fake, api_url, publication((ADDED,)), sleeps=sleeps)
    assert sleeps == [1.0] * 4  # five tries, four waits


def test_a_job_token_only_environment_names_the_variable_and_scope() -> None:
    with pytest.raises(PermissionMissing) as caught:
        gitlab_token({"CI_JOB_TOKEN": "glcbt-job"})
    text = str(caught.value)
    for needed in ("CI_ORCH_GITLAB_TOKEN", "`api` scope", "CI_JOB_TOKEN", "Reporter", "masked"):
        assert needed in text
    with pytest.raises(PermissionMissing, match="MY_TOKEN"):
        gitlab_token({"CI_JOB_TOKEN": "x", "GITLAB_TOKEN": "y"}, "MY_TOKEN")


def test_token_lookup_order() -> None:
    assert gitlab_token({"GITLAB_TOKEN": "b", "CI_ORCH_GITLAB_TOKEN": "a"}) == "a"
    assert gitlab_token({"GITLAB_TOKEN": "b", "CI_ORCH_GITLAB_TOKEN": " "}) == "b"
    assert gitlab_token({"MINE": "c", "GITLAB_TOKEN": "b"}, "MINE") == "c"


@pytest.mark.parametrize(("token", "needed"), [
    ("glcbt-job", "GitLab answered 401"), ("glpat-readonly", "`api` scope")])
def test_tokens_gitlab_refuses_become_permission_errors(token: str, needed: str) -> None:
    fake = FakeGitLab(DIFF)
    with Running(fake) as api_url, pytest.raises(PermissionMissing) as caught:
        publish(fake, api_url, publication((ADDED,)), token=token)
    assert needed in str(caught.value) and "CI_ORCH_GITLAB_TOKEN" in str(caught.value)
    assert fake.discussions == []


def test_a_self_managed_instance_under_a_relative_url() -> None:
    fake = FakeGitLab(DIFF, prefix="/gitlab")
    with Running(fake) as api_url:
        assert api_url.endswith("/gitlab/api/v4")
        publish(fake, api_url, publication(INLINE))
        again = publish(fake, api_url, publication(INLINE), project_id=None)
    assert again.skipped == {"duplicate": len(INLINE)}  # paging links kept the prefix
    assert all(p.startswith("/projects/") for _, p, _ in fake.log if p != "/user")


def test_an_unknown_project_is_a_clear_error() -> None:
    fake = FakeGitLab(DIFF)
    with Running(fake) as api_url, pytest.raises(PublishError, match="404"):
        publish(fake, api_url, publication((ADDED,)), project_id="999")


def test_an_unreachable_gitlab_is_a_publish_error() -> None:
    fake = FakeGitLab(DIFF)
    with Running(fake) as api_url:
        pass  # stopped: nothing listens any more
    with pytest.raises(PublishError, match="unreachable"):
        publish(fake, api_url, publication((ADDED,)))


def test_a_branch_pipeline_posts_nothing() -> None:
    fake = FakeGitLab(DIFF)
    with Running(fake) as api_url:
        outcome = publish(fake, api_url, publication((ADDED,)), number=None)
    assert outcome.posted == {} and "not a merge request" in outcome.warnings[0]
    assert fake.log == []


def test_the_summary_fits_gitlabs_note_limit() -> None:
    gate = summary_body(None, "gate", "g" * 5000)
    body = summary_body(gate, "review", "x" * (NOTE_LIMIT + 10))
    assert len(body) <= NOTE_LIMIT and body.startswith(SUMMARY_MARKER)
    assert sections_in(body)["gate"] == "g" * 5000  # the other job's section is never cut
    assert sections_in(summary_body(None, "review", "hi")) == {"review": "hi"}


def test_the_gate_job_sets_its_own_section_of_the_one_summary_note() -> None:
    fake = FakeGitLab(DIFF)
    review = publication((ADDED,), summary="review summary")
    gate_report = review.report.model_copy(update={"task": "gate", "findings": ()})
    gate = replace(review, report=gate_report, summary_md="gate summary")
    with Running(fake) as api_url:
        publish(fake, api_url, review)
        outcome = publish(fake, api_url, gate)
        again = publish(fake, api_url, gate)
    assert outcome.updated == {"summary": 1} and outcome.resolved == 0
    assert again.updated == {"summary": 1}
    [note] = [n for n in fake.notes() if "ci-orch:summary" in n["body"]]
    assert sections_in(note["body"])["gate"] == "gate summary"
    assert review_text(note["body"]) == "review summary"


def test_a_legacy_per_task_note_is_left_alone() -> None:
    fake = FakeGitLab(DIFF)
    legacy = f"{summary_marker('gate')}\nold gate summary"
    with Running(fake) as api_url:
        me = publish(fake, api_url, publication((ADDED,), summary="review"))
        assert me.posted.get("summary") == 1
        fake.add_note("glpat-bot", legacy)
        publish(fake, api_url, publication((ADDED,), summary="review again"))
    assert [n["body"] for n in fake.notes() if n["body"].startswith(legacy)] == [legacy]


def test_a_concurrent_writer_that_drops_our_section_is_merged_once_more() -> None:
    review = publication((ADDED,), summary="review summary")
    gate = replace(review, report=review.report.model_copy(update={"task": "gate",
                                                                   "findings": ()}),
                   summary_md="gate summary")
    fake = Racing(DIFF)
    with Running(fake) as api_url:
        publish(fake, api_url, review)
        [note] = summaries(fake)
        # A concurrent review job read the note before our write and writes it back after.
        fake.stale, fake.puts_before = str(note["body"]), len(fake.calls("PUT", ""))
        publish(fake, api_url, gate)
    assert fake.stale is None  # the race happened
    [note] = summaries(fake)
    assert sections_in(note["body"])["gate"] == "gate summary"
    assert review_text(note["body"]) == "review summary"


def test_without_versions_the_merge_requests_diff_refs_are_used() -> None:
    fake = FakeGitLab(DIFF, list_versions=False)  # an MR whose diff is still being prepared
    with Running(fake) as api_url:
        outcome = publish(fake, api_url, publication((ADDED,)))
    assert outcome.posted == {"inline": 1, "summary": 1} and fake.rejected == []
    assert any(m == "GET" and p == "/projects/42/merge_requests/7" for m, p, _ in fake.log)


def test_one_failed_thread_does_not_cost_the_others_or_the_summary() -> None:
    fake = FakeGitLab(DIFF, fail_posts_with=REMOVED.title)
    with Running(fake) as api_url:
        outcome = publish(fake, api_url, publication((ADDED, REMOVED, CONTEXT)))
    assert outcome.posted == {"inline": 2, "summary": 1}
    assert outcome.skipped == {"failed": 1}
    assert any("not posted" in w and "500" in w for w in outcome.warnings)


def test_a_failed_summary_is_a_warning_when_threads_went_out() -> None:
    fake = FakeGitLab(DIFF, fail_posts_with="the summary")
    with Running(fake) as api_url:
        outcome = publish(fake, api_url, publication((ADDED,), summary="the summary"))
    empty = FakeGitLab(DIFF, fail_posts_with="the summary")
    with Running(empty) as api_url, pytest.raises(PublishError, match="500"):
        publish(empty, api_url, publication((), summary="the summary"))  # nothing went out
    assert outcome.posted == {"inline": 1}
    assert any("summary note was not posted" in w for w in outcome.warnings)


# What a prompt-injected diff made a model write: GitLab runs each line as the bot's user.
INJECTED = ("Looks good.\n/merge\n  /close\r/title Approved by security team\n"
            "cc @security-team #1 !2 <img src=https://t.example/p.gif>\n\n"
            "```python\nsubprocess.run(cmd, shell=True)\n```")


def test_injected_quick_actions_reach_gitlab_as_text() -> None:
    fake = FakeGitLab(DIFF)
    hostile = tuple(f.model_copy(update={"title": "/approve", "body": INJECTED})
                    for f in (ADDED, ON_FILE))
    with Running(fake) as api_url:
        out = publish(fake, api_url, publication(hostile))
    assert out.posted == {"inline": 1, "file": 1, "summary": 1}
    notes = [n["body"] for d in fake.discussions for n in d["notes"]
             if fingerprints_in(n["body"])]
    assert len(notes) == 2
    for body in notes:
        assert_inert(body, frozenset(f.fingerprint for f in hostile),
                     frozenset({f"{ADDED.suggestion}\n"}))
        lines = body.split("\n")
        for attack in ("/merge", "/close", "/title Approved by security team"):
            assert "\\" + attack in lines  # shown as written, not run
        assert "```python\nsubprocess.run(cmd, shell=True)\n```" in body

