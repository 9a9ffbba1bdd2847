"""The audit record: one provider call (or cache hit) of one run, metadata only.

Built from the run report's call table, which holds no content. Prompts and answers are
added only when `telemetry.log_content` is on, from what the router's observer captured
(content.py), and always through the redactor. Provider keys never reach a record: the
report's calls carry none, and captured text passes the same secret engine as prompts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ci_orch.config.model import Config
from ci_orch.ledger.interface import AuditRow
from ci_orch.report.model import Call, RunContext

Task = Literal["review", "generate", "gate", "eval"]  # a gate run makes no calls

# Both exporters' latency histogram: LLM calls take from a fraction of a second to
# minutes, and Prometheus' default buckets stop at 10 s.
LATENCY_BUCKETS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)


class AuditRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    timestamp: datetime = Field(description="when the run finished (calls carry no clock)")
    run_id: str
    task: Task
    repo: str | None = None
    number: int | None = Field(None, description="PR number or MR iid")
    team: str
    actor: str | None = None
    chunk_id: str = ""
    provider: str
    model: str
    attempt: int = Field(ge=0, description="0 for a cache hit")
    outcome: Literal["ok", "error"]
    error_kind: str | None = None
    fallback_from: str | None = Field(None, description="the provider this call stood in for")
    cache_hit: bool = False
    input_tokens: int = Field(0, ge=0, description="includes cached input tokens")
    cached_input_tokens: int = Field(0, ge=0)
    output_tokens: int = Field(0, ge=0)
    cost_usd: float = Field(0.0, ge=0, description="0 for a cache hit")
    saved_usd: float = Field(
        0.0, ge=0, description="cache hit: the cached answer's tokens at today's price"
    )
    latency_ms: float = Field(0.0, ge=0, description="0 for a cache hit (a local lookup)")
    prompt: str | None = Field(None, description="only with log_content; redacted")
    answer: str | None = Field(None, description="only with log_content; redacted")

    def row(self, index: int) -> AuditRow:
        """The ledger's row; the id makes recording a run twice a no-op."""
        return AuditRow(
            f"{self.run_id}:{index:05d}", self.timestamp.timestamp(), self.model_dump_json()
        )

    @classmethod
    def from_row(cls, row: AuditRow) -> AuditRecord:
        return cls.model_validate_json(row.body)


def saved_by_cache(call: Call, config: Config) -> float:
    """What a cache hit would have cost: its (cached) answer's tokens at the provider's price.

    The cached answer's usage is what the original call consumed, and a fresh call for the
    same prompt would consume the same; priced at the current config's price, with the
    cached-input share at the cached rate, as the original was.
    """
    if not call.cache_hit:
        return 0.0
    try:
        price = config.provider(call.provider).price
    except KeyError:  # a provider since removed from the config: no price to apply
        return 0.0
    if price is None:
        return 0.0
    return price.cost(call.input_tokens, call.output_tokens, call.cached_input_tokens)


def audit_records(
    calls: Sequence[Call],
    config: Config,
    *,
    run_id: str,
    task: Task,
    finished_at: datetime,
    context: RunContext | None = None,
) -> list[AuditRecord]:
    """Calls that reached a provider or the cache; providers passed over are not calls."""
    ctx = context
    return [
        AuditRecord(
            timestamp=finished_at, run_id=run_id, task=task,
            repo=ctx.repo if ctx else None, number=ctx.number if ctx else None,
            team=config.team, actor=ctx.actor if ctx else None,
            chunk_id=c.chunk_id, provider=c.provider, model=c.model, attempt=c.attempt,
            outcome="ok" if c.outcome == "ok" else "error", error_kind=c.error_kind,
            fallback_from=c.fallback_from, cache_hit=c.cache_hit,
            input_tokens=c.input_tokens, cached_input_tokens=c.cached_input_tokens,
            output_tokens=c.output_tokens, cost_usd=0.0 if c.cache_hit else c.cost_usd,
            saved_usd=saved_by_cache(c, config), latency_ms=0.0 if c.cache_hit else c.latency_ms,
        )
        for c in calls
        if c.outcome != "skipped"
    ]
