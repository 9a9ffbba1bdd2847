"""The chunk loop review and generate share: what stops the chunks that have not started,
and what a cancellation keeps."""

from __future__ import annotations

import asyncio
import signal

from ci_orch.cancel import Cancellation
from ci_orch.gate import GateResult, Redactions
from ci_orch.gate.model import Scanned
from ci_orch.ledger import LedgerUnavailable
from ci_orch.plan.model import Chunk, Plan
from ci_orch.review.chunks import ChunkOutcome
from ci_orch.routing import BudgetExhausted
from ci_orch.runstatus import LEDGER_LOST, RunResult, route_chunks, run_status

CHUNKS = [Chunk(id=f"c{i}", tokens=1, text=f"+x{i}", files=(f"f{i}.py",),
                added_lines=((f"f{i}.py", 1),)) for i in range(4)]


def _ok(chunk: Chunk) -> ChunkOutcome:
    return ChunkOutcome(chunk, "ok", provider="p")


def test_a_shared_budget_stops_the_chunks_that_have_not_started() -> None:
    async def ask(chunk: Chunk) -> ChunkOutcome:
        if chunk.id == "c0":
            raise BudgetExhausted("run cap reached")  # before the others start
        return _ok(chunk)

    outcomes, stopped = asyncio.run(route_chunks(CHUNKS, ask, ChunkOutcome, Cancellation()))
    assert [o.status for o in outcomes] == ["skipped"] * 4
    assert stopped == "BudgetExhausted: run cap reached"
    assert {o.reason for o in outcomes[1:]} == {stopped}


def test_chunks_already_running_when_the_budget_runs_out_finish() -> None:
    async def ask(chunk: Chunk) -> ChunkOutcome:
        if chunk.id == "c0":
            await asyncio.sleep(0.01)
            raise BudgetExhausted("run cap reached")
        await asyncio.sleep(0.02)
        return _ok(chunk)

    outcomes, stopped = asyncio.run(route_chunks(CHUNKS, ask, ChunkOutcome, Cancellation()))
    assert [o.status for o in outcomes] == ["skipped", "ok", "ok", "ok"]
    assert stopped == "BudgetExhausted: run cap reached"


def test_a_per_request_cap_skips_only_its_chunk() -> None:
    async def ask(chunk: Chunk) -> ChunkOutcome:
        if chunk.id == "c1":
            raise BudgetExhausted("request too large", scope="request")
        return _ok(chunk)

    outcomes, stopped = asyncio.run(route_chunks(CHUNKS, ask, ChunkOutcome, Cancellation()))
    assert [o.status for o in outcomes] == ["ok", "skipped", "ok", "ok"]
    assert stopped is None


def test_a_required_ledger_lost_fails_the_chunk_and_stops_the_rest() -> None:
    started: list[str] = []

    async def ask(chunk: Chunk) -> ChunkOutcome:
        started.append(chunk.id)
        if chunk.id == "c0":
            raise LedgerUnavailable("redis went away")
        await asyncio.sleep(0)
        return _ok(chunk)

    outcomes, stopped = asyncio.run(route_chunks(CHUNKS, ask, ChunkOutcome, Cancellation()))
    assert outcomes[0].status == "failed"
    assert stopped is not None and stopped.startswith(LEDGER_LOST)
    assert all(o.reason.startswith(LEDGER_LOST) for o in outcomes if o.status != "ok")
    assert _result(outcomes).ledger_lost  # what the verdict reads: a required ledger failed
    assert not _result([_ok(c) for c in CHUNKS]).ledger_lost


def _result(outcomes: list[ChunkOutcome]) -> RunResult[ChunkOutcome]:
    plan = Plan(model="m", budget_tokens=1000, tokenizer="o200k_base", tokenizer_exact=True,
                added_lines_total=4, added_lines_planned=4, chunks=tuple(CHUNKS),
                skipped_files=())
    gate = GateResult(verdict="pass", findings=(), scanned=Scanned(), elapsed_s=0.0)
    return RunResult(plan=plan, outcomes=tuple(outcomes), attempts=(), gate=gate,
                     redactions=Redactions({}), status=run_status(outcomes))


def test_cancellation_keeps_what_was_answered() -> None:
    cancel = Cancellation()
    seen: list[str] = []

    async def ask(chunk: Chunk) -> ChunkOutcome:
        if chunk.id in ("c0", "c1"):
            return _ok(chunk)
        await asyncio.sleep(30)  # in flight when the signal comes
        return _ok(chunk)

    async def run() -> tuple[list[ChunkOutcome], str | None]:
        loop = asyncio.get_running_loop()
        loop.call_later(0.05, cancel.request, signal.SIGTERM)
        return await route_chunks(CHUNKS, ask, ChunkOutcome, cancel,
                                  done=lambda o: seen.append(o.chunk.id))

    outcomes, _ = asyncio.run(asyncio.wait_for(run(), timeout=5))
    assert [(o.status, o.reason) for o in outcomes] == [
        ("ok", ""), ("ok", ""), ("skipped", "cancelled"), ("skipped", "cancelled")]
    assert run_status(outcomes, cancelled=cancel.requested) == "cancelled"
    assert sorted(seen) == ["c0", "c1"]  # progress hears of the answered chunks only


def test_a_window_asks_that_many_chunks_at_once_in_chunk_order() -> None:
    asked: list[str] = []
    running: list[int] = [0]
    most: list[int] = [0]

    async def ask(chunk: Chunk) -> ChunkOutcome:
        asked.append(chunk.id)
        running[0] += 1
        most[0] = max(most[0], running[0])
        await asyncio.sleep(0.01)
        running[0] -= 1
        return _ok(chunk)

    outcomes, stopped = asyncio.run(
        route_chunks(CHUNKS, ask, ChunkOutcome, Cancellation(), window=2))
    assert [o.status for o in outcomes] == ["ok"] * 4 and stopped is None
    assert most[0] == 2
    assert asked == ["c0", "c1", "c2", "c3"]


def test_chunks_waiting_for_their_turn_have_not_started_when_the_budget_runs_out() -> None:
    asked: list[str] = []

    async def ask(chunk: Chunk) -> ChunkOutcome:
        asked.append(chunk.id)
        await asyncio.sleep(0.01)
        if chunk.id == "c0":
            raise BudgetExhausted("run cap reached")
        return _ok(chunk)

    outcomes, stopped = asyncio.run(
        route_chunks(CHUNKS, ask, ChunkOutcome, Cancellation(), window=2))
    assert [o.status for o in outcomes] == ["skipped", "ok", "skipped", "skipped"]
    assert asked == ["c0", "c1"]
    assert stopped == "BudgetExhausted: run cap reached"
    assert {o.reason for o in outcomes[2:]} == {stopped}
