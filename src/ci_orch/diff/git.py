"""The few git commands we need, with failures translated into GitError."""

from __future__ import annotations

import subprocess  # noqa: S404 - git is run with fixed argument lists, never a shell
from pathlib import Path

from ci_orch.errors import GitError

_DEFAULT_BRANCH_GUESSES = ("origin/HEAD", "origin/main", "origin/master", "main", "master")


def git(repo: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(  # noqa: S603
            ["git", "-c", "core.quotepath=off", *args],  # noqa: S607
            cwd=repo,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        first = err[-1] if err else f"exit {done.returncode}"
        raise GitError(f"git {' '.join(args[:2])} failed in {repo}: {first}")
    return done.stdout


def repo_root(path: Path) -> Path:
    return Path(git(path, "rev-parse", "--show-toplevel").decode().strip())


def resolve(repo: Path, ref: str) -> str:
    try:
        return git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()
    except GitError:
        raise GitError(
            f"unknown git ref {ref!r} in {repo}; fetch it first (actions/checkout needs "
            "fetch-depth: 0, GitLab needs GIT_DEPTH: 0) or pass an existing --base/--head"
        ) from None


def default_branch(repo: Path) -> str:
    for ref in _DEFAULT_BRANCH_GUESSES:
        try:
            resolve(repo, ref)
        except GitError:
            continue
        return ref
    raise GitError(f"cannot find the default branch in {repo}; pass --base REF")


def merge_base(repo: Path, a: str, b: str) -> str:
    try:
        return git(repo, "merge-base", a, b).decode().strip()
    except GitError:
        raise GitError(f"{a} and {b} share no history in {repo}; pass --base explicitly") from None


def diff(repo: Path, base: str, head: str, *, context: int = 3) -> bytes:
    """`git diff base head` with rename detection and no user diff drivers or colours."""
    return git(
        repo,
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--find-renames",
        "--submodule=short",
        f"--unified={context}",
        base,
        head,
        "--",
    )
