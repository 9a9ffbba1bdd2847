"""The fault matrix: one review run per (fault, backup or not, ledger backend) against the
provider server, with what the server billed as the truth to check spend against. The
primary and the backup are two vendors, so each has a server of its own.

A "down" fault takes the primary's whole API down (its models list too), so even at a
cold start it must cost at most 3 calls. An "unusable" one is an API that is up and a
model that answers 200 with nothing usable: the liveness probe passes, so a cold start
may send up to `max(3, max_concurrency)` calls before the breaker hears of a failure; a
warm start (a second run on the same ledger, which remembers the breaker) at most 3.

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
from typing import Any, Literal

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
MAX_CONCURRENCY = 4
TIMEOUT_S = 1.0
DEADLINE_S = 10.0
# Room for MAX_CONCURRENCY broken-off primary answers kept at their full hold (a cold
# start whose probe passed) and the backup's six answers after them.
RUN_CAP_USD = 0.09
DAY_CAP_USD = 0.10
KEYS = {"ANTHROPIC_API_KEY": "test-not-a-key", "OPENAI_API_KEY": "sk-test-not-a-key"}
PRIMARY_PRICE = Price(input_per_mtok=3.0, output_per_mtok=15.0)
BACKUP_PRICE = Price(input_per_mtok=1.0, output_per_mtok=2.0)
GOOD = {"findings": [], "summary": "no issues"}

Kind = Literal["down", "unusable", "usable"]
DOWN_CALLS = 3  # the breaker's failure_threshold
UNUSABLE_COLD_CALLS = max(DOWN_CALLS, MAX_CONCURRENCY)

# fault name -> the primary's script (None: nothing listens) and its kind: "down" (the
# API fails at the transport or HTTP level), "unusable" (200 with nothing usable in it).
FAULTS: Mapping[str, tuple[dict[str, Any] | None, Kind]] = {
    "500": ({"then": "server_error"}, "down"),
    "529": ({"then": "overloaded"}, "down"),
    "429 short": ({"then": {"fault": "rate_limit", "retry_after": 1}}, "down"),
    "429 long": ({"then": {"fault": "rate_limit", "retry_after": 120}}, "down"),
    "401": ({"then": "auth"}, "down"),
    "403": ({"then": {"fault": "status", "status": 403}}, "down"),
    "refused": (None, "down"),
    "reset": ({"then": "reset"}, "down"),
    "hang": ({"then": {"fault": "hang", "hang_s": 30}}, "down"),
    "half body, stall": ({"then": {"fault": "stall", "hang_s": 30}}, "unusable"),
    "200 prose": ({"text": "Looks good to me, nothing to report."}, "unusable"),
    "200 truncated JSON": ({"text": '{"findings": [{"path": "app/m0.py", "line'}, "unusable"),
    "over-billed 1.3x": ({"json": GOOD, "bill_input_factor": 1.3}, "usable"),
}
MODES = ("single", "backup")
LEDGERS = ("sqlite", "redis", "redis dies")
STARTS = ("cold", "warm")


def starts(fault: str) -> tuple[str, ...]:
    """Cold for every fault; warm too where the cold bound is looser than the warm one."""
    return STARTS if FAULTS[fault][1] == "unusable" else ("cold",)


def call_bound(fault: str, start: str) -> int | None:
    """At most this many calls may reach the primary (None: no bound, it answers)."""
    kind = FAULTS[fault][1]
    if kind == "usable":
        return None
    return UNUSABLE_COLD_CALLS if kind == "unusable" and start == "cold" else DOWN_CALLS


@dataclass(frozen=True, slots=True)
class Row:
    fault: str
    mode: str
    ledger: str
    start: str  # "cold": no breaker memory; "warm": a second run on the same ledger
    faulty_calls: int
    wall_s: float
    billed_usd: float  # provider-side truth: what the servers billed, at the configured prices
    recorded_usd: float  # what the ledger holds for the run (both runs, when warm)
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


def _config(primary: ProviderServer, backup: ProviderServer, fault: str, mode: str,
            day_cap: float = DAY_CAP_USD) -> Config:
    script, _ = FAULTS[fault]
    primary_url = primary.url_for("anthropic") if script is not None else "http://127.0.0.1:9"
    common: dict[str, Any] = {
        "timeout_s": TIMEOUT_S, "context_window": 6000, "max_output_tokens": 800,
        "max_concurrency": MAX_CONCURRENCY, "capabilities": ("review", "security-hardened"),
    }
    providers = [
        ProviderConfig(id="primary", type="anthropic", model="faulty-model", base_url=primary_url,
                       price=PRIMARY_PRICE, **common),
    ]
    if mode == "backup":
        providers.append(
            ProviderConfig(id="backup", type="openai-compatible", model="live-model",
                           base_url=backup.url_for("openai-compatible"), price=BACKUP_PRICE,
                           **common)
        )
    return Config(
        team="matrix",
        providers=tuple(providers),
        policy=Policy(max_cost_per_run=RUN_CAP_USD, max_cost_per_day=day_cap,
                      org_max_cost_per_day=day_cap, max_cost_per_request=0.05),
        routing=RoutingConfig(
            fallback=tuple(p.id for p in providers),
            deadline_s=DEADLINE_S, backoff_base_s=0.05, backoff_cap_s=0.2, cache=False,
        ),
    )


def _billed(*servers: ProviderServer) -> float:
    prices = {"faulty-model": PRIMARY_PRICE, "live-model": BACKUP_PRICE}
    return float(sum(
        (b["input_tokens"] * prices[b["model"]].input_per_mtok
         + b["output_tokens"] * prices[b["model"]].output_per_mtok) / 1e6
        for server in servers
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


@dataclass(frozen=True, slots=True)
class _Run:
    result: ReviewResult
    wall_s: float
    recorded_usd: float


async def _review(config: Config, ledger: Ledger, tmp: Path) -> _Run:
    changes = load_changes(write_diff(tmp / "change.diff"), repo=tmp, env={})
    providers = {p.id: build_provider(p, KEYS) for p in config.providers}
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
        for provider in providers.values():
            await provider.aclose()
    return _Run(result, wall, recorded)


async def run_row(
    fault: str, mode: str, ledger_kind: str, tmp: Path, redis: RedisHandle | None = None,
    start: str = "cold",
) -> Row:
    """One review run under `fault`; `tmp` is an empty directory of its own. A "warm" row
    is the second of two runs on the same ledger and servers; its spend covers both."""
    script, _ = FAULTS[fault]
    with ProviderServer({}) as primary, ProviderServer({}) as backup:
        primary.load({"models": {"faulty-model": script or {}}})
        backup.load({"models": {"live-model": {"json": GOOD}}})
        # A warm row is two runs on one ledger: the day caps hold room for both, so the
        # second is not starved by the first's spend (that would test the caps, not the
        # stored breaker).
        day_cap = _day_cap(start)
        config = _config(primary, backup, fault, mode, day_cap)
        ledger = FallbackLedger(_shared(ledger_kind, tmp, redis))
        try:
            earlier = await _review(config, ledger, tmp) if start == "warm" else None
            before = _primary_calls(primary, earlier)
            run = await _review(config, ledger, tmp)
        finally:
            await ledger.aclose()
        notes = (*run.result.notes, *ledger.notes())
        return _row(fault, mode, ledger_kind, start, (primary, backup), run, earlier,
                    _primary_calls(primary, run) - before, notes)


def _day_cap(start: str) -> float:
    return 2 * DAY_CAP_USD if start == "warm" else DAY_CAP_USD


def _primary_calls(primary: ProviderServer, run: _Run | None) -> int:
    """Calls that reached the primary so far (its server's count, else the run's rows,
    for a primary nothing listens for)."""
    served = sum(1 for r in primary.requests if r["model"] == "faulty-model")
    if run is None:
        return served
    rows = [a for a in run.result.attempts if a.provider == "primary" and a.outcome != "skipped"]
    return max(served, len(rows))


def _row(
    fault: str, mode: str, ledger_kind: str, start: str, servers: tuple[ProviderServer, ...],
    run: _Run, earlier: _Run | None, faulty_calls: int, notes: tuple[str, ...],
) -> Row:
    runs = [r for r in (earlier, run) if r is not None]
    settled = sum(a.cost_usd for r in runs for a in r.result.attempts)
    recorded = sum(r.recorded_usd for r in runs)
    return Row(
        fault=fault, mode=mode, ledger=ledger_kind, start=start,
        faulty_calls=faulty_calls,
        wall_s=run.wall_s,
        billed_usd=_billed(*servers),
        recorded_usd=recorded,
        # Two runs share the day caps; one run alone also has its run cap.
        cap_usd=_day_cap(start) if earlier is not None else min(RUN_CAP_USD, DAY_CAP_USD),
        holds_left_usd=max(recorded - settled, 0.0),
        chunks_ok=sum(1 for o in run.result.outcomes if o.status == "ok"),
        status=run.result.status,
        notes=notes,
    )


def caps() -> tuple[Cap, ...]:
    """The caps every row runs under (for printing)."""
    return (Cap("run", RUN_CAP_USD, 0), Cap("team-day", DAY_CAP_USD, 0),
            Cap("org-day", DAY_CAP_USD, 0))


def run_sync(fault: str, mode: str, ledger_kind: str, tmp: Path,
             redis: RedisHandle | None = None, start: str = "cold") -> Row:
    return asyncio.run(run_row(fault, mode, ledger_kind, tmp, redis, start))
