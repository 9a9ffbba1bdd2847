"""Pure-Python statistics for the regression decision (no numpy/scipy: the image stays small).

- `signed_rank_less`: one-sided Wilcoxon signed-rank test that the run scores *lower* than
  the baseline on paired per-case scores. Chosen over the sign test because per-case
  scores are fractional (severity-weighted recall, F1) and the signed-rank test uses the
  size of each change, not only its direction, so it needs fewer cases for the same power
  while still assuming no distribution (only symmetry of the differences under H0).
  Zero differences are dropped (scipy's default ``zero_method="wilcox"``). For up to
  `EXACT_MAX_N` non-zero pairs the p-value is exact: the permutation distribution of the
  positive-rank sum over all 2^n sign assignments, counted by dynamic programming on
  doubled mid-ranks, which stays exact with ties. Above that, the normal approximation
  with the tie-corrected variance and a continuity correction of 0.5.
- `benjamini_hochberg`: step-up adjusted p-values (Benjamini & Hochberg 1995).
- `wilson_interval`: the Wilson score interval of a proportion (Newcombe 1998, method 3).
- `bootstrap_mean_ci`: a seeded percentile bootstrap interval of the mean paired change.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

EXACT_MAX_N = 50  # scipy.stats.wilcoxon also switches to the normal approximation above 50


@dataclass(frozen=True)
class TestResult:
    statistic: float  # the positive-rank sum (Wilcoxon) or the count of increases (sign)
    p_value: float
    n: int  # pairs that entered the test (non-zero differences)
    method: str  # "exact" | "normal" | "none"


def normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def normal_quantile(p: float) -> float:
    """The inverse standard normal CDF by bisection on erfc (exact to ~1e-12)."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must be in (0, 1)")
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if normal_cdf(mid) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def midranks(values: Sequence[float]) -> list[float]:
    """Ranks 1..n of `values`, ties sharing the mean of their positions."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for k in range(start, end + 1):
            ranks[order[k]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def _nonzero(diffs: Sequence[float], tol: float) -> list[float]:
    # Rounding first keeps 0.9 - 0.8 and 0.2 - 0.1 tied (scipy's docs warn about exactly this).
    rounded = (round(d, 9) for d in diffs)
    return [d for d in rounded if abs(d) > tol]


def signed_rank_less(diffs: Sequence[float], tol: float = 1e-9) -> TestResult:
    """P(positive-rank sum <= observed) under H0: a small p means the run is lower."""
    d = _nonzero(diffs, tol)
    if not d:
        return TestResult(0.0, 1.0, 0, "none")
    ranks = midranks([abs(x) for x in d])
    w_plus = sum(r for r, x in zip(ranks, d, strict=True) if x > 0)
    if len(d) <= EXACT_MAX_N:
        return TestResult(w_plus, _exact_lower_tail(ranks, w_plus), len(d), "exact")
    return TestResult(w_plus, _normal_lower_tail(ranks, w_plus), len(d), "normal")


def _exact_lower_tail(ranks: Sequence[float], w_plus: float) -> float:
    doubled = [round(2 * r) for r in ranks]  # mid-ranks are multiples of 1/2
    counts = [0] * (sum(doubled) + 1)
    counts[0] = 1
    top = 0
    for r in doubled:
        top += r
        for s in range(top, r - 1, -1):
            counts[s] += counts[s - r]
    limit = round(2 * w_plus)
    return sum(counts[: limit + 1]) / (1 << len(doubled))


def _normal_lower_tail(ranks: Sequence[float], w_plus: float) -> float:
    n = len(ranks)
    mean = n * (n + 1) / 4
    ties: dict[float, int] = {}
    for r in ranks:
        ties[r] = ties.get(r, 0) + 1
    var = n * (n + 1) * (2 * n + 1) / 24 - sum(t**3 - t for t in ties.values()) / 48
    if var <= 0:
        return 1.0
    z = (w_plus - mean + 0.5) / math.sqrt(var)  # continuity: toward the mean
    return normal_cdf(z)


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """BH step-up adjusted p-values, in the input order: reject where adjusted <= alpha."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p_values[i] * m / rank)
        adjusted[i] = running
    return adjusted


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for successes/n; (0, 1) when there is nothing to go on."""
    if n <= 0:
        return (0.0, 1.0)
    z = normal_quantile(0.5 + confidence / 2)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def bootstrap_mean_ci(
    diffs: Sequence[float], confidence: float = 0.95, resamples: int = 2000, seed: int = 0
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the mean of `diffs`; seeded, so reports are stable."""
    n = len(diffs)
    if n == 0:
        return None
    rng = random.Random(seed)  # noqa: S311 - resampling, not security
    means = sorted(sum(rng.choices(diffs, k=n)) / n for _ in range(resamples))
    tail = (1 - confidence) / 2
    lo = means[int(math.floor(tail * (resamples - 1)))]
    hi = means[int(math.ceil((1 - tail) * (resamples - 1)))]
    return (lo, hi)


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0
