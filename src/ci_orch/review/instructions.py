"""The repository's own reviewer instructions, read from the BASE revision.

Read from the base, not the head: a pull request that edits the instructions file must not
get to steer its own review.
"""

from __future__ import annotations

from ci_orch.context.model import PipelineContext
from ci_orch.diff import git
from ci_orch.errors import GitError

DEFAULT_FILES = (".github/ai-review.md", ".gitlab/ai-review.md")


def load_instructions(context: PipelineContext, configured: str | None) -> str:
    if context.base_sha is None:
        return ""
    for path in (configured,) if configured else DEFAULT_FILES:
        try:
            raw = git.git(context.workspace, "show", f"{context.base_sha}:{path}")
        except GitError:
            continue
        return raw.decode("utf-8", errors="replace")
    return ""
