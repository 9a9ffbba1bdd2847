"""Context + diff: from a diff file, from explicit refs, or from the CI event."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from ci_orch.context.detect import detect_context
from ci_orch.context.local import local_context
from ci_orch.context.model import NothingToReview, PipelineContext
from ci_orch.diff import git
from ci_orch.diff.model import Diff
from ci_orch.diff.parse import parse_diff
from ci_orch.errors import UsageError


@dataclass(frozen=True, slots=True)
class Changes:
    context: PipelineContext  # base_sha / head_sha resolved when the diff came from git
    diff: Diff
    source: str  # where the diff came from, for reports


def load_changes(
    diff_file: Path | None = None,
    base: str | None = None,
    head: str | None = None,
    *,
    repo: Path | None = None,
    env: Mapping[str, str] | None = None,
    context_lines: int = 3,
) -> Changes:
    env = os.environ if env is None else env
    workspace = repo or Path.cwd()
    if diff_file is not None:
        if base or head:
            raise UsageError(
                "--diff-file cannot be combined with --base/--head; pass one or the other"
            )
        return Changes(
            _context_or_local(env, workspace), _read_diff(diff_file), f"file {diff_file}"
        )
    if base or head:
        context = replace(
            _context_or_local(env, workspace),
            base_sha=base,
            head_sha=head or "HEAD",
            base_ref=None if base else "default-branch",
        )
    else:
        context = detect_context(env, workspace)
    if repo is None and context.workspace.is_dir():
        workspace = context.workspace
    return _from_git(context, workspace, context_lines)


def _context_or_local(env: Mapping[str, str], workspace: Path) -> PipelineContext:
    """The CI context when there is one (for publishing), else a local one."""
    try:
        return detect_context(env, workspace)
    except NothingToReview:
        return local_context(workspace)


def _read_diff(path: Path) -> Diff:
    if str(path) == "-":
        return parse_diff(sys.stdin.buffer.read(), source="<stdin>")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the diff file: {exc.strerror}") from None
    return parse_diff(raw, source=str(path))


def _from_git(context: PipelineContext, workspace: Path, context_lines: int) -> Changes:
    root = git.repo_root(workspace)
    head = git.resolve(root, context.head_sha or "HEAD")
    if context.base_sha:
        # Three-dot semantics, as the platforms show a PR: changes since the merge base.
        base = git.merge_base(root, git.resolve(root, context.base_sha), head)
    else:
        ref = context.base_ref
        if ref is None or ref == "default-branch":
            ref = git.default_branch(root)
        base = git.merge_base(root, git.resolve(root, ref), head)
    raw = git.diff(root, base, head, context=context_lines)
    diff = parse_diff(raw, source=f"git diff {base[:12]}..{head[:12]}")
    resolved = replace(context, workspace=root, base_sha=base, head_sha=head)
    return Changes(resolved, diff, f"git {base[:12]}..{head[:12]}")
