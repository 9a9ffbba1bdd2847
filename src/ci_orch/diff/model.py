"""The parsed change: files, hunks and lines, and the map of where comments may go."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

LineKind = Literal["added", "removed", "context"]
FileStatus = Literal["added", "deleted", "modified", "renamed", "copied"]
# GitHub's names for the two sides of a diff; GitLab uses new_line/old_line for the same thing.
Side = Literal["RIGHT", "LEFT"]


@dataclass(frozen=True, slots=True)
class Line:
    kind: LineKind
    old_no: int | None
    new_no: int | None
    text: str  # without the line terminator


@dataclass(frozen=True, slots=True)
class Hunk:
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    section: str
    lines: tuple[Line, ...]

    @property
    def header(self) -> str:
        tail = f" {self.section}" if self.section else ""
        return f"@@ -{self.old_start},{self.old_len} +{self.new_start},{self.new_len} @@{tail}"


@dataclass(frozen=True, slots=True)
class FileChange:
    path: str  # repo-relative; the new path, or the old one for a deleted file
    old_path: str | None
    status: FileStatus
    hunks: tuple[Hunk, ...] = ()
    binary: bool = False
    submodule: bool = False
    old_mode: str | None = None
    new_mode: str | None = None
    crlf: bool = False
    missing_final_newline: bool = False  # on the new side

    @property
    def mode_only(self) -> bool:
        return not self.hunks and self.old_mode != self.new_mode and self.status == "modified"

    def added_lines(self) -> Iterator[Line]:
        for hunk in self.hunks:
            for line in hunk.lines:
                if line.kind == "added":
                    yield line

    @property
    def added_count(self) -> int:
        # One generator, not one fed by another: the planner counts every line of a diff.
        return sum(1 for hunk in self.hunks for line in hunk.lines if line.kind == "added")


@dataclass(frozen=True, slots=True)
class Diff:
    files: tuple[FileChange, ...]
    _index: dict[str, FileChange] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {f.path: f for f in self.files})

    def file(self, path: str) -> FileChange | None:
        return self._index.get(path)

    @property
    def added_lines_total(self) -> int:
        return sum(f.added_count for f in self.files)

    def line_map(self) -> DiffLineMap:
        return DiffLineMap.from_diff(self)


@dataclass(frozen=True, slots=True)
class DiffLineMap:
    """Which (path, line, side) are in the diff, and which hunk each belongs to.

    Review platforms accept inline comments only on these lines (GitHub answers 422 for the
    whole review otherwise), and a multi-line comment must stay inside one hunk.
    """

    _hunk_of: dict[tuple[str, Side, int], int]

    @classmethod
    def from_diff(cls, diff: Diff) -> DiffLineMap:
        hunk_of: dict[tuple[str, Side, int], int] = {}
        for file in diff.files:
            for index, hunk in enumerate(file.hunks):
                for line in hunk.lines:
                    if line.new_no is not None:
                        hunk_of[(file.path, "RIGHT", line.new_no)] = index
                    if line.old_no is not None:
                        hunk_of[(file.path, "LEFT", line.old_no)] = index
        return cls(hunk_of)

    def contains(self, path: str, line: int, side: Side = "RIGHT") -> bool:
        return (path, side, line) in self._hunk_of

    def same_hunk(self, path: str, start: int, end: int, side: Side = "RIGHT") -> bool:
        first = self._hunk_of.get((path, side, start))
        return first is not None and first == self._hunk_of.get((path, side, end))

    def __len__(self) -> int:
        return len(self._hunk_of)
