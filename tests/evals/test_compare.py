"""The regression decision on synthetic runs whose right answer is known."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from ci_orch.evals.decide import compare
from ci_orch.evals.model import CaseResult, EvalRun, Thresholds
from ci_orch.evals.store import Baseline, HistoryRecord, bless, load_baseline, record_for
from tests.evals.test_compare_support import case, make_run, noisy, scored_cases


def _baseline_of(run: EvalRun, tmp_path: Path) -> Baseline:
    return bless(run, tmp_path / "baseline.json")


def test_clearly_worse_provider_fails(tmp_path: Path) -> None:
    rng = random.Random(1)
    base = make_run(scored_cases(noisy(0.9, 20, rng)), run_id="base")
    worse = make_run(scored_cases(noisy(0.5, 20, rng)), run_id="worse")
    result = compare(worse, _baseline_of(base, tmp_path))
    assert result.verdict == "FAIL"
    (prov,) = result.providers
    recall = next(m for m in prov.metrics if m.metric == "recall")
    assert recall.verdict == "FAIL" and recall.pairs == 20 and recall.method == "exact"
    assert recall.change is not None and recall.change < -0.3
    assert recall.p_adjusted is not None and recall.p_adjusted < 0.001
    assert recall.ci_low is not None and recall.ci_high is not None and recall.ci_high < -0.3
    assert any("recall down" in r for r in prov.reasons)
    assert prov.regressed_cases and prov.regressed_cases[0].change < -0.3


def _sampled(probs: list[float], rng: random.Random, k: int = 3) -> list[CaseResult]:
    """k repeats per case from fixed per-case pass probabilities (same quality, new noise)."""
    out = []
    for i, p in enumerate(probs):
        passes = sum(rng.random() < p for _ in range(k))
        recall = round(passes / k * 0.9 + rng.uniform(0, 0.1), 3)
        out.append(
            case(
                f"case-{i:02d}",
                passes=passes,
                fails=k - passes,
                recall=recall,
                precision=min(1.0, recall + 0.05),
            )
        )
    return out


@pytest.mark.parametrize("seed", range(12))
def test_same_quality_with_noise_never_fails(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    probs = [rng.choice([0.2, 0.5, 0.8, 0.95]) for _ in range(30)]
    base = make_run(_sampled(probs, rng), run_id="base")
    again = make_run(_sampled(probs, rng), run_id="again")
    result = compare(again, _baseline_of(base, tmp_path))
    assert result.verdict in ("PASS", "WARN"), result.providers[0].reasons


@pytest.mark.parametrize("seed", range(4))
def test_the_same_generator_with_a_real_drop_fails(seed: int, tmp_path: Path) -> None:
    # Guards the test above: its generator is able to produce a FAIL.
    rng = random.Random(seed)
    probs = [rng.choice([0.5, 0.8, 0.95]) for _ in range(30)]
    base = make_run(_sampled(probs, rng), run_id="base")
    worse = make_run(_sampled([p - 0.45 for p in probs], rng), run_id="worse")
    assert compare(worse, _baseline_of(base, tmp_path)).verdict == "FAIL"


def test_significant_three_point_drop_warns_but_does_not_fail(tmp_path: Path) -> None:
    base = make_run(scored_cases([0.8] * 40), run_id="base")
    slight = make_run(scored_cases([0.77] * 40), run_id="slight")
    result = compare(slight, _baseline_of(base, tmp_path))
    assert result.verdict == "WARN"
    recall = next(m for m in result.providers[0].metrics if m.metric == "recall")
    assert recall.p_adjusted is not None and recall.p_adjusted < 1e-6
    assert recall.change == pytest.approx(-0.03)
    assert recall.verdict == "WARN" and "below the 5-point minimum" in recall.reason


def test_large_drop_on_few_cases_warns_as_not_yet_significant(tmp_path: Path) -> None:
    base = make_run(scored_cases([0.9, 0.9, 0.9]), run_id="base")
    worse = make_run(scored_cases([0.8, 0.8, 0.8]), run_id="worse")
    recall = next(
        m
        for m in compare(worse, _baseline_of(base, tmp_path)).providers[0].metrics
        if m.metric == "recall"
    )
    # 3 pairs all down: exact p = 1/8 > 0.05 -> not significant, but a 10-point drop
    assert recall.p_value == pytest.approx(0.125)
    assert recall.verdict == "WARN" and "not yet significant" in recall.reason


def test_min_effect_threshold_is_configurable(tmp_path: Path) -> None:
    base = make_run(scored_cases([0.8] * 40), run_id="base")
    slight = make_run(scored_cases([0.77] * 40), run_id="slight")
    strict = Thresholds(min_effect=0.02)
    assert compare(slight, _baseline_of(base, tmp_path), thresholds=strict).verdict == "FAIL"


def test_key_mismatch_means_no_gate(tmp_path: Path) -> None:
    rng = random.Random(2)
    base = make_run(scored_cases(noisy(0.9, 20, rng)), run_id="base")
    worse = make_run(scored_cases(noisy(0.3, 20, rng)), run_id="worse", prompt_version="prompts-2")
    result = compare(worse, _baseline_of(base, tmp_path))
    (prov,) = result.providers
    assert result.verdict == "PASS" and not prov.comparable and prov.metrics == ()
    assert prov.note == "no comparable baseline: prompt version changed since the baseline"


def test_other_model_in_baseline_is_not_comparable(tmp_path: Path) -> None:
    base = make_run(scored_cases([0.9] * 10, model="gpt-4o"), run_id="base")
    run = make_run(scored_cases([0.1] * 10), run_id="run")
    (prov,) = compare(run, _baseline_of(base, tmp_path)).providers
    assert not prov.comparable and "none for this model" in prov.note and prov.verdict == "PASS"


def test_no_baseline_at_all_passes_with_a_note() -> None:
    result = compare(make_run(scored_cases([0.5] * 5)), None)
    assert result.verdict == "PASS" and "bless" in result.notes[0]


def test_cost_rise_past_threshold_fails(tmp_path: Path) -> None:
    base = make_run(scored_cases([0.9] * 10, cost=0.010), run_id="base")
    dear = make_run(scored_cases([0.9] * 10, cost=0.013), run_id="dear")
    fine = make_run(scored_cases([0.9] * 10, cost=0.012), run_id="fine")
    baseline = _baseline_of(base, tmp_path)
    dear_cmp = compare(dear, baseline)
    assert dear_cmp.verdict == "FAIL"
    cost = dear_cmp.providers[0].cost
    assert cost is not None and cost.rise == pytest.approx(0.3) and "up 30%" in cost.reason
    assert compare(fine, baseline).verdict == "PASS"


def test_provider_errors_are_not_quality_drops(tmp_path: Path) -> None:
    base = make_run(scored_cases([0.9] * 20), run_id="base")
    outage = [case(f"case-{i:02d}", passes=0, fails=0, errors=3) for i in range(10, 20)]
    run = make_run(scored_cases([0.9] * 10) + outage, run_id="run")
    (prov,) = compare(run, _baseline_of(base, tmp_path)).providers
    assert prov.verdict == "PASS" and prov.errors == 30
    assert all(m.pairs == 10 for m in prov.metrics)


def _history(n: int, case_id: str, passes: int, scored: int) -> list[HistoryRecord]:
    out = []
    for i in range(n):
        past = make_run(
            [case(case_id, passes=passes, fails=scored - passes, recall=1.0, precision=1.0)],
            run_id=f"h{i}",
        )
        out.append(record_for(past))
    return out


def test_history_rule_fails_a_reliable_case_that_scores_zero() -> None:
    now = make_run([case("c1", passes=0, fails=3, recall=0.0, precision=None)], run_id="now")
    result = compare(now, None, _history(5, "c1", 3, 3))
    (prov,) = result.providers
    assert result.verdict == "FAIL"
    (brk,) = prov.history_breaks
    assert (brk.case_id, brk.history_runs, brk.history_pass_rate, brk.scored) == ("c1", 5, 1.0, 3)


@pytest.mark.parametrize(
    ("runs", "passes", "now_passes", "now_errors"),
    [
        (4, 3, 0, 0),  # too little history
        (5, 2, 0, 0),  # passed 67%, not reliably
        (5, 3, 1, 0),  # 1 of 3 now is not 0 of k
        (5, 3, 0, 3),  # provider errors only: nothing scored
    ],
)
def test_history_rule_needs_history_reliability_and_a_scored_zero(
    runs: int, passes: int, now_passes: int, now_errors: int
) -> None:
    scored_now = 0 if now_errors else 3
    now = make_run(
        [
            case(
                "c1",
                passes=now_passes,
                fails=scored_now - now_passes,
                errors=now_errors,
                recall=0.0,
            )
        ],
        run_id="now",
    )
    assert compare(now, None, _history(runs, "c1", passes, 3)).providers[0].history_breaks == ()


def test_history_of_another_key_does_not_count() -> None:
    now = make_run([case("c1", passes=0, fails=3, recall=0.0)], run_id="now", digest="digest-2")
    assert compare(now, None, _history(6, "c1", 3, 3)).verdict == "PASS"


def test_flaky_cases_are_reported_not_gated() -> None:
    cases = [
        case("mixed", passes=2, fails=1, recall=0.6),
        case("solid", passes=3, recall=1.0),
        case("mostly-bad", passes=1, fails=19, recall=0.1),
    ]
    result = compare(make_run(cases, run_id="now"), None)
    (prov,) = result.providers
    assert [f.case_id for f in prov.flaky] == ["mixed"]
    assert prov.flaky[0].low < 0.5 < prov.flaky[0].high
    assert result.verdict == "PASS"


def test_flaky_uses_history_to_narrow_the_interval() -> None:
    # 2 of 3 now, plus 27 of 27 before: 29 of 30 -> Wilson [0.83, 0.99], not flaky
    now = make_run([case("c1", passes=2, fails=1, recall=0.7)], run_id="now")
    assert compare(now, None, _history(9, "c1", 3, 3)).providers[0].flaky == ()


def test_benjamini_hochberg_spans_providers_and_metrics(tmp_path: Path) -> None:
    a = scored_cases([0.9] * 6, provider="a", model="m")
    b = scored_cases([0.9] * 6, provider="b", model="m")
    base = make_run(a + b, run_id="base")
    a2 = scored_cases([0.8] * 6, provider="a", model="m")
    run = make_run(a2 + b, run_id="run")
    result = compare(run, _baseline_of(base, tmp_path))
    pa = result.for_key("a/m")
    assert pa is not None
    recall = next(m for m in pa.metrics if m.metric == "recall")
    # a: recall, precision and f1 fall on all 6 cases (raw p = 1/64); its pass rate holds
    # (both 0.9 and 0.8 pass), and b's four are 1.0: m = 8 tests -> 1/64 * 8/3
    assert recall.p_value == pytest.approx(1 / 64)
    assert recall.p_adjusted == pytest.approx(1 / 64 * 8 / 3)
    assert next(m for m in pa.metrics if m.metric == "pass_rate").p_adjusted == 1.0


def test_comparison_round_trips_through_json(tmp_path: Path) -> None:
    rng = random.Random(3)
    base = make_run(scored_cases(noisy(0.9, 12, rng)), run_id="base")
    run = make_run(scored_cases(noisy(0.6, 12, rng)), run_id="run")
    result = compare(run, _baseline_of(base, tmp_path))
    from ci_orch.evals.model import Comparison

    assert Comparison.model_validate_json(result.model_dump_json()) == result
    assert load_baseline(tmp_path / "baseline.json") is not None


def test_untestable_metrics_stay_out_of_the_bh_family(tmp_path: Path) -> None:
    # Clean cases have no recall (nothing to find): recall and f1 have no pairs.
    clean = [case(f"clean-{i}", passes=1, recall=None, precision=None) for i in range(6)]
    worse = scored_cases([0.9] * 6)
    base = make_run(clean + worse, run_id="base")
    run = make_run(clean + scored_cases([0.8] * 6), run_id="run")
    (prov,) = compare(run, _baseline_of(base, tmp_path)).providers
    by_metric = {m.metric: m for m in prov.metrics}
    assert by_metric["pass_rate"].pairs == 12 and by_metric["recall"].pairs == 6
    # recall, precision, f1 at raw 1/64; pass_rate at 1.0: a family of 4, not 4 + padding
    assert by_metric["recall"].p_adjusted == pytest.approx(1 / 64 * 4 / 3)
