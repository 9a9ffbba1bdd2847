"""A large real diff for benchmarks: two published Django releases from PyPI, diffed by git.

Downloaded once into bench/.cache (PyPI is the only network used, and only here).
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
PROJECT, OLD, NEW = "django", "5.0", "5.1"


def _sdist(version: str) -> Path:
    found = sorted(CACHE.glob(f"[Dd]jango-{version}.tar.gz"))
    if found:
        return found[0]
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--no-binary",
            ":all:",
            f"{PROJECT}=={version}",
            "-d",
            str(CACHE),
        ],
        check=True,
    )
    return sorted(CACHE.glob(f"[Dd]jango-{version}.tar.gz"))[0]


def _tree(version: str) -> Path:
    target = CACHE / f"{PROJECT}-{version}"
    if not target.is_dir():
        with tarfile.open(_sdist(version)) as tar:
            tar.extractall(CACHE / f"x-{version}", filter="data")
        next((CACHE / f"x-{version}").iterdir()).rename(target)
    return target


def big_diff() -> bytes:
    """`git diff --no-index` of the two release trees, paths relative to the project root."""
    out = CACHE / f"{PROJECT}-{OLD}-{NEW}.diff"
    if not out.exists():
        old, new = _tree(OLD), _tree(NEW)
        done = subprocess.run(
            [
                "git",
                "diff",
                "--no-index",
                "--no-color",
                "--find-renames",
                "--src-prefix=a/",
                "--dst-prefix=b/",
                old.name,
                new.name,
            ],
            cwd=CACHE,
            capture_output=True,
            check=False,
        )
        # Strip the release folder names so paths read as repo-relative.
        text = done.stdout.replace(f"a/{old.name}/".encode(), b"a/")
        out.write_bytes(text.replace(f"b/{new.name}/".encode(), b"b/"))
    return out.read_bytes()
