"""The chain: retries, Retry-After, failover by error kind, breakers, deadline.

Each known LiteLLM failure (breakers that never trip, failover that hammers a dead
provider, Retry-After ignored) has a test here, named in its docstring, showing what we do
instead.
"""

from __future__ import annotations

import asyncio

import pytest

from ci_orch.ledger import BreakerRecord, Ledger
from ci_orch.providers.interface import (
    AuthError,
    BadRequest,
    ContentFiltered,
    ContextWindowExceeded,
    QuotaExhausted,
    RateLimited,
    ServerError,
)
from ci_orch.routing import AllProvidersFailed, ContextTooLarge, DeadlineExceeded
from ci_orch.routing.clock import SystemClock
from ci_orch.routing.state import deployment_key
from tests.routing.support import (
    FakeClock,
    ScriptedProvider,
    make_config,
    make_router,
    pcfg,
    req,
)


def dead(pid: str, **kw: object) -> ScriptedProvider:
    return ScriptedProvider(pcfg(pid, **kw), then=ServerError("boom", status=500))


async def test_dead_primary_gets_at_most_threshold_calls_for_50_concurrent_requests(
    ledger: Ledger, clock: FakeClock
) -> None:
    """LiteLLM sent 150 calls to a dead provider for 50 requests; we send at most the threshold."""
    primary = dead("primary", max_concurrency=50)
    backup = ScriptedProvider(pcfg("backup", max_concurrency=50), delay_s=0.001)
    config = make_config([primary.config, backup.config], fallback=("primary", "backup"))
    router = make_router(config, [primary, backup], ledger, clock)
    results = await asyncio.gather(*(router.route(req(f"x = {i}")) for i in range(50)))
    assert len(primary.calls) == 3
    assert all(r.provider == "backup" for r in results)
    assert router.breaker_states()[deployment_key(primary.config)] == "open"


async def test_fallback_does_not_restart_the_retry_cycle(ledger: Ledger, clock: FakeClock) -> None:
    """LiteLLM #19985: a fallback restarts the retry cycle of providers already tried."""
    a, b = dead("a"), dead("b")
    config = make_config([a.config, b.config], fallback=("a", "b"), max_attempts=3)
    router = make_router(config, [a, b], ledger, clock)
    with pytest.raises(AllProvidersFailed, match="0 of 2 providers succeeded") as info:
        await router.route(req())
    assert (len(a.calls), len(b.calls)) == (3, 3)
    assert len(info.value.failures) == 6
    assert [x.provider for x in info.value.attempts if x.outcome == "error"] == ["a"] * 3 + ["b"] * 3


async def test_each_retry_waits_its_own_retry_after(ledger: Ledger, clock: FakeClock) -> None:
    """LiteLLM honoured only some Retry-After values; we wait each attempt's own."""
    a = ScriptedProvider(
        pcfg("a"), [RateLimited("slow", retry_after=2), RateLimited("slower", retry_after=5)]
    )
    router = make_router(make_config([a.config]), [a], ledger, clock)
    result = await router.route(req())
    assert clock.sleeps == [2, 5]
    assert [x.wait_s for x in result.attempts] == [0, 2, 5]
    assert [x.error_kind for x in result.attempts] == ["RateLimited", "RateLimited", None]


async def test_backoff_without_retry_after_is_exponential_and_capped(
    ledger: Ledger, clock: FakeClock
) -> None:
    a = ScriptedProvider(pcfg("a"), [ServerError("x")] * 4)
    config = make_config(
        [a.config], max_attempts=5, backoff_base_s=0.5, backoff_cap_s=1.5, backoff_jitter=0,
        breaker={"failure_threshold": 10},
    )
    await make_router(config, [a], ledger, clock).route(req())
    assert clock.sleeps == [0.5, 1.0, 1.5, 1.5]


async def test_backoff_is_jittered(ledger: Ledger, clock: FakeClock) -> None:
    a = ScriptedProvider(pcfg("a"), [ServerError("x")] * 2)
    config = make_config([a.config], backoff_base_s=1.0, backoff_jitter=0.5)
    await make_router(config, [a], ledger, clock).route(req())
    first, second = clock.sleeps
    assert 0.5 <= first <= 1.0 and 1.0 <= second <= 2.0
    assert (first, second) != (1.0, 2.0)


async def test_retry_after_beyond_the_deadline_fails_over_at_once(
    ledger: Ledger, clock: FakeClock
) -> None:
    a = ScriptedProvider(pcfg("a"), then=RateLimited("come back in an hour", retry_after=3600))
    b = ScriptedProvider(pcfg("b"))
    config = make_config([a.config, b.config], fallback=("a", "b"), deadline_s=600)
    result = await make_router(config, [a, b], ledger, clock).route(req())
    assert result.provider == "b"
    assert clock.sleeps == []
    assert len(a.calls) == 1
    assert result.attempts[-1].fallback_from == "a"


async def test_context_window_error_moves_only_to_a_larger_window(
    ledger: Ledger, clock: FakeClock
) -> None:
    """LiteLLM #10793/#15968/#28063: context fallbacks never fired."""
    small = ScriptedProvider(
        pcfg("small", context_window=8000), then=ContextWindowExceeded("too long", limit=8000)
    )
    same = ScriptedProvider(pcfg("same", context_window=8000))
    large = ScriptedProvider(pcfg("large", context_window=32000))
    config = make_config([p.config for p in (small, same, large)], fallback=("small", "same", "large"))
    result = await make_router(config, [small, same, large], ledger, clock).route(req())
    assert result.provider == "large"
    assert (len(small.calls), len(same.calls)) == (1, 0)
    assert ("same", "context_window") in [(x.provider, x.error_kind) for x in result.attempts]


async def test_context_window_with_no_larger_provider_asks_for_a_resplit(
    ledger: Ledger, clock: FakeClock
) -> None:
    small = ScriptedProvider(
        pcfg("small", context_window=8000), then=ContextWindowExceeded("too long", limit=7900)
    )
    router = make_router(make_config([small.config]), [small], ledger, clock)
    with pytest.raises(ContextTooLarge) as info:
        await router.route(req())
    assert info.value.limit == 7900


async def test_content_filter_moves_to_a_different_provider(
    ledger: Ledger, clock: FakeClock
) -> None:
    """LiteLLM #8953: content_filter came back as a plain bad request; no content fallback."""
    a = ScriptedProvider(pcfg("a"), then=ContentFiltered("refused"))
    b = ScriptedProvider(pcfg("b"))
    config = make_config([a.config, b.config], fallback=("a", "b"))
    result = await make_router(config, [a, b], ledger, clock).route(req())
    assert result.provider == "b" and len(a.calls) == 1 and clock.sleeps == []


@pytest.mark.parametrize(
    "error", [AuthError("bad key", status=401), QuotaExhausted("insufficient_quota", status=429)]
)
async def test_auth_and_quota_errors_disable_the_provider_for_the_run(
    ledger: Ledger, clock: FakeClock, error: Exception
) -> None:
    a = ScriptedProvider(pcfg("a"), then=error)  # type: ignore[arg-type]
    b = ScriptedProvider(pcfg("b"))
    config = make_config([a.config, b.config], fallback=("a", "b"))
    router = make_router(config, [a, b], ledger, clock)
    await router.route(req("one"))
    second = await router.route(req("two"))
    assert len(a.calls) == 1
    assert ("a", "skipped", "disabled") in [
        (x.provider, x.outcome, x.error_kind) for x in second.attempts
    ]
    assert type(error).__name__ in router.disabled["a"]


async def test_bad_request_fails_over_without_retry(ledger: Ledger, clock: FakeClock) -> None:
    a = ScriptedProvider(pcfg("a"), then=BadRequest("unsupported parameter"))
    b = ScriptedProvider(pcfg("b"))
    config = make_config([a.config, b.config], fallback=("a", "b"))
    result = await make_router(config, [a, b], ledger, clock).route(req())
    assert result.provider == "b" and len(a.calls) == 1


async def test_when_every_breaker_is_open_we_wait_for_the_first_to_reopen(
    ledger: Ledger, clock: FakeClock
) -> None:
    """LiteLLM #3646/#27823: with every deployment cooling down it failed at once."""
    a = ScriptedProvider(pcfg("a"))
    await ledger.put_breaker(deployment_key(a.config), BreakerRecord(3, clock.t + 20), 900)
    result = await make_router(make_config([a.config]), [a], ledger, clock).route(req())
    assert result.provider == "a"
    assert clock.sleeps == [20]
    assert [x.error_kind for x in result.attempts] == ["breaker_open", None]


async def test_open_breakers_past_the_deadline_fail_with_retry_after(
    ledger: Ledger, clock: FakeClock
) -> None:
    a = ScriptedProvider(pcfg("a"))
    await ledger.put_breaker(deployment_key(a.config), BreakerRecord(3, clock.t + 2000), 3000)
    router = make_router(make_config([a.config], deadline_s=900), [a], ledger, clock)
    with pytest.raises(AllProvidersFailed) as info:
        await router.route(req())
    assert info.value.retry_after == pytest.approx(2000)
    assert "reopens in 2000" in str(info.value)
    assert a.calls == []


async def test_a_provider_down_in_the_last_job_is_skipped_by_the_next(
    ledger: Ledger, clock: FakeClock
) -> None:
    a, b = dead("a"), ScriptedProvider(pcfg("b"))
    config = make_config([a.config, b.config], fallback=("a", "b"))
    await make_router(config, [a, b], ledger, clock, run_id="job-1").route(req())
    assert len(a.calls) == 3
    clock.t += 30  # the next CI job, within breaker.open_s
    a2 = dead("a")
    result = await make_router(config, [a2, b], ledger, clock, run_id="job-2").route(req("2"))
    assert a2.calls == [] and result.provider == "b"


async def test_shared_upstream_throttle_is_honoured_by_its_other_entries(
    ledger: Ledger, clock: FakeClock
) -> None:
    """LiteLLM ignored Retry-After when two deployments share a throttled upstream."""
    shared = {"base_url": "http://127.0.0.1:9/same", "model": "m"}
    a = ScriptedProvider(pcfg("a", **shared), then=RateLimited("429", retry_after=7))
    b = ScriptedProvider(pcfg("b", **shared))
    config = make_config([a.config, b.config], fallback=("a", "b"), max_attempts=1)
    result = await make_router(config, [a, b], ledger, clock).route(req())
    assert result.provider == "b"
    assert clock.sleeps == [7]
    assert result.attempts[-1].wait_s == 7


async def test_the_run_deadline_ends_routing_with_a_report(ledger: Ledger) -> None:
    hung = ScriptedProvider(pcfg("hung"), delay_s=30)
    config = make_config([hung.config], deadline_s=0.3)
    router = make_router(config, [hung], ledger, SystemClock())  # type: ignore[arg-type]
    with pytest.raises(DeadlineExceeded, match="deadline_s") as info:
        await router.route(req())
    assert [(x.provider, x.outcome, x.error_kind) for x in info.value.attempts] == [
        ("hung", "error", "deadline")
    ]
    with pytest.raises(DeadlineExceeded):
        await router.route(req("later"))
    assert router.attempts == info.value.attempts  # the run's report has the cut call


async def test_every_attempt_is_recorded(ledger: Ledger, clock: FakeClock) -> None:
    a = ScriptedProvider(pcfg("a"), then=ServerError("down"))
    b = ScriptedProvider(pcfg("b"))
    config = make_config([a.config, b.config], fallback=("a", "b"), max_attempts=2,
                         backoff_jitter=0)
    router = make_router(config, [a, b], ledger, clock)
    result = await router.route(req(chunk_id="c1"))
    rows = [(x.chunk_id, x.provider, x.attempt, x.outcome, x.error_kind, x.wait_s, x.fallback_from)
            for x in result.attempts]
    assert rows == [
        ("c1", "a", 1, "error", "ServerError", 0.0, None),
        ("c1", "a", 2, "error", "ServerError", 0.5, None),
        ("c1", "b", 1, "ok", None, 0.0, "a"),
    ]
    ok = result.attempts[-1]
    assert ok.input_tokens > 0 and ok.output_tokens == 20 and ok.cost_usd > 0
    assert router.attempts == result.attempts


class Staggered(ScriptedProvider):
    """Fails every call with a 500, the first one sooner than the rest."""

    async def complete(self, request):  # type: ignore[no-untyped-def]
        self.calls.append(request)
        await asyncio.sleep(0.01 if len(self.calls) == 1 else 0.1)
        raise ServerError("down", provider_id=self.id, status=500)


async def test_a_backoff_ends_early_when_the_breaker_opens(ledger: Ledger) -> None:
    dead_one = Staggered(pcfg("dead"))
    live = ScriptedProvider(pcfg("live"))
    config = make_config([dead_one.config, live.config], fallback=("dead", "live"),
                         backoff_base_s=5, backoff_jitter=0)
    router = make_router(config, [dead_one, live], ledger, SystemClock())  # type: ignore[arg-type]
    loop = asyncio.get_running_loop()
    start = loop.time()
    results = await asyncio.gather(*(router.route(req(f"{i}")) for i in range(3)))
    assert loop.time() - start < 2  # not the 5 s backoff of the first failure
    assert {r.provider for r in results} == {"live"} and len(dead_one.calls) == 3


async def test_cancelled_requests_release_their_hold_and_breaker_slot(
    ledger: Ledger, clock: FakeClock
) -> None:
    slow = ScriptedProvider(pcfg("slow"), delay_s=30)
    config = make_config([slow.config], cache=False)
    router = make_router(config, [slow], ledger, clock)
    tasks = [asyncio.create_task(router.route(req(f"{i}"))) for i in range(3)]
    while len(slow.calls) < 3:
        await asyncio.sleep(0.001)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    run_scope = "run:run-1"
    assert (await ledger.used([run_scope]))[run_scope] == 0  # holds released
    slow._delay = 0  # the breaker must not still count three calls at risk
    result = await asyncio.wait_for(router.route(req("after")), timeout=5)
    assert result.provider == "slow"
