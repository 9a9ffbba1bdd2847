"""Plan a large real diff (Django 5.0 -> 5.1) and print the figures of issue 2.

Run: .venv/bin/python bench/plan_bench.py
Goals: a ~900-file, ~20,000-added-line diff parsed and planned in under 1 s;
`ci-orch --version` under 0.3 s.
"""

from __future__ import annotations

import gc
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import NEW, OLD, PROJECT, big_diff  # noqa: E402
from ci_orch.config.sections import Chunking, PathFilter  # noqa: E402
from ci_orch.diff import parse_diff  # noqa: E402
from ci_orch.plan import Target, plan_review  # noqa: E402
from ci_orch.plan.tokens import get_encoding, tokenizer_for  # noqa: E402


def _version_time() -> float:
    exe = Path(sys.executable).with_name("ci-orch")
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([str(exe), "--version"], check=True, capture_output=True)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    raw = big_diff()
    get_encoding("o200k_base")  # load the tokenizer once, as a warm process would
    tok = tokenizer_for("openai", "gpt-4o")
    print(f"diff: {PROJECT} {OLD} -> {NEW}, {len(raw) / 1e6:.1f} MB")
    heads = ("budget", "files", "added", "chunks", "tokens", "coverage", "wall s", "cpu s")
    print("".join(f"{h:>10}" for h in heads))
    for budget in (8_000, 16_000, 32_000, 108_104):
        gc.collect()  # each row starts from the same heap, outside the timed part
        wall, cpu = time.perf_counter(), time.process_time()
        diff = parse_diff(raw, source="bench")
        plan = plan_review(
            diff,
            Target("gpt-4o", 128_000, 4096, tok),
            paths=PathFilter(),
            chunking=Chunking(),
            budget=budget,
        )
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        files = len({f for c in plan.chunks for f in c.files})
        tokens = sum(c.tokens for c in plan.chunks)
        row = (budget, files, plan.added_lines_total, len(plan.chunks), tokens)
        print("".join(f"{v:>10}" for v in row) + f"{plan.coverage:>10.1%}{wall:>10.3f}{cpu:>10.3f}")
    print(f"ci-orch --version: {_version_time() * 1000:.0f} ms (median of 5)")


if __name__ == "__main__":
    main()
