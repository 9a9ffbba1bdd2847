"""Metrics of one run sent to an OpenTelemetry collector over OTLP/HTTP (protobuf).

An optional extra (`pip install 'ci-orch[otel]'`): the SDK is imported only here, only
when `telemetry.otlp_endpoint` is set. We collect with an in-memory reader and call the
exporter once, so a failed export comes back to us as a result (and becomes a warning)
instead of vanishing into a background thread. Headers (e.g. an API key for a hosted
collector) come from the standard `OTEL_EXPORTER_OTLP_HEADERS` variable, never the config.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ci_orch.telemetry.audit import LATENCY_BUCKETS, AuditRecord
from ci_orch.telemetry.errors import ExportError, safe_url

EXTRA_HINT = "pip install 'ci-orch[otel]'"
METRICS_PATH = "/v1/metrics"


class MissingExtra(ExportError):
    """The OpenTelemetry SDK or its OTLP/HTTP exporter is not installed."""


def metrics_url(endpoint: str) -> str:
    """A collector's base URL gets the signal path, as OTEL_EXPORTER_OTLP_ENDPOINT does
    (https://opentelemetry.io/docs/specs/otel/protocol/exporter/#endpoint-urls-for-otlphttp)."""
    parts = urlsplit(endpoint)
    path = parts.path.rstrip("/")
    if not path.endswith(METRICS_PATH):
        path += METRICS_PATH
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def _sdk() -> tuple[Any, Any, Any, Any, Any]:
    try:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricExportResult
        from opentelemetry.sdk.resources import Resource
    except ImportError:
        raise MissingExtra(
            f"telemetry.otlp_endpoint is set but the OpenTelemetry SDK is not installed: "
            f"{EXTRA_HINT}"
        ) from None
    return OTLPMetricExporter, MeterProvider, InMemoryMetricReader, MetricExportResult, Resource


def _record(meter: Any, records: Sequence[AuditRecord]) -> None:
    requests = meter.create_counter("ci_orch.requests", unit="{request}")
    tokens = meter.create_counter("ci_orch.tokens", unit="{token}")
    cost = meter.create_counter("ci_orch.cost", unit="USD")
    errors = meter.create_counter("ci_orch.errors", unit="{request}")
    fallbacks = meter.create_counter("ci_orch.fallbacks", unit="{request}")
    hits = meter.create_counter("ci_orch.cache.hits", unit="{request}")
    saved = meter.create_counter("ci_orch.cache.saved", unit="USD")
    latency = meter.create_histogram(
        "ci_orch.request.duration", unit="s",
        explicit_bucket_boundaries_advisory=list(LATENCY_BUCKETS),
    )
    for r in records:
        base = {"provider": r.provider, "model": r.model, "team": r.team, "task": r.task}
        requests.add(1, {**base, "outcome": r.outcome})
        if r.cache_hit:
            hits.add(1, base)
            saved.add(r.saved_usd, base)
            continue
        for kind, n in (("input", r.input_tokens), ("cached_input", r.cached_input_tokens),
                        ("output", r.output_tokens)):
            tokens.add(n, {**base, "kind": kind})
        cost.add(r.cost_usd, base)
        latency.record(r.latency_ms / 1000, base)
        if r.outcome == "error":
            errors.add(1, {**base, "error_kind": r.error_kind or "unknown"})
        if r.fallback_from:
            fallbacks.add(1, {**base, "from_provider": r.fallback_from})


def export(
    endpoint: str, records: Sequence[AuditRecord], *, run_id: str, timeout_s: float
) -> None:
    """Send the run's metrics once; raises `MissingExtra` or `ExportError`."""
    exporter_cls, provider_cls, reader_cls, result_cls, resource_cls = _sdk()
    reader = reader_cls()
    resource = resource_cls.create({"service.name": "ci-orch", "ci_orch.run_id": run_id})
    provider = provider_cls(metric_readers=[reader], resource=resource)
    try:
        _record(provider.get_meter("ci_orch"), records)
        data = reader.get_metrics_data()
    finally:
        provider.shutdown()
    url = metrics_url(endpoint)
    exporter = exporter_cls(endpoint=url, timeout=timeout_s)
    try:
        result = exporter.export(data, timeout_millis=timeout_s * 1000)
    finally:
        exporter.shutdown()
    if result != result_cls.SUCCESS:
        raise ExportError(f"OTLP export to {safe_url(url)} failed (see the log line above)")
