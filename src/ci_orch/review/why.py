"""A few words on why a review did not complete, for the verdict's title."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ci_orch.routing import Attempt


class _Chunk(Protocol):
    @property
    def added_lines(self) -> tuple[tuple[str, int], ...]: ...


class _Outcome(Protocol):
    @property
    def status(self) -> str: ...

    @property
    def chunk(self) -> _Chunk: ...

    @property
    def reason(self) -> str: ...


class _Result(Protocol):
    @property
    def outcomes(self) -> Sequence[_Outcome]: ...

    @property
    def attempts(self) -> Sequence[Attempt]: ...

    @property
    def added_lines_sent(self) -> int: ...

    @property
    def status(self) -> str: ...


def why_not_complete(r: _Result) -> str:
    """'' for a complete run; else the main cause, e.g. "2 provider(s) down"."""
    if r.status in ("complete", "skipped"):
        return ""
    missed = [o.reason for o in r.outcomes if o.status != "ok"]
    cause = _cause(missed, r.attempts)
    if r.status == "partial":
        total = r.added_lines_sent + _unsent(r)
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


def _unsent(r: _Result) -> int:
    return sum(len(o.chunk.added_lines) for o in r.outcomes if o.status != "ok")
