"""A laptop or any CI we do not know: a git repository and explicit or default refs."""

from __future__ import annotations

from pathlib import Path

from ci_orch.context.model import PipelineContext


def local_context(
    workspace: Path, base: str | None = None, head: str | None = None
) -> PipelineContext:
    """Default base: the merge base of HEAD with the default branch (resolved in changes.py)."""
    return PipelineContext(
        platform="local",
        event="local",
        workspace=workspace,
        base_sha=base,
        head_sha=head or "HEAD",
        base_ref=None if base else "default-branch",
    )
