"""The public entry point: `Router(...).route(RoutedRequest) -> RouteResult`.

One Router per CI run. It owns the run's deadline, breakers, limiters and attempt
records; the ledger it is given holds the money, breaker memory and response cache.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Mapping, Sequence

from ci_orch.config.model import Config
from ci_orch.config.providers import ProviderConfig
from ci_orch.ledger.interface import Ledger, LedgerError
from ci_orch.ledger.scopes import budget_caps
from ci_orch.providers.interface import Provider, ProviderResponse
from ci_orch.routing import cache
from ci_orch.routing.attempts import AttemptLog, AttemptObserver
from ci_orch.routing.chain import Chain
from ci_orch.routing.classify import classify
from ci_orch.routing.clock import Clock, SystemClock
from ci_orch.routing.consensus import ask_all, combine
from ci_orch.routing.cost import TokenCounter
from ci_orch.routing.eligibility import Candidate, Limits, Rejection, screen
from ci_orch.routing.errors import (
    AllProvidersFailed,
    BudgetExhausted,
    ContextTooLarge,
    DeadlineExceeded,
)
from ci_orch.routing.holds import Holds
from ci_orch.routing.limiter import Limiter
from ci_orch.routing.liveness import Probes
from ci_orch.routing.margins import Margins
from ci_orch.routing.model import Attempt, Classification, RoutedRequest, RouteResult
from ci_orch.routing.state import BreakerBoard, RunState
from ci_orch.routing.strategies import order
from ci_orch.routing.vendor_counts import VendorCounts

logger = logging.getLogger(__name__)

_COST_REASONS = frozenset({"budget", "request_cap", "degraded"})


class Router:
    """Routes requests for one run under `config.policy` and `config.routing`.

    `providers` maps provider id to adapter; each adapter's `config` is used as is.
    Raises from `route`: `BudgetExhausted` (stop: a cap leaves no room),
    `DeadlineExceeded` (stop: the run is out of time), `ContextTooLarge` (split the
    chunk to fit `.limit`), `AllProvidersFailed` (this chunk failed; go on), and
    `LedgerError` when the ledger itself cannot be used (budgets cannot be enforced).

    `on_attempt`, when given, sees every attempt row with its request and answer
    (telemetry); it never changes routing.
    """

    def __init__(
        self,
        config: Config,
        providers: Mapping[str, Provider],
        ledger: Ledger,
        *,
        run_id: str,
        clock: Clock | None = None,
        env: Mapping[str, str] | None = None,
        rng: random.Random | None = None,
        on_attempt: AttemptObserver | None = None,
    ) -> None:
        clock = clock or SystemClock()
        self._on_attempt = on_attempt
        policy, routing = config.policy, config.routing
        self._providers: Sequence[Provider] = list(providers.values())
        self._env = os.environ if env is None else env
        disabled: dict[str, str] = {}
        breakers = BreakerBoard(ledger, routing.breaker)
        self._run = RunState(
            routing=routing,
            policy=policy,
            ledger=ledger,
            clock=clock,
            deadline=clock.time() + routing.deadline_s,
            caps=lambda: budget_caps(
                policy, team=config.team, run_id=run_id, wall_time=clock.time()
            ),
            breakers=breakers,
            limiters={pid: Limiter(p.config, clock) for pid, p in providers.items()},
            rng=rng or random.Random(),  # noqa: S311 - jitter, not security
            holds=Holds(ledger),
            margins=Margins(ledger),
            probes=Probes(
                enabled=routing.breaker.probe,
                clock=clock,
                disabled=disabled,
                persist=breakers.persist,
            ),
            disabled=disabled,
        )
        self._vendor_counts = VendorCounts()

    @property
    def attempts(self) -> tuple[Attempt, ...]:
        """Every call and skip of the run so far, in order, for the report."""
        return tuple(self._run.attempts)

    @property
    def disabled(self) -> Mapping[str, str]:
        """Providers dropped for the rest of the run (auth, quota), with why."""
        return dict(self._run.disabled)

    def breaker_states(self) -> dict[str, str]:
        return self._run.breakers.snapshot(self._run.clock.time())

    def limiter_peaks(self) -> dict[str, int]:
        return {pid: lim.peak_in_flight for pid, lim in self._run.limiters.items()}

    @property
    def holds_open(self) -> int:
        """Budget holds taken and not yet settled or released."""
        return self._run.holds.open

    async def release_holds(self) -> int:
        """Release every hold still open (call it when the run is cancelled or ends early);
        returns how many there were. Calls still in flight release their own."""
        return await self._run.holds.release_all()

    def notes(self) -> tuple[str, ...]:
        """What the report should say about money and routing: bills above their holds,
        margins raised, answers counted at their full hold. No content, no secrets."""
        run = self._run
        out = list(run.notes)
        for pid, usd in run.excess.items():
            out.append(f"{pid} billed ${usd:.6f} more than its holds; the excess is recorded")
        for pid, factor in run.raised.items():
            out.append(
                f"{pid} billed more input than we counted: its holds now assume "
                f"{factor:.2f}x our count"
            )
        return tuple(out)

    async def route(self, routed: RoutedRequest) -> RouteResult:
        run = self._run
        log = AttemptLog(routed.chunk_id, run.attempts, self._on_attempt, routed.request)
        if run.remaining() <= 0:
            raise DeadlineExceeded(f"routing.deadline_s ({run.routing.deadline_s:g} s) passed")
        counter = TokenCounter(routed.request, routed.input_tokens)
        cls = classify(routed, run.routing, counter.estimate())
        await run.margins.load(p.config for p in self._providers)
        counter.use_vendor_counts(
            await self._vendor_counts.count(self._providers, routed.request, run.disabled)
        )

        def hold_tokens(cfg: ProviderConfig, counted: int) -> int:
            # A vendor's own count is what it bills; our estimate needs the margin.
            return counted if counter.vendor_counted(cfg) else run.margins.hold_tokens(cfg, counted)

        cands, rejected = screen(
            self._providers,
            cls,
            await self._limits(),
            counter,
            routed.request.max_output_tokens,
            hold_tokens,
        )
        for r in rejected:
            log.skip(r.provider, r.reason, r.detail)
        ordered = order(cands, run.routing, run.stats)
        # A cached answer costs nothing, so providers rejected only on cost may serve one.
        priced_out = [r.provider for r in rejected if r.reason in _COST_REASONS]
        hit = await self._from_cache(routed, cls, [c.config for c in ordered] + priced_out, log)
        if hit is not None:
            return hit
        if not ordered:
            raise _nothing_eligible(rejected, log, len(self._providers))
        if routed.consensus or run.routing.strategy == "consensus":
            return await self._consensus(routed, cls, ordered, log)
        cand, response, cost = await Chain(run, routed, log).run(ordered)
        await self._to_cache(cand, routed, response)
        return RouteResult(response, cand.id, tuple(log.rows), cls, cost)

    async def _limits(self) -> Limits:
        caps = self._run.caps()
        used = await self._run.ledger.used([c.scope for c in caps])
        policy = self._run.policy
        return Limits(
            policy=policy,
            budget_left_usd=min(c.limit_usd - used[c.scope] for c in caps),
            degraded=any(used[c.scope] >= policy.degrade_at * c.limit_usd for c in caps),
            disabled=self._run.disabled,
            env=self._env,
        )

    async def _from_cache(
        self,
        routed: RoutedRequest,
        cls: Classification,
        configs: Sequence[ProviderConfig],
        log: AttemptLog,
    ) -> RouteResult | None:
        if not self._run.routing.cache or routed.consensus:
            return None
        for cfg in configs:
            try:
                raw = await self._run.ledger.cache_get(cache.cache_key(cfg, routed.request))
            except LedgerError as exc:  # the cache is an optimisation: a miss
                logger.warning("response cache unavailable: %s", exc)
                return None
            response = cache.load(raw) if raw is not None else None
            if response is not None:
                log.ok(cfg, 0, response, 0.0, 0.0, cache_hit=True)
                return RouteResult(response, cfg.id, tuple(log.rows), cls, 0.0, cache_hit=True)
        return None

    async def _to_cache(
        self, cand: Candidate, routed: RoutedRequest, response: ProviderResponse
    ) -> None:
        if not self._run.routing.cache:
            return
        if routed.request.json_schema is not None and response.parsed is None:
            return  # an unreadable answer handed back for repair is never served again
        try:
            await self._run.ledger.cache_put(
                cache.cache_key(cand.config, routed.request),
                cache.dump(response),
                self._run.routing.cache_ttl_s,
            )
        except LedgerError as exc:
            logger.warning("could not cache the answer: %s", exc)

    async def _consensus(
        self, routed: RoutedRequest, cls: Classification, ordered: list[Candidate], log: AttemptLog
    ) -> RouteResult:
        picks = ordered[: self._run.routing.consensus_n]
        wins = await ask_all(self._run, routed, picks, log)
        response, cost, agreement = combine(wins)
        provider = "+".join(cand.id for cand, _, _ in wins)
        return RouteResult(response, provider, tuple(log.rows), cls, cost, agreement=agreement)


def _nothing_eligible(
    rejected: Sequence[Rejection], log: AttemptLog, total: int
) -> Exception:
    # Cost is screened last, so a budget rejection is a provider that was otherwise fit.
    for scope in ("budget", "request_cap"):
        hits = [r for r in rejected if r.reason == scope]
        if hits:
            return BudgetExhausted(
                f"budget exhausted: {hits[0].provider.id}: {hits[0].detail}",
                log.rows,
                scope="request" if scope == "request_cap" else "shared",
            )
    windows = [r.provider.context_window for r in rejected if r.reason == "context_window"]
    if windows:
        return ContextTooLarge(max(windows), log.failures, total, log.rows)
    return AllProvidersFailed(log.failures, total, log.rows)
