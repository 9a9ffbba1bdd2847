"""Pipeline context from every GitHub webhook example, GitLab CI variables and local git."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ci_orch.context import NothingToReview, PipelineContext, detect_context, load_changes
from ci_orch.errors import GitError, UsageError
from tests.conftest import GitRepo, require_contracts

REVIEWED = {"pull_request", "pull_request_target", "push", "merge_group", "workflow_dispatch"}


def _examples() -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    data = json.loads((require_contracts() / "github" / "webhook-examples.json").read_text())
    return [(e["name"], ex) for e in data for ex in e["examples"]]


def github_env(tmp_path: Path, event: str, payload: dict) -> dict[str, str]:  # type: ignore[type-arg]
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(path),
        "GITHUB_SHA": "f" * 40,
        "GITHUB_WORKSPACE": str(tmp_path),
        "GITHUB_REPOSITORY": "o/r",
    }


def test_every_webhook_example_yields_a_context_or_a_clear_message(tmp_path: Path) -> None:
    seen = {"context": 0, "nothing": 0}
    for name, payload in _examples():
        env = github_env(tmp_path, name, payload)
        try:
            ctx = detect_context(env, tmp_path)
        except NothingToReview as exc:
            assert "nothing to review" in str(exc)
            seen["nothing"] += 1
            continue
        assert name in REVIEWED
        assert ctx.platform == "github" and ctx.head_sha
        assert ctx.base_sha or ctx.base_ref
        seen["context"] += 1
    assert seen["context"] >= 20 and seen["nothing"] >= 200


def test_pull_request_uses_head_sha_not_the_merge_commit(tmp_path: Path) -> None:
    payload = next(p for n, p in _examples() if n == "pull_request" and p["action"] == "opened")
    ctx = detect_context(github_env(tmp_path, "pull_request", payload), tmp_path)
    assert ctx.head_sha == payload["pull_request"]["head"]["sha"] != "f" * 40
    assert ctx.number == payload["number"]
    assert not ctx.is_fork


def test_fork_detected(tmp_path: Path) -> None:
    payload = next(p for n, p in _examples() if n == "pull_request" and p["action"] == "opened")
    payload = json.loads(json.dumps(payload))
    payload["pull_request"]["head"]["repo"]["full_name"] = "stranger/fork"
    assert detect_context(github_env(tmp_path, "pull_request_target", payload), tmp_path).is_fork


def test_closed_pr_and_tag_push_have_nothing_to_review(tmp_path: Path) -> None:
    closed = next(p for n, p in _examples() if n == "pull_request" and p["action"] == "closed")
    with pytest.raises(NothingToReview, match="is closed"):
        detect_context(github_env(tmp_path, "pull_request", closed), tmp_path)
    tag = next(p for n, p in _examples() if n == "push" and p["ref"].startswith("refs/tags"))
    with pytest.raises(NothingToReview, match="not a branch"):
        detect_context(github_env(tmp_path, "push", tag), tmp_path)


def test_new_branch_push_compares_with_default_branch(tmp_path: Path) -> None:
    push = next(p for n, p in _examples() if n == "push" and p["ref"] == "refs/heads/master")
    ctx = detect_context(github_env(tmp_path, "push", push), tmp_path)
    assert ctx.base_sha is None and ctx.base_ref == "origin/master"


def test_unreadable_event_file_is_a_usage_error(tmp_path: Path) -> None:
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": str(tmp_path / "missing.json"),
    }
    with pytest.raises(UsageError, match="missing.json"):
        detect_context(env, tmp_path)


GITLAB_MR = {
    "GITLAB_CI": "true",
    "CI_PIPELINE_SOURCE": "merge_request_event",
    "CI_MERGE_REQUEST_IID": "7",
    "CI_MERGE_REQUEST_PROJECT_ID": "42",
    "CI_MERGE_REQUEST_SOURCE_PROJECT_ID": "42",
    "CI_MERGE_REQUEST_DIFF_BASE_SHA": "a" * 40,
    "CI_COMMIT_SHA": "b" * 40,
    "CI_PROJECT_PATH": "g/p",
    "CI_API_V4_URL": "https://gitlab.example/api/v4",
    "CI_MERGE_REQUEST_TITLE": "Add x",
}


def test_gitlab_merge_request(tmp_path: Path) -> None:
    ctx = detect_context(GITLAB_MR, tmp_path)
    assert (ctx.platform, ctx.number, ctx.base_sha, ctx.head_sha) == (
        "gitlab",
        7,
        "a" * 40,
        "b" * 40,
    )
    assert ctx.project_id == "42" and not ctx.is_fork and ctx.title == "Add x"
    merged = {
        **GITLAB_MR,
        "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": "c" * 40,
        "CI_MERGE_REQUEST_SOURCE_PROJECT_ID": "99",
    }
    ctx = detect_context(merged, tmp_path)
    assert ctx.head_sha == "c" * 40 and ctx.is_fork


def test_gitlab_schedule_and_tag_have_nothing_to_review(tmp_path: Path) -> None:
    with pytest.raises(NothingToReview, match="scheduled"):
        detect_context({"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "schedule"}, tmp_path)
    with pytest.raises(NothingToReview, match="tag"):
        detect_context(
            {"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_TAG": "v1"}, tmp_path
        )


def test_local_default_base_is_merge_base_with_default_branch(git_repo: GitRepo) -> None:
    git_repo.write("a.py", "x = 1\n")
    base = git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.write("a.py", "x = 1\ny = 2\n")
    head = git_repo.commit("feature")
    changes = load_changes(repo=git_repo.path, env={})
    ctx: PipelineContext = changes.context
    assert (ctx.platform, ctx.base_sha, ctx.head_sha) == ("local", base, head)
    assert [ln.text for ln in changes.diff.files[0].added_lines()] == ["y = 2"]


def test_github_pr_context_diffs_the_checkout(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("a.py", "x = 1\n")
    base = git_repo.commit("base")
    git_repo.write("a.py", "x = 2\n")
    head = git_repo.commit("pr")
    payload = {
        "action": "synchronize",
        "number": 3,
        "pull_request": {"number": 3, "title": "t", "head": {"sha": head}, "base": {"sha": base}},
    }
    env = github_env(tmp_path, "pull_request", payload)
    env["GITHUB_WORKSPACE"] = str(git_repo.path)
    changes = load_changes(env=env)
    assert changes.context.number == 3 and changes.diff.added_lines_total == 1


def test_shallow_clone_missing_base_says_how_to_fix(git_repo: GitRepo) -> None:
    git_repo.write("a", "1\n")
    git_repo.commit()
    with pytest.raises(GitError, match="fetch-depth: 0"):
        load_changes(base="0123456789abcdef0123456789abcdef01234567", repo=git_repo.path, env={})


def test_diff_file_and_refs_are_exclusive(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot be combined"):
        load_changes(tmp_path / "x.diff", base="HEAD", env={})


@pytest.mark.parametrize(
    ("event", "payload", "field"),
    [
        ("pull_request", {}, "pull_request.number"),
        ("pull_request_target", {"pull_request": {"number": 3}}, "pull_request.head.sha"),
        ("push", {"ref": "refs/heads/main", "before": "a" * 40}, "after"),
        ("merge_group", {"merge_group": {"head_sha": "b" * 40}}, "merge_group.base_sha"),
        ("merge_group", {}, "merge_group.base_sha"),
    ],
)
def test_incomplete_event_payload_is_a_usage_error_naming_the_field(
    tmp_path: Path, event: str, payload: dict, field: str  # type: ignore[type-arg]
) -> None:
    with pytest.raises(UsageError) as caught:
        detect_context(github_env(tmp_path, event, payload), tmp_path)
    assert f"'{event}'" in str(caught.value) and f"has no {field}:" in str(caught.value)


def test_pull_request_number_that_is_not_a_number_is_a_usage_error(tmp_path: Path) -> None:
    pr = {"number": "abc", "head": {"sha": "b" * 40}, "base": {"sha": "a" * 40}}
    with pytest.raises(UsageError, match="pull_request.number 'abc', not a number"):
        detect_context(github_env(tmp_path, "pull_request", {"pull_request": pr}), tmp_path)
