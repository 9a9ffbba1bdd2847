"""A lean parser for what git prints (`diff --git` blocks), building the diff model directly.

unidiff builds an object per line and is then converted line by line; on a 2.8 MB release diff
that was most of the planner's parse time. This parser reads the same input into the same
`Diff` (tests compare the two on real git output, field by field) and gives up with
`Unsupported` on anything outside git's own format, so the caller falls back to unidiff, which
also produces the error messages for malformed input.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import AnyStr

from unidiff.constants import (
    RE_DIFF_GIT_HEADER,
    RE_DIFF_GIT_HEADER_NO_PREFIX,
    RE_DIFF_GIT_INDEX,
    RE_HUNK_HEADER,
)

from ci_orch.diff.model import FileChange, FileStatus, Hunk, Line

_DEV_NULL = "/dev/null"
_SUBMODULE_MODE = "160000"
# Extended header lines git prints between `diff --git` and the first hunk that change nothing
# we model (the paths come from the `diff --git` line, as unidiff takes them).
_INFO = ("similarity index ", "dissimilarity index ", "rename from ", "rename to ", "copy to ")


# Line numbers repeat in every file; sharing one int object per number saves ~50 bytes a line
# on a large diff (CPython caches only -5..256).
_NUMBERS = tuple(range(1 << 16))


class Unsupported(Exception):
    """The input is not plain git output: parse it with the general parser instead."""


@dataclass(slots=True)
class _File:
    source: str
    target: str
    old_mode: str | None = None
    new_mode: str | None = None
    copied: bool = False
    binary: bool = False
    crlf: bool = False
    hunks: list[Hunk] = field(default_factory=list)
    # The last hunk's last line type: a "\ No newline" marker after "+" or " " is for the new side.
    last_type: str = ""
    missing_newline: bool = False


def parse_git(data: str | bytes) -> list[FileChange]:
    """Files of a `git diff` output, or Unsupported. Bytes are decoded one file at a time
    (UTF-8, undecodable bytes replaced), so a large diff is never held twice as text."""
    if isinstance(data, bytes):
        if not data.startswith(b"diff --git ") or data.endswith(b"\r"):
            raise Unsupported
        blocks = (b.decode("utf-8", "replace") for b in _blocks(data, b"\ndiff --git "))
        return [_parse_file(text) for text in blocks]
    if not data.startswith("diff --git ") or data.endswith("\r"):
        raise Unsupported  # (a final "\r" with no newline after it is not a CRLF line end)
    return [_parse_file(text) for text in _blocks(data, "\ndiff --git ")]


def _blocks(data: AnyStr, separator: AnyStr) -> Iterator[AnyStr]:
    """One block per file: a newline is never inside a UTF-8 sequence, and inside a hunk every
    line starts with a marker, so "diff --git " at a line start always opens a file."""
    start = 0
    while (end := data.find(separator, start)) >= 0:
        yield data[start : end + 1]
        start = end + 1
    yield data[start:]


def _parse_file(text: str) -> FileChange:
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the text ends with a newline: no line follows it
    current, i = _header(lines, 0)
    if _body(lines, i, current, "\r" in text) != len(lines):
        raise Unsupported
    return _change(current)


def _header(lines: list[str], i: int) -> tuple[_File, int]:
    """The `diff --git` line and its extended header; returns the index of the next line."""
    head = lines[i] + "\n"
    found = RE_DIFF_GIT_HEADER.match(head) or RE_DIFF_GIT_HEADER_NO_PREFIX.match(head)
    if found is None or "://" in head or '"' in head:
        raise Unsupported
    current = _File(found.group("source"), found.group("target"))
    i += 1
    while i < len(lines):
        line = lines[i]
        if line.startswith(("diff --git ", "@@ ", "--- ", "+++ ")):
            break
        _extended(current, line)
        i += 1
        if current.binary:
            # "GIT binary patch" data runs until the next file.
            while i < len(lines) and not lines[i].startswith("diff --git "):
                i += 1
            break
    return current, i


def _extended(current: _File, line: str) -> None:
    if line.startswith("new file mode "):
        current.source, current.new_mode = _DEV_NULL, _mode(line)
    elif line.startswith("deleted file mode "):
        current.target, current.old_mode = _DEV_NULL, _mode(line)
    elif line.startswith("old mode "):
        current.old_mode = _mode(line)
    elif line.startswith("new mode "):
        current.new_mode = _mode(line)
    elif line.startswith("index "):
        found = RE_DIFF_GIT_INDEX.match(line + "\n")
        if found is not None:
            current.old_mode = current.old_mode or found.group("mode")
            current.new_mode = current.new_mode or found.group("mode")
    elif line.startswith("copy from "):
        current.copied = True
    elif line.startswith("Binary files ") and line.endswith(" differ"):
        current.binary = True
    elif line == "GIT binary patch":
        current.binary = True
    elif not line.startswith(_INFO):
        raise Unsupported


def _mode(line: str) -> str:
    mode = line.rsplit(" ", 1)[1]
    if not mode.isdigit():
        raise Unsupported
    return mode


def _body(lines: list[str], i: int, current: _File, may_have_crlf: bool) -> int:
    """`---`/`+++` lines and hunks up to the next file; returns the index of the next line."""
    if i < len(lines) and lines[i].startswith("--- "):
        plus = lines[i + 1] if i + 1 < len(lines) else ""
        if not plus.startswith("+++ ") or plus[4:].split("\t", 1)[0] != current.target:
            raise Unsupported
        i += 2
    while i < len(lines):
        line = lines[i]
        if line.startswith("@@ "):
            i = _hunk(lines, i, current, may_have_crlf)
        elif line.startswith("diff --git "):
            break
        elif line.startswith("\\") and current.hunks:
            # After a complete hunk the marker is a line of its own: its line end is not data.
            _marker(current, line, crlf=False)
            i += 1
        elif line == "" and current.hunks:
            current.last_type = ""  # a blank separator line after the last hunk
            i += 1
        else:
            raise Unsupported
    return i


def _marker(current: _File, line: str, *, crlf: bool) -> None:
    if not line.startswith("\\ No newline at end of file"):
        raise Unsupported
    if current.last_type in ("+", " "):
        current.missing_newline = True
    current.last_type = "\\"
    current.crlf = current.crlf or crlf


def _hunk(lines: list[str], i: int, current: _File, may_have_crlf: bool) -> int:
    found = RE_HUNK_HEADER.match(lines[i] + "\n")
    if found is None:
        raise Unsupported
    o_start, o_len, n_start, n_len, section = found.groups()
    old_no, new_no = int(o_start), int(n_start)
    old_end = old_no + (1 if o_len is None else int(o_len))
    new_end = new_no + (1 if n_len is None else int(n_len))
    if old_end == old_no and new_end == new_no:
        raise Unsupported  # an empty hunk: unidiff's reading of what follows is its own
    body: list[Line] = []
    append = body.append
    # The loop runs once per line of the diff (1.5 million on 50 MB): names are local, the
    # file's state is written back once, and `\r` is looked for only in files that hold one.
    numbers, shared = _NUMBERS, len(_NUMBERS)
    last = ""
    current.missing_newline = False
    i += 1
    while old_no < old_end or new_no < new_end:
        if i >= len(lines):
            raise Unsupported  # shorter than its header says: let unidiff report it
        raw = lines[i]
        i += 1
        kind = raw[:1]
        crlf = False
        if may_have_crlf:
            crlf = raw.endswith("\r")
            current.crlf = current.crlf or crlf
            text = raw[1:].rstrip("\r")
        else:
            text = raw[1:]
        if kind == "+":
            append(Line("added", None, numbers[new_no] if new_no < shared else new_no, text))
            new_no += 1
        elif kind == "-":
            append(Line("removed", numbers[old_no] if old_no < shared else old_no, None, text))
            old_no += 1
        elif kind == " " or raw in ("", "\r"):
            append(Line("context", numbers[old_no] if old_no < shared else old_no,
                        numbers[new_no] if new_no < shared else new_no, text))
            old_no += 1
            new_no += 1
        elif kind == "\\":
            current.last_type = last
            _marker(current, raw, crlf=crlf)
            last = current.last_type
            continue
        else:
            raise Unsupported
        last = kind or " "
    current.last_type = last
    if old_no > old_end or new_no > new_end:
        raise Unsupported
    current.hunks.append(
        Hunk(
            int(o_start), int(o_len or 1), int(n_start), int(n_len or 1), section or "", tuple(body)
        )
    )
    return i


def _change(current: _File) -> FileChange:
    source, target = current.source, current.target
    hunks = tuple(current.hunks)
    status = _status(current, hunks)
    new_path, old_path = _strip(target), _strip(source)
    submodule = _SUBMODULE_MODE in (current.old_mode, current.new_mode) or _gitlink(hunks)
    return FileChange(
        path=old_path if status == "deleted" else new_path,
        old_path=None if status == "added" else old_path,
        status=status,
        hunks=() if submodule else hunks,
        binary=current.binary,
        submodule=submodule,
        old_mode=current.old_mode,
        new_mode=current.new_mode,
        crlf=current.crlf,
        missing_final_newline=current.missing_newline,
    )


def _status(current: _File, hunks: tuple[Hunk, ...]) -> FileStatus:
    one = hunks[0] if len(hunks) == 1 else None
    if current.source == _DEV_NULL or (one and one.old_start == 0 and one.old_len == 0):
        return "added"
    if current.target == _DEV_NULL or (one and one.new_start == 0 and one.new_len == 0):
        return "deleted"
    if current.source[2:] != current.target[2:]:
        return "renamed"
    return "copied" if current.copied else "modified"


def _strip(path: str) -> str:
    return path[2:] if path[:2] in ("a/", "b/") else path


def _gitlink(hunks: tuple[Hunk, ...]) -> bool:
    texts = [line.text for h in hunks for line in h.lines]
    return bool(texts) and all(t.startswith("Subproject commit ") for t in texts)
