"""Scoring rules on their own: the location and meaning gates, one-to-one matching, pass/fail."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ci_orch.evals.model import Assertion, ExpectedFinding, ReviewExpect, Trial
from ci_orch.evals.score import (
    Produced,
    ReviewScore,
    failed_assertions,
    score_review,
    suite_metrics,
)
from ci_orch.report.cost import percentile


def expected(eid: str = "e1", lines: tuple[int, int] = (15, 16), **kw: Any) -> ExpectedFinding:
    base: dict[str, Any] = {"id": eid, "file": "app/db.py", "lines": lines, "severity": "high",
                            "category": "security", "match": {"any": ["injection"]}}
    return ExpectedFinding.model_validate({**base, **kw})


def found(line: int, title: str = "SQL injection", *, end: int | None = None,
          category: str = "security", path: str = "app/db.py", side: str = "RIGHT",
          body: str = "") -> Produced:
    return Produced(path, side, line, end or line, "high", category, title, body)


def score(expect: ReviewExpect, *produced: Produced, judge: Any = None) -> ReviewScore:
    return asyncio.run(score_review(expect, list(produced), judge))


def test_location_gate_allows_three_lines_either_side_and_no_more() -> None:
    expect = ReviewExpect(findings=(expected(),))
    assert [m.expected_id for m in score(expect, found(19)).matched] == ["e1"]
    assert [m.expected_id for m in score(expect, found(12)).matched] == ["e1"]
    assert score(expect, found(20)).matched == ()
    assert score(expect, found(11)).matched == ()
    assert score(expect, found(15, path="app/other.py")).matched == ()
    assert score(expect, found(15, side="LEFT")).matched == ()


def test_a_range_that_overlaps_counts_even_when_it_starts_far_away() -> None:
    assert score(ReviewExpect(findings=(expected(),)), found(2, end=30)).passed


def test_meaning_gate_keywords_are_case_insensitive_and_search_body_and_category() -> None:
    expect = ReviewExpect(findings=(expected(match={"any": ["Injection", "sqli"]}),))
    assert score(expect, found(15, "Unsafe query", body="classic SQLI")).passed
    assert score(expect, found(15, "Possible INJECTION")).passed
    assert not score(expect, found(15, "Missing docstring", category="docs")).passed


def test_the_symbol_must_appear_when_given() -> None:
    expect = ReviewExpect(findings=(expected(match={"any": ["injection"], "symbol": "find_user"}),))
    assert not score(expect, found(15, "SQL injection")).passed
    assert score(expect, found(15, "SQL injection in find_user")).passed


def test_without_hints_the_category_must_match() -> None:
    expect = ReviewExpect(findings=(expected(match={}),))
    assert score(expect, found(15, "anything", category="Security")).matched[0].via == "category"
    assert not score(expect, found(15, "anything", category="bug")).passed


def test_one_finding_matches_one_expected_issue_only() -> None:
    expect = ReviewExpect(findings=(expected("a"), expected("b", lines=(16, 16))))
    s = score(expect, found(15))
    assert len(s.matched) == 1 and len(s.missed) == 1 and not s.passed


def test_matching_is_maximum_so_an_ambiguous_finding_does_not_block_another() -> None:
    # f0 could serve a or b; f1 only a. Greedy "first fit" would give f0 to a and leave b empty.
    expect = ReviewExpect(findings=(expected("a", lines=(10, 10)), expected("b", lines=(14, 14))))
    s = score(expect, found(12), found(8))
    assert {m.expected_id: m.finding.start_line for m in s.matched} == {"a": 8, "b": 12}
    assert s.passed and s.false_positives == ()


def test_the_heavier_issue_wins_a_contested_finding() -> None:
    low = expected("low", lines=(10, 10), severity="low")
    critical = expected("critical", lines=(12, 12), severity="critical")
    s = score(ReviewExpect(findings=(low, critical)), found(11))
    assert [m.expected_id for m in s.matched] == ["critical"]
    assert (s.recall_found, s.recall_total) == (8.0, 9.0)


def test_must_find_false_does_not_fail_the_case_but_counts_for_recall() -> None:
    expect = ReviewExpect(findings=(expected(must_find=False),))
    s = score(expect)
    assert s.passed and s.recall_found == 0 and s.recall_total == 4.0


def test_forbidden_places_fail_the_case() -> None:
    expect = ReviewExpect(findings=(expected(),),
                          forbidden=({"file": "app/db.py", "lines": (6, 7)},))  # type: ignore[arg-type]
    s = score(expect, found(15), found(7, "timeout"))
    assert not s.passed and [f.start_line for f in s.forbidden_hits] == [7]
    assert score(expect, found(15), found(8, "timeout")).passed  # no slack around forbidden


def test_clean_cases_allow_max_comments() -> None:
    assert not score(ReviewExpect(clean=True), found(3)).passed
    assert score(ReviewExpect(clean=True, max_comments=1), found(3)).passed
    assert not score(ReviewExpect(clean=True, max_comments=1), found(3), found(4)).passed
    assert score(ReviewExpect(clean=True)).passed


def test_the_judge_is_asked_only_when_the_place_is_right_and_the_hints_fail() -> None:
    asked: list[tuple[str, int]] = []

    async def judge(e: ExpectedFinding, f: Produced) -> bool:
        asked.append((e.id, f.start_line))
        return True

    expect = ReviewExpect(findings=(expected(),))
    s = score(expect, found(15, "Unescaped user input"), found(40, "unrelated"), found(16),
              judge=judge)
    assert asked == [("e1", 15)]
    assert len(s.matched) == 1


def test_assertions_follow_promptfoo_names() -> None:
    a = [Assertion(type="contains", value="calc"), Assertion(type="not-contains", value="TODO"),
         Assertion(type="regex", value=r"^\{"), Assertion(type="is-json")]
    assert failed_assertions(a, ['{"calc": 1}']) == ()
    assert failed_assertions(a, ["calc TODO"]) == (
        "not-contains 'TODO'", "regex '^\\\\{'", "is-json")
    assert failed_assertions([Assertion(type="is-json")], []) == ("is-json",)


def trial(outcome: str, **kw: Any) -> Trial:
    return Trial.model_validate({"case_id": kw.pop("case_id", "c"), "kind": "review",
                                 "repeat": 0, "provider": "p", "model": "m", "selected": "p",
                                 "outcome": outcome, **kw})


def test_suite_metrics_leave_errors_and_skips_out_of_quality_figures() -> None:
    trials = [
        trial("pass", findings=1, recall_found=4, recall_total=4, cost_usd=0.2,
              matched=[{"expected_id": "e", "via": "hints", "finding": {
                  "path": "a", "side": "RIGHT", "start_line": 1, "end_line": 1,
                  "severity": "high", "category": "bug", "title": "t"}}],
              call_latencies_ms=[100.0]),
        trial("error", case_id="d", cost_usd=0.1),
        trial("skipped", case_id="e"),
    ]
    [m] = suite_metrics(trials)
    assert (m.precision, m.recall, m.scored_trials, m.trials) == (1, 1, 1, 3)
    assert m.error_rate == 0.5 and m.cost_per_true_positive == pytest.approx(0.3)
    assert m.cost_per_case == pytest.approx(0.15) and m.latency_p50_ms == 100


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 21)]
    assert (percentile(values, 0.5), percentile(values, 0.95), percentile([], 0.5)) == (10, 19, None)
