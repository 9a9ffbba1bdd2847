"""Incremental review: on a new push, send only what changed since the last reviewed head.

The increment is `git diff <last head> <new head>`; its added lines, found in the pull
request's own diff, are the lines sent for review (with a few lines of the PR diff around
them as context). Everything else the PR changed was reviewed before and is not paid for
again. Open findings whose lines the increment did not touch are carried over (moved to their
new line numbers) and stay open; the ones on touched lines are re-checked by this run.

A full review instead when it is asked for, when there is no earlier review to build on, or
when the last head is not an ancestor of the new one (a rebase or a force-push rewrote what
the old findings pointed at).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ci_orch.diff import git
from ci_orch.diff.model import Diff, FileChange, Hunk, Line
from ci_orch.diff.parse import parse_diff
from ci_orch.errors import GitError
from ci_orch.review.state import OpenFinding, ReviewState

FULL_REVIEW_LABEL = "ci-orch:full-review"
Mode = Literal["full", "incremental"]
Touched = frozenset[tuple[str, int]]  # (path, new-side line) the increment added or changed


@dataclass(frozen=True, slots=True)
class Scope:
    mode: Mode
    reason: str = ""  # why a full review, in the summary's words
    since_sha: str | None = None  # the last reviewed head an increment starts from
    touched: Touched = frozenset()
    kept: tuple[OpenFinding, ...] = ()  # open findings outside the increment, at the new head

    @property
    def incremental(self) -> bool:
        return self.mode == "incremental"


def full(reason: str) -> Scope:
    return Scope("full", reason)


def decide_scope(root: Path, head_sha: str, state: ReviewState | None,
                 *, forced: str = "") -> Scope:
    """Incremental when `state` names an ancestor of `head_sha`, else full (and why)."""
    if forced:
        return full(forced)
    if state is None:
        return full("no earlier review of this change was found")
    last = state.head_sha
    if last == head_sha:
        return full(f"the reviewed commit {last[:12]} is reviewed again")
    try:
        git.git(root, "cat-file", "-e", f"{last}^{{commit}}")
    except GitError:
        return full(f"the last reviewed commit {last[:12]} is not in this clone "
                    "(a force-push, or a shallow fetch)")
    try:
        git.git(root, "merge-base", "--is-ancestor", last, head_sha)
    except GitError:
        return full(f"the last reviewed commit {last[:12]} is not an ancestor of "
                    f"{head_sha[:12]} (a rebase or a force-push)")
    increment = parse_diff(git.git(root, "diff", "--no-color", "--no-ext-diff", "-M",
                                   "--unified=0", last, head_sha),
                           source=f"git diff {last[:12]}..{head_sha[:12]}")
    return Scope("incremental", since_sha=last, touched=touched_lines(increment),
                 kept=carried_over(state.open, increment))


def touched_lines(increment: Diff) -> Touched:
    return frozenset((f.path, ln.new_no) for f in increment.files for ln in f.added_lines()
                     if ln.new_no is not None)


def carried_over(open_findings: tuple[OpenFinding, ...], increment: Diff) -> tuple[
        OpenFinding, ...]:
    """The open findings the increment left alone, on their line numbers at the new head.
    A finding whose lines it changed or removed is not carried: this run re-checks it."""
    by_old = {(f.old_path or f.path): f for f in increment.files}
    kept = []
    for finding in open_findings:
        change = by_old.get(finding.path)
        if finding.side == "LEFT" or change is None:
            kept.append(finding)
            continue
        if change.status == "deleted":
            continue
        start, end = _moved(change, finding.start_line), _moved(change, finding.end_line)
        if start is not None and end is not None:
            kept.append(dataclasses.replace(finding, path=change.path, start_line=start,
                                            end_line=end))
    return tuple(kept)


def _moved(change: FileChange, old_line: int) -> int | None:
    """`old_line`'s number after the change (zero-context hunks), None if it was changed."""
    shift = 0
    for hunk in change.hunks:
        if hunk.old_len and hunk.old_start <= old_line < hunk.old_start + hunk.old_len:
            return None
        # A pure insertion (old_len 0) goes after old_start; a change replaces its range.
        end = hunk.old_start + (hunk.old_len or 1)
        if old_line >= end:
            shift += hunk.new_len - hunk.old_len
    return old_line + shift


def narrow(diff: Diff, touched: Touched, *, context: int = 3) -> Diff:
    """The PR diff cut to the touched added lines and `context` lines around them; the PR's
    other added lines inside that window are shown as context, not sent for review."""
    files = []
    for file in diff.files:
        hunks = tuple(h for hunk in file.hunks for h in _windows(file.path, hunk, touched,
                                                                   context))
        if hunks:
            files.append(dataclasses.replace(file, hunks=hunks))
    return Diff(tuple(files))


def _windows(path: str, hunk: Hunk, touched: Touched, context: int) -> list[Hunk]:
    hits = [i for i, ln in enumerate(hunk.lines)
            if ln.kind == "added" and (path, ln.new_no) in touched]
    spans: list[list[int]] = []
    for i in hits:
        lo, hi = max(i - context, 0), min(i + context + 1, len(hunk.lines))
        if spans and lo <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], hi)
        else:
            spans.append([lo, hi])
    out = []
    for lo, hi in spans:
        lines = tuple(_as_context(ln, (path, ln.new_no) in touched) for ln in hunk.lines[lo:hi])
        old = [ln.old_no for ln in lines if ln.old_no is not None]
        new = [ln.new_no for ln in lines if ln.new_no is not None]
        out.append(Hunk(old[0] if old else hunk.old_start, len(old),
                        new[0] if new else hunk.new_start, len(new), hunk.section, lines))
    return out


def _as_context(line: Line, sent: bool) -> Line:
    if line.kind != "added" or sent:
        return line
    return dataclasses.replace(line, kind="context")


def forced_full(full_flag: bool, env: Mapping[str, str]) -> str:
    """Why a full review is forced ('' when it is not): the flag/input, or the PR's label."""
    if full_flag:
        return "a full review was asked for (--full / full-review)"
    if FULL_REVIEW_LABEL in labels(env):
        return f"the change carries the {FULL_REVIEW_LABEL} label"
    return ""


def labels(env: Mapping[str, str]) -> frozenset[str]:
    """The PR/MR labels: GitLab lists them in CI_MERGE_REQUEST_LABELS, GitHub in the event."""
    found = {x.strip() for x in env.get("CI_MERGE_REQUEST_LABELS", "").split(",") if x.strip()}
    event_path = env.get("GITHUB_EVENT_PATH")
    if event_path:
        try:
            event = json.loads(Path(event_path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            event = None
        pull = event.get("pull_request") if isinstance(event, dict) else None
        raw = pull.get("labels") if isinstance(pull, dict) else None
        for label in raw if isinstance(raw, list) else []:
            name = label.get("name") if isinstance(label, dict) else None
            if isinstance(name, str):
                found.add(name)
    return frozenset(found)
