"""A scripted five-push pull request reviewed incrementally against five full reviews of the
same pushes: what the model calls cost, by the provider server's prices, and each figure next
to its goal.

Run: .venv/bin/python bench/incremental_bench.py
Goal: the five incremental runs cost <= 35% of five full reviews.
The runs are real (`run_job` against the provider server, published to the GitHub fake);
the pull request and the model are the ones of tests/test_incremental.py.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.figures import figure  # noqa: E402
from tests.conftest import GitRepo  # noqa: E402
from tests.incremental_pr import Run, github, play, spent  # noqa: E402

GOAL = 0.35


def five_pushes(tmp: Path, *, full: bool) -> list[Run]:
    with github(tmp / "platform") as (platform, _):
        return play(GitRepo(tmp / "repo"), platform, tmp / "work", seed=5, full=full)


def main() -> int:
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        incremental = five_pushes(Path(a), full=False)
        full = five_pushes(Path(b), full=True)
    for name, runs in (("incremental", incremental), ("full", full)):
        per_run = ", ".join(f"${r.report.cost.total_usd:.6f}" for r in runs)
        sent = ", ".join(str(r.report.increment.added_lines_reviewed if r.report.increment
                             else "?") for r in runs)
        print(f"{name:<12} spent ${spent(runs):.6f}  per push: {per_run}  added lines sent: {sent}")
    ratio = spent(incremental) / spent(full)
    estimate = sum(r.report.increment.saved_usd for r in incremental if r.report.increment)
    print(f"estimated savings in the cost tables: ${estimate:.6f}")
    verdict = "ok" if ratio <= GOAL else "MISSED"
    label = "5-push PR cost / five full reviews"
    print(f"{label:<40}{ratio:>7.1%}   goal <= {GOAL:.0%}  {verdict}")
    figure("incremental: 5-push PR cost / five full reviews", 100 * ratio, "%",
           f"<= {GOAL:.0%}", ratio <= GOAL)
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
