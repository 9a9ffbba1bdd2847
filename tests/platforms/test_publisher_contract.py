"""One contract for both publishers: the same publishing cases, run against the GitHub
publisher and its fake and against the GitLab publisher and its fake, over real HTTP.

Each platform has a small adapter that builds its publisher against its fake and reads back
what a person would see there: our open inline comments or threads (by fingerprint, with
where they sit), the resolved ones, our summary comments or notes, the verdict each surface
shows and every request the fake received. The cases speak only through the adapter, so a
case that holds on one platform and not the other is a difference in behaviour, not in test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest

from ci_orch.context.changes import Changes
from ci_orch.diff import parse_diff
from ci_orch.platforms.github import GitHubPublisher
from ci_orch.platforms.gitlab import GitLabPublisher
from ci_orch.platforms.interface import Publication, Publisher, PublishOutcome
from ci_orch.platforms.markers import SUMMARY_MARKER, fingerprints_in, sections_in
from ci_orch.platforms.publish import publish
from ci_orch.platforms.select import Selection
from ci_orch.report.markdown import MarkdownRenderer
from ci_orch.report.model import ReviewFinding, RunReport, RunVerdict
from ci_orch.report.write import write_reports
from tests.egress_planted import KEYS, leaks
from tests.platforms.conftest import HEAD, Sleeps, diff_text, finding, gate_finding, make_report
from tests.platforms.conftest import context as github_context
from tests.platforms.fake_github import BOT, FakeGitHub
from tests.platforms.fake_gitlab import USERS, FakeGitLab, Running
from tests.platforms.test_gitlab_support import context as gitlab_context

# Where an inline comment sits: (fingerprint, path, line it ends on, side).
Inline = tuple[str, str, int, str]
_RESOLVED = re.compile(r"<!-- ci-orch:resolved:([0-9A-Za-z_.:-]{1,128}) -->")
BUDGET_S = 300.0


class Platform(Protocol):
    name: str
    sleeps: Sleeps

    def publisher(self) -> Publisher: ...
    def open_inline(self) -> list[Inline]: ...
    def resolved(self) -> set[str]: ...
    def summaries(self) -> list[str]: ...
    def verdicts(self) -> list[tuple[str, str]]: ...
    def refuse_resolving(self) -> None: ...
    def limit_writes(self, count: int, retry_after: str) -> None: ...
    def sent(self) -> str: ...


def shown_in_summary(body: str) -> tuple[str, str]:
    """The verdict a summary shows: its bold title line and the `(check: ...)` conclusion."""
    title = re.search(r"^\*\*(.+)\*\*$", body, re.M)
    conclusion = re.search(r"\(check: (\w+)\)", body)
    assert title and conclusion, body
    return conclusion[1], title[1]


class GitHub:
    name = "github"

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self.sleeps = Sleeps()

    def publisher(self) -> Publisher:
        return GitHubPublisher(github_context(), "ghs_app", api_url=self.fake.url,
                               write_interval_s=0.0, sleep=self.sleeps, max_wait_s=BUDGET_S)

    def _ours(self) -> list[dict[str, object]]:
        return [c for c in self.fake.state.review_comments if c["user"]["login"] == BOT]

    def open_inline(self) -> list[Inline]:
        return sorted((fp, str(c["path"]), int(str(c["line"])), str(c["side"]))
                      for c in self._ours() if c["subject_type"] == "line"
                      for fp in fingerprints_in(str(c["body"])))

    def resolved(self) -> set[str]:
        return {fp for c in self._ours() for fp in _RESOLVED.findall(str(c["body"]))}

    def summaries(self) -> list[str]:
        return [c["body"] for c in self.fake.state.issue_comments
                if c["user"]["login"] == BOT and SUMMARY_MARKER in c["body"]]

    def verdicts(self) -> list[tuple[str, str]]:
        runs = [r for r in self.fake.state.check_runs if r["name"] == "ci-orch review"]
        run = max(runs, key=lambda r: int(r["id"]))  # the one GitHub shows
        return [(run["conclusion"], run["output"]["title"]),
                *(shown_in_summary(sections_in(s)["review"]) for s in self.summaries())]

    def refuse_resolving(self) -> None:
        self.fake.no_comment_edits = True  # a comment is resolved by editing it

    def limit_writes(self, count: int, retry_after: str) -> None:
        self.fake.rate_limit_next(count, 429, {"retry-after": retry_after})

    def sent(self) -> str:
        return json.dumps([(r.method, r.path, r.body) for r in self.fake.requests])


class GitLab:
    name = "gitlab"
    BOT_ID = USERS["glpat-bot"]["id"]

    def __init__(self, fake: FakeGitLab, api_url: str) -> None:
        self.fake = fake
        self.api_url = api_url
        self.sleeps = Sleeps()

    def publisher(self) -> Publisher:
        return GitLabPublisher(gitlab_context(self.fake), "glpat-bot", api_url=self.api_url,
                               sleep=self.sleeps, max_wait_s=BUDGET_S)

    def _ours(self) -> list[dict[str, object]]:
        firsts = [d["notes"][0] for d in self.fake.discussions]
        return [n for n in firsts if n["author"]["id"] == self.BOT_ID]

    def open_inline(self) -> list[Inline]:
        found: list[Inline] = []
        for note in self._ours():
            pos = note["position"]
            if not isinstance(pos, dict) or pos["position_type"] != "text" or note["resolved"]:
                continue
            new = pos.get("new_line")
            where = (pos["new_path"], int(new), "RIGHT") if new else (
                pos["old_path"], int(pos["old_line"]), "LEFT")
            found += [(fp, *where) for fp in fingerprints_in(str(note["body"]))]
        return sorted(found)

    def resolved(self) -> set[str]:
        return {fp for n in self._ours() if n["resolved"]
                for fp in fingerprints_in(str(n["body"]))}

    def summaries(self) -> list[str]:
        return [str(n["body"]) for n in self.fake.notes()
                if n["author"]["id"] == self.BOT_ID
                and str(n["body"]).startswith(SUMMARY_MARKER)]

    def verdicts(self) -> list[tuple[str, str]]:
        return [shown_in_summary(sections_in(s)["review"]) for s in self.summaries()]

    def refuse_resolving(self) -> None:
        self.fake.refuse_resolve = True

    def limit_writes(self, count: int, retry_after: str) -> None:
        self.fake.throttle_writes = [retry_after] * count

    def sent(self) -> str:
        return json.dumps(self.fake.log)


@pytest.fixture(params=["github", "gitlab"])
def platform(request: pytest.FixtureRequest) -> Iterator[Platform]:
    if request.param == "github":
        fake = FakeGitHub(diff_text()).start()
        try:
            yield GitHub(fake)
        finally:
            fake.stop()
    else:
        gitlab = FakeGitLab(diff_text())
        with Running(gitlab) as api_url:
            yield GitLab(gitlab, api_url)


def publication(report: RunReport, tmp: Path, summary: str | None = None) -> Publication:
    text = MarkdownRenderer().render(report) if summary is None else summary
    return Publication(report, parse_diff(diff_text()), tmp, text)


def run(platform: Platform, tmp: Path, findings: tuple[ReviewFinding, ...] = (), *,
        summary: str | None = None, task: str = "review") -> PublishOutcome:
    report = make_report(findings, task=task)
    return platform.publisher().publish(publication(report, tmp, summary))


def review_text(body: str) -> str:
    """The review's section of a summary, without its hidden state."""
    return sections_in(body)["review"].split("\n\n<!-- ci-orch:state:")[0]


ONE = finding(1)  # src/app.py:1, an added line
MULTI = finding(2, start=10, end=12)  # src/app.py:10-12, one hunk
REMOVED = finding(3, path="src/util.py", start=11, side="LEFT")  # a removed line
ON_DIFF = (ONE, MULTI, REMOVED)
WHERE = [("fp0001", "src/app.py", 1, "RIGHT"), ("fp0002", "src/app.py", 12, "RIGHT"),
         ("fp0003", "src/util.py", 11, "LEFT")]


def test_a_first_publish_puts_findings_on_their_lines_and_one_summary(
        platform: Platform, tmp_path: Path) -> None:
    out = run(platform, tmp_path, ON_DIFF)
    assert platform.open_inline() == WHERE
    assert platform.resolved() == set() and out.resolved == 0
    assert out.posted["inline"] == 3 and out.posted["summary"] == 1
    assert len(platform.summaries()) == 1


def test_publishing_the_same_run_again_changes_nothing(platform: Platform,
                                                      tmp_path: Path) -> None:
    run(platform, tmp_path, ON_DIFF, summary="run 1")
    again = run(platform, tmp_path, ON_DIFF, summary="run 1")
    assert again.posted.get("inline", 0) == 0 and again.resolved == 0
    assert again.skipped["duplicate"] == 3 and again.updated["summary"] == 1
    assert platform.open_inline() == WHERE  # no comment twice
    assert platform.resolved() == set()
    [summary] = platform.summaries()
    assert review_text(summary) == "run 1"


def test_a_fixed_finding_is_resolved_and_a_new_one_posted(platform: Platform,
                                                         tmp_path: Path) -> None:
    run(platform, tmp_path, (ONE, MULTI))
    new = finding(7)
    out = run(platform, tmp_path, (MULTI, new))
    assert out.resolved == 1 and out.posted["inline"] == 1
    assert platform.resolved() == {"fp0001"}
    assert [i[0] for i in platform.open_inline()] == ["fp0002", "fp0007"]
    assert len(platform.summaries()) == 1


def test_a_finding_off_the_diff_is_not_inline_and_is_in_the_summary(
        platform: Platform, tmp_path: Path) -> None:
    elsewhere = finding(5, path="docs/elsewhere.md")  # its file is not in the change
    past_end = finding(8, start=200)  # its file is, the line is not (80 lines added)
    out = run(platform, tmp_path, (ONE, elsewhere, past_end))
    assert platform.open_inline() == WHERE[:1] and out.posted["inline"] == 1
    [summary] = platform.summaries()
    for off in (elsewhere, past_end):
        assert off.title in review_text(summary)


def test_gate_and_review_each_set_their_own_section_of_the_one_summary(
        platform: Platform, tmp_path: Path) -> None:
    gate = run(platform, tmp_path, summary="gate summary 1", task="gate")
    run(platform, tmp_path, (ONE,), summary="review summary")
    again = run(platform, tmp_path, summary="gate summary 2", task="gate")
    [summary] = platform.summaries()
    sections = sections_in(summary)
    assert sections["gate"] == "gate summary 2"
    assert review_text(summary) == "review summary"
    assert gate.posted["summary"] == 1 and again.updated["summary"] == 1
    assert again.resolved == 0 and [i[0] for i in platform.open_inline()] == ["fp0001"]


def test_the_summary_s_hidden_state_round_trips(platform: Platform, tmp_path: Path) -> None:
    publisher = platform.publisher()
    assert publisher.last_review_state() is None
    run(platform, tmp_path, ON_DIFF)
    run(platform, tmp_path, summary="the gate's", task="gate")  # keeps the review's state
    state = platform.publisher().last_review_state()
    assert state is not None and state.head_sha == HEAD
    assert {(o.fingerprint, o.path, o.start_line, o.end_line, o.side) for o in state.open} == {
        ("fp0001", "src/app.py", 1, 1, "RIGHT"), ("fp0002", "src/app.py", 10, 12, "RIGHT"),
        ("fp0003", "src/util.py", 11, 11, "LEFT")}
    run(platform, tmp_path, (MULTI,))
    later = platform.publisher().last_review_state()
    assert later is not None and [o.fingerprint for o in later.open] == ["fp0002"]


@pytest.mark.parametrize(("conclusion", "title", "gate_blocks"), [
    ("neutral", "review partial: decided once, upstream (exit 0)", True),
    ("failure", "review complete: fail-on reached (exit 1)", False),
])
def test_the_verdict_shown_is_the_report_s(platform: Platform, tmp_path: Path,
                                           conclusion: str, title: str,
                                           gate_blocks: bool) -> None:
    # Never re-decided: a blocking gate finding does not turn `neutral` into `failure`, and
    # a clean gate does not turn `failure` into `success`.
    gates = (gate_finding(1),) if gate_blocks else ()
    report = make_report((ONE,), gates).model_copy(update={
        "verdict": RunVerdict(conclusion=conclusion, title=title),
        "exit_code": 1 if conclusion == "failure" else 0})
    platform.publisher().publish(publication(report, tmp_path))
    shown = platform.verdicts()
    assert shown and set(shown) == {(conclusion, title)}


def test_a_refused_resolve_is_a_warning_and_the_summary_is_still_updated(
        platform: Platform, tmp_path: Path) -> None:
    run(platform, tmp_path, (ONE, MULTI), summary="run 1")
    platform.refuse_resolving()
    out = run(platform, tmp_path, (MULTI,), summary="run 2")
    assert out.resolved == 0 and platform.resolved() == set()
    assert any("gone findings" in w and "403" in w for w in out.warnings), out.warnings
    assert [i[0] for i in platform.open_inline()] == ["fp0001", "fp0002"]  # still open
    assert out.updated["summary"] == 1
    [summary] = platform.summaries()
    assert review_text(summary) == "run 2"


def test_what_the_rate_limit_left_unposted_is_named_never_lost(platform: Platform,
                                                              tmp_path: Path) -> None:
    # Five writes refused, each asking for 100 s, against a 300 s budget: the first thing
    # written is retried until the budget is spent, the next gets one try, the rest go.
    platform.limit_writes(5, "100")
    out = run(platform, tmp_path, ON_DIFF)
    assert sum(platform.sleeps) <= BUDGET_S and platform.sleeps
    lost = [w for w in out.warnings if "rate-limited" in w]
    assert len(lost) == 2, out.warnings
    [summary] = platform.summaries()
    inline = {i[0] for i in platform.open_inline()}
    for f in ON_DIFF:
        named = any(f.path in w and f"line {f.start_line}" in w for w in lost)
        assert f.fingerprint in inline | fingerprints_in(summary) or named, f.fingerprint


def test_a_secret_planted_in_a_finding_never_reaches_the_platform(platform: Platform,
                                                                 tmp_path: Path) -> None:
    # The way a run publishes: report files written (and scrubbed) first, then `publish`.
    secret = KEYS["stripe"][1]
    planted = replace_body(ONE, f"The key {secret} is committed here.")
    in_summary = replace_body(finding(6, placement="summary"), f"Also {secret}.")
    report = make_report((planted, in_summary))
    write_reports(report, tmp_path)
    changes = Changes(github_context(), parse_diff(diff_text()), "test")
    done = publish(report, changes, tmp_path, runner=None, env={},
                   selection=Selection((platform.publisher(),)))
    assert done.errors == ()
    assert [i[0] for i in platform.open_inline()] == ["fp0001"]  # the comment did go out
    sent = platform.sent()
    assert "redacted:stripe" in sent  # scrubbed, not dropped
    # Markdown escapes (`sk\_live\_...`) still show the key to a reader: undo them too.
    unescaped = re.sub(r"\\+(?=[^A-Za-z0-9\s])", "", sent)
    assert leaks(sent, {"stripe": secret}) == leaks(unescaped, {"stripe": secret}) == []


def replace_body(f: ReviewFinding, body: str) -> ReviewFinding:
    return f.model_copy(update={"body": body})

