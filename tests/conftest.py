"""Shared fixtures: real temporary git repositories and the shared contracts folder."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT.parent / "shared" / "contracts"


def skip_or_fail(reason: str) -> None:
    """Skip a test whose prerequisite is missing; under CI (CI=true) that is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and a test prerequisite is missing: {reason}")
    pytest.skip(reason)


def require_contracts() -> Path:
    """The shared contracts folder; missing = skip here, and .ci/run makes that an error."""
    if not CONTRACTS.is_dir():
        skip_or_fail(
            f"{CONTRACTS} not found: place the project's shared/ folder beside the checkout "
            "(see shared/contracts/README.md for where each file comes from)"
        )
    return CONTRACTS


class GitRepo:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.email", "test@example.com")
        self.git("config", "user.name", "Test")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str) -> str:
        env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1"}
        done = subprocess.run(
            ["git", *args], cwd=self.path, capture_output=True, check=True, env=env
        )
        return done.stdout.decode()

    def write(self, rel: str, content: str | bytes) -> Path:
        path = self.path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        return path

    def commit(self, message: str = "change") -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "repo")


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[[str], GitRepo]:
    def make(name: str) -> GitRepo:
        return GitRepo(tmp_path / name)

    return make
