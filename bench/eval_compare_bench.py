"""How long the regression decision and the eval files take on a large synthetic run.

Run: .venv/bin/python bench/eval_compare_bench.py
Prints the time of compare() (Wilcoxon + BH + bootstrap intervals) and write_outputs()
for 3 provider/models x N cases, at N = 50 (exact tests) and N = 500 (normal approximation).
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.evals.test_compare_support import make_run, noisy, scored_cases  # noqa: E402

from ci_orch.evals.decide import compare  # noqa: E402
from ci_orch.evals.render import write_outputs  # noqa: E402
from ci_orch.evals.store import bless  # noqa: E402


def _cases(n: int, centre: float, rng: random.Random) -> list:  # type: ignore[type-arg]
    out = []
    for provider in ("a", "b", "c"):
        out += scored_cases(noisy(centre, n, rng), provider=provider, model="m")
    return out


def main() -> None:
    rng = random.Random(0)
    for n in (50, 500):
        with tempfile.TemporaryDirectory() as tmp:
            base = bless(make_run(_cases(n, 0.85, rng), run_id="base"), Path(tmp) / "b.json")
            run = make_run(_cases(n, 0.84, rng), run_id="run")
            start = time.perf_counter()
            comparison = compare(run, base)
            mid = time.perf_counter()
            write_outputs(run, comparison, Path(tmp) / "out")
            end = time.perf_counter()
        print(f"3 x {n} cases: compare {mid - start:.3f} s, write_outputs {end - mid:.3f} s")


if __name__ == "__main__":
    main()
