"""One way for every benchmark to state a figure next to its goal.

`figure(...)` prints one aligned line; when `CI_ORCH_BENCH_JSONL` names a file, it also
appends the figure there as a JSON line, so `bench/run_all.py` can gather every script's
figures into one table (and the README's performance table) without parsing prose.
"""

from __future__ import annotations

import json
import os


def figure(name: str, value: float, unit: str, goal: str, met: bool | None) -> str:
    """Print and record one figure. `goal` is human text ("< 1 s", "<= 1.15x ideal");
    `met` is None for a figure shown for context, with no goal of its own."""
    verdict = "" if met is None else ("at goal" if met else "MISSED")
    line = f"{name:<56} {value:>10.3f} {unit:<6} goal {goal:<18} {verdict}"
    print(line, flush=True)
    path = os.environ.get("CI_ORCH_BENCH_JSONL")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            row = {"name": name, "value": value, "unit": unit, "goal": goal, "met": met}
            out.write(json.dumps(row) + "\n")
    return line
