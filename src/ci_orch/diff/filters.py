"""Which files are reviewed, and why the others are skipped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ci_orch.diff.globs import matches_any
from ci_orch.diff.model import Diff, FileChange


class PathFilter(Protocol):
    """What `review.paths` in the config says; described here so the diff layer, which the
    config layer reads git through, depends on no config module."""

    @property
    def include(self) -> tuple[str, ...]: ...

    @property
    def exclude(self) -> tuple[str, ...]: ...

    @property
    def default_filters(self) -> bool: ...

# Files no reviewer reads line by line. Each entry: (reason, globs).
DEFAULT_SKIPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "lockfile",
        (
            "package-lock.json",
            "npm-shrinkwrap.json",
            "yarn.lock",
            "pnpm-lock.yaml",
            "bun.lockb",
            "poetry.lock",
            "Pipfile.lock",
            "uv.lock",
            "pdm.lock",
            "Cargo.lock",
            "go.sum",
            "composer.lock",
            "Gemfile.lock",
            "Podfile.lock",
            "packages.lock.json",
            "mix.lock",
            "pubspec.lock",
            "flake.lock",
            "*.lock",
        ),
    ),
    ("minified", ("*.min.js", "*.min.css", "*.min.mjs", "*.js.map", "*.css.map", "*.bundle.js")),
    (
        "generated",
        (
            "*_pb2.py",
            "*_pb2.pyi",
            "*_pb2_grpc.py",
            "*.pb.go",
            "*.pb.cc",
            "*.pb.h",
            "*.g.dart",
            "*.generated.*",
            "*.gen.go",
            "*_generated.go",
            "**/__snapshots__/**",
            "*.snap",
        ),
    ),
    (
        "vendored",
        (
            "vendor/**",
            "**/vendor/**",
            "node_modules/**",
            "**/node_modules/**",
            "third_party/**",
            "**/third_party/**",
            "**/site-packages/**",
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class Selection:
    files: tuple[FileChange, ...]
    skipped: tuple[Skipped, ...]


def skip_reason(file: FileChange, paths: PathFilter) -> str | None:
    """Why `file` is not reviewed, or None when it is."""
    if file.binary:
        return "binary"
    if file.submodule:
        return "submodule"
    if file.status == "deleted":
        return "deleted"
    if not matches_any(file.path, paths.include):
        return "not-included"
    if matches_any(file.path, paths.exclude):
        return "excluded-by-config"
    if paths.default_filters:
        for reason, globs in DEFAULT_SKIPS:
            if matches_any(file.path, globs):
                return reason
    if not file.added_count:
        return "no-added-lines"
    return None


def select_files(diff: Diff, paths: PathFilter) -> Selection:
    kept: list[FileChange] = []
    skipped: list[Skipped] = []
    for file in diff.files:
        reason = skip_reason(file, paths)
        if reason is None:
            kept.append(file)
        else:
            skipped.append(Skipped(file.path, reason))
    return Selection(tuple(kept), tuple(skipped))
