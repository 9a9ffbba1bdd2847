"""The head revision as git sees it: `git apply --check` against it, and its files' text.

Patches are checked with `git apply --check --cached` against a throwaway index holding the
head tree (GIT_INDEX_FILE; git-apply(1) "--cached" and git(1) "GIT_INDEX_FILE"), so the check
neither needs nor touches a checkout: a dirty or different working tree cannot change the
answer, and nothing in the workspace is written.
"""

from __future__ import annotations

import os
import subprocess  # noqa: S404 - git with fixed argument lists, never a shell
import tempfile
from pathlib import Path
from types import TracebackType

from ci_orch.diff import git
from ci_orch.errors import GitError
from ci_orch.generate.patches import Patch

ERROR_CHARS = 1500  # git's error text goes back to the model on the retry


class HeadTree:
    """Use as a context manager: `with HeadTree(root, sha) as tree: tree.check(patch)`."""

    def __init__(self, root: Path, sha: str) -> None:
        self.root = root
        self.sha = sha
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._index = ""

    def __enter__(self) -> HeadTree:
        self._tmp = tempfile.TemporaryDirectory(prefix="ci-orch-generate-")
        self._index = str(Path(self._tmp.name) / "index")
        self._git("read-tree", self.sha)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def check(self, patch: Patch) -> str | None:
        """None when the patch applies to the head tree, else git's reason."""
        done = self._git(
            "apply", "--check", "--cached", "--verbose", f"-p{patch.strip}", "-",
            stdin=patch.text.encode("utf-8"), check=False,
        )
        if done.returncode == 0:
            return None
        err = done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}"
        lines = [ln for ln in err.splitlines() if not ln.startswith("Checking patch")]
        return "\n".join(lines)[:ERROR_CHARS] or err[:ERROR_CHARS]

    def show(self, path: str) -> str | None:
        """The file's text at head, or None when it is not a file there."""
        try:
            return git.git(self.root, "show", f"{self.sha}:{path}").decode("utf-8", "replace")
        except GitError:
            return None

    def files_under(self, path: str) -> list[str]:
        out = git.git(self.root, "ls-tree", "-r", "--name-only", self.sha, "--", path)
        return [p for p in out.decode("utf-8", "replace").splitlines() if p]

    def _git(
        self, *args: str, stdin: bytes | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[bytes]:
        env = {**os.environ, "GIT_INDEX_FILE": self._index}
        try:
            done = subprocess.run(  # noqa: S603
                ["git", "-c", "core.quotepath=off", *args],  # noqa: S607
                cwd=self.root, input=stdin, capture_output=True, check=False, env=env,
            )
        except FileNotFoundError:
            raise GitError("git is not installed or not on PATH") from None
        if check and done.returncode != 0:
            err = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"git {args[0]} failed in {self.root}: {err[-1] if err else ''}")
        return done
