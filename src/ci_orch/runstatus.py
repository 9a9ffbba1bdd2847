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

from collections.abc import Sequence
from typing import Literal, Protocol

from ci_orch.routing import BudgetExhausted, DeadlineExceeded

RunStatus = Literal["complete", "partial", "failed", "cancelled", "skipped"]


class _Chunk(Protocol):
    @property
    def added_lines(self) -> tuple[tuple[str, int], ...]: ...


class _Outcome(Protocol):
    @property
    def status(self) -> str: ...

    @property
    def chunk(self) -> _Chunk: ...

    @property
    def repairs(self) -> int: ...


def run_status(outcomes: Sequence[_Outcome], *, cancelled: bool = False) -> RunStatus:
    if cancelled:
        return "cancelled"
    if not outcomes:
        return "skipped"  # nothing to review
    done = sum(1 for o in outcomes if o.status == "ok")
    if done == len(outcomes):
        return "complete"
    return "partial" if done else "failed"


def lines_sent(outcomes: Sequence[_Outcome]) -> int:
    """Added lines in chunks that a provider answered."""
    return sum(len(o.chunk.added_lines) for o in outcomes if o.status == "ok")


def repairs_made(outcomes: Sequence[_Outcome]) -> int:
    return sum(o.repairs for o in outcomes)


def stop_reason(exc: BudgetExhausted | DeadlineExceeded) -> str | None:
    """Why the remaining chunks must not start, or None when only this chunk is affected."""
    if isinstance(exc, BudgetExhausted) and exc.scope != "shared":
        return None
    return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
