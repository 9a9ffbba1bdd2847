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

    @property
    def reason(self) -> str: ...


class _Attempt(Protocol):
    @property
    def provider(self) -> str: ...

    @property
    def outcome(self) -> str: ...


class _Result(Protocol):
    @property
    def outcomes(self) -> Sequence[_Outcome]: ...

    @property
    def attempts(self) -> Sequence[_Attempt]: ...

    @property
    def added_lines_sent(self) -> int: ...

    @property
    def status(self) -> str: ...


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


def why_not_complete(r: _Result) -> str:
    """A few words for the verdict's title: '' for a complete run, else the main cause
    ("2 provider(s) down", "budget exhausted") and, when partial, how much was reviewed."""
    if r.status in ("complete", "skipped"):
        return ""
    missed = [o for o in r.outcomes if o.status != "ok"]
    cause = _cause([o.reason for o in missed], r.attempts)
    if r.status == "partial":
        total = r.added_lines_sent + sum(len(o.chunk.added_lines) for o in missed)
        return f"{cause}; {r.added_lines_sent} of {total} added lines reviewed"
    return cause


def _cause(reasons: Sequence[str], attempts: Sequence[_Attempt]) -> str:
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
