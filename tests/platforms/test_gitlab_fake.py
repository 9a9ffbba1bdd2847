"""The fake GitLab is only worth its passes if it rejects what GitLab rejects."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.platforms.fake_gitlab import LINE_CODE_ERROR, FakeGitLab, Running, parse_unified
from tests.platforms.test_gitlab_support import DIFF

FAKE = FakeGitLab(DIFF)


def pos(**fields: Any) -> dict[str, Any]:
    base = {"position_type": "text", **FAKE.newest, "old_path": "src/app.py",
            "new_path": "src/app.py"}
    return {**base, **fields}


@pytest.mark.parametrize("position", [
    pos(old_line=2, new_line=3),  # old_line on an added line
    pos(old_line=4),  # a context line without its new number
    pos(new_line=5),  # ... or without its old number
    pos(old_line=2, new_line=2),  # new_line on a removed line
    pos(new_line=3, head_sha="0" * 40),  # not the newest version's SHAs
    pos(new_line=99),  # not in the diff
    pos(old_path="src/new.py", new_path="src/new.py", old_line=0, new_line=1),  # added file
    pos(new_line=3, line_range={"start": {"line_code": "x_3_2", "type": "new"},
                                "end": {"line_code": "x_3_3", "type": "new"}}),
])
def test_wrong_positions_are_rejected_like_gitlab(position: dict[str, Any]) -> None:
    assert FAKE.position_error(position) == LINE_CODE_ERROR


def test_missing_paths_are_rejected() -> None:
    no_old = pos(new_line=3)
    del no_old["old_path"]
    assert FAKE.position_error(no_old) is not None


@pytest.mark.parametrize("position", [
    pos(new_line=3), pos(old_line=2), pos(old_line=4, new_line=5),
    pos(old_path="old/name.py", new_path="new/name.py", new_line=2),
    pos(old_path="gone.py", new_path="gone.py", old_line=1),
    pos(position_type="file"),
])
def test_right_positions_are_accepted(position: dict[str, Any]) -> None:
    assert FAKE.position_error(position) is None


def test_a_stale_version_is_rejected_after_a_push() -> None:
    fake = FakeGitLab(DIFF)
    old = {"position_type": "text", **fake.newest, "old_path": "src/app.py",
           "new_path": "src/app.py", "new_line": 3}
    fake.push()
    assert fake.position_error(old) == LINE_CODE_ERROR


def test_the_parser_counts_lines_like_gitlab() -> None:
    app = parse_unified(DIFF)[0]
    assert [(ln.kind, ln.old_pos, ln.new_pos) for ln in app.lines[:4]] == [
        (" ", 1, 1), ("-", 2, 2), ("+", 3, 2), ("+", 3, 3)]


def test_a_rejection_is_a_400_with_gitlabs_message() -> None:
    fake = FakeGitLab(DIFF)
    with Running(fake) as api_url:
        request = urllib.request.Request(  # noqa: S310 - 127.0.0.1 only
            f"{api_url}/projects/42/merge_requests/7/discussions", method="POST",
            data=json.dumps({"body": "x", "position": pos(old_line=2, new_line=3)}).encode(),
            headers={"PRIVATE-TOKEN": "glpat-bot", "Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=5)  # noqa: S310 - 127.0.0.1 only
    assert caught.value.code == 400
    assert "line_code=>[\"can't be blank\"" in json.loads(caught.value.read())["message"]
    assert fake.discussions == []
