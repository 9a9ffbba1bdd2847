"""How diff lines are written into a prompt: numbered, marked, with file and hunk headers.

Each line reads `<number><marker> <text>`: the new-side number for added (`+`) and context
(` `) lines, the old-side number for removed (`-`) lines. Findings cite these numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

from ci_orch.diff.model import FileChange, Line

_MARK = {"added": "+", "removed": "-", "context": " "}


def file_header(file: FileChange, *, continued: bool = False) -> str:
    status: str = file.status
    if file.old_path and file.old_path != file.path:
        status += f" from {file.old_path}"
    more = ", continued" if continued else ""
    return f"=== FILE {file.path} ({status}{more}) ===\n"


def hunk_header(lines: tuple[Line, ...], section: str, part: str = "") -> str:
    old = [ln.old_no for ln in lines if ln.old_no is not None]
    new = [ln.new_no for ln in lines if ln.new_no is not None]
    old_start = old[0] if old else 0
    new_start = new[0] if new else 0
    tail = f" {section}" if section else ""
    return f"@@ -{old_start},{len(old)} +{new_start},{len(new)} @@{tail}{part}\n"


def render_lines(lines: Sequence[Line]) -> list[str]:
    """`render_line` of each line, in one comprehension: the planner renders every line of the
    diff, and a call per line was a tenth of planning a large one."""
    mark = _MARK
    return [
        f"{(ln.old_no if ln.kind == 'removed' else ln.new_no):>5}{mark[ln.kind]} {ln.text}\n"
        for ln in lines
    ]


def render_line(line: Line, *, as_context: bool = False) -> str:
    number = line.old_no if line.kind == "removed" else line.new_no
    mark = " " if as_context else _MARK[line.kind]
    return f"{number:>5}{mark} {line.text}\n"
