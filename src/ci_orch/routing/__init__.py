"""Policy-governed routing: classification, eligibility, strategies, the chain, budgets.

Entry point: `Router(config, providers, ledger, run_id=...)` and `await router.route(...)`
(docs/routing.md).
"""

from ci_orch.routing.attempts import AttemptObserver, observe_all
from ci_orch.routing.clock import Clock, SystemClock
from ci_orch.routing.errors import (
    AllProvidersFailed,
    BudgetExhausted,
    ContextTooLarge,
    DeadlineExceeded,
    RoutingError,
)
from ci_orch.routing.model import Attempt, Classification, RoutedRequest, RouteResult
from ci_orch.routing.router import Router

__all__ = [
    "AllProvidersFailed",
    "Attempt",
    "AttemptObserver",
    "BudgetExhausted",
    "Classification",
    "Clock",
    "ContextTooLarge",
    "DeadlineExceeded",
    "RouteResult",
    "RoutedRequest",
    "Router",
    "RoutingError",
    "SystemClock",
    "observe_all",
]
