"""The publishing seam: a finished run, already on disk, goes to one platform.

Publishers run after every report file is written (report/write.py), so a failed
post loses nothing. They are idempotent: a re-run on the same change updates the one
summary, skips inline comments already posted (by fingerprint, see markers.py) and
resolves the ones that no longer apply.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

from ci_orch.diff.model import Diff
from ci_orch.errors import CiOrchError, ExitCode
from ci_orch.report.model import RunReport
from ci_orch.review.state import ReviewState


@dataclass(frozen=True, slots=True)
class Publication:
    """Everything a publisher may post: nothing here is re-computed by the publisher."""

    report: RunReport
    diff: Diff  # the reviewed diff: inline comments are validated against its line map
    report_dir: Path  # report.json, summary.md, SARIF... already written here
    summary_md: str  # summary.md's text, the body of the summary comment / note


@dataclass(frozen=True, slots=True)
class PublishOutcome:
    """What a publisher did, for the log and the tests. Counts are per kind of post."""

    platform: str
    posted: dict[str, int] = field(default_factory=dict)  # e.g. {"inline": 3, "annotations": 12}
    updated: dict[str, int] = field(default_factory=dict)  # e.g. {"summary": 1}
    skipped: dict[str, int] = field(default_factory=dict)  # e.g. {"duplicate": 3}
    resolved: int = 0  # threads / comments of ours that no longer apply
    warnings: tuple[str, ...] = ()  # degraded but not failed: fallbacks, folded comments
    url: str | None = None  # the check run, review or note a human should open


class PublishError(CiOrchError):
    """Posting failed. The report files are already written; the message says what to fix."""

    exit_code = ExitCode.INCOMPLETE


class PermissionMissing(PublishError):
    """The token cannot do what publishing needs; names the permission or scope to grant."""

    def __init__(self, needed: str, action: str, how: str = "") -> None:
        fix = f" {how}" if how else ""
        super().__init__(f"cannot {action}: the token lacks {needed}.{fix}")
        self.needed = needed
        self.action = action


class Publisher(ABC):
    name: str

    @abstractmethod
    def publish(self, publication: Publication) -> PublishOutcome:
        """Post the run. Raises `PublishError` only when nothing useful could be posted."""

    def last_review_state(self) -> ReviewState | None:
        """What the last review of this PR left in its summary (the head it reviewed, the
        findings still open), for an incremental review; None where nothing is kept."""
        return None
