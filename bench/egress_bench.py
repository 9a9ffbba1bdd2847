"""Benchmark of the egress redaction on a big diff: throughput, and the cost of the
encoding, known-key and split-line passes over the secret rules alone. One command:

    .venv/bin/python bench/egress_bench.py [--mb 4]

The diff is the django 5.0 -> 5.1 excerpt in tests/data, repeated to `--mb` megabytes
(every hunk as the pipeline sends it). "rules only" is the redaction before the egress
filter: the secret rules on each hunk's text; "egress" is `redact_diff` as it runs now, with
ten registered key values.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from ci_orch.diff import parse_diff  # noqa: E402
from ci_orch.diff.model import Diff  # noqa: E402
from ci_orch.gate.redact import Redactor, _engine, redact_diff  # noqa: E402
from ci_orch.gate.secrets.known import KnownKeys  # noqa: E402
from figures import figure  # noqa: E402

DIFF = ROOT / "tests" / "data" / "django-5.0-5.1-excerpt.diff"
# The secret rules' own throughput goal (bench/secrets_bench.py): the egress filter runs on the
# same text, so it must not make redaction the slow step.
GOALS = {"mb_per_s": 5.0}


def big_diff(mb: float) -> tuple[Diff, int]:
    text = DIFF.read_text(encoding="utf-8")
    copies = max(1, int(mb * 1_000_000 / len(text)))
    diff = parse_diff(text)
    files = tuple(
        dataclasses.replace(f, path=f"c{i}/{f.path}") for i in range(copies) for f in diff.files
    )
    return Diff(files=files), copies * len(text.encode())


def rules_only(diff: Diff) -> None:
    engine = _engine(None)
    for file in diff.files:
        for hunk in file.hunks:
            engine.find("\n".join(line.text for line in hunk.lines))


def egress(diff: Diff) -> None:
    keys = KnownKeys.of(f"key-{i:02d}-Zq8vT1mXr4Lp0sWe7Bn3" for i in range(10))
    redact_diff(diff, Redactor.from_config(None, keys))


def timed(run: object, diff: Diff) -> float:
    start = time.perf_counter()
    run(diff)  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=4.0)
    args = parser.parse_args()
    diff, size = big_diff(args.mb)
    base = min(timed(rules_only, diff) for _ in range(2))
    full = min(timed(egress, diff) for _ in range(2))
    mb_s = size / 1e6 / full
    print(f"diff: {size / 1e6:.1f} MB")
    print(f"before (secret rules only): {base:.2f} s, {size / 1e6 / base:.1f} MB/s")
    print(f"after (egress redaction): {full:.2f} s ({full / base:.1f}x the rules alone)")
    print(f"egress throughput: {mb_s:.1f} MB/s (goal >= {GOALS['mb_per_s']})")
    figure(f"egress: redaction throughput, {size / 1e6:.0f} MB of real code (best of 2)", mb_s,
           "MB/s", f">= {GOALS['mb_per_s']:g} MB/s", mb_s >= GOALS["mb_per_s"])


if __name__ == "__main__":
    main()
