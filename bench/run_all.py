"""Every benchmark, each in its own process, then one table of every figure next to its goal.

Run: .venv/bin/python bench/run_all.py [--markdown] [--only NAME ...] [--rows FILE]
`make bench` runs it. Each script states its figures through `figures.figure(...)`; with
`CI_ORCH_BENCH_JSONL` set they are appended to one file, read back here: no prose is parsed.
A script's own output is shown as it runs; the table follows, with the machine, the date,
and each script's wall and CPU time (a figure measured on a loaded machine reads slower:
the load average before and after each script says how busy it was).
`--markdown` prints the table as the README's benchmark section has it; `--rows FILE` keeps
the gathered figures there (or, when the file exists and no script is named, reads them
instead of running anything again).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent

# The order of the Makefile's former `bench:` target; arguments as the README gives them.
SCRIPTS: tuple[tuple[str, ...], ...] = (
    ("plan_bench.py",),
    ("scale_bench.py",),
    ("routing_scheduling.py",),
    ("routing_failover.py",),
    ("routing_budget.py",),
    ("routing_faults.py", "--all"),
    ("routing_overbilling.py",),
    ("routing_concurrency.py",),
    ("corpus/releases/fetch.py",),
    ("gate_bench.py",),
    ("secrets_bench.py",),
    ("egress_bench.py",),
    ("incremental_bench.py",),
    ("eval_replay.py",),
    ("eval_compare_bench.py",),
    ("spend_aggregate.py",),
    ("action_startup.py",),
    ("spine.py",),
)


@dataclass(frozen=True)
class Row:
    script: str
    name: str
    value: float
    unit: str
    goal: str
    met: bool | None

    @property
    def verdict(self) -> str:
        return "" if self.met is None else ("at goal" if self.met else "MISSED")


@dataclass(frozen=True)
class Ran:
    script: str
    exit_code: int
    wall_s: float
    cpu_s: float
    load_before: float
    load_after: float


def run_script(args: tuple[str, ...], rows_file: Path) -> Ran:
    """One script in a child process, its output passed through, its figures appended to
    `rows_file` (each tagged with the script, so the table can say where it comes from)."""
    env = {**os.environ, "CI_ORCH_BENCH_JSONL": str(rows_file)}
    load = os.getloadavg()[0]
    print(f"\n### {' '.join(args)}", flush=True)
    before_size = rows_file.stat().st_size if rows_file.exists() else 0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(BENCH / args[0]), *args[1:]], env=env, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    _tag(rows_file, before_size, args[0])
    return Ran(args[0], done.returncode, wall, cpu, load, os.getloadavg()[0])


def _tag(rows_file: Path, offset: int, script: str) -> None:
    """Add the script's name to the rows it appended after `offset`."""
    if not rows_file.exists():
        return
    data = rows_file.read_bytes()
    head, tail = data[:offset], data[offset:]
    tagged = [
        json.dumps({"script": script, **json.loads(line)}).encode()
        for line in tail.splitlines() if line.strip()
    ]
    rows_file.write_bytes(head + b"".join(t + b"\n" for t in tagged))


def read_rows(rows_file: Path) -> list[Row]:
    rows = []
    for line in rows_file.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            rows.append(Row(raw.get("script", "?"), raw["name"], float(raw["value"]), raw["unit"],
                            raw["goal"], raw["met"]))
    return rows


def _value(row: Row) -> str:
    whole = row.value == int(row.value)
    digits = 0 if whole or abs(row.value) >= 100 else (2 if abs(row.value) >= 1 else 3)
    return f"{row.value:.{digits}f} {row.unit}".strip()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def text_table(rows: list[Row], runs: list[Ran]) -> str:
    width = max([len(r.name) for r in rows] + [10])
    lines = [f"{'figure':<{width}}  {'value':>14}  {'goal':<22} verdict"]
    lines += [f"{r.name:<{width}}  {_value(r):>14}  {r.goal:<22} {r.verdict}" for r in rows]
    missed = [r for r in rows if r.met is False]
    lines.append(f"{len(rows)} figures, {sum(r.met is True for r in rows)} at goal, "
                 f"{len(missed)} missed")
    if runs:
        lines.append("")
        lines.append(f"{'script':<28}{'exit':>5}{'wall s':>9}{'cpu s':>9}  load before/after")
        lines += [f"{r.script:<28}{r.exit_code:>5}{r.wall_s:>9.1f}{r.cpu_s:>9.1f}  "
                  f"{r.load_before:.1f} / {r.load_after:.1f}" for r in runs]
    return "\n".join(lines)


def markdown_table(rows: list[Row], runs: list[Ran]) -> str:
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    loads = [x for r in runs for x in (r.load_before, r.load_after)]
    load = f", load average {min(loads):.1f}-{max(loads):.1f}" if loads else ""
    lines = [
        f"Measured {when} on {machine()}{load}; `make bench` (`bench/run_all.py`) prints this "
        "table, `bench/run_all.py --markdown` in this form.",
        "",
        "| benchmark | figure | measured | goal | verdict |",
        "|---|---|--:|---|---|",
    ]
    for r in rows:
        verdict = {None: "", True: "at goal", False: "**MISSED**"}[r.met]
        lines.append(f"| `bench/{r.script}` | {r.name.strip()} | {_value(r)} | {r.goal} "
                     f"| {verdict} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--markdown", action="store_true", help="print the README's table")
    parser.add_argument("--only", nargs="*", default=None,
                        help="run only the scripts whose file name contains one of these")
    parser.add_argument("--rows", type=Path, help="keep the figures in this JSON-lines file")
    args = parser.parse_args()
    runs: list[Ran] = []
    with tempfile.TemporaryDirectory() as scratch:
        rows_file = args.rows or Path(scratch) / "rows.jsonl"
        if not (args.rows and args.rows.exists() and args.only is None):
            chosen = [s for s in SCRIPTS if args.only is None or any(o in s[0] for o in args.only)]
            runs = [run_script(s, rows_file) for s in chosen]
        rows = read_rows(rows_file) if rows_file.exists() else []
    print()
    print(markdown_table(rows, runs) if args.markdown else text_table(rows, runs))
    failed = [r.script for r in runs if r.exit_code not in (0,)]
    if failed:
        print(f"scripts that exited non-zero: {', '.join(failed)}", file=sys.stderr)
    return 1 if any(r.met is False for r in rows) or failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
