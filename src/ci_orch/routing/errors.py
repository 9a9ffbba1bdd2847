"""Why a request could not be routed. Callers tell "stop" (budget, deadline) from
"this chunk failed" (every provider failed) by type."""

from __future__ import annotations

from collections.abc import Sequence

from ci_orch.errors import CiOrchError, ExitCode
from ci_orch.routing.model import Attempt


class RoutingError(CiOrchError):
    exit_code = ExitCode.INCOMPLETE

    def __init__(self, message: str, attempts: Sequence[Attempt] = ()) -> None:
        super().__init__(message)
        self.attempts = tuple(attempts)


class AllProvidersFailed(RoutingError):
    """An "any of" with no success: `failures` holds one line per provider tried or skipped.
    `retry_after`: seconds until the first open breaker admits a probe, when known."""

    def __init__(
        self,
        failures: Sequence[str],
        total: int,
        attempts: Sequence[Attempt] = (),
        retry_after: float | None = None,
    ) -> None:
        lines = "\n".join(f"  {f}" for f in failures)
        hint = f" (first breaker reopens in {retry_after:.1f} s)" if retry_after else ""
        super().__init__(f"0 of {total} providers succeeded{hint}:\n{lines}", attempts)
        self.failures = tuple(failures)
        self.retry_after = retry_after


class ContextTooLarge(AllProvidersFailed):
    """No eligible provider's window holds this chunk: the caller should split it further
    so each part fits `limit` tokens (input plus output reserve)."""

    def __init__(
        self, limit: int, failures: Sequence[str], total: int, attempts: Sequence[Attempt] = ()
    ) -> None:
        super().__init__(failures, total, attempts)
        self.limit = limit


class BudgetExhausted(RoutingError):
    """A spending cap leaves no room for any eligible provider.

    `scope` "shared": a run / team-day / org-day cap: stop routing and report it.
    `scope` "request": this chunk alone is dearer than `policy.max_cost_per_request`
    on every provider: split it or skip it; other chunks may still fit.
    """

    def __init__(self, message: str, attempts: Sequence[Attempt] = (), *, scope: str = "shared"):
        super().__init__(message, attempts)
        self.scope = scope


class DeadlineExceeded(RoutingError):
    """The run's `routing.deadline_s` has passed."""
