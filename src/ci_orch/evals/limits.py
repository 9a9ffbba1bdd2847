"""What an eval run shares across its trials: dollar caps and provider limits.

Spending caps are kept by the same ledger reservations the router uses. The router reserves
every call's worst case against its caps (run, team-day, org-day). `CappedLedger` adds two
more caps to every reservation, atomically in the same backend: the eval run's `--max-cost`
(`eval:<run id>`) and the case's `limits.max_usd` (`case:<run id>:<trial>`). When either has
no room the router skips the call as `budget` and raises `BudgetExhausted`; the runner then
stops cleanly and reports what is left as skipped. Nothing is ever spent past a cap (the
ledger rounds caps down and costs up).

By default an eval run uses a fresh temporary SQLite ledger, so nightly evals neither
consume nor are stopped by the team and org day caps of real reviews; `--shared-ledger`
uses `ledger.url` from the config instead (evals then count against those caps too).

Provider adapters are built once and limited across trials. Each trial runs the real
pipeline, which makes its own Router and so its own per-provider limiters. To keep
`max_concurrency`, `rpm` and `tpm` for the eval run as a whole, every call also passes
through one shared `Limiter` per provider (the router's own class). A trial's view
(`TrialProviders`) also keeps each answer's text, for generation assertions."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from ci_orch.config.model import Config
from ci_orch.ledger.interface import Cap, DelegatingLedger, Ledger, Reservation
from ci_orch.providers.errors import Timeout
from ci_orch.providers.interface import Provider, ProviderRequest, ProviderResponse
from ci_orch.providers.registry import build_provider
from ci_orch.routing.clock import SystemClock
from ci_orch.routing.limiter import Limiter, LimiterDeadline

# --- dollar caps -------------------------------------------------------------------------


_TTL_S = 2 * 86_400
RUN_SCOPE = "eval:"
CASE_SCOPE = "case:"


def run_cap(run_id: str, usd: float | None) -> tuple[Cap, ...]:
    return () if usd is None else (Cap(f"{RUN_SCOPE}{run_id}", usd, _TTL_S),)


def case_cap(run_id: str, trial: str, usd: float | None) -> tuple[Cap, ...]:
    return () if usd is None else (Cap(f"{CASE_SCOPE}{run_id}:{trial}", usd, _TTL_S),)


class CappedLedger(DelegatingLedger):
    """Another ledger, with `extra` caps added to every reservation; eval calls are real spend,
    so everything else goes to it. Closing it leaves the inner ledger open (one inner ledger
    serves every trial of a run)."""

    def __init__(self, inner: Ledger, extra: Sequence[Cap]) -> None:
        super().__init__(inner)
        self._extra = tuple(extra)

    async def reserve(
        self, caps: Sequence[Cap], amount_usd: float, *, hold_s: float
    ) -> Reservation:
        return await self._inner.reserve((*caps, *self._extra), amount_usd, hold_s=hold_s)

    async def aclose(self) -> None:
        return None


# --- provider limits ---------------------------------------------------------------------


class SharedProviders:
    """One adapter and one limiter per configured provider, for the whole eval run."""

    def __init__(self, config: Config, env: Mapping[str, str]) -> None:
        clock = SystemClock()
        self.adapters: dict[str, Provider] = {
            p.id: build_provider(p, env) for p in config.providers
        }
        self.limiters = {pid: Limiter(p.config, clock) for pid, p in self.adapters.items()}

    def for_trial(self, ids: tuple[str, ...], deadline_s: float) -> TrialProviders:
        return TrialProviders(
            {pid: self.adapters[pid] for pid in ids},
            {pid: self.limiters[pid] for pid in ids},
            time.time() + deadline_s,
        )

    async def aclose(self) -> None:
        for adapter in self.adapters.values():
            await adapter.aclose()


class TrialProviders:
    """The providers one trial may use, and the answers they gave it."""

    def __init__(
        self, adapters: Mapping[str, Provider], limiters: Mapping[str, Limiter], deadline: float
    ) -> None:
        self.answers: list[str] = []
        self.providers: dict[str, Provider] = {
            pid: _Limited(a, limiters[pid], deadline, self.answers) for pid, a in adapters.items()
        }


class _Limited(Provider):
    def __init__(
        self, inner: Provider, limiter: Limiter, deadline: float, answers: list[str]
    ) -> None:
        self.id = inner.id
        self.config = inner.config
        self._inner = inner
        self._limiter = limiter
        self._deadline = deadline
        self._answers = answers

    async def complete(self, request: ProviderRequest) -> ProviderResponse:
        tokens = (request.input_tokens_estimate or 0) + request.max_output_tokens
        try:
            async with self._limiter.slot(tokens, self._deadline):
                response = await self._inner.complete(request)
        except LimiterDeadline:
            # A provider error the router understands: this trial ran out of time waiting.
            raise Timeout("no eval slot free before the case's timeout") from None
        self._answers.append(response.text)
        return response

    async def aclose(self) -> None:
        return None  # the shared adapter is closed once, by SharedProviders
