"""What review and generate share about a run of many chunks: its status, and when to stop.

The status vocabulary cannot be misread by a required check:

- `complete`: every chunk was answered;
- `partial`: some added lines were reviewed, some were not (the notes say which and why);
- `failed`: there was something to review and no line was (providers down, budget spent);
- `cancelled`: the run was stopped by a signal before it finished;
- `skipped`: only when there was nothing to review or no provider was configured.

A shared budget (run, team-day, org-day) or the deadline running out stops the chunks that
have not started; a per-request cap only skips that one chunk.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, Protocol, TypeVar

from ci_orch.cancel import Cancellation
from ci_orch.gate import GateResult, Redactions
from ci_orch.ledger.fallback import LedgerUnavailable
from ci_orch.plan.model import Plan
from ci_orch.plan.planner import Draft
from ci_orch.routing import Attempt, BudgetExhausted, DeadlineExceeded

RunStatus = Literal["complete", "partial", "failed", "cancelled", "skipped"]


class _Chunk(Protocol):
    @property
    def added_count(self) -> int: ...


ChunkT = TypeVar("ChunkT", bound=_Chunk)
ChunkT_contra = TypeVar("ChunkT_contra", bound=_Chunk, contravariant=True)


class _Outcome(Protocol):
    @property
    def status(self) -> str: ...

    @property
    def chunk(self) -> _Chunk: ...

    @property
    def repairs(self) -> int: ...

    @property
    def reason(self) -> str: ...


OutcomeT = TypeVar("OutcomeT", bound=_Outcome)
OutcomeT_co = TypeVar("OutcomeT_co", bound=_Outcome, covariant=True)
LEDGER_LOST = "shared ledger lost"


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult(Generic[OutcomeT]):
    """What a run of many chunks gave: review and generate each add what they read from
    the answers (findings, patches)."""

    plan: Plan | Draft  # a review's chunk texts are rendered from the diff as they are sent
    outcomes: tuple[OutcomeT, ...]
    attempts: tuple[Attempt, ...]
    gate: GateResult
    redactions: Redactions
    status: RunStatus
    notes: tuple[str, ...] = ()

    @property
    def added_lines_sent(self) -> int:
        """Added lines in chunks that a provider answered."""
        return sum(o.chunk.added_count for o in self.outcomes if o.status == "ok")

    @property
    def repairs(self) -> int:
        return sum(o.repairs for o in self.outcomes)

    @property
    def ledger_lost(self) -> bool:
        """The shared ledger failed and the policy requires it: `route_chunks` said so."""
        return any(o.reason.startswith(LEDGER_LOST) for o in self.outcomes)


def run_status(outcomes: Sequence[_Outcome], *, cancelled: bool = False) -> RunStatus:
    if cancelled:
        return "cancelled"
    if not outcomes:
        return "skipped"  # nothing to review
    done = sum(1 for o in outcomes if o.status == "ok")
    if done == len(outcomes):
        return "complete"
    return "partial" if done else "failed"


class _Unrouted(Protocol[ChunkT_contra, OutcomeT_co]):
    """An outcome for a chunk no provider answered (each command's ChunkOutcome class)."""

    def __call__(
        self, chunk: ChunkT_contra, status: Literal["skipped", "failed"], *, reason: str
    ) -> OutcomeT_co: ...


async def route_chunks(
    chunks: Sequence[ChunkT],
    ask: Callable[[ChunkT], Awaitable[OutcomeT]],
    unrouted: _Unrouted[ChunkT, OutcomeT],
    cancel: Cancellation,
    done: Callable[[OutcomeT], None] | None = None,
    window: int | None = None,
) -> tuple[list[OutcomeT], str | None]:
    """Every chunk concurrently (the router queues per provider); the outcomes in chunk
    order and why the run stopped early, if it did.

    With `window`, at most that many chunks are asked at once, in chunk order: a chunk's
    request (its prompt, a copy of its diff text) is built only when it is asked, so a large
    diff never holds every prompt at once. A chunk waiting for its turn has not started.

    A shared budget or the deadline running out stops the chunks that have not started, and
    a ledger the policy requires failing stops them all (no call without it); they are
    reported as not routed. Cancellation cancels the chunks still running (the router
    releases their holds) and keeps what was answered."""
    stop: list[str] = []
    turns = asyncio.Semaphore(window if window is not None else max(len(chunks), 1))

    async def one(chunk: ChunkT) -> OutcomeT:
        async with turns:
            outcome = await attempt(chunk)
        if done is not None:
            done(outcome)
        return outcome

    async def attempt(chunk: ChunkT) -> OutcomeT:
        if stop:
            return unrouted(chunk, "skipped", reason=stop[0])
        try:
            return await ask(chunk)
        except (BudgetExhausted, DeadlineExceeded) as exc:
            reason = stop_reason(exc)
            if reason:
                stop.append(reason)
            return unrouted(chunk, "skipped", reason=str(exc).splitlines()[0])
        except LedgerUnavailable as exc:
            stop.append(f"{LEDGER_LOST}: {exc}")
            return unrouted(chunk, "failed", reason=stop[-1])

    tasks = [asyncio.create_task(one(chunk)) for chunk in chunks]
    await _until_done_or_cancelled(tasks, cancel)
    outcomes = [
        t.result() if not t.cancelled() else unrouted(chunk, "skipped", reason="cancelled")
        for t, chunk in zip(tasks, chunks, strict=True)
    ]
    return outcomes, (stop[0] if stop else None)


async def _until_done_or_cancelled(tasks: Sequence[asyncio.Task[OutcomeT]],
                                   cancel: Cancellation) -> None:
    if not tasks:
        return
    waiter = asyncio.ensure_future(cancel.wait())
    everything = asyncio.ensure_future(_settled(tasks))
    try:
        await asyncio.wait((everything, waiter), return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if cancel.requested:
        for task in tasks:
            task.cancel()
    await everything


async def _settled(tasks: Sequence[asyncio.Task[OutcomeT]]) -> None:
    for result in await asyncio.gather(*tasks, return_exceptions=True):
        if isinstance(result, Exception):  # a bug in a chunk is a bug, not a cancelled chunk
            raise result


def stop_reason(exc: BudgetExhausted | DeadlineExceeded) -> str | None:
    """Why the remaining chunks must not start, or None when only this chunk is affected."""
    if isinstance(exc, BudgetExhausted) and exc.scope != "shared":
        return None
    return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


def why_not_complete(r: RunResult[OutcomeT]) -> str:
    """A few words for the verdict's title: '' for a complete run, else the main cause
    ("2 provider(s) down", "budget exhausted") and, when partial, how much was reviewed."""
    if r.status in ("complete", "skipped"):
        return ""
    missed = [o for o in r.outcomes if o.status != "ok"]
    cause = _cause([o.reason for o in missed], r.attempts)
    if r.status == "partial":
        total = r.added_lines_sent + sum(o.chunk.added_count for o in missed)
        return f"{cause}; {r.added_lines_sent} of {total} added lines reviewed"
    return cause


def _cause(reasons: Sequence[str], attempts: Sequence[Attempt]) -> str:
    if any("BudgetExhausted" in r or "budget" in r.lower() for r in reasons):
        return "budget exhausted"
    if any("DeadlineExceeded" in r for r in reasons):
        return "deadline reached"
    if reasons and all(r == "cancelled" for r in reasons):
        return "cancelled"
    answered = {a.provider for a in attempts if a.outcome == "ok"}
    down = {a.provider for a in attempts if a.outcome == "error"} - answered
    if down:
        return f"{len(down)} provider(s) down"
    if any(a.outcome == "skipped" for a in attempts):
        return "no eligible provider"
    return "unreadable answers" if any("unreadable" in r for r in reasons) else "not answered"
