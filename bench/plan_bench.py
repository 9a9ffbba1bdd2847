"""Plan a large real diff (Django 5.0.9 -> 5.1.3) and print each figure next to its goal.

Run: .venv/bin/python bench/plan_bench.py
Goals: `ci-orch plan --format json` on the whole diff (966 files, ~25,000 added lines,
2.8 MB), start-up and tokenizer load included, under 1 s wall (median of 5), every added line
planned once; `ci-orch --version` under 0.3 s. CPU time is printed beside the wall time: on a
busy machine the wall time grows, the CPU time much less.
"""

from __future__ import annotations

import gc
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import DJANGO, big_diff, diff_path  # noqa: E402
from ci_orch.config.sections import Chunking, PathFilter  # noqa: E402
from ci_orch.diff import parse_diff  # noqa: E402
from ci_orch.plan import Target, plan_review  # noqa: E402
from ci_orch.plan.tokens import get_encoding, tokenizer_for  # noqa: E402
from figures import figure  # noqa: E402

EXE = Path(sys.executable).with_name("ci-orch")
RUNS = 5


def _timed(args: list[str]) -> tuple[float, float, bytes]:
    """Wall and CPU seconds of one child process, and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def whole_process() -> None:
    args = [str(EXE), "plan", "--diff-file", str(diff_path()), "--format", "json"]
    args += ["--budget", "32000"]
    _timed(args)  # once untimed: builds the tokenizer cache a first run would build
    runs = [_timed(args) for _ in range(RUNS)]
    doc = json.loads(runs[-1][2])
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"diff: {DJANGO.project} {DJANGO.old} -> {DJANGO.new}, {len(big_diff()) / 1e6:.1f} MB; "
        f"{doc['added_lines_planned']} of {doc['added_lines_total']} added lines in "
        f"{len(doc['chunks'])} chunks at 32k; JSON {len(runs[-1][2]) / 1e6:.1f} MB"
    )
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    figure(f"plan: ci-orch plan --format json, Django 2.8 MB, wall (median of {RUNS})",
           wall, "s", "< 1 s", wall < 1.0)
    figure("plan:   its CPU time, user + sys (median)", cpu, "s", "-", None)
    figure("plan:   peak memory of any run", peak_mb, "MB", "-", None)
    added = doc["added_lines_total"]
    coverage = doc["added_lines_planned"] / added if added else 1.0
    figure("plan: coverage of the added lines at 32k", 100 * coverage, "%", "100 %",
           coverage == 1.0)
    # The same work through the library in a fresh process: start-up, imports, tokenizer
    # load, parse, plan and JSON, without the CLI's redaction of the diff.
    library = [sys.executable, __file__, "--library"]
    lib = [_timed(library) for _ in range(RUNS)]
    wall, cpu = statistics.median(r[0] for r in lib), statistics.median(r[1] for r in lib)
    figure(f"plan:   same plan through the library, fresh process (median of {RUNS})",
           wall, "s", "-", None)
    figure("plan:   its CPU time (median)", cpu, "s", "-", None)


def in_process() -> None:
    raw = big_diff()
    get_encoding("o200k_base")  # load the tokenizer once, as a warm process would
    tok = tokenizer_for("openai", "gpt-4o")
    print("in process (parse + plan, tokenizer loaded):")
    heads = ("budget", "chunks", "tokens", "coverage", "wall s", "cpu s")
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
        tokens = sum(c.tokens for c in plan.chunks)
        row = "".join(f"{v:>10}" for v in (budget, len(plan.chunks), tokens))
        print(row + f"{plan.coverage:>10.1%}{wall:>10.3f}{cpu:>10.3f}")


def redaction() -> None:
    """What `plan` pays to plan exactly what `review` sends: the diff through the egress
    filter (secret rules, encodings, known keys), once, instead of its JSON on stdout."""
    import os

    from ci_orch.egress.filter import Egress
    from ci_orch.gate.redact import redact_diff

    diff = parse_diff(big_diff(), source="bench")
    runs = []
    for _ in range(3):
        redactor = Egress.build(None, os.environ).redactor
        start = time.perf_counter()
        redact_diff(diff, redactor)
        runs.append(time.perf_counter() - start)
    mb = len(big_diff()) / 1e6
    best = min(runs)
    figure("plan:   redacting the diff through the egress filter (best of 3)", best, "s", "-",
           None)
    print(f"  ({mb / best:.1f} MB/s)")


def version_time() -> None:
    runs = [_timed([str(EXE), "--version"])[0] for _ in range(RUNS)]
    wall = statistics.median(runs)
    figure(f"ci-orch --version, wall (median of {RUNS})", wall, "s", "< 0.3 s", wall < 0.3)


def main() -> None:
    print(f"load average: {' '.join(f'{x:.1f}' for x in __import__('os').getloadavg())}")
    whole_process()
    redaction()
    version_time()
    in_process()


def library_plan() -> None:
    from ci_orch.plan.document import json_parts
    from ci_orch.plan.estimate import default_target

    parsed = parse_diff(diff_path().read_bytes())
    plan = plan_review(
        parsed, default_target(), paths=PathFilter(), chunking=Chunking(), budget=32_000
    )
    for part in json_parts(plan):
        sys.stdout.write(part)


if __name__ == "__main__":
    if sys.argv[1:] == ["--library"]:
        library_plan()
    else:
        main()
