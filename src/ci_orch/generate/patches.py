"""A model's patch text -> a checked `Patch`: recounted, parsed with unidiff, paths made safe.

Models often get hunk line counts wrong, so the counts are recomputed from the hunk bodies
before parsing (what `git apply --recount` does). Paths are checked here, before git sees the
patch: absolute paths, `..`, `.git/`, symlinks, submodules and binary patches are refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from ci_orch.diff.model import Diff
from ci_orch.diff.parse import parse_diff
from ci_orch.errors import DiffError

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$")
_HEADER = re.compile(r"^(?:--- |\+\+\+ )(\S+)", re.MULTILINE)
_REFUSED_MODES = ("120000", "160000")  # symlink, submodule: they can point outside the tree
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")


class PatchProblem(ValueError):
    """The patch cannot be used. `retry` says whether asking the model again may help."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True, slots=True)
class Patch:
    text: str  # normalised: counts recomputed, ends with a newline
    diff: Diff
    strip: int  # the -p level for git apply: 1 with a/ b/ prefixes, else 0

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p for f in self.diff.files for p in (f.old_path, f.path) if p))


def read_patch(text: str) -> Patch:
    """Parse and check one patch; PatchProblem says why it cannot be used."""
    text = recount(text.replace("\r\n", "\n"))
    if "GIT binary patch" in text or "\nBinary files " in text:
        raise PatchProblem("binary patches are not accepted", retry=False)
    headers = "\n".join(header_lines(text))
    strip = _strip_level(headers)
    for raw in _HEADER.findall(headers):
        if raw != "/dev/null":
            check_path(raw[2:] if strip else raw)
    try:
        diff = parse_diff(text, source="patch")
    except DiffError as exc:
        raise PatchProblem(str(exc)) from None
    if not diff.files or not any(f.hunks for f in diff.files):
        raise PatchProblem("the patch has no hunks (expected ---/+++ headers and @@ hunks)")
    if any("<redacted:" in ln.text for f in diff.files for ln in f.added_lines()):
        # The prompt's secrets were placeholders; a patch copying one would write it literally.
        raise PatchProblem("the patch copies a <redacted:...> placeholder; never copy secrets")
    for file in diff.files:
        for path in (file.path, file.old_path):
            if path:
                check_path(path)
        if file.old_mode in _REFUSED_MODES or file.new_mode in _REFUSED_MODES:
            raise PatchProblem(f"{file.path}: symlinks and submodules are refused", retry=False)
    return Patch(text, diff, strip)


def check_path(path: str) -> None:
    """Relative, inside the repository, not in .git: else PatchProblem (no retry)."""
    pure = PurePosixPath(path)
    if not path or pure.is_absolute() or _CONTROL.search(path) or re.match(r"^[A-Za-z]:", path):
        raise PatchProblem(f"refused path {path!r}: not relative to the repository", retry=False)
    if ".." in pure.parts or ".git" in pure.parts:
        raise PatchProblem(f"refused path {path!r}: outside the repository or in .git", retry=False)


def header_lines(text: str) -> Iterator[str]:
    """Lines outside hunk bodies. A body is skipped by its header's counts, as git reads it:
    a removed line "-- x" reads "--- x" and is no file header."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        match = _HUNK.match(line)
        if match is None:
            yield line
            continue
        old, new = int(match.group(2) or 1), int(match.group(4) or 1)
        while i < len(lines) and (old > 0 or new > 0):
            mark = lines[i][:1]
            if mark in (" ", ""):
                old, new = old - 1, new - 1
            elif mark == "-":
                old -= 1
            elif mark == "+":
                new -= 1
            elif mark != "\\":
                break
            i += 1


def _strip_level(text: str) -> int:
    names = [n for n in _HEADER.findall(text) if n != "/dev/null"]
    return 1 if names and all(n.startswith(("a/", "b/")) for n in names) else 0


def recount(text: str) -> str:
    """The same patch with every hunk header's line counts taken from its body."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = _HUNK.match(lines[i])
        if match is None:
            out.append(lines[i])
            i += 1
            continue
        body_end = _hunk_end(lines, i + 1)
        body = lines[i + 1 : body_end]
        old = sum(1 for b in body if b[:1] in (" ", "-") or b == "")
        new = sum(1 for b in body if b[:1] in (" ", "+") or b == "")
        old_start, new_start = int(match.group(1)), int(match.group(3))
        out.append(f"@@ -{old_start},{old} +{new_start},{new} @@{match.group(5)}")
        out.extend(" " if b == "" else b for b in body)  # a blank context line lost its space
        i = body_end
    return "\n".join(out) + "\n"


def _hunk_end(lines: list[str], start: int) -> int:
    i = start
    while i < len(lines):
        line = lines[i]
        # "--- x" is a removed line "-- x" unless a "+++" header follows: then a new file starts.
        next_is_new = i + 1 < len(lines) and lines[i + 1].startswith("+++ ")
        if line.startswith("@@ ") or (line.startswith("--- ") and next_is_new):
            break
        if line[:1] not in (" ", "+", "-", "\\") and line != "":
            break
        i += 1
    # Trailing blank lines after the last change belong to the next section, not the hunk.
    while i > start and lines[i - 1] == "":
        i -= 1
    return i
