"""GitLab CI: predefined CI_* variables.

See https://docs.gitlab.com/ee/ci/variables/predefined_variables.html (the merge-request
variables are set only in merge-request pipelines).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from ci_orch.context.model import NothingToReview, PipelineContext

_ZERO = "0" * 40


def gitlab_context(env: Mapping[str, str]) -> PipelineContext:
    source = env.get("CI_PIPELINE_SOURCE", "")
    base = PipelineContext(
        platform="gitlab",
        event=source,
        workspace=Path(env.get("CI_PROJECT_DIR") or "."),
        repo=env.get("CI_PROJECT_PATH"),
        actor=env.get("GITLAB_USER_LOGIN"),
        api_url=env.get("CI_API_V4_URL"),
        project_id=env.get("CI_MERGE_REQUEST_PROJECT_ID") or env.get("CI_PROJECT_ID"),
    )
    if source == "merge_request_event" or env.get("CI_MERGE_REQUEST_IID"):
        source_project = env.get("CI_MERGE_REQUEST_SOURCE_PROJECT_ID")
        return replace(
            base,
            number=int(env["CI_MERGE_REQUEST_IID"]),
            base_sha=env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA"),
            # Merged-results pipelines: CI_COMMIT_SHA is the merge commit; this is the source head.
            head_sha=env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA") or env.get("CI_COMMIT_SHA"),
            is_fork=bool(
                source_project and source_project != env.get("CI_MERGE_REQUEST_PROJECT_ID")
            ),
            title=env.get("CI_MERGE_REQUEST_TITLE", ""),
            body=env.get("CI_MERGE_REQUEST_DESCRIPTION", ""),
        )
    if source == "schedule":
        raise NothingToReview(
            "nothing to review in a scheduled pipeline (the nightly evaluation runs `ci-orch eval`)"
        )
    if env.get("CI_COMMIT_TAG"):
        raise NothingToReview(f"nothing to review: tag pipeline for {env['CI_COMMIT_TAG']}")
    before = env.get("CI_COMMIT_BEFORE_SHA")
    default = env.get("CI_DEFAULT_BRANCH", "main")
    return replace(
        base,
        head_sha=env.get("CI_COMMIT_SHA"),
        base_sha=before if before and before != _ZERO else None,
        base_ref=None if before and before != _ZERO else f"origin/{default}",
    )
