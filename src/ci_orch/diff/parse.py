"""Unified diff text (git or plain) -> `Diff`, with every edge case named in the issue."""

from __future__ import annotations

import io
import re

from unidiff.errors import UnidiffParseError
from unidiff.patch import Hunk as UHunk  # noqa: I001
from unidiff.patch import PatchedFile, PatchSet

from ci_orch.diff.fastparse import Unsupported, parse_git
from ci_orch.diff.gcpause import paused_gc
from ci_orch.diff.model import Diff, FileChange, FileStatus, Hunk, Line, LineKind
from ci_orch.errors import DiffError

_KIND: dict[str, LineKind] = {"+": "added", "-": "removed", " ": "context"}
_SUBMODULE_MODE = "160000"
_DIFF_START = re.compile(r"^(diff --git |--- |\+\+\+ |@@ )", re.MULTILINE)


def decode(raw: bytes) -> str:
    """Diffs carry file bytes verbatim: non-UTF-8 content is kept, undecodable bytes replaced."""
    return raw.decode("utf-8", errors="replace")


def parse_diff(text: str | bytes, *, source: str = "<diff>") -> Diff:
    """Parse a unified diff. Empty input is an empty diff; text with no diff in it is an error."""
    try:
        with paused_gc():
            return Diff(files=tuple(parse_git(text)))
    except Unsupported:
        pass
    if isinstance(text, bytes):
        text = decode(text)
    if not text.strip():
        return Diff(files=())
    return parse_general(text, source=source)


def parse_general(text: str, *, source: str = "<diff>") -> Diff:
    """Any unified diff (plain `diff -u`, patches with prose around them), through unidiff."""
    try:
        patch = PatchSet(io.StringIO(text))
    except UnidiffParseError as exc:
        raise DiffError(f"{source}: not a valid unified diff: {exc}") from None
    if not len(patch) and not _DIFF_START.search(text):
        raise DiffError(
            f"{source}: no unified diff found (expected lines starting with 'diff --git', "
            "'---', '+++' or '@@'); produce one with `git diff BASE...HEAD`"
        )
    may_have_crlf = "\r" in text  # skip a per-line scan for the common case
    return Diff(files=tuple(_file(f, may_have_crlf) for f in patch))


def _strip_prefix(path: str) -> str:
    return path[2:] if path[:2] in ("a/", "b/") else path


def _file(pf: PatchedFile, may_have_crlf: bool) -> FileChange:
    status = _status(pf)
    new_path = _strip_prefix(pf.target_file)
    old_path = _strip_prefix(pf.source_file)
    path = old_path if status == "deleted" else new_path
    hunks = tuple(_hunk(h) for h in pf)
    submodule = _SUBMODULE_MODE in (pf.source_mode, pf.target_mode) or _looks_like_submodule(hunks)
    return FileChange(
        path=path,
        old_path=None if status == "added" else old_path,
        status=status,
        hunks=() if submodule else hunks,
        binary=bool(pf.is_binary_file),
        submodule=submodule,
        old_mode=pf.source_mode,
        new_mode=pf.target_mode,
        crlf=may_have_crlf and any(line.value.endswith("\r\n") for h in pf for line in h),
        missing_final_newline=_missing_final_newline(pf),
    )


def _status(pf: PatchedFile) -> FileStatus:
    if pf.is_added_file:
        return "added"
    if pf.is_removed_file:
        return "deleted"
    if pf.is_rename:
        return "renamed"
    if any(line.startswith("copy from ") for line in (pf.patch_info or ())):
        return "copied"
    return "modified"


def _hunk(h: UHunk) -> Hunk:
    lines = tuple(
        Line(
            kind=_KIND[line.line_type],
            old_no=line.source_line_no,
            new_no=line.target_line_no,
            text=line.value.rstrip("\r\n"),
        )
        for line in h
        if line.line_type in _KIND
    )
    return Hunk(
        old_start=h.source_start,
        old_len=h.source_length,
        new_start=h.target_start,
        new_len=h.target_length,
        section=h.section_header or "",
        lines=lines,
    )


def _looks_like_submodule(hunks: tuple[Hunk, ...]) -> bool:
    texts = [line.text for h in hunks for line in h.lines]
    return bool(texts) and all(t.startswith("Subproject commit ") for t in texts)


def _missing_final_newline(pf: PatchedFile) -> bool:
    if not len(pf):
        return False
    last = pf[-1]
    # unidiff marks "\ No newline at end of file" as a line of type "\\" after the line it
    # applies to; it concerns the new side when the line before it is added or context.
    previous: str | None = None
    for line in last:
        if line.line_type == "\\" and previous in ("+", " "):
            return True
        previous = line.line_type
    return False
