"""The fault matrix: one review run per (fault, backup or not, ledger backend) against the
provider server, with what the server billed as the truth to check spend against.

`tests/test_fault_matrix.py` asserts on every row; `bench/routing_faults.py` runs the same
table and prints it. A row drives `run_review` on a diff of `CHUNKS` files (one chunk each)
with short timeouts, so a whole matrix takes seconds, not the minutes a real outage would.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ci_orch.config.model import Config
from ci_orch.config.policy import Policy
from ci_orch.config.providers import Price, ProviderConfig
from ci_orch.config.routing import RoutingConfig
from ci_orch.context import load_changes
from ci_orch.ledger import FallbackLedger, Ledger, open_ledger
from ci_orch.ledger.interface import Cap, DelegatingLedger, Reservation
from ci_orch.providers.registry import build_provider
from ci_orch.review.pipeline import ReviewResult, run_review
from ci_orch.review.prompts import PromptSettings
from ci_orch.testing.provider_server import ProviderServer

CHUNKS = 6
TIMEOUT_S = 1.0
DEADLINE_S = 10.0
RUN_CAP_USD = 0.08
DAY_CAP_USD = 0.10
KEYS = {"ANTHROPIC_API_KEY": "test-not-a-key", "OPENAI_API_KEY": "sk-test-not-a-key"}
PRIMARY_PRICE = Price(input_per_mtok=3.0, output_per_mtok=15.0)
BACKUP_PRICE = Price(input_per_mtok=1.0, output_per_mtok=2.0)
GOOD = {"findings": [], "summary": "no issues"}

# fault name -> the primary's script (None: nothing listens), and whether it is "dead"
# (never answers usably, so it must cost at most 3 calls).
FAULTS: Mapping[str, tuple[dict[str, Any] | None, bool]] = {
    "500": ({"then": "server_error"}, True),
    "529": ({"then": "overloaded"}, True),
    "429 short": ({"then": {"fault": "rate_limit", "retry_after": 1}}, True),
    "429 long": ({"then": {"fault": "rate_limit", "retry_after": 120}}, True),
    "401": ({"then": "auth"}, True),
    "403": ({"then": {"fault": "status", "status": 403}}, True),
    "refused": (None, True),
    "reset": ({"then": "reset"}, True),
    "hang": ({"then": {"fault": "hang", "hang_s": 30}}, True),
    "half body, stall": ({"then": {"fault": "stall", "hang_s": 30}}, True),
    "200 prose": ({"text": "Looks good to me, nothing to report."}, True),
    "200 truncated JSON": ({"text": '{"findings": [{"path": "app/m0.py", "line'}, True),
    "over-billed 1.3x": ({"json": GOOD, "bill_input_factor": 1.3}, False),
}
MODES = ("single", "backup")
LEDGERS = ("sqlite", "redis", "redis dies")


@dataclass(frozen=True, slots=True)
class Row:
    fault: str
    mode: str
    ledger: str
    faulty_calls: int
    wall_s: float
    billed_usd: float  # provider-side truth: what the server billed, at the configured prices
    recorded_usd: float  # what the ledger holds for the run
    cap_usd: float
    holds_left_usd: float
    chunks_ok: int
    status: str
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RedisHandle:
    url: str
    kill: Callable[[], None]


class _DiesAfterFirstSettle(DelegatingLedger):
    """A shared ledger whose backend is killed right after the run's first settlement."""

    def __init__(self, inner: Ledger, kill: Callable[[], None]) -> None:
        super().__init__(inner)
        self._kill = kill
        self._killed = False

    async def settle(self, reservation: Reservation, cost_usd: float) -> None:
        await self._inner.settle(reservation, cost_usd)
        if cost_usd > 0 and not self._killed:
            self._killed = True
            self._kill()


def write_diff(path: Path) -> Path:
    """`CHUNKS` new Python files, each just big enough to need a chunk of its own."""
    parts = []
    for i in range(CHUNKS):
        body = [f"def handler_{i}_{n}(request):\n    return render(request, {n})\n"
                for n in range(45)]
        lines = "".join(f"+{line}" for text in body for line in text.splitlines(True))
        count = sum(len(text.splitlines()) for text in body)
        parts.append(
            f"diff --git a/app/m{i}.py b/app/m{i}.py\nnew file mode 100644\n--- /dev/null\n"
            f"+++ b/app/m{i}.py\n@@ -0,0 +1,{count} @@\n{lines}"
        )
    path.write_text("".join(parts))
    return path


def _config(server: ProviderServer, fault: str, mode: str) -> Config:
    script, _ = FAULTS[fault]
    primary_url = server.url_for("anthropic") if script is not None else "http://127.0.0.1:9"
    common: dict[str, Any] = {
        "timeout_s": TIMEOUT_S, "context_window": 6000, "max_output_tokens": 800,
        "max_concurrency": 4, "capabilities": ("review", "security-hardened"),
    }
    providers = [
        ProviderConfig(id="primary", type="anthropic", model="faulty-model", base_url=primary_url,
                       price=PRIMARY_PRICE, **common),
    ]
    if mode == "backup":
        providers.append(
            ProviderConfig(id="backup", type="openai-compatible", model="live-model",
                           base_url=server.url_for("openai-compatible"), price=BACKUP_PRICE,
                           **common)
        )
    return Config(
        team="matrix",
        providers=tuple(providers),
        policy=Policy(max_cost_per_run=RUN_CAP_USD, max_cost_per_day=DAY_CAP_USD,
                      org_max_cost_per_day=DAY_CAP_USD, max_cost_per_request=0.05),
        routing=RoutingConfig(
            fallback=tuple(p.id for p in providers),
            deadline_s=DEADLINE_S, backoff_base_s=0.05, backoff_cap_s=0.2, cache=False,
        ),
    )


def _billed(server: ProviderServer) -> float:
    prices = {"faulty-model": PRIMARY_PRICE, "live-model": BACKUP_PRICE}
    return float(sum(
        (b["input_tokens"] * prices[b["model"]].input_per_mtok
         + b["output_tokens"] * prices[b["model"]].output_per_mtok) / 1e6
        for b in server.billed
    ))


def _shared(kind: str, tmp: Path, redis: RedisHandle | None) -> Ledger:
    if kind == "sqlite":
        return open_ledger(f"sqlite:///{tmp}/ledger.sqlite")
    if redis is None:
        raise ValueError(f"ledger {kind!r} needs a Redis server")
    import redis as redis_py

    with redis_py.Redis.from_url(redis.url) as client:  # each row starts with no spend
        client.flushdb()
    if kind == "redis":
        return open_ledger(redis.url)
    return _DiesAfterFirstSettle(open_ledger(redis.url), redis.kill)


async def run_row(
    fault: str, mode: str, ledger_kind: str, tmp: Path, redis: RedisHandle | None = None
) -> Row:
    """One review run under `fault`; `tmp` is an empty directory of its own."""
    script, _ = FAULTS[fault]
    with ProviderServer({}) as server:
        server.load({"models": {"faulty-model": script or {}, "live-model": {"json": GOOD}}})
        config = _config(server, fault, mode)
        changes = load_changes(write_diff(tmp / "change.diff"), repo=tmp, env={})
        providers = {p.id: build_provider(p, KEYS) for p in config.providers}
        ledger = FallbackLedger(_shared(ledger_kind, tmp, redis))
        run_id = f"matrix-{time.monotonic_ns()}"
        started = time.monotonic()
        try:
            result = await run_review(
                changes, config, providers=providers, ledger=ledger, run_id=run_id,
                settings=PromptSettings(), env=KEYS,
            )
            wall = time.monotonic() - started
            recorded = (await ledger.used([f"run:{run_id}"]))[f"run:{run_id}"]
        finally:
            await ledger.aclose()
            for provider in providers.values():
                await provider.aclose()
        return _row(fault, mode, ledger_kind, server, result, wall, recorded, ledger.notes())


def _row(
    fault: str, mode: str, ledger_kind: str, server: ProviderServer, result: ReviewResult,
    wall: float, recorded: float, ledger_notes: tuple[str, ...],
) -> Row:
    to_primary = [a for a in result.attempts if a.provider == "primary" and a.outcome != "skipped"]
    served = sum(1 for r in server.requests if r["model"] == "faulty-model")
    settled = sum(a.cost_usd for a in result.attempts)
    return Row(
        fault=fault, mode=mode, ledger=ledger_kind,
        faulty_calls=max(served, len(to_primary)),
        wall_s=wall,
        billed_usd=_billed(server),
        recorded_usd=recorded,
        cap_usd=min(RUN_CAP_USD, DAY_CAP_USD),
        holds_left_usd=max(recorded - settled, 0.0),
        chunks_ok=sum(1 for o in result.outcomes if o.status == "ok"),
        status=result.status,
        notes=(*result.notes, *ledger_notes),
    )


def caps() -> tuple[Cap, ...]:
    """The caps every row runs under (for printing)."""
    return (Cap("run", RUN_CAP_USD, 0), Cap("team-day", DAY_CAP_USD, 0),
            Cap("org-day", DAY_CAP_USD, 0))


def run_sync(fault: str, mode: str, ledger_kind: str, tmp: Path,
             redis: RedisHandle | None = None) -> Row:
    return asyncio.run(run_row(fault, mode, ledger_kind, tmp, redis))
