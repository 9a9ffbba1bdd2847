"""The Docker action's workspace: trust it for git, and hand our files back to its owner.

GitHub runs Docker actions as root with the runner's checkout mounted at
`/github/workspace` (https://docs.github.com/en/actions/creating-actions/
dockerfile-support-for-github-actions). git refuses a repository owned by another user
("detected dubious ownership", git 2.35.2+), hence `safe.directory`. Files we create there
would stay root-owned and break later steps and the next checkout's clean-up, hence the
chown back to the workspace owner at the end.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)


def mark_safe(workspace: Path) -> str | None:
    """Add the workspace to git's global safe.directory; returns a warning on failure."""
    git = shutil.which("git")
    if git is None:
        return "git is not installed: ci-orch needs it to read the change"
    target = str(workspace.resolve())
    listed = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [git, "config", "--global", "--get-all", "safe.directory"],
        capture_output=True, text=True, check=False,
    )
    if target in listed.stdout.splitlines():
        return None
    added = subprocess.run(  # noqa: S603
        [git, "config", "--global", "--add", "safe.directory", target],
        capture_output=True, text=True, check=False,
    )
    if added.returncode != 0:
        return f"could not mark {target} as a safe git directory: {added.stderr.strip()}"
    return None


def entries(workspace: Path) -> set[str]:
    try:
        return {p.name for p in workspace.iterdir()}
    except OSError:
        return set()


def give_back(workspace: Path, before: set[str], also: Iterable[Path] = ()) -> int:
    """chown what we created in the workspace to its owner; returns how many paths.

    Only as root and only when the workspace belongs to someone else. "What we created":
    top-level entries that were not there before, plus `also` (the report directory and
    the ledger directory, which may predate this run but hold files written now).
    """
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return 0
    owner = workspace.stat()
    if owner.st_uid == 0:
        return 0
    roots = [workspace / name for name in sorted(entries(workspace) - before)]
    roots += [p for p in also if p.exists() and _inside(p, workspace)]
    changed = 0
    for root in dict.fromkeys(roots):
        changed += _chown_tree(root, owner.st_uid, owner.st_gid)
    return changed


def _inside(path: Path, workspace: Path) -> bool:
    return path.resolve().is_relative_to(workspace.resolve())


def _chown_tree(root: Path, uid: int, gid: int) -> int:
    changed = 0
    paths = [root]
    if root.is_dir() and not root.is_symlink():
        for parent, dirs, files in os.walk(root):
            paths += [Path(parent, name) for name in (*dirs, *files)]
    for path in paths:
        try:
            os.lchown(path, uid, gid)
            changed += 1
        except OSError as exc:  # a file another process removed; keep going
            log.warning("could not hand %s back to the workspace owner: %s", path, exc)
    return changed
