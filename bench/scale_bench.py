"""A 50 MB diff (seven consecutive Django releases, diffed and concatenated): plan and gate it,
whole process, and print each figure next to its goal.

Run: .venv/bin/python bench/scale_bench.py [megabytes, default 50]
Goals: plan < 10 s with peak memory < 400 MB, memory growing at most linearly with the diff
(shown at a quarter, half and the whole size: the memory the second half adds is at most
2.1x what the second quarter adds, linear being 2x); gate < 20 s; review against a provider
that answers at once < 60 s, its memory linear too; each under 400 MB.
The diffs are built from PyPI sdists on first use into bench/.cache (gitignored).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import scale_diff_path  # noqa: E402
from figures import figure  # noqa: E402

EXE = Path(sys.executable).with_name("ci-orch")
MEMORY_GOAL_MB = 400
LINEAR_SLACK = 2.1  # x2 is linear; a few MB of noise in peak RSS must not flip the verdict


def run(args: list[str], env: Mapping[str, str] | None = None) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds (user + sys), peak RSS in MB and exit code of one child (its
    own rusage, via wait4)."""
    start = time.perf_counter()
    child = subprocess.Popen(  # noqa: S603
        args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - start, cpu, usage.ru_maxrss / 1024, child.returncode


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


def review(diff: Path) -> tuple[float, float, float, int, str]:
    """`ci-orch review` of `diff`, whole process, against the provider server answering every
    chunk at once with no finding: what the tool itself costs on a diff this size. Also the
    run's status and the share of added lines answered, from its report."""
    from ci_orch.testing.provider_server import ProviderServer

    answer = {"models": {"bench-model": {"json": {"findings": [], "summary": "ok"}}}}
    with tempfile.TemporaryDirectory() as tmp, ProviderServer(answer) as server:
        config = Path(tmp) / "ci.yml"
        # Priced low enough that the run's default spending cap never stops a chunk.
        config.write_text(
            "providers:\n  - id: main\n    type: openai\n    model: bench-model\n"
            f"    base_url: {server.url_for('openai')}\n    api_key_env: BENCH_PROVIDER_KEY\n"
            "    price: {input_per_mtok: 0.001, output_per_mtok: 0.001}\n"
            "    capabilities: [review]\n"
            f'ledger: {{url: "sqlite:///{tmp}/ledger.sqlite"}}\n',
            encoding="utf-8",
        )
        args = [str(EXE), "review", "--diff-file", str(diff), "--config", str(config),
                "--report-dir", str(Path(tmp) / "report"), "--platform", "none", "--full"]
        env = {**os.environ, "BENCH_PROVIDER_KEY": "bench-provider-key-0000"}
        wall, cpu, peak, code = run(args, env)
        try:
            report = json.loads((Path(tmp) / "report" / "report.json").read_text("utf-8"))
        except (OSError, ValueError):
            return wall, cpu, peak, code, "no report"
        cov = report["coverage"]
        sent = cov["added_lines_sent"] / max(cov["added_lines_total"], 1)
        return wall, cpu, peak, code, f"{report['status']}, {sent:.1%} of added lines answered"


def main() -> None:
    megabytes = float(sys.argv[1]) if len(sys.argv) > 1 else 50.0
    sizes = (megabytes / 4, megabytes / 2, megabytes)
    paths = {size: scale_diff_path(size) for size in sizes}
    full = paths[megabytes]
    mb = f"{full.stat().st_size / 1e6:.0f} MB"
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"diff: {full.stat().st_size / 1e6:.1f} MB ({full.name})")
    run(plan_args(paths[sizes[0]]))  # warm the tokenizer cache and the page cache
    print("plan at growing sizes (memory must grow at most linearly):")
    peaks = {}
    for size in sizes:
        wall, cpu, peak, code = run(plan_args(paths[size]))
        peaks[size] = peak
        size_mb = paths[size].stat().st_size / 1e6
        print(f"  {size_mb:>6.1f} MB diff: {wall:>6.2f} s (cpu {cpu:>6.2f} s)  peak {peak:>6.0f} MB"
              f"  exit {code}")
        wall, cpu, peak, code = run(library_args(paths[size]))
        print(f"  {'':>6} {'':>2} library: {wall:>6.2f} s (cpu {cpu:>6.2f} s)  peak {peak:>6.0f} MB"
              f"  exit {code}")
    wall, cpu, peak, code = run(library_args(full))
    figure(f"scale: plan through the library (parse, count, cut, JSON), {mb}", wall, "s", "-",
           None)
    figure("scale:   its CPU time, user + sys", cpu, "s", "-", None)
    wall, cpu, peak, code = run(plan_args(full))
    figure(f"scale: ci-orch plan --format json, {mb}, wall", wall, "s", "< 10 s",
           wall < 10 and code == 0)
    figure("scale:   its CPU time, user + sys", cpu, "s", "-", None)
    figure("scale:   its peak memory", peak, "MB", f"< {MEMORY_GOAL_MB} MB", peak < MEMORY_GOAL_MB)
    growth = (peaks[sizes[2]] - peaks[sizes[1]]) / max(peaks[sizes[1]] - peaks[sizes[0]], 1)
    figure("scale:   memory added by the 2nd half / by the 2nd quarter", growth, "x",
           f"<= {LINEAR_SLACK} (linear: 2)", growth <= LINEAR_SLACK)
    gate = [str(EXE), "gate", "--diff-file", str(full), "--format", "json", "--platform", "none"]
    wall, cpu, peak, code = run(gate)
    figure(f"scale: ci-orch gate, {mb}, wall", wall, "s", "< 20 s", wall < 20)
    figure("scale:   its CPU time, user + sys", cpu, "s", "-", None)
    figure("scale:   its peak memory", peak, "MB", f"< {MEMORY_GOAL_MB} MB", peak < MEMORY_GOAL_MB)
    print("review at growing sizes (memory must grow at most linearly):")
    reviewed = {}
    for size in sizes:
        reviewed[size] = review(paths[size])
        wall, cpu, peak, code, outcome = reviewed[size]
        size_mb = paths[size].stat().st_size / 1e6
        print(f"  {size_mb:>6.1f} MB diff: {wall:>6.2f} s (cpu {cpu:>6.2f} s)  peak {peak:>6.0f} MB"
              f"  exit {code}: {outcome}")
    print("  (exit 1: the gate blocks on test keys in Django)")
    wall, cpu, peak, code, outcome = reviewed[megabytes]
    figure(f"scale: ci-orch review, {mb}, provider answering at once, wall", wall, "s",
           "< 60 s", wall < 60 and outcome.startswith("complete"))
    figure("scale:   its CPU time, user + sys", cpu, "s", "-", None)
    figure("scale:   its peak memory", peak, "MB", f"< {MEMORY_GOAL_MB} MB", peak < MEMORY_GOAL_MB)
    quarter, half, whole = (reviewed[size][2] for size in sizes)
    growth = (whole - half) / max(half - quarter, 1)
    figure("scale:   memory added by the 2nd half / by the 2nd quarter", growth, "x",
           f"<= {LINEAR_SLACK} (linear: 2)", growth <= LINEAR_SLACK)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--library"]:
        library_plan(Path(sys.argv[2]))
    else:
        main()
