"""Which CI are we in? Decided from the environment alone."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ci_orch.context.github import github_context
from ci_orch.context.gitlab import gitlab_context
from ci_orch.context.local import local_context
from ci_orch.context.model import PipelineContext, Platform


def detect_platform(env: Mapping[str, str]) -> Platform:
    if env.get("GITHUB_ACTIONS") == "true":
        return "github"
    if env.get("GITLAB_CI") == "true":
        return "gitlab"
    return "local"


def detect_context(env: Mapping[str, str], workspace: Path) -> PipelineContext:
    """The context of this run; raises NothingToReview for events that carry no change."""
    platform = detect_platform(env)
    if platform == "github":
        return github_context(env)
    if platform == "gitlab":
        return gitlab_context(env)
    return local_context(workspace)
