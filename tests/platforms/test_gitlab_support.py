"""A merge request for the GitLab tests: a diff with every kind of file and line, findings on
each of them, and a publisher wired to the fake GitLab."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ci_orch.context.model import PipelineContext
from ci_orch.diff import parse_diff
from ci_orch.platforms.gitlab import GitLabPublisher
from ci_orch.platforms.interface import Publication, PublishOutcome
from ci_orch.platforms.markers import fingerprints_in
from ci_orch.report.model import ReviewFinding, RunReport
from tests.platforms.fake_gitlab import FakeGitLab
from tests.test_report_support import realistic_report

DIFF = (
    "diff --git a/src/app.py b/src/app.py\n--- a/src/app.py\n+++ b/src/app.py\n"
    "@@ -1,6 +1,7 @@\n import os\n-DEBUG = True\n+DEBUG = False\n+TIMEOUT = 30\n \n"
    " def main():\n     pass\n # end\n"
    "diff --git a/src/new.py b/src/new.py\nnew file mode 100644\n--- /dev/null\n"
    "+++ b/src/new.py\n@@ -0,0 +1,3 @@\n+def f():\n+    return 1\n+\n"
    "diff --git a/old/name.py b/new/name.py\nsimilarity index 80%\nrename from old/name.py\n"
    "rename to new/name.py\n--- a/old/name.py\n+++ b/new/name.py\n@@ -1,3 +1,3 @@\n"
    " a = 1\n-b = 2\n+b = 3\n c = 4\n"
    "diff --git a/gone.py b/gone.py\ndeleted file mode 100644\n--- a/gone.py\n+++ /dev/null\n"
    "@@ -1,2 +0,0 @@\n-x = 1\n-y = 2\n"
)


def finding(path: str, start: int, end: int | None = None, *, side: str = "RIGHT",
            placement: str = "inline", suggestion: str | None = None,
            title: str | None = None) -> ReviewFinding:
    end = start if end is None else end
    name = title or f"{path} {side} {start}-{end}"
    fp = f"fp-{path.replace('/', '.')}-{side}-{start}-{end}"
    return ReviewFinding(path=path, side=side, start_line=start, end_line=end,
                         severity="medium", category="bug", title=name, body="Why it matters.",
                         placement=placement, fingerprint=fp, suggestion=suggestion)


ADDED = finding("src/app.py", 3, suggestion="TIMEOUT = int(os.environ['TIMEOUT'])")
REMOVED = finding("src/app.py", 2, side="LEFT")
CONTEXT = finding("src/app.py", 5)
MULTI = finding("src/app.py", 2, 3, suggestion="DEBUG = TIMEOUT = 0\n")
MULTI_CONTEXT = finding("src/app.py", 4, 6)
NEW_FILE = finding("src/new.py", 1)
RENAMED = finding("new/name.py", 2)
DELETED = finding("gone.py", 1, 2, side="LEFT")
INLINE = (ADDED, REMOVED, CONTEXT, MULTI, MULTI_CONTEXT, NEW_FILE, RENAMED, DELETED)
ON_FILE = finding("src/app.py", 40, 41, placement="file")
SUMMARY_ONLY = finding("src/other.py", 3, placement="summary")


def report(findings: tuple[ReviewFinding, ...], status: str = "complete") -> RunReport:
    return realistic_report().model_copy(update={"findings": findings, "status": status})


def publication(findings: tuple[ReviewFinding, ...], *, status: str = "complete",
                diff: str = DIFF, summary: str = "## ci-orch review\n\nAll good.\n"
                ) -> Publication:
    return Publication(report(findings, status), parse_diff(diff), Path("."), summary)


def context(fake: FakeGitLab, **overrides: Any) -> PipelineContext:
    fields: dict[str, Any] = {
        "platform": "gitlab", "event": "merge_request_event", "workspace": Path("."),
        "repo": fake.project_path, "number": fake.iid, "project_id": fake.project,
        "head_sha": fake.versions[0]["head_commit_sha"]}
    fields.update(overrides)
    return PipelineContext(**fields)


def publish(fake: FakeGitLab, api_url: str, pub: Publication, *,
            token: str = "glpat-bot",  # noqa: S107 - the fake's bot token
            sleeps: list[float] | None = None, **ctx: Any) -> PublishOutcome:
    sleep = (sleeps.append if sleeps is not None else _no_sleep)
    publisher = GitLabPublisher(context(fake, **ctx), token, api_url=api_url, sleep=sleep)
    return publisher.publish(pub)


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"unexpected sleep({seconds})")


def bodies(fake: FakeGitLab) -> dict[str, dict[str, Any]]:
    """First note of every discussion, by the fingerprint in its body."""
    out: dict[str, dict[str, Any]] = {}
    for d in fake.discussions:
        note = d["notes"][0]
        out.update(dict.fromkeys(fingerprints_in(note["body"]), note))
    return out


# -- a token that may post but not resolve ------------------------------------------------


def test_a_403_on_resolve_is_a_warning_and_the_summary_is_still_updated(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from ci_orch.platforms.markers import SUMMARY_MARKER
    from tests.platforms import fake_gitlab
    from tests.platforms.fake_gitlab import Running

    fake = FakeGitLab(DIFF)
    with Running(fake) as api_url:
        publish(fake, api_url, publication((ADDED, REMOVED, CONTEXT), summary="run 1"))
        monkeypatch.setattr(fake_gitlab, "_resolve", lambda *a: (
            403, {"message": "403 Forbidden"}, {}))
        second = publish(fake, api_url, publication((ADDED,), summary="run 2"))
    [warning] = second.warnings
    assert "2 threads of gone findings stay open" in warning and "Developer role" in warning
    assert "scope" not in warning  # the token has its scope; it lacks the role to resolve
    assert second.resolved == 0 and second.updated == {"summary": 1}
    summary = [n for n in fake.notes() if SUMMARY_MARKER in str(n["body"])]
    assert len(summary) == 1 and "run 2" in summary[0]["body"]
    resolves = [path for method, path, _ in fake.log if method == "PUT" and "/discussions/" in path]
    assert len(resolves) == 1  # stopped after the first refusal
