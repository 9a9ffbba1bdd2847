"""The replay runner against the provider server over HTTP, with the real review pipeline."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from ci_orch.testing.provider_server import ProviderServer
from tests.evals._replay import (
    GOOD,
    answer,
    clean_case,
    config,
    dataset,
    finding,
    replay,
    review_case,
)


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    with ProviderServer({}) as srv:
        yield srv


def test_a_provider_that_finds_the_expected_issue_scores_recall_and_precision_1(
    tmp_path: Path, server: ProviderServer
) -> None:
    server.load({"models": {"good": {"json": GOOD}}})
    run = replay(tmp_path, config(tmp_path, server, {"p": "good"}),
                 dataset(tmp_path, [review_case("sqli")]), providers=("p",))
    [trial] = run.trials
    assert trial.outcome == "pass", trial
    assert [m.expected_id for m in trial.matched] == ["sqli-find-user"]
    [m] = run.metrics
    assert (m.key, m.recall, m.precision, m.f1, m.localisation_rate) == ("p/good", 1, 1, 1, 1)
    assert m.cost_usd > 0 and m.latency_p50_ms is not None and run.status == "complete"
    assert len(server.requests) == 1


def test_a_finding_ten_lines_away_fails_the_location_gate(
    tmp_path: Path, server: ProviderServer
) -> None:
    far = answer(finding(26, "SQL injection in find_user"))
    server.load({"models": {"far": {"json": far}}})
    run = replay(tmp_path, config(tmp_path, server, {"p": "far"}),
                 dataset(tmp_path, [review_case("sqli")]), providers=("p",))
    [trial] = run.trials
    assert trial.outcome == "fail" and trial.matched == ()
    assert trial.mislocated == ("sqli-find-user",) and len(trial.false_positives) == 1
    [m] = run.metrics
    assert (m.recall, m.precision, m.localisation_rate) == (0, 0, 0)


def test_right_place_wrong_meaning_fails_the_meaning_gate(
    tmp_path: Path, server: ProviderServer
) -> None:
    vague = answer(finding(15, "Consider a docstring", body="document find_user", category="docs"))
    server.load({"models": {"vague": {"json": vague}}})
    run = replay(tmp_path, config(tmp_path, server, {"p": "vague"}),
                 dataset(tmp_path, [review_case("sqli")]), providers=("p",))
    [trial] = run.trials
    assert trial.outcome == "fail" and trial.missed == ("sqli-find-user",)
    assert trial.mislocated == ()


def test_flagging_a_forbidden_place_fails_the_case_even_when_the_issue_is_found(
    tmp_path: Path, server: ProviderServer
) -> None:
    both = answer(finding(15, "SQL injection in find_user"),
                  finding(7, "Hard-coded timeout", category="maintainability"))
    server.load({"models": {"noisy": {"json": both}}})
    run = replay(tmp_path, config(tmp_path, server, {"p": "noisy"}),
                 dataset(tmp_path, [review_case("sqli")]), providers=("p",))
    [trial] = run.trials
    assert trial.outcome == "fail" and len(trial.matched) == 1
    assert [f.start_line for f in trial.forbidden_hits] == [7]
    assert run.metrics[0].precision == 0.5


def test_a_comment_on_a_clean_case_is_a_false_positive(
    tmp_path: Path, server: ProviderServer
) -> None:
    server.load({"models": {"chatty": {"json": answer(finding(9, "Magic constant", category="style"))},
                            "quiet": {"json": answer()}}})
    cases = [clean_case("clean-timeout")]
    cfg = config(tmp_path, server, {"chatty": "chatty", "quiet": "quiet"})
    run = replay(tmp_path, cfg, dataset(tmp_path, cases), providers=("chatty", "quiet"))
    by = {m.provider: m for m in run.metrics}
    assert by["chatty"].fp_rate_clean == 1 and by["chatty"].precision == 0
    assert by["quiet"].fp_rate_clean == 0 and by["quiet"].precision is None
    outcomes = {t.provider: t.outcome for t in run.trials}
    assert outcomes == {"chatty": "fail", "quiet": "pass"}


def test_the_dollar_cap_stops_the_run_and_skips_the_rest_without_overspending(
    tmp_path: Path, server: ProviderServer
) -> None:
    server.load({"models": {"good": {"json": GOOD}}})
    cases = [review_case(f"sqli-{i}") for i in range(8)]
    # $40/Mtok in and out: each call's worst case is about 8 cents.
    cfg = config(tmp_path, server, {"p": "good"}, price="40", concurrency=1)
    probe = replay(tmp_path, cfg, dataset(tmp_path, cases[:1]), providers=("p",))
    one = probe.budget.spent_usd
    # What the router holds before each call, read from a run whose cap holds nothing.
    broke = replay(tmp_path, cfg, dataset(tmp_path, cases[:1]), providers=("p",), max_cost=1e-9)
    worst = float(re.findall(r"may cost up to \$([0-9.]+)", broke.skipped[0].reason)[0])
    assert broke.trials[0].calls == 0 and broke.budget.spent_usd == 0
    # Room for one settled call plus one worst case: the third call cannot be held.
    cap = one + worst + 1e-6
    run = replay(tmp_path, cfg, dataset(tmp_path, cases), providers=("p",), max_cost=cap)
    done = [t for t in run.trials if t.outcome == "pass"]
    skipped = [t for t in run.trials if t.outcome == "skipped"]
    assert len(done) == 2 and len(skipped) == 6
    assert run.status == "partial" and len(run.skipped) == len(skipped)
    assert run.budget.spent_usd <= cap and run.budget.cap_usd == cap
    assert len(server.requests) == 1 + len(done)  # nothing was sent for the skipped cases


def test_an_erroring_provider_gives_error_trials_not_failures(
    tmp_path: Path, server: ProviderServer
) -> None:
    server.load({"models": {"down": {"outcomes": [{"fault": "server_error", "times": 99}]}}})
    run = replay(tmp_path, config(tmp_path, server, {"p": "down"}),
                 dataset(tmp_path, [review_case("a"), review_case("b")]), providers=("p",))
    assert {t.outcome for t in run.trials} == {"error"}
    assert {t.error_kind for t in run.trials} <= {"ServerError", "breaker_open"}
    [m] = run.metrics
    assert m.error_rate == 1 and m.scored_trials == 0 and m.recall is None
    assert run.status == "partial"


def test_trials_are_credited_to_the_fallback_that_answered(
    tmp_path: Path, server: ProviderServer
) -> None:
    server.load({"models": {"down": {"outcomes": [{"fault": "server_error", "times": 99}]},
                            "good": {"json": GOOD}}})
    cfg = config(tmp_path, server, {"primary": "down", "backup": "good"},
                 extra="")
    text = cfg.read_text().replace("routing: {", "routing: {fallback: [primary, backup], ")
    cfg.write_text(text)
    run = replay(tmp_path, cfg, dataset(tmp_path, [review_case("sqli")]))
    [trial] = run.trials
    assert (trial.selected, trial.provider, trial.model) == ("chain", "backup", "good")
    assert trial.fallback_used and trial.outcome == "pass"
    assert run.mode == "chain" and run.metrics[0].fallback_rate == 1


def test_repeats_make_one_trial_each_and_a_case_rollup(
    tmp_path: Path, server: ProviderServer
) -> None:
    server.load({"models": {"good": {"json": GOOD}}})
    run = replay(tmp_path, config(tmp_path, server, {"p": "good"}),
                 dataset(tmp_path, [review_case("sqli")]), providers=("p",), repeats=3)
    assert sorted(t.repeat for t in run.trials) == [0, 1, 2]
    [case] = run.cases
    assert (case.trials, case.passes, case.pass_rate, case.recall) == (3, 3, 1, 1)


def generate_case(case_id: str, **expect: object) -> dict[str, object]:
    tests = {"cmd": "python -m unittest -q {tests}", "files_path": "gen/calc/tests",
             "fail_to_pass": ["calc_checks.AddTests.test_add"],
             "pass_to_pass": ["calc_checks.SubTests.test_sub"], "timeout_s": 60}
    return {"id": case_id, "v": 1, "kind": "generate",
            "input": {"prompt_path": "gen/calc/prompt.md", "files": "gen/calc/files"},
            "expect": {"tests": tests, **expect}}


def patches(name: str) -> dict[str, object]:
    diff = (Path(__file__).parent / "data" / "gen" / "calc" / name).read_text()
    return {"patches": [{"path": "calc.py", "description": "fix add", "diff": diff}],
            "summary": "add() now adds"}


def test_a_generate_case_passes_with_a_correct_patch_and_fails_with_a_wrong_one(
    tmp_path: Path, server: ProviderServer
) -> None:
    server.load({"models": {"right": {"json": patches("good.patch")},
                            "wrong": {"json": patches("bad.patch")}}})
    case = generate_case("fix-add", **{"assert": [{"type": "is-json"},
                                                  {"type": "contains", "value": "calc.py"}]})
    cfg = config(tmp_path, server, {"right": "right", "wrong": "wrong"})
    run = replay(tmp_path, cfg, dataset(tmp_path, [case]), providers=("right", "wrong"))
    by = {t.provider: t for t in run.trials}
    assert by["right"].outcome == "pass" and by["right"].tests_passed is True
    assert by["right"].patch_applied is True and by["right"].assertions_failed == ()
    assert by["wrong"].outcome == "fail" and by["wrong"].tests_passed is False
    assert "fail_to_pass" in by["wrong"].detail
    metrics = {m.provider: m for m in run.metrics}
    assert (metrics["right"].pass_at_1, metrics["right"].pass_hat_k) == (1, 1)
    assert (metrics["wrong"].pass_at_1, metrics["wrong"].pass_hat_k) == (0, 0)


def test_a_failed_assertion_fails_a_generate_case_whose_tests_pass(
    tmp_path: Path, server: ProviderServer
) -> None:
    server.load({"models": {"right": {"json": patches("good.patch")}}})
    case = generate_case("fix-add", **{"assert": [{"type": "not-contains", "value": "a + b"}]})
    run = replay(tmp_path, config(tmp_path, server, {"right": "right"}),
                 dataset(tmp_path, [case]), providers=("right",))
    [trial] = run.trials
    assert trial.tests_passed is True and trial.outcome == "fail"
    assert trial.assertions_failed == ("not-contains 'a + b'",)


def test_the_judge_rescues_a_well_placed_finding_and_its_verdict_is_cached(
    tmp_path: Path, server: ProviderServer
) -> None:
    worded = answer(finding(15, "User input reaches the query unescaped", category="bug"))
    server.load({"models": {"worded": {"json": worded}, "judge-model": {"text": "yes"}}})
    cfg = config(tmp_path, server, {"p": "worded", "judge": "judge-model"})
    ds = dataset(tmp_path, [review_case("sqli")])
    run = replay(tmp_path, cfg, ds, providers=("p",), judge="judge")
    [trial] = run.trials
    assert trial.outcome == "pass" and trial.matched[0].via == "judge"
    assert run.scorer_version.endswith("judge-1:judge-model")
    judged = [r for r in server.requests if r["model"] == "judge-model"]
    assert len(judged) == 1 and judged[0]["body"]["temperature"] == 0
    again = replay(tmp_path, cfg, ds, providers=("p",), judge="judge")
    assert again.trials[0].matched[0].via == "judge"
    assert len([r for r in server.requests if r["model"] == "judge-model"]) == 1  # cached
    assert run.baseline_key("p/worded") != replay(
        tmp_path, cfg, ds, providers=("p",)).baseline_key("p/worded")


def test_a_case_past_its_timeout_is_an_error_trial_and_the_run_goes_on(
    tmp_path: Path, server: ProviderServer
) -> None:
    server.load({"models": {"slow": {"outcomes": [{"fault": "hang", "hang_s": 30}]}}})
    slow = {**review_case("slow"), "limits": {"timeout_s": 1}}
    run = replay(tmp_path, config(tmp_path, server, {"p": "slow"}),
                 dataset(tmp_path, [slow]), providers=("p",))
    [trial] = run.trials
    assert trial.outcome == "error" and trial.error_kind in {"timeout", "Timeout", "deadline"}
    assert trial.latency_ms < 10_000


def test_a_case_cap_skips_that_case_only(tmp_path: Path, server: ProviderServer) -> None:
    server.load({"models": {"good": {"json": GOOD}}})
    dear = {**review_case("dear"), "limits": {"max_usd": 1e-7}}
    cfg = config(tmp_path, server, {"p": "good"}, concurrency=1)
    run = replay(tmp_path, cfg, dataset(tmp_path, [dear, review_case("cheap")]), providers=("p",))
    outcomes = {t.case_id: (t.outcome, t.error_kind) for t in run.trials}
    assert outcomes == {"dear": ("skipped", "budget"), "cheap": ("pass", None)}
    assert [s.case_id for s in run.skipped] == ["dear"] and len(server.requests) == 1
