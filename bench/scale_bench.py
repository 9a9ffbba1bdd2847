"""A 50 MB diff (seven consecutive Django releases, diffed and concatenated): plan and gate it,
whole process, and print each figure next to its goal.

Run: .venv/bin/python bench/scale_bench.py [megabytes, default 50]
Goals: plan < 10 s with peak memory < 400 MB, memory growing at most linearly with the diff
(shown at a quarter, half and the whole size); gate < 20 s.
The diffs are built from PyPI sdists on first use into bench/.cache (gitignored).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import scale_diff_path  # noqa: E402

EXE = Path(sys.executable).with_name("ci-orch")


def figure(label: str, value: float, unit: str, goal: float) -> str:
    verdict = "ok" if value < goal else "MISSED"
    return f"{label:<46}{value:>9.2f} {unit:<3} goal < {goal:g} {unit}  {verdict}"


def run(args: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB, and exit code of one child (its own rusage, via wait4)."""
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, child.returncode


def plan_args(diff: Path) -> list[str]:
    return [str(EXE), "plan", "--diff-file", str(diff), "--format", "json"]


def library_args(diff: Path) -> list[str]:
    """The same plan through the library in a child process: what the CLI adds (start-up,
    redacting the diff through the egress filter) is the difference between the two figures."""
    return [sys.executable, __file__, "--library", str(diff)]


def library_plan(diff: Path) -> None:
    """As the CLI prints it (chunk texts rendered one at a time), without the redaction."""
    from ci_orch.config.sections import Chunking, PathFilter
    from ci_orch.diff import parse_diff
    from ci_orch.plan.document import chunk_parts, json_frame
    from ci_orch.plan.estimate import default_target
    from ci_orch.plan.planner import draft_plan

    parsed = parse_diff(diff.read_bytes())
    draft = draft_plan(parsed, default_target(), paths=PathFilter(), chunking=Chunking())
    before, after = json_frame(draft.head(), chunks=len(draft.chunks))
    sys.stdout.write(before)
    for part in chunk_parts(draft.chunks):
        sys.stdout.write(part)
    sys.stdout.write(after)


def main() -> None:
    megabytes = float(sys.argv[1]) if len(sys.argv) > 1 else 50.0
    sizes = (megabytes / 4, megabytes / 2, megabytes)
    paths = {size: scale_diff_path(size) for size in sizes}
    full = paths[megabytes]
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"diff: {full.stat().st_size / 1e6:.1f} MB ({full.name})")
    run(plan_args(paths[sizes[0]]))  # warm the tokenizer cache and the page cache
    print("plan at growing sizes (memory must grow at most linearly):")
    peaks = {}
    for size in sizes:
        wall, peak, code = run(plan_args(paths[size]))
        peaks[size] = peak
        mb = paths[size].stat().st_size / 1e6
        print(f"  {mb:>6.1f} MB diff: {wall:>6.2f} s  peak {peak:>6.0f} MB  exit {code}")
        wall, peak, code = run(library_args(paths[size]))
        print(f"  {'':>6} {'':>2} library: {wall:>6.2f} s  peak {peak:>6.0f} MB  exit {code}")
    wall, peak, code = run(library_args(full))
    print(figure("plan, library (parse, count, cut, JSON), 50 MB", wall, "s", 10))
    print(figure("  peak memory", peak, "MB", 400))
    wall, peak, code = run(plan_args(full))
    print(figure("ci-orch plan --format json, 50 MB", wall, "s", 10) + f"  (exit {code})")
    print(figure("  peak memory", peak, "MB", 400))
    growth = (peaks[sizes[2]] - peaks[sizes[1]]) / max(peaks[sizes[1]] - peaks[sizes[0]], 1)
    print(f"  memory added by the second half vs by the second quarter: x{growth:.2f} (linear: x2)")
    gate = [str(EXE), "gate", "--diff-file", str(full), "--format", "json", "--platform", "none"]
    wall, peak, code = run(gate)
    print(figure("ci-orch gate, 50 MB", wall, "s", 20) + f"  (exit {code})")
    print(f"  peak memory {peak:.0f} MB (goal < 400 MB)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--library"]:
        library_plan(Path(sys.argv[2]))
    else:
        main()
