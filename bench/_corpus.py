"""Large real diffs for benchmarks: two published releases of a project from PyPI, diffed by git.

Downloaded once into bench/.cache (gitignored; PyPI is the only network used, and only here).
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"


@dataclass(frozen=True)
class Release:
    """Two versions of one PyPI project, old -> new."""

    project: str
    old: str
    new: str

    @property
    def name(self) -> str:
        return f"{self.project}-{self.old}-{self.new}"


DJANGO = Release("django", "5.0.9", "5.1.3")


def _sdist(project: str, version: str) -> Path:
    folder = CACHE / "sdist" / f"{project}-{version}"
    found = sorted(folder.glob("*.tar.gz"))
    if found:
        return found[0]
    folder.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
    subprocess.run([*pip, f"{project}=={version}", "-d", str(folder)], check=True)
    return sorted(folder.glob("*.tar.gz"))[0]


def _tree(project: str, version: str) -> Path:
    target = CACHE / "trees" / f"{project}-{version}"
    if not target.is_dir():
        scratch = CACHE / "trees" / f"x-{project}-{version}"
        with tarfile.open(_sdist(project, version)) as tar:
            tar.extractall(scratch, filter="data")
        next(scratch.iterdir()).rename(target)
        scratch.rmdir()
    return target


def release_diff(release: Release, *, tag: bool = False) -> bytes:
    """`git diff --no-index` of the two release trees, paths relative to the project root
    (under a folder named after the release with `tag`, so several diffs can be concatenated)."""
    out = CACHE / f"{release.name}{'-tagged' if tag else ''}.diff"
    if not out.exists():
        old, new = _tree(release.project, release.old), _tree(release.project, release.new)
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
            cwd=old.parent,
            capture_output=True,
            check=False,
        )
        # Strip the release folder names so paths read as repo-relative.
        folder = f"{release.name}/" if tag else ""
        text = done.stdout.replace(f"a/{old.name}/".encode(), f"a/{folder}".encode())
        out.write_bytes(text.replace(f"b/{new.name}/".encode(), f"b/{folder}".encode()))
    return out.read_bytes()


def big_diff() -> bytes:
    """Django 5.0.9 -> 5.1.3: 966 files, ~25,000 added lines, 2.8 MB."""
    return release_diff(DJANGO)


def diff_path(release: Release = DJANGO) -> Path:
    release_diff(release)
    return CACHE / f"{release.name}.diff"


# Seven consecutive Django releases: real diffs of real code, ~50 MB together.
SCALE_RELEASES = (
    Release("django", "3.0.14", "3.1.14"),
    Release("django", "3.1.14", "3.2.25"),
    Release("django", "3.2.25", "4.0.10"),
    Release("django", "4.0.10", "4.1.13"),
    Release("django", "4.1.13", "4.2.16"),
    Release("django", "4.2.16", "5.0.9"),
    Release("django", "5.0.9", "5.1.3"),
)


def scale_diff_path(megabytes: float = 50.0) -> Path:
    """The release diffs above, concatenated up to `megabytes` (cut at a file boundary;
    repeated under other folder names if they are not enough)."""
    out = CACHE / f"scale-{megabytes:g}mb.diff"
    if out.exists():
        return out
    limit, size, rounds = int(megabytes * 1e6), 0, 0
    with out.open("wb") as sink:
        while size < limit:
            for release in SCALE_RELEASES:
                part = release_diff(release, tag=True)
                if rounds:
                    part = _retag(part, f"{release.name}/", f"{release.name}-{rounds}/")
                if size + len(part) > limit:
                    part = part[: part.rfind(b"\ndiff --git ", 0, limit - size) + 1]
                sink.write(part)
                size += len(part)
                if size >= limit or not part:
                    return out
            rounds += 1
    return out


def _retag(text: bytes, old: str, new: str) -> bytes:
    text = text.replace(f" a/{old}".encode(), f" a/{new}".encode())
    return text.replace(f" b/{old}".encode(), f" b/{new}".encode())
