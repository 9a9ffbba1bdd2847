"""Classification, eligibility and the selection strategies."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from ci_orch.config.policy import Policy
from ci_orch.config.providers import Price
from ci_orch.config.routing import PathRule, RoutingConfig
from ci_orch.ledger import Ledger
from ci_orch.providers.interface import MalformedResponse, ProviderResponse
from ci_orch.routing import AllProvidersFailed
from ci_orch.routing.classify import classify
from ci_orch.routing.consensus import merge
from ci_orch.routing.cost import TokenCounter
from ci_orch.routing.eligibility import Limits, screen
from ci_orch.routing.stats import RunStats
from ci_orch.routing.strategies import order
from tests.routing.support import (
    FakeClock,
    ScriptedProvider,
    make_config,
    make_router,
    pcfg,
    req,
)

RULES = RoutingConfig(
    sensitive_paths=("**/secrets/**",),
    rules=(
        PathRule(paths=("**/auth/**",), tier="premium"),
        PathRule(paths=("infra/**",), sensitive=True, require_capabilities=("long-context",)),
    ),
)


def test_classification_reads_task_size_languages_and_sensitivity() -> None:
    plain = classify(req(paths=("src/app.py", "web/ui.tsx", "README")), RULES, 42)
    assert (plain.task, plain.input_tokens, plain.languages) == ("review", 42, ("js", "python"))
    assert not plain.sensitive and plain.tier is None
    auth = classify(req(paths=("svc/auth/login.go",), task="generate"), RULES, 1)
    assert (auth.task, auth.tier, auth.languages) == ("generate", "premium", ("go",))
    # Redacted text no longer holds the secret: sensitive only when the config says so.
    assert not classify(req(redactions=2), RULES, 1).sensitive
    strict = RULES.model_copy(update={"redacted_is_sensitive": True})
    assert classify(req(redactions=2), strict, 1).sensitivity_reasons == ("2 redaction(s) made",)
    assert classify(req(paths=("a/secrets/k.txt",)), RULES, 1).sensitive
    infra = classify(req(paths=("infra/main.tf",)), RULES, 1)
    assert infra.sensitive and infra.required_capabilities == ("long-context",)


def screened(providers: list[ScriptedProvider], routed: Any, **limits: Any) -> dict[str, str]:
    cls = classify(routed, RULES, 10)
    base: dict[str, Any] = {
        "policy": Policy(blocked_providers=("blocked",)),
        "budget_left_usd": 10.0, "degraded": False, "disabled": {}, "env": {"KEY": "x"},
    }
    base.update(limits)
    ok, rejected = screen(
        providers, cls, Limits(**base), TokenCounter(routed.request), routed.request.max_output_tokens
    )
    return {c.id: "ok" for c in ok} | {r.provider.id: r.reason for r in rejected}


def test_eligibility_gives_each_rejection_its_reason() -> None:
    providers = [
        ScriptedProvider(pcfg("fine", api_key_env="KEY")),
        ScriptedProvider(pcfg("blocked")),
        ScriptedProvider(pcfg("nokey", api_key_env="MISSING_KEY")),
        ScriptedProvider(pcfg("reviewonly", capabilities=("review",))),
        ScriptedProvider(pcfg("tiny", context_window=100)),
        ScriptedProvider(pcfg("dear", price=Price(input_per_mtok=1e4, output_per_mtok=1e4))),
    ]
    assert screened(providers, req(task="generate", max_out=100)) == {
        "fine": "ok", "blocked": "blocked", "nokey": "credentials", "reviewonly": "capability",
        "tiny": "context_window", "dear": "request_cap",
    }
    fine = [ScriptedProvider(pcfg("fine"))]
    assert screened(fine, req(), budget_left_usd=1e-6) == {"fine": "budget"}


def test_sensitive_requests_go_only_to_local_or_security_hardened_providers() -> None:
    providers = [
        ScriptedProvider(pcfg("cloud")),
        ScriptedProvider(pcfg("local", tier="local")),
        ScriptedProvider(pcfg("hardened", capabilities=("review", "security-hardened"))),
    ]
    assert screened(providers, req(paths=("a/secrets/k.txt",))) == {
        "cloud": "sensitive", "local": "ok", "hardened": "ok",
    }


def test_a_path_rule_tier_is_applied_when_some_provider_has_it() -> None:
    providers = [ScriptedProvider(pcfg("std")), ScriptedProvider(pcfg("top", tier="premium"))]
    assert screened(providers, req(paths=("x/auth/a.py",))) == {"std": "tier", "top": "ok"}
    only_std = [ScriptedProvider(pcfg("std"))]
    assert screened(only_std, req(paths=("x/auth/a.py",))) == {"std": "ok"}


def ranked(strategy: str, providers: list[ScriptedProvider], stats: RunStats | None = None,
           **routing: Any) -> list[str]:
    routed = req()
    cls = classify(routed, RoutingConfig(), 10)
    limits = Limits(Policy(), 10.0, False, {}, {})
    cands, _ = screen(providers, cls, limits, TokenCounter(routed.request), 100)
    cfg = RoutingConfig(strategy=strategy, **routing)  # type: ignore[arg-type]
    return [c.id for c in order(cands, cfg, stats or RunStats())]


def priced(pid: str, inp: float, **kw: Any) -> ScriptedProvider:
    return ScriptedProvider(pcfg(pid, price=Price(input_per_mtok=inp, output_per_mtok=inp), **kw))


def test_cost_and_ladder_put_the_cheapest_first() -> None:
    ps = [priced("mid", 2, tier="standard"), priced("top", 9, tier="premium"),
          priced("low", 1, tier="economy"), priced("odd", 0.5, tier="premium")]
    assert ranked("cost", ps) == ["odd", "low", "mid", "top"]
    assert ranked("ladder", ps) == ["low", "mid", "odd", "top"]  # tier first, then price


def test_latency_prefers_observed_over_configured() -> None:
    ps = [priced("a", 1, latency_ms=100), priced("b", 1, latency_ms=900), priced("c", 1)]
    assert ranked("latency", ps) == ["a", "b", "c"]
    stats = RunStats()
    stats.observe_latency("a", 2000)
    assert ranked("latency", ps, stats) == ["b", "a", "c"]


def test_score_weighs_capability_cost_performance_and_preference() -> None:
    cheap = priced("cheap", 1, tier="economy", preference=0.5)
    strong = priced("strong", 1.5, tier="premium", preference=0.5)
    assert ranked("score", [cheap, strong]) == ["strong", "cheap"]  # capability 0.4 dominates
    far_dearer = priced("strong", 100, tier="premium", preference=0.5)
    assert ranked("score", [cheap, far_dearer]) == ["cheap", "strong"]  # ...until cost does
    assert ranked("score", [cheap, strong], weights={"capability": 0, "cost": 1}) == [
        "cheap", "strong"
    ]
    liked = priced("liked", 1.5, tier="premium", preference=1.0)
    assert ranked("score", [strong, liked]) == ["liked", "strong"]


def test_round_robin_rotates_and_weighted_follows_the_weights() -> None:
    ps = [priced("a", 1), priced("b", 1), priced("c", 1)]
    stats = RunStats()
    firsts = [ranked("round-robin", ps, stats)[0] for _ in range(6)]
    assert firsts == ["a", "b", "c", "a", "b", "c"]
    ws = [priced("heavy", 1, weight=3), priced("light", 1, weight=1), priced("off", 1, weight=0)]
    stats = RunStats()
    picks = Counter(ranked("weighted", ws, stats)[0] for _ in range(8))
    assert picks == {"heavy": 6, "light": 2}


def test_an_explicit_fallback_list_overrides_the_order() -> None:
    ps = [priced("a", 1), priced("b", 2), priced("c", 3)]
    assert ranked("cost", ps, fallback=("c", "a")) == ["c", "a", "b"]


async def test_ladder_escalates_on_malformed_and_on_failed_validation(
    ledger: Ledger, clock: FakeClock
) -> None:
    low = ScriptedProvider(pcfg("low", tier="economy"), then=MalformedResponse("not json"))
    mid = ScriptedProvider(pcfg("mid"), parsed={"ok": False})
    top = ScriptedProvider(pcfg("top", tier="premium"), parsed={"ok": True})

    def valid(r: ProviderResponse) -> str | None:
        return None if r.parsed and r.parsed.get("ok") else "schema check failed"

    config = make_config([top.config, mid.config, low.config], strategy="ladder")
    result = await make_router(config, [top, mid, low], ledger, clock).route(req(validate=valid))
    assert result.provider == "top"
    kinds = [(x.provider, x.error_kind) for x in result.attempts]
    assert kinds == [("low", "MalformedResponse"), ("mid", "invalid"), ("top", None)]
    assert result.attempts[1].cost_usd > 0  # the invalid answer was paid for and is reported


async def test_consensus_merges_findings_with_an_agreement_score(
    ledger: Ledger, clock: FakeClock
) -> None:
    same = {"path": "a.py", "line": 3, "title": "sql injection"}
    a = ScriptedProvider(pcfg("a"), parsed={"findings": [same, {"path": "a.py", "line": 9}]})
    b = ScriptedProvider(pcfg("b"), parsed={"findings": [dict(same, title="SQLi")]})
    c = ScriptedProvider(pcfg("c"))
    config = make_config([a.config, b.config, c.config], strategy="consensus",
                         fallback=("a", "b", "c"))
    result = await make_router(config, [a, b, c], ledger, clock).route(req())
    found = {(f["line"], f["agreement"]) for f in result.response.parsed["findings"]}
    assert found == {(3, 1.0), (9, 0.5)}
    assert result.agreement == pytest.approx(0.75)
    assert result.provider == "a+b" and c.calls == []
    assert result.cost_usd == pytest.approx(sum(x.cost_usd for x in result.attempts))


async def test_consensus_with_every_member_failing_raises(ledger: Ledger, clock: FakeClock) -> None:
    a = ScriptedProvider(pcfg("a"), then=MalformedResponse("x"))
    b = ScriptedProvider(pcfg("b"), then=MalformedResponse("y"))
    config = make_config([a.config, b.config], strategy="consensus")
    with pytest.raises(AllProvidersFailed, match="0 of 2"):
        await make_router(config, [a, b], ledger, clock).route(req())


def test_merge_counts_each_provider_once_per_finding() -> None:
    f = {"path": "x", "line": 1}
    resp = ProviderResponse("", {"findings": [f, f]}, "stop", None, "m", None, 1.0)  # type: ignore[arg-type]
    parsed, score = merge([("a", resp), ("b", resp)])
    assert parsed["findings"][0]["providers"] == ["a", "b"] and score == 1.0
