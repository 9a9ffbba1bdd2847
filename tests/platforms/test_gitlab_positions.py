"""Every kind of diff line gets a position the (strict) fake GitLab accepts, and a position
it rejects falls back without losing the finding."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tests.platforms.fake_gitlab import FakeGitLab, Running
from tests.platforms.test_gitlab_support import (
    ADDED,
    CONTEXT,
    DELETED,
    DIFF,
    INLINE,
    MULTI,
    MULTI_CONTEXT,
    NEW_FILE,
    ON_FILE,
    REMOVED,
    RENAMED,
    SUMMARY_ONLY,
    bodies,
    publication,
    publish,
)


def code(path: str, old: int, new: int) -> str:
    return f"{hashlib.sha1(path.encode(), usedforsecurity=False).hexdigest()}_{old}_{new}"


@pytest.fixture(scope="module")
def posted() -> tuple[FakeGitLab, Any]:
    fake = FakeGitLab(DIFF)
    with Running(fake) as api_url:
        outcome = publish(fake, api_url, publication((*INLINE, ON_FILE, SUMMARY_ONLY)))
    return fake, outcome


def position(fake: FakeGitLab, fp: str) -> dict[str, Any]:
    pos = bodies(fake)[fp]["position"]
    assert pos is not None, fp
    return dict(pos)


def test_every_inline_finding_is_accepted_on_its_line(posted: tuple[FakeGitLab, Any]) -> None:
    fake, outcome = posted
    assert fake.rejected == []
    assert outcome.posted == {"inline": len(INLINE), "file": 1, "summary": 1}
    assert outcome.skipped == {"summary-only": 1}
    for f in INLINE:
        pos = position(fake, f.fingerprint)
        assert pos["position_type"] == "text"
        assert {k: pos[k] for k in ("base_sha", "start_sha", "head_sha")} == fake.newest


def lines_of(pos: dict[str, Any]) -> tuple[Any, Any]:
    return pos.get("old_line"), pos.get("new_line")


def test_added_removed_and_context_lines_carry_the_right_numbers(
        posted: tuple[FakeGitLab, Any]) -> None:
    fake, _ = posted
    assert lines_of(position(fake, ADDED.fingerprint)) == (None, 3)
    assert "old_line" not in position(fake, ADDED.fingerprint)
    assert lines_of(position(fake, REMOVED.fingerprint)) == (2, None)
    assert "new_line" not in position(fake, REMOVED.fingerprint)
    assert lines_of(position(fake, CONTEXT.fingerprint)) == (4, 5)


def test_both_paths_always_even_for_added_renamed_and_deleted_files(
        posted: tuple[FakeGitLab, Any]) -> None:
    fake, _ = posted
    paths = {f.fingerprint: (position(fake, f.fingerprint)["old_path"],
                             position(fake, f.fingerprint)["new_path"]) for f in INLINE}
    assert paths[NEW_FILE.fingerprint] == ("src/new.py", "src/new.py")
    assert paths[RENAMED.fingerprint] == ("old/name.py", "new/name.py")
    assert paths[DELETED.fingerprint] == ("gone.py", "gone.py")
    assert lines_of(position(fake, NEW_FILE.fingerprint)) == (None, 1)
    assert lines_of(position(fake, DELETED.fingerprint)) == (2, None)


def test_multi_line_findings_send_gitlab_line_codes(posted: tuple[FakeGitLab, Any]) -> None:
    fake, _ = posted
    multi = position(fake, MULTI.fingerprint)
    assert lines_of(multi) == (None, 3)
    assert multi["line_range"]["start"]["line_code"] == code("src/app.py", 3, 2)
    assert multi["line_range"]["start"]["type"] == "new"
    assert multi["line_range"]["end"]["line_code"] == code("src/app.py", 3, 3)
    context = position(fake, MULTI_CONTEXT.fingerprint)
    assert lines_of(context) == (5, 6)
    assert context["line_range"]["start"] == {"line_code": code("src/app.py", 3, 4),
                                              "type": "old", "old_line": 3, "new_line": 4}
    deleted = position(fake, DELETED.fingerprint)["line_range"]
    assert deleted["start"]["line_code"] == code("gone.py", 1, 0)
    assert deleted["end"]["type"] == "old"


def test_suggestions_use_gitlabs_relative_fence(posted: tuple[FakeGitLab, Any]) -> None:
    fake, _ = posted
    single = bodies(fake)[ADDED.fingerprint]["body"]
    assert "```suggestion:-0+0\nTIMEOUT = int(os.environ['TIMEOUT'])\n```" in single
    multi = bodies(fake)[MULTI.fingerprint]["body"]
    assert "```suggestion:-1+0\nDEBUG = TIMEOUT = 0\n```" in multi
    assert "suggestion" not in bodies(fake)[REMOVED.fingerprint]["body"]


def test_file_placement_goes_on_the_file(posted: tuple[FakeGitLab, Any]) -> None:
    fake, _ = posted
    note = bodies(fake)[ON_FILE.fingerprint]
    assert note["position"]["position_type"] == "file"
    assert "line 40-41" in note["body"]
    assert SUMMARY_ONLY.fingerprint not in bodies(fake)


SHIFTED = DIFF.replace("@@ -1,6 +1,7 @@\n import os\n", "@@ -1,6 +1,7 @@\n import sys\n").replace(
    "@@ -1,6 +1,7 @@", "@@ -11,6 +11,7 @@", 1)


def test_a_rejected_position_falls_back_to_the_file_without_losing_the_finding() -> None:
    fake = FakeGitLab(SHIFTED)  # GitLab's diff is not the one we reviewed
    with Running(fake) as api_url:
        outcome = publish(fake, api_url, publication((ADDED, MULTI)))
    assert len(fake.rejected) == 2
    assert all("line_code" in error for _, error in fake.rejected)
    assert outcome.posted == {"file": 2, "summary": 1}
    assert any("rejected" in w for w in outcome.warnings)
    for f in (ADDED, MULTI):
        note = bodies(fake)[f.fingerprint]
        assert note["position"]["position_type"] == "file"
        assert f.title in note["body"] and "suggestion" not in note["body"]


def test_without_file_positions_the_finding_becomes_a_plain_thread() -> None:
    fake = FakeGitLab(SHIFTED, file_positions=False)  # GitLab before 16.4
    with Running(fake) as api_url:
        outcome = publish(fake, api_url, publication((ADDED, ON_FILE)))
    assert outcome.posted == {"general": 2, "summary": 1}
    for f in (ADDED, ON_FILE):
        note = bodies(fake)[f.fingerprint]
        assert note["position"] is None and note["resolvable"]
        assert "**src/app.py** line" in note["body"]


def test_a_moved_merge_request_gets_file_threads_not_stale_lines() -> None:
    fake = FakeGitLab(DIFF)
    reviewed = fake.versions[0]["head_commit_sha"]
    fake.push()  # the author pushed while we reviewed
    with Running(fake) as api_url:
        outcome = publish(fake, api_url, publication((ADDED,)), head_sha=reviewed)
    assert fake.rejected == []
    assert outcome.posted == {"file": 1, "summary": 1}
    assert "moved on" in outcome.warnings[0]
    assert bodies(fake)[ADDED.fingerprint]["position"]["head_sha"] == fake.newest["head_sha"]
