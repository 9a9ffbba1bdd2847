"""Incremental review over a scripted five-push pull request, on both platform fakes.

Real runs (a git repository with five pushes, the provider server with a model that words
its findings differently every run), published to the stateful GitHub and GitLab fakes: the
first push is reviewed in full, the next four only in their increments; findings on untouched
code stay open without being re-posted, the fixed one is resolved, there is one summary, and
the five runs cost far less than five full reviews.
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest

from ci_orch.diff import parse_diff
from ci_orch.platforms.markers import SUMMARY_MARKER, fingerprints_in, sections_in
from ci_orch.review.increment import carried_over, narrow, touched_lines
from ci_orch.review.state import OpenFinding, ReviewState
from tests.conftest import GitRepo
from tests.incremental_pr import github, gitlab, play, reviewed, spent

MODES = ["full", "incremental", "incremental", "incremental", "incremental"]


def _modes(runs: list) -> list[str]:
    return [r.report.increment.mode for r in runs]


def test_five_pushes_on_github(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    with github(tmp_path) as (platform, fake):
        runs = play(repo, platform, tmp_path, seed=3)
        summaries = [c for c in fake.state.issue_comments if SUMMARY_MARKER in c["body"]]
        live = [c for c in fake.state.review_comments if "Resolved" not in c["body"]]
    assert _modes(runs) == MODES
    assert [r.outcome.posted.get("inline", 0) for r in runs] == [1, 0, 1, 0, 0]
    assert [r.outcome.resolved for r in runs] == [0, 0, 0, 0, 1]  # only the fixed one
    assert len(summaries) == 1 and "review" in sections_in(summaries[0]["body"])
    assert [c["path"] for c in live] == ["app/a.py"]  # the eval finding, posted once
    sent = [r.report.increment.added_lines_reviewed for r in runs]
    assert sent[0] == runs[0].report.increment.added_lines_total and max(sent[1:]) <= 3
    assert all(r.report.increment.saved_usd > 0 for r in runs[1:])


def test_five_pushes_on_gitlab(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    with gitlab(tmp_path) as (platform, fake):
        runs = play(repo, platform, tmp_path, seed=4)
        ours = [d for d in fake.discussions if fingerprints_in(str(d["notes"][0]["body"]))]
        notes = [n for n in fake.notes() if n["body"].startswith(SUMMARY_MARKER)]
    assert _modes(runs) == MODES
    assert [r.outcome.posted.get("inline", 0) for r in runs] == [1, 0, 1, 0, 0]
    assert [r.outcome.resolved for r in runs] == [0, 0, 0, 0, 1]
    assert len(ours) == 2 and [d["notes"][0]["resolved"] for d in ours] == [False, True]
    assert len(notes) == 1


def test_five_pushes_cost_at_most_35_percent_of_five_full_reviews(tmp_path: Path) -> None:
    with github(tmp_path / "inc") as (platform, _):
        incremental = spent(play(GitRepo(tmp_path / "r1"), platform, tmp_path / "w1", seed=5))
    with github(tmp_path / "full") as (platform, _):
        full = play(GitRepo(tmp_path / "r2"), platform, tmp_path / "w2", seed=5, full=True)
    assert _modes(full) == ["full"] * 5
    assert incremental <= 0.35 * spent(full)


def test_the_ledger_alone_carries_the_state_between_runs(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    with github(tmp_path) as (platform, _):
        platform.read_state = lambda _ctx: None  # as if the summary comment were unreadable
        runs = play(repo, platform, tmp_path, seed=7, count=3, shared_ledger=True)
    assert _modes(runs) == MODES[:3]
    assert [r.outcome.posted.get("inline", 0) for r in runs] == [1, 0, 1]


def test_a_force_push_falls_back_to_a_full_review_and_says_so(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    with github(tmp_path) as (platform, fake):
        play(repo, platform, tmp_path, seed=6, count=2)
        state = platform.runs[-1].report
        repo.write("app/b.py", "def rewritten(request):\n    return None\n")
        repo.git("commit", "-q", "-a", "--amend", "-m", "rewritten")  # the head is replaced
        head = repo.git("rev-parse", "HEAD").strip()
        base = repo.git("rev-parse", "main").strip()
        run = reviewed(repo, platform, tmp_path, "f", base, head, random.Random(6))
        live = [c for c in fake.state.review_comments if "Resolved" not in c["body"]]
    assert state.increment is not None and state.increment.mode == "incremental"
    inc = run.report.increment
    assert inc is not None and inc.mode == "full" and "not an ancestor" in inc.reason
    assert run.outcome.posted.get("inline", 0) == 0 and len(live) == 1  # no churn
    assert "Full review: the last reviewed commit" in (tmp_path / "out-f" / "summary.md"
                                                     ).read_text()


def test_the_full_review_label_forces_a_full_review(tmp_path: Path) -> None:
    from ci_orch.review.increment import forced_full

    event = tmp_path / "e.json"
    event.write_text('{"pull_request": {"labels": [{"name": "ci-orch:full-review"}]}}')
    assert "label" in forced_full(False, {"GITHUB_EVENT_PATH": str(event)})
    assert "label" in forced_full(False, {"CI_MERGE_REQUEST_LABELS": "bug,ci-orch:full-review"})
    assert forced_full(False, {"CI_MERGE_REQUEST_LABELS": "bug"}) == ""
    assert "asked" in forced_full(True, {})


PR = """diff --git a/m.py b/m.py
--- a/m.py
+++ b/m.py
@@ -1,2 +1,12 @@
 keep = 1
+a1 = 1
+a2 = 2
+a3 = 3
+a4 = 4
+a5 = 5
+a6 = 6
+a7 = 7
+a8 = 8
+a9 = 9
+a10 = 10
 tail = 2
"""
INCREMENT = """diff --git a/m.py b/m.py
--- a/m.py
+++ b/m.py
@@ -9,0 +10 @@
+a9 = 9
"""


def test_only_the_increments_added_lines_are_sent_the_rest_is_context() -> None:
    narrowed = narrow(parse_diff(PR), touched_lines(parse_diff(INCREMENT)), context=2)
    [file] = narrowed.files
    [hunk] = file.hunks
    assert [(ln.kind, ln.new_no) for ln in hunk.lines] == [
        ("context", 8), ("context", 9), ("added", 10), ("context", 11), ("context", 12)]


@pytest.mark.parametrize(("line", "moved"), [(5, 5), (9, 9), (10, 11), (12, 13)])
def test_open_findings_outside_the_increment_move_with_their_code(line: int, moved: int) -> None:
    kept = carried_over((OpenFinding("fp", "m.py", line, line),), parse_diff(INCREMENT))
    assert kept == (OpenFinding("fp", "m.py", moved, moved),)


def test_a_finding_on_a_changed_line_is_re_checked_not_carried() -> None:
    changed = INCREMENT.replace("@@ -9,0 +10 @@\n+a9 = 9", "@@ -9 +9 @@\n-a8 = 8\n+a8 = 80")
    assert carried_over((OpenFinding("fp", "m.py", 9, 9),), parse_diff(changed)) == ()


def test_the_state_survives_its_marker_and_refuses_anything_else() -> None:
    state = ReviewState("ab" * 20, (OpenFinding("f1:x", "a b.py", 3, 4, "LEFT"),))
    assert ReviewState.from_json(state.to_json()) == state
    bad = dataclasses.replace(state, head_sha="not a sha")
    assert ReviewState.from_json(bad.to_json()) is None
    assert ReviewState.from_json('{"v": 1, "head": "abcdef1", "open": [["x"]]}') is None
    assert ReviewState.from_json("--> <script>") is None
