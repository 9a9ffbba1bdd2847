"""Changes: unified diffs parsed into files, hunks and lines, and filtered for review."""

from ci_orch.diff.filters import Selection, Skipped, select_files
from ci_orch.diff.model import Diff, DiffLineMap, FileChange, Hunk, Line, Side
from ci_orch.diff.parse import parse_diff

__all__ = [
    "Diff",
    "DiffLineMap",
    "FileChange",
    "Hunk",
    "Line",
    "Selection",
    "Side",
    "Skipped",
    "parse_diff",
    "select_files",
]
