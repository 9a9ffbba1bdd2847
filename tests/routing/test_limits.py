"""Per-provider limits queue instead of rejecting; the breaker's state machine."""

from __future__ import annotations

import asyncio

import pytest

from ci_orch.config.routing import BreakerConfig
from ci_orch.ledger import BreakerRecord, Ledger
from ci_orch.providers.interface import (
    ContentFiltered,
    Overloaded,
    RateLimited,
    ServerError,
    Timeout,
)
from ci_orch.routing import DeadlineExceeded
from ci_orch.routing.breaker import Breaker
from ci_orch.routing.clock import SystemClock
from ci_orch.routing.limiter import Limiter, LimiterDeadline
from tests.routing.support import (
    FakeClock,
    ScriptedProvider,
    make_config,
    make_router,
    pcfg,
    req,
)


async def test_max_concurrency_queues_every_call_and_rejects_none(
    ledger: Ledger, clock: FakeClock
) -> None:
    """LiteLLM's max_parallel_requests rejected 15-22 of 60 calls instead of queueing."""
    a = ScriptedProvider(pcfg("a", max_concurrency=6), delay_s=0.01)
    config = make_config([a.config], cache=False)
    router = make_router(config, [a], ledger, SystemClock())  # type: ignore[arg-type]
    results = await asyncio.gather(*(router.route(req(f"c{i}")) for i in range(60)))
    assert len(results) == 60 and len(a.calls) == 60
    assert a.peak == 6
    assert router.limiter_peaks() == {"a": 6}
    assert max(x.wait_s for r in results for x in r.attempts) > 0  # queueing is reported


async def test_rpm_makes_calls_wait_for_the_window(clock: FakeClock) -> None:
    limiter = Limiter(pcfg("a", rpm=2), clock)
    waits = []
    for _ in range(3):
        async with limiter.slot(10, deadline=clock.t + 600) as waited:
            waits.append(waited)
    assert waits == [0, 0, 60]


async def test_tpm_counts_input_and_output_tokens(clock: FakeClock) -> None:
    limiter = Limiter(pcfg("a", tpm=1000), clock)
    async with limiter.slot(600, deadline=clock.t + 600):
        pass
    async with limiter.slot(600, deadline=clock.t + 600) as waited:
        assert waited == 60
    async with limiter.slot(5000, deadline=clock.t + 600) as waited:  # larger than TPM: alone
        assert waited == 60


async def test_a_wait_past_the_deadline_is_refused(clock: FakeClock) -> None:
    limiter = Limiter(pcfg("a", rpm=1), clock)
    async with limiter.slot(1, deadline=clock.t + 600):
        pass
    with pytest.raises(LimiterDeadline):
        async with limiter.slot(1, deadline=clock.t + 30):
            pass


async def test_rpm_wait_beyond_the_run_deadline_ends_the_request(
    ledger: Ledger, clock: FakeClock
) -> None:
    a = ScriptedProvider(pcfg("a", rpm=1))
    router = make_router(make_config([a.config], deadline_s=30, cache=False), [a], ledger, clock)
    await router.route(req("1"))
    with pytest.raises(DeadlineExceeded):
        await router.route(req("2"))
    assert len(a.calls) == 1


CFG = BreakerConfig(failure_threshold=3, open_s=60)


def trip(b: Breaker, now: float, n: int = 3, retry_after: float | None = None) -> None:
    for _ in range(n):
        assert b.admit(now) is not None
        b.failed(ServerError("x", retry_after=retry_after), now)


def test_breaker_opens_after_consecutive_health_failures() -> None:
    b = Breaker("k", CFG)
    trip(b, 0, 2)
    assert b.state(0) == "closed"
    trip(b, 0, 1)
    assert b.state(0) == "open" and b.open_until == 60
    refusal = b.admit(10)
    assert refusal is not None and not refusal.admitted and refusal.reopen_at == 60


def test_a_success_resets_the_count() -> None:
    b = Breaker("k", CFG)
    trip(b, 0, 2)
    b.admit(0)
    b.succeeded()
    trip(b, 0, 2)
    assert b.state(0) == "closed"


@pytest.mark.parametrize("kind", [RateLimited, Overloaded, ServerError, Timeout])
def test_health_failures_count(kind: type[ServerError]) -> None:
    b = Breaker("k", CFG)
    for _ in range(3):
        b.admit(0)
        b.failed(kind("x"), 0)
    assert b.state(0) == "open"


def test_other_errors_do_not_count() -> None:
    b = Breaker("k", CFG)
    for _ in range(5):
        b.admit(0)
        b.failed(ContentFiltered("no"), 0)
    assert b.state(0) == "closed" and b.failures == 0


def test_open_period_is_at_least_the_retry_after() -> None:
    b = Breaker("k", CFG)
    trip(b, 0, retry_after=300)
    assert b.open_until == 300


def test_a_failure_while_open_extends_and_never_shortens() -> None:
    """LiteLLM #40130: a provider failing again during cooldown kept the shorter deadline."""
    b = Breaker("k", CFG)
    for _ in range(4):  # the fourth call was already in flight when the breaker opened
        b.in_flight += 1
    for _ in range(3):
        b.failed(ServerError("x", retry_after=500), 0)
    assert b.open_until == 500
    b.failed(ServerError("x", retry_after=5), 100)  # shorter hint later: keep 500
    assert b.open_until == 500
    b.in_flight += 1
    b.failed(ServerError("x"), 480)  # open_s from 480 reaches past 500: extend
    assert b.open_until == 540


def test_half_open_admits_exactly_one_probe() -> None:
    b = Breaker("k", CFG)
    trip(b, 0)
    assert b.state(61) == "half-open"
    probe = b.admit(61)
    assert probe is not None and probe.admitted
    assert b.admit(61) is None  # the rest wait for the probe's verdict
    b.failed(ServerError("still down"), 62)
    assert b.state(63) == "open" and b.open_until == 122
    assert b.admit(123) is not None
    b.succeeded()
    assert b.state(123) == "closed"


def test_no_more_calls_at_risk_than_the_threshold_before_the_first_answer() -> None:
    b = Breaker("k", CFG)
    assert all(b.admit(0) for _ in range(3))
    assert b.admit(0) is None  # 3 unanswered calls: a 4th waits
    b.succeeded()
    assert [b.admit(0) is not None for _ in range(10)] == [True] * 10  # healthy: no gate


def test_breaker_restores_from_a_persisted_record() -> None:
    down = Breaker("k", CFG, BreakerRecord(failures=3, open_until=100))
    assert down.state(50) == "open"
    healthy = Breaker("k", CFG, BreakerRecord(failures=0, open_until=0))
    assert all(healthy.admit(0) is not None for _ in range(10))


def test_cold_start_calls_widens_the_first_wave() -> None:
    b = Breaker("k", BreakerConfig(failure_threshold=3, cold_start_calls=6))
    assert [b.admit(0) is not None for _ in range(7)] == [True] * 6 + [False]
    b.failed(ServerError("x"), 0)  # after a failure the threshold rules again
    assert b.admit(0) is None  # 5 in flight + 1 failure >= 3


def test_a_passing_probe_widens_a_cold_breaker_to_the_deployment_concurrency() -> None:
    b = Breaker("k", CFG)
    assert b.cold
    assert [b.admit(0) is not None for _ in range(4)] == [True] * 3 + [False]
    b.probe_passed(width=6)
    assert [b.admit(0) is not None for _ in range(4)] == [True] * 3 + [False]  # 6 in flight
    b.succeeded()
    assert [b.admit(0) is not None for _ in range(10)] == [True] * 10  # answered: no gate


def test_a_call_failing_after_a_passing_probe_brings_the_threshold_back() -> None:
    b = Breaker("k", CFG)
    b.probe_passed(width=6)
    for _ in range(5):
        b.admit(0)
    b.failed(ServerError("x"), 0)  # 4 in flight + 1 failure >= 3: nobody else goes
    assert b.admit(0) is None
    assert not b.cold


def test_a_failing_probe_counts_once_and_holds_no_slot() -> None:
    b = Breaker("k", CFG)
    b.admit(0)
    b.probe_failed(ServerError("listing down"), 0)
    assert (b.failures, b.in_flight) == (1, 1)
    assert b.admit(0) is not None and b.admit(0) is None  # 2 in flight + 1 failure
    b.failed(ServerError("x"), 0)
    b.failed(ServerError("x"), 0)
    assert b.state(1) == "open"  # the probe's failure and two calls': 3


def test_a_breaker_with_stored_state_is_not_cold() -> None:
    assert not Breaker("k", CFG, BreakerRecord(failures=0, open_until=0)).cold
    assert not Breaker("k", CFG, BreakerRecord(failures=1, open_until=0)).cold
