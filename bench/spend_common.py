"""Synthetic audit records for the spend benchmarks: several teams, providers and days,
with failures, fallbacks and cache hits in realistic shares (seeded, so runs compare)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from ci_orch.telemetry import AuditRecord

TEAMS = ("payments", "web", "data-platform", "mobile")
PROVIDERS = {  # id: (model, input $/Mtok, output $/Mtok)
    "openai": ("gpt-4.1", 2.0, 8.0),
    "anthropic": ("claude-sonnet-4", 3.0, 15.0),
    "gemini": ("gemini-2.5-flash", 0.3, 2.5),
    "ollama": ("qwen2.5-coder", 0.0, 0.0),
}
REPOS = ("acme/api", "acme/web", "acme/etl", "acme/app")


def synthetic_records(n: int, days: int = 14, seed: int = 7) -> list[AuditRecord]:
    rng = random.Random(seed)
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    weights = {"payments": 5, "web": 3, "data-platform": 2, "mobile": 1}
    out = []
    for i in range(n):
        team = rng.choices(TEAMS, [weights[t] for t in TEAMS])[0]
        pid = rng.choices(list(PROVIDERS), [5, 3, 2, 1])[0]
        model, p_in, p_out = PROVIDERS[pid]
        tokens_in, tokens_out = rng.randint(800, 6000), rng.randint(100, 900)
        cache_hit = rng.random() < 0.15
        failed = not cache_hit and rng.random() < 0.06
        cost = 0.0 if cache_hit or failed else (tokens_in * p_in + tokens_out * p_out) / 1e6
        saved = (tokens_in * p_in + tokens_out * p_out) / 1e6 if cache_hit else 0.0
        out.append(AuditRecord(
            timestamp=end - timedelta(hours=rng.uniform(0, days * 24)),
            run_id=f"run{i // 12:06d}", task="review", repo=REPOS[TEAMS.index(team)],
            number=rng.randint(1, 900), team=team, actor="ci-bot", chunk_id=f"c{i % 12:03d}",
            provider=pid, model=model, attempt=0 if cache_hit else 1,
            outcome="error" if failed else "ok",
            error_kind="RateLimited" if failed else None,
            fallback_from="openai" if pid == "anthropic" and rng.random() < 0.2 else None,
            cache_hit=cache_hit, input_tokens=0 if failed else tokens_in,
            output_tokens=0 if failed else tokens_out, cost_usd=cost, saved_usd=saved,
            latency_ms=0.0 if cache_hit else rng.uniform(400, 9000),
        ))
    return out
