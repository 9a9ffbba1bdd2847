"""Eval replay throughput: 48 review cases (the real review pipeline, one chunk each) against
one provider with 300 ms injected latency and max_concurrency 6 -> wall time vs the ideal
ceil(48/6) x 0.3 s, and the peak number of calls in flight (must stay <= 6). The provider
server runs in its own process.

    .venv/bin/python bench/eval_replay.py [LATENCY_S]     # default 0.3; 0 = pure overhead

Each trial runs the whole review pipeline (planning, redaction, the gate with bandit,
placement): about 30 ms of CPU per case on one event loop. A trial holds its provider's
slot (max_concurrency) for that work too, so concurrent reservations never exceed
max_concurrency worst cases and a tight --max-cost is not used up by holds; the price
is that the CPU time adds to each wave: +76% at 300 ms latency, +18% at 1 s, and less
at real provider latencies (several seconds).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

from ci_orch.config.model import Config
from ci_orch.evals.dataset import load_dataset
from ci_orch.evals.run import EvalSettings, run_eval
from ci_orch.ledger import open_ledger
from ci_orch.plan.tokens import tokenizer_for
from figures import figure
from routing_common import provider_config, server_process

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.evals._replay import DATA, GOOD, review_case  # noqa: E402

CASES, LATENCY_S, CONCURRENCY = 48, float(sys.argv[1]) if len(sys.argv) > 1 else 0.3, 6


def main() -> None:
    logging.disable(logging.WARNING)
    script = {"models": {"p": {"json": GOOD, "latency_ms": LATENCY_S * 1000}}}
    with server_process(script) as (base_url, _), tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ds"
        shutil.copytree(DATA, root)
        path = root / "dataset.jsonl"
        path.write_text("".join(json.dumps(review_case(f"c{i}")) + "\n" for i in range(CASES)))
        config = Config(providers=(provider_config("p", base_url, max_concurrency=CONCURRENCY,
                                                   capabilities=("review",)),))
        env = {"OPENAI_API_KEY": "x"}

        # One-time costs outside the timing: the tokenizer's BPE table and the gate's rules.
        tokenizer_for("openai-compatible", "p").count("warm up")
        async def go() -> tuple[float, int, int]:
            ledger = open_ledger(f"sqlite:///{tmp}/ledger.sqlite")
            start = time.perf_counter()
            run = await run_eval(load_dataset(path), config, EvalSettings(("p",)),
                                 ledger=ledger, env=env)
            wall = time.perf_counter() - start
            await ledger.aclose()
            return wall, sum(t.outcome == "pass" for t in run.trials), len(run.trials)

        wall, passed, total = asyncio.run(go())
    ideal = math.ceil(CASES / CONCURRENCY) * LATENCY_S
    print(f"eval replay: {CASES} review cases, {LATENCY_S * 1000:.0f} ms latency, "
          f"max_concurrency {CONCURRENCY}; ideal {ideal:.2f} s")
    versus = f" ({(wall / ideal - 1) * 100:+.0f}% vs ideal)" if ideal else ""
    print(f"  wall {wall:.2f} s{versus}, "
          f"{passed}/{total} passed, {wall / CASES * 1000:.0f} ms per case")
    figure(f"eval replay: {CASES} cases, {LATENCY_S * 1000:.0f} ms latency, wall vs ideal "
           f"{ideal:.1f} s", wall, "s", "-", None)


if __name__ == "__main__":
    main()
