"""One discussion per finding, placed as precisely as GitLab accepts, never lost.

Inline findings go on their diff lines; when GitLab rejects the position (400, see
positions.py) or the finding is file-level, the thread goes on the file
(`position_type: file`, GitLab 16.4+); when that is rejected too (older self-managed
instances), it becomes a plain MR thread that names the file and lines. Each body carries
the finding's fingerprint marker, so a re-run skips it and can resolve it once it is gone.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ci_orch.diff.model import Diff, FileChange
from ci_orch.platforms.comments import comment_body
from ci_orch.platforms.gitlab.client import (
    GitLabClient,
    PositionRejected,
    ResolveRefused,
    Thread,
)
from ci_orch.platforms.gitlab.positions import (
    DiffRefs,
    file_position,
    suggestion_info,
    text_position,
)
from ci_orch.platforms.interface import PermissionMissing, PublishError
from ci_orch.platforms.markers import fingerprints_in
from ci_orch.platforms.retry import RateLimitedOut
from ci_orch.report.mdtext import inline
from ci_orch.report.model import ReviewFinding

log = logging.getLogger(__name__)

MAX_THREADS = 50  # new threads per run; the rest stay in the summary table and report.json


@dataclass
class Tally:
    posted: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    resolved: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ThreadPoster:
    client: GitLabClient
    diff: Diff
    refs: DiffRefs
    inline_ok: bool = True  # False when the MR moved past the reviewed commit

    def post_all(self, findings: tuple[ReviewFinding, ...], ours: list[Thread],
                 tally: Tally) -> None:
        known = set().union(*(fingerprints_in(t.body) for t in ours))
        for finding in findings:
            if finding.placement == "summary":
                tally.skipped["summary-only"] += 1  # its text is in the summary note
            elif finding.fingerprint in known:
                tally.skipped["duplicate"] += 1
            elif sum(tally.posted.values()) >= MAX_THREADS:
                tally.skipped["over-limit"] += 1
            else:
                self._post_one(finding, tally)
                known.add(finding.fingerprint)
        if tally.skipped["over-limit"]:
            tally.warnings.append(f"{tally.skipped['over-limit']} findings were not posted as "
                                  f"threads (limit {MAX_THREADS} a run); see the summary")

    def _post_one(self, finding: ReviewFinding, tally: Tally) -> None:
        """One failed post (a 500, a 422) costs that thread, not the run: the finding is in
        the summary and report.json. A missing permission fails them all, so it goes up."""
        try:
            tally.posted[self.post(finding, tally)] += 1
        except PermissionMissing:
            raise
        except RateLimitedOut as exc:  # its message already says "not posted"
            tally.skipped["failed"] += 1
            tally.warnings.append(f"{_where(finding)}: {exc}")
        except PublishError as exc:
            tally.skipped["failed"] += 1
            tally.warnings.append(f"{_where(finding)}: not posted: {exc}")

    def post(self, finding: ReviewFinding, tally: Tally) -> str:
        """Post one finding; returns where it went: inline, file or general."""
        file = self.diff.file(finding.path)
        if file is not None and finding.placement == "inline" and self.inline_ok:
            try:
                position = text_position(finding, file, self.refs)
                self._create(comment_body(finding, suggestion_info(finding)), position)
                return "inline"
            except (ValueError, PositionRejected) as exc:
                log.warning("inline comment on %s moved to the file: %s", finding.path, exc)
                tally.warnings.append(f"{_where(finding)}: inline position rejected, "
                                      "posted on the file instead")
        return self._post_on_file(finding, file)

    def _post_on_file(self, finding: ReviewFinding, file: FileChange | None) -> str:
        body = file_body(finding)
        if file is not None:
            try:
                self._create(body, file_position(file, self.refs))
                return "file"
            except PositionRejected as exc:
                log.warning("file comment on %s moved to the MR: %s", finding.path, exc)
        self._create(body, None)
        return "general"

    def _create(self, body: str, position: dict[str, Any] | None) -> None:
        self.client.create_discussion(body, position)

    def resolve_gone(self, findings: tuple[ReviewFinding, ...], ours: list[Thread],
                     tally: Tally) -> None:
        """Resolve our open threads whose findings this run no longer reports.

        A refusal to resolve is a warning, never the end of publishing: the summary still
        has to say what this run found."""
        current = {f.fingerprint for f in findings}
        gone = [t for t in ours if t.resolvable and not t.resolved
                and fingerprints_in(t.body) and not fingerprints_in(t.body) & current]
        for done, thread in enumerate(gone):
            try:
                self.client.resolve(thread.id)
            except ResolveRefused as exc:
                tally.warnings.append(f"{len(gone) - done} threads of gone findings stay "
                                      f"open: {exc}")
                return  # the same refusal awaits every other thread
            except PublishError as exc:
                tally.warnings.append(f"a thread of a gone finding stays open: {exc}")
                continue
            tally.resolved += 1


def file_body(finding: ReviewFinding) -> str:
    """A finding posted on its file or on the MR: where it is, then its comment."""
    return f"{_where(finding)}\n\n{comment_body(finding, None)}"


def _where(finding: ReviewFinding) -> str:
    lines = (f"{finding.start_line}" if finding.start_line == finding.end_line
             else f"{finding.start_line}-{finding.end_line}")
    side = " (removed lines)" if finding.side == "LEFT" else ""
    return f"**{inline(finding.path, 300)}** line {lines}{side}"
