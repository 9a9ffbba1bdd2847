"""The statistics against published values and brute force, not against themselves."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from ci_orch.evals.stats import (
    EXACT_MAX_N,
    benjamini_hochberg,
    bootstrap_mean_ci,
    midranks,
    normal_quantile,
    signed_rank_less,
    wilson_interval,
)

# Darwin's Zea mays height differences (Fisher, The Design of Experiments), the example in
# the scipy.stats.wilcoxon docs: two-sided exact p = 0.041259765625, "greater" = half that.
DARWIN = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75]


def test_wilcoxon_exact_matches_the_scipy_documented_darwin_example() -> None:
    res = signed_rank_less([-x for x in DARWIN])  # "less" on -d == "greater" on d
    assert res.method == "exact" and res.n == 15
    assert res.statistic == 24.0
    assert res.p_value == pytest.approx(0.0206298828125, abs=1e-15)
    assert 2 * res.p_value == pytest.approx(0.041259765625, abs=1e-15)


def _brute_force_less(diffs: list[float]) -> float:
    nz = [d for d in diffs if d != 0]
    ranks = midranks([abs(d) for d in nz])
    observed = sum(r for r, d in zip(ranks, nz, strict=True) if d > 0)
    hits = 0
    for signs in itertools.product((0, 1), repeat=len(nz)):
        total = sum(r for r, s in zip(ranks, signs, strict=True) if s)
        hits += total <= observed + 1e-9
    return hits / 2 ** len(nz)


@pytest.mark.parametrize("seed", range(6))
def test_exact_tail_with_ties_and_zeros_equals_full_enumeration(seed: int) -> None:
    rng = random.Random(seed)
    diffs = [rng.choice([-0.5, -0.25, 0.0, 0.25, 0.5, 1.0, -1.0]) for _ in range(13)]
    assert signed_rank_less(diffs).p_value == pytest.approx(_brute_force_less(diffs), abs=1e-12)


def test_normal_approximation_matches_hand_computed_tie_corrected_z() -> None:
    # 60 pairs: 40 drops of 0.1, 20 rises of 0.1 -> one tie group of 60, and
    # 40 drops of 0.2 more: magnitudes {0.1 x60, 0.2 x40} -> n = 100 > EXACT_MAX_N.
    diffs = [-0.1] * 40 + [0.1] * 20 + [-0.2] * 40
    res = signed_rank_less(diffs)
    assert res.method == "normal" and res.n == 100 > EXACT_MAX_N
    # mid-ranks: 0.1 -> 30.5, 0.2 -> 80.5; W+ = 20 * 30.5 = 610
    mean, n = 100 * 101 / 4, 100
    var = n * (n + 1) * (2 * n + 1) / 24 - ((60**3 - 60) + (40**3 - 40)) / 48
    z = (610 - mean + 0.5) / math.sqrt(var)
    assert res.statistic == 610
    assert res.p_value == pytest.approx(0.5 * math.erfc(-z / math.sqrt(2)), rel=1e-12)
    assert res.p_value < 1e-6


def test_no_change_gives_p_of_one_and_rises_are_not_drops() -> None:
    assert signed_rank_less([0.0, 0.0]).p_value == 1.0
    assert signed_rank_less([0.3] * 10).p_value == 1.0
    assert signed_rank_less([-0.3] * 10).p_value == pytest.approx(1 / 1024)


def test_float_noise_does_not_break_ties() -> None:
    # 0.9 - 0.8 and 0.2 - 0.1 differ in binary; rounded they tie and get equal ranks.
    res = signed_rank_less([0.8 - 0.9, 0.1 - 0.2, 0.3])
    assert res.statistic == 3.0  # 0.3 ranks 3rd; the two 0.1s share 1.5


def test_benjamini_hochberg_on_the_1995_paper_example() -> None:
    # Benjamini & Hochberg (1995), section 4: 15 p-values, q = 0.05 rejects the first four.
    ps = [
        0.0001,
        0.0004,
        0.0019,
        0.0095,
        0.0201,
        0.0278,
        0.0298,
        0.0344,
        0.0459,
        0.3240,
        0.4262,
        0.5719,
        0.6528,
        0.7590,
        1.000,
    ]
    adjusted = benjamini_hochberg(ps)
    assert [a <= 0.05 for a in adjusted] == [True] * 4 + [False] * 11
    assert adjusted[3] == pytest.approx(0.0095 * 15 / 4)
    # step-up monotonicity: 0.0278*15/6 = 0.0695 > 0.0298*15/7 = 0.06386 -> both 0.06386
    assert adjusted[5] == pytest.approx(0.0298 * 15 / 7) == adjusted[6]


def test_benjamini_hochberg_small_hand_example_keeps_input_order() -> None:
    assert benjamini_hochberg([0.04, 0.01, 0.03, 0.005]) == pytest.approx([0.04, 0.02, 0.04, 0.02])
    assert benjamini_hochberg([]) == []


@pytest.mark.parametrize(
    ("x", "n", "lo", "hi"),
    [
        # Newcombe (1998), Stat Med 17:857, table II, method 3 (score interval, no correction)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_matches_newcombe(x: int, n: int, lo: float, hi: float) -> None:
    got = wilson_interval(x, n)
    assert got == pytest.approx((lo, hi), abs=6e-5)


def test_normal_quantile_known_values() -> None:
    assert normal_quantile(0.975) == pytest.approx(1.959963984540054, abs=1e-9)
    assert normal_quantile(0.5) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError):
        normal_quantile(1.0)


def test_bootstrap_interval_is_seeded_and_covers_the_mean() -> None:
    diffs = [-0.4] * 10 + [0.0] * 10
    a = bootstrap_mean_ci(diffs, seed=7)
    assert a == bootstrap_mean_ci(diffs, seed=7)
    assert a is not None and a[0] < -0.2 < a[1] < 0.0
    assert bootstrap_mean_ci([]) is None
