"""GitHub Actions: the event payload at GITHUB_EVENT_PATH plus GITHUB_* variables."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from ci_orch.context.model import NothingToReview, PipelineContext
from ci_orch.errors import UsageError

_PR_EVENTS = ("pull_request", "pull_request_target")
_ZERO = "0" * 40
_REVIEWED = "pull_request, pull_request_target, push, merge_group and workflow_dispatch"


def github_context(env: Mapping[str, str]) -> PipelineContext:
    event = env.get("GITHUB_EVENT_NAME", "")
    payload = _payload(env)
    base = PipelineContext(
        platform="github",
        event=event,
        workspace=Path(env.get("GITHUB_WORKSPACE") or "."),
        repo=env.get("GITHUB_REPOSITORY") or _get(payload, "repository", "full_name"),
        actor=env.get("GITHUB_ACTOR") or _get(payload, "sender", "login"),
        api_url=env.get("GITHUB_API_URL", "https://api.github.com"),
    )
    return context_from_event(event, payload, base, head_fallback=env.get("GITHUB_SHA"))


def context_from_event(
    event: str, payload: Mapping[str, Any], base: PipelineContext, *, head_fallback: str | None
) -> PipelineContext:
    if event in _PR_EVENTS:
        return replace(base, **_pull_request(payload, event))
    if event == "push":
        return replace(base, **_push(payload))
    if event == "merge_group":
        return replace(
            base,
            base_sha=_need(payload, event, "merge_group", "base_sha"),
            head_sha=_need(payload, event, "merge_group", "head_sha"),
        )
    if event == "workflow_dispatch":
        default = _get(payload, "repository", "default_branch") or "main"
        return replace(base, head_sha=head_fallback, base_ref=f"origin/{default}")
    raise NothingToReview(
        f"nothing to review for GitHub event '{event or 'unknown'}': ci-orch reviews {_REVIEWED} "
        "events (the nightly evaluation runs with `ci-orch eval`)"
    )


def _pull_request(payload: Mapping[str, Any], event: str) -> dict[str, Any]:
    number = _number(_need(payload, event, "pull_request", "number"), event)
    pr = payload["pull_request"]
    if payload.get("action") == "closed":
        raise NothingToReview(f"nothing to review: pull request #{number} is closed")
    head_repo = _get(pr, "head", "repo", "full_name")
    base_repo = _get(pr, "base", "repo", "full_name")
    return {
        "number": number,
        # pull_request.head.sha, never GITHUB_SHA: that is the test merge commit.
        "head_sha": _need(payload, event, "pull_request", "head", "sha"),
        "base_sha": _need(payload, event, "pull_request", "base", "sha"),
        "is_fork": bool(head_repo and base_repo and head_repo != base_repo),
        "title": pr.get("title") or "",
        "body": pr.get("body") or "",
        "actor": _get(pr, "user", "login"),
    }


def _push(payload: Mapping[str, Any]) -> dict[str, Any]:
    ref = str(payload.get("ref", ""))
    if not ref.startswith("refs/heads/"):
        raise NothingToReview(
            f"nothing to review: push of {ref or 'an unknown ref'} (not a branch)"
        )
    if payload.get("deleted") or payload.get("after") == _ZERO:
        raise NothingToReview(f"nothing to review: branch {ref} was deleted")
    after = _need(payload, "push", "after")
    before = payload.get("before")
    if not before or before == _ZERO:  # a new branch: compare with the default branch
        default = _get(payload, "repository", "default_branch") or "main"
        return {"head_sha": after, "base_ref": f"origin/{default}"}
    return {"head_sha": after, "base_sha": before}


def _need(payload: Mapping[str, Any], event: str, *keys: str) -> str:
    """A field the event must carry, as a non-empty string; UsageError naming it if absent."""
    value = _get(payload, *keys)
    if value is None or value == "" or isinstance(value, Mapping | list):
        raise UsageError(
            f"the GitHub '{event}' event payload (GITHUB_EVENT_PATH) has no {'.'.join(keys)}: "
            "run ci-orch from a workflow triggered by that event, or pass --base/--head"
        )
    return str(value)


def _number(raw: str, event: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise UsageError(
            f"the GitHub '{event}' event payload (GITHUB_EVENT_PATH) has pull_request.number "
            f"{raw[:20]!r}, not a number"
        ) from None


def _payload(env: Mapping[str, str]) -> dict[str, Any]:
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"{path}: cannot read the GitHub event payload (GITHUB_EVENT_PATH): {exc}"
        ) from None
    return data if isinstance(data, dict) else {}


def _get(data: Mapping[str, Any] | None, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data
