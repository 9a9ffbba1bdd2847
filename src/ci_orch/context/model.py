"""Where a run happens and what it looks at."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ci_orch.errors import CiOrchError, ExitCode

Platform = Literal["github", "gitlab", "local"]


class NothingToReview(CiOrchError):
    """The event carries no change to review (a tag push, a closed PR, an issue comment...)."""

    exit_code = ExitCode.OK


@dataclass(frozen=True, slots=True)
class PipelineContext:
    platform: Platform
    event: str
    workspace: Path
    repo: str | None = None  # owner/name, group/project, or None locally
    number: int | None = None  # PR or MR number (GitLab: iid)
    base_sha: str | None = None
    head_sha: str | None = None
    # When there is no base SHA (a new branch, a manual run): diff from the merge base with this.
    base_ref: str | None = None
    actor: str | None = None
    is_fork: bool = False
    title: str = ""  # attacker-controlled: prompts treat it as data
    body: str = ""
    api_url: str | None = None
    project_id: str | None = None  # GitLab numeric id of the target project

    def trust_warnings(self) -> tuple[str, ...]:
        """What the run must say about sending this change to providers with its secrets."""
        if self.event != "pull_request_target":
            return ()
        return ("pull_request_target: the pull request's head code is untrusted and is being "
                "sent to the providers while this job holds the repository's secrets and a "
                "write token; trigger the review on `pull_request` unless you need this",)
