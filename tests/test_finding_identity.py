"""A finding keeps its identity across pushes: reworded by the model, moved by new code.

Five runs of a deliberately non-deterministic scripted model (each run words the two
findings differently, and each push inserts lines above them) against the stateful GitHub
and GitLab fakes: the first run posts two comments, the next four post none and resolve
none; a sixth run after the fix resolves exactly the fixed one.
"""

from __future__ import annotations

import random
from pathlib import Path

from ci_orch.diff import parse_diff
from ci_orch.platforms.github import GitHubPublisher
from ci_orch.platforms.gitlab import GitLabPublisher
from ci_orch.platforms.interface import Publication
from ci_orch.platforms.markers import fingerprints_in
from ci_orch.review.findings import ModelFinding
from ci_orch.review.placement import merge_findings
from tests.platforms.conftest import context, make_report
from tests.platforms.fake_github import FakeGitHub, diff_lines
from tests.platforms.fake_gitlab import FakeGitLab, Running
from tests.platforms.test_gitlab_support import context as gitlab_context

SQL = 'query = "SELECT * FROM users WHERE id = " + user_id'
NONE = "return cache.get(key).value"
SQL_TITLES = ["SQL injection in query", "Possible SQL injection via string concatenation",
              "User id concatenated into SQL: injection risk", "Injection: build the query "
              "with parameters", "Unparameterised SQL allows injection"]
NONE_TITLES = ["cache.get may return None", "Unchecked None from cache lookup",
               "AttributeError when the cache misses (None)", "Missing None check on cache "
               "result", "cache miss returns None and crashes"]


def _diff(pad: int, fixed: bool = False) -> tuple[str, int, int]:
    """A new file with `pad` lines pushed above the two findings; their line numbers."""
    body = [f"# padding {i}" for i in range(pad)] + [
        "def lookup(user_id, cache, key):",
        '    query = "SELECT * FROM users WHERE id = %s"' if fixed else f"    {SQL}",
        "    run(query)",
        f"    {NONE}",
    ]
    hunk = "".join(f"+{line}\n" for line in body)
    text = (f"diff --git a/src/app.py b/src/app.py\nnew file mode 100644\n--- /dev/null\n"
            f"+++ b/src/app.py\n@@ -0,0 +1,{len(body)} @@\n{hunk}")
    return text, pad + 2, pad + 4


def _run(k: int, rng: random.Random, *, fixed: bool = False) -> tuple[str, tuple]:
    text, sql_line, none_line = _diff(pad=3 * k, fixed=fixed)
    reported = [("model", ModelFinding(path="src/app.py", start_line=none_line,
                                       end_line=none_line, category="bug",
                                       title=rng.choice(NONE_TITLES), body=f"run {k}"))]
    if not fixed:
        reported.append(("model", ModelFinding(
            path="src/app.py", start_line=sql_line, end_line=sql_line, category="security",
            severity="high", title=SQL_TITLES[k % len(SQL_TITLES)], body=f"run {k}")))
    rng.shuffle(reported)
    placed, _ = merge_findings(reported, parse_diff(text), cap=10)
    return text, tuple(p.reported() for p in placed)


def test_reworded_and_moved_findings_neither_repost_nor_resolve_on_github(
    tmp_path: Path,
) -> None:
    rng = random.Random(5)
    fake = FakeGitHub(_diff(0)[0]).start()
    try:
        counts = []
        for k in range(6):
            text, findings = _run(k, rng, fixed=k == 5)
            fake.lines, fake.paths = diff_lines(text)
            report = make_report(findings)
            publisher = GitHubPublisher(context(), "ghs_app", api_url=fake.url,
                                        write_interval_s=0.0, sleep=lambda _s: None)
            out = publisher.publish(Publication(report, parse_diff(text), tmp_path, "summary"))
            counts.append((out.posted.get("inline", 0), out.resolved))
    finally:
        fake.stop()
    assert counts == [(2, 0), (0, 0), (0, 0), (0, 0), (0, 0), (0, 1)]
    live = [c for c in fake.state.review_comments if "Resolved" not in c["body"]]
    assert len(live) == 1 and live[0]["body"].count("run 0") == 1  # the first wording stays


def test_reworded_and_moved_findings_neither_repost_nor_resolve_on_gitlab() -> None:
    rng = random.Random(6)
    fake = FakeGitLab(_diff(0)[0])
    threads, resolved = [], []
    with Running(fake) as api_url:
        for k in range(6):
            text, findings = _run(k, rng, fixed=k == 5)
            if k:
                fake.push(text)
            report = make_report(findings)
            publisher = GitLabPublisher(gitlab_context(fake), "glpat-bot", api_url=api_url,
                                        sleep=lambda _s: None)
            out = publisher.publish(Publication(report, parse_diff(text), Path("."), "s"))
            threads.append(sum(1 for d in fake.discussions if fingerprints_in(
                str(d["notes"][0]["body"]))))
            resolved.append(out.resolved)
    assert threads == [2, 2, 2, 2, 2, 2]  # no thread opened after the first run
    assert resolved == [0, 0, 0, 0, 0, 1]  # only the fixed SQL finding is resolved
