"""Metrics of one run pushed to a Prometheus Pushgateway with `prometheus-client`.

Grouping key: `job="ci-orch"` plus `run_id`. A push (PUT) replaces its whole group
(https://github.com/prometheus/pushgateway#put-method), so grouping by team would let two
concurrent jobs of one team overwrite each other's figures; one group per run never
loses a run. Each group holds that run's totals, so `sum by (team) (ci_orch_cost_usd_total)`
over the gateway is cumulative spend; the cost is one group per run, which the gateway
keeps until deleted (docs/telemetry.md: prune old groups, or prefer OTLP for long-term).
"""

from __future__ import annotations

import http.client
from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram, push_to_gateway

from ci_orch.telemetry.audit import LATENCY_BUCKETS, AuditRecord
from ci_orch.telemetry.errors import ExportError, safe_url

JOB = "ci-orch"
_LABELS = ("provider", "model", "team", "task")


def registry_for(records: Sequence[AuditRecord]) -> CollectorRegistry:
    """A fresh registry (never the global one) holding this run's counters and histogram."""
    reg = CollectorRegistry()
    requests = Counter("ci_orch_requests", "Provider calls and cache hits",
                       [*_LABELS, "outcome"], registry=reg)
    tokens = Counter("ci_orch_tokens", "Tokens processed by providers (not cache hits)",
                     [*_LABELS, "kind"], registry=reg)
    cost = Counter("ci_orch_cost_usd", "Spend in USD", _LABELS, registry=reg)
    errors = Counter("ci_orch_errors", "Failed provider calls",
                     [*_LABELS, "error_kind"], registry=reg)
    fallbacks = Counter("ci_orch_fallbacks", "Calls made in place of another provider",
                        [*_LABELS, "from_provider"], registry=reg)
    hits = Counter("ci_orch_cache_hits", "Answers served from the response cache",
                   _LABELS, registry=reg)
    saved = Counter("ci_orch_cache_saved_usd", "Estimated USD saved by cache hits",
                    _LABELS, registry=reg)
    latency = Histogram("ci_orch_request_latency_seconds", "Provider call latency",
                        _LABELS, buckets=LATENCY_BUCKETS, registry=reg)
    for r in records:
        base = (r.provider, r.model, r.team, r.task)
        requests.labels(*base, r.outcome).inc()
        if r.cache_hit:
            hits.labels(*base).inc()
            saved.labels(*base).inc(r.saved_usd)
            continue
        for kind, n in (("input", r.input_tokens), ("cached_input", r.cached_input_tokens),
                        ("output", r.output_tokens)):
            tokens.labels(*base, kind).inc(n)
        cost.labels(*base).inc(r.cost_usd)
        latency.labels(*base).observe(r.latency_ms / 1000)
        if r.outcome == "error":
            errors.labels(*base, r.error_kind or "unknown").inc()
        if r.fallback_from:
            fallbacks.labels(*base, r.fallback_from).inc()
    return reg


def push(url: str, records: Sequence[AuditRecord], *, run_id: str, timeout_s: float) -> None:
    """PUT the run's group; raises `ExportError` (with the URL minus any password)."""
    try:
        push_to_gateway(url, job=JOB, registry=registry_for(records),
                        grouping_key={"run_id": run_id}, timeout=timeout_s)
    except (OSError, http.client.HTTPException, ValueError) as exc:  # URLError is an OSError
        raise ExportError(f"Pushgateway {safe_url(url)}: {exc}") from None
