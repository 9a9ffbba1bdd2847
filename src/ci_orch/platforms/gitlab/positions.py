"""GitLab diff positions: where on a merge request's diff a discussion goes.

GitLab finds a text position's line by exact match on (old_line, new_line), where an added
line has only `new_line`, a removed line only `old_line` and a context line both; anything
else is answered 400 "line_code can't be blank" (gitlabhq
`Gitlab::Diff::File#line_for_position`). Both paths are always sent (an added file repeats
its path as `old_path`, gitlab-org/gitlab#35935), and the SHAs are the newest MR version's.

A multi-line comment adds `line_range` whose ends carry GitLab's internal line codes:
`sha1(file_path) + "_" + old_pos + "_" + new_pos`, where both counters run through the hunk
as gitlabhq's `Gitlab::Diff::Parser` runs them (an added line keeps the old counter's
current value, a removed line the new counter's) and `type` is `new` for added lines,
`old` otherwise (docs "Create a new thread in the merge request diff").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from ci_orch.diff.model import FileChange, LineKind
from ci_orch.report.model import ReviewFinding


@dataclass(frozen=True, slots=True)
class DiffRefs:
    """The SHAs of the newest merge request version (`/merge_requests/:iid/versions`)."""

    base_sha: str
    start_sha: str
    head_sha: str

    def as_dict(self) -> dict[str, str]:
        return {"base_sha": self.base_sha, "start_sha": self.start_sha,
                "head_sha": self.head_sha}


@dataclass(frozen=True, slots=True)
class GlLine:
    """One diff line with GitLab's running counters (both always set) and its hunk."""

    kind: LineKind
    old_pos: int
    new_pos: int
    hunk: int

    @property
    def old_line(self) -> int | None:
        return None if self.kind == "added" else self.old_pos

    @property
    def new_line(self) -> int | None:
        return None if self.kind == "removed" else self.new_pos


def line_code(path: str, old_pos: int, new_pos: int) -> str:
    # gitlabhq Gitlab::Git.diff_line_code: sha1 of the path, not a security use.
    digest = hashlib.sha1(path.encode(), usedforsecurity=False).hexdigest()
    return f"{digest}_{old_pos}_{new_pos}"


def gitlab_lines(file: FileChange) -> dict[tuple[str, int], GlLine]:
    """(side, number) -> line, side "RIGHT" by new number and "LEFT" by old number."""
    found: dict[tuple[str, int], GlLine] = {}
    for index, hunk in enumerate(file.hunks):
        old_pos, new_pos = hunk.old_start, hunk.new_start
        for line in hunk.lines:
            gl = GlLine(line.kind, old_pos, new_pos, index)
            if gl.new_line is not None:
                found[("RIGHT", gl.new_line)] = gl
            if gl.old_line is not None:
                found[("LEFT", gl.old_line)] = gl
            old_pos += line.kind != "added"
            new_pos += line.kind != "removed"
    return found


def paths(file: FileChange) -> dict[str, str]:
    """Both paths, always: a renamed file's old one from the diff, else the path twice."""
    return {"old_path": file.old_path or file.path, "new_path": file.path}


def text_position(finding: ReviewFinding, file: FileChange, refs: DiffRefs) -> dict[str, Any]:
    """The position of an inline finding, or ValueError when its lines are not in the diff."""
    lines = gitlab_lines(file)
    start, end = sorted((finding.start_line, finding.end_line))
    last = lines.get((finding.side, end))
    first = lines.get((finding.side, start))
    if last is None or first is None or first.hunk != last.hunk:
        raise ValueError(f"{finding.path}:{start}-{end} ({finding.side}) is not in one hunk")
    position: dict[str, Any] = {"position_type": "text", **refs.as_dict(), **paths(file)}
    position.update(_numbers(last))
    if start != end:
        position["line_range"] = {"start": _range_end(file.path, first),
                                  "end": _range_end(file.path, last)}
    return position


def file_position(file: FileChange, refs: DiffRefs) -> dict[str, Any]:
    """A comment on the whole file (position_type `file`, GitLab 16.4 and later)."""
    return {"position_type": "file", **refs.as_dict(), **paths(file)}


def _numbers(line: GlLine) -> dict[str, int]:
    numbers = {"old_line": line.old_line, "new_line": line.new_line}
    return {key: value for key, value in numbers.items() if value is not None}


def _range_end(path: str, line: GlLine) -> dict[str, Any]:
    return {"line_code": line_code(path, line.old_pos, line.new_pos),
            "type": "new" if line.kind == "added" else "old",
            "old_line": line.old_line, "new_line": line.new_line}


def suggestion_info(finding: ReviewFinding) -> str | None:
    """GitLab's fence info: `suggestion:-N+M` replaces N lines above the commented line and
    M below it (docs "Suggest changes"). The comment sits on the range's last line, so the
    suggestion reaches up to the first one. Old-side comments cannot carry a suggestion."""
    if finding.suggestion is None or finding.side != "RIGHT":
        return None
    above = abs(finding.end_line - finding.start_line)
    return f"suggestion:-{above}+0"
