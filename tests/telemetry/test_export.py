"""Metrics export after a real review run: a Pushgateway-compatible receiver and an OTLP
receiver of our own on 127.0.0.1; and an endpoint that is down only warns."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ci_orch.errors import ExitCode
from ci_orch.testing.provider_server import ProviderServer
from tests.conftest import GitRepo, skip_or_fail
from tests.telemetry.support import (
    ENV,
    answer,
    closed_port_url,
    config_file,
    receiver,
    review,
    small_change,
)


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    with ProviderServer({}) as srv:
        yield srv


def _fallback_script(server: ProviderServer) -> None:
    server.load({"models": {"gpt-primary": {"then": {"fault": "rate_limit", "retry_after": 0}},
                            "claude-backup": answer()}})


def _samples(body: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def _sum(samples: dict[Any, float], name: str, **labels: str) -> float:
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= set(ls))


def test_pushgateway_gets_the_runs_counters_and_latency_histogram(
    tmp_path: Path, server: ProviderServer, git_repo: GitRepo
) -> None:
    small_change(git_repo)
    _fallback_script(server)
    with receiver() as gw:
        cfg = config_file(tmp_path, server, ledger_url=f"sqlite:///{tmp_path}/l.sqlite",
                          telemetry={"prometheus_pushgateway": gw.url})
        job = review(git_repo, cfg, tmp_path / "out", {**ENV, "CI_ORCH_TEAM": "web"})
    calls = [c for c in job.report.calls if c.outcome != "skipped"]
    assert any(c.fallback_from == "primary" for c in calls)
    [push] = gw.requests
    # PUT replaces this run's own group only: job + run id.
    assert push.method == "PUT"
    assert push.path.startswith("/metrics/job/ci-orch/run_id/")
    s = _samples(push.body.decode())
    for pid in ("primary", "backup"):
        mine = [c for c in calls if c.provider == pid]
        assert _sum(s, "ci_orch_requests_total", provider=pid, team="web", task="review") == len(mine)
        assert _sum(s, "ci_orch_errors_total", provider=pid) == sum(c.outcome == "error" for c in mine)
        assert _sum(s, "ci_orch_cost_usd_total", provider=pid) == pytest.approx(
            sum(c.cost_usd for c in mine), rel=1e-9, abs=1e-12)
        assert _sum(s, "ci_orch_tokens_total", provider=pid, kind="output") == sum(
            c.output_tokens for c in mine)
        assert _sum(s, "ci_orch_request_latency_seconds_count", provider=pid) == len(mine)
    assert _sum(s, "ci_orch_errors_total", error_kind="RateLimited") >= 1
    fallbacks = sum(c.fallback_from == "primary" for c in calls)
    assert _sum(s, "ci_orch_fallbacks_total", provider="backup", from_provider="primary") == fallbacks
    # Histogram buckets are cumulative and end at +Inf = count.
    inf = _sum(s, "ci_orch_request_latency_seconds_bucket", provider="backup", le="+Inf")
    assert inf == len([c for c in calls if c.provider == "backup"])
    assert OPENAI_OR_ANTHROPIC_KEYS_ABSENT(push.body.decode())


def OPENAI_OR_ANTHROPIC_KEYS_ABSENT(text: str) -> bool:  # noqa: N802
    return all(v not in text for v in ENV.values())


def _otlp_metrics(body: bytes) -> dict[str, list[Any]]:
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
        ExportMetricsServiceRequest,
    )

    req = ExportMetricsServiceRequest()
    req.ParseFromString(body)
    out: dict[str, list[Any]] = {}
    for rm in req.resource_metrics:
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                out[m.name] = [*m.sum.data_points, *m.histogram.data_points]
    return out


def test_otlp_receiver_gets_the_runs_metrics(
    tmp_path: Path, server: ProviderServer, git_repo: GitRepo
) -> None:
    try:
        import opentelemetry.exporter.otlp.proto.http  # noqa: F401
        from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
            ExportMetricsServiceResponse,
        )
    except ImportError:
        skip_or_fail("the otel extra is not installed: pip install 'ci-orch[otel]'")
        return
    small_change(git_repo)
    _fallback_script(server)
    reply = ExportMetricsServiceResponse().SerializeToString()
    with receiver(reply, "application/x-protobuf") as collector:
        cfg = config_file(tmp_path, server, ledger_url=f"sqlite:///{tmp_path}/l.sqlite",
                          telemetry={"otlp_endpoint": collector.url})
        job = review(git_repo, cfg, tmp_path / "out", {**ENV, "CI_ORCH_TEAM": "data"})
    [post] = collector.requests
    assert post.method == "POST" and post.path == "/v1/metrics"
    assert post.headers["content-type"] == "application/x-protobuf"
    metrics = _otlp_metrics(post.body)
    assert {"ci_orch.requests", "ci_orch.tokens", "ci_orch.cost", "ci_orch.errors",
            "ci_orch.fallbacks", "ci_orch.request.duration"} <= set(metrics)
    calls = [c for c in job.report.calls if c.outcome != "skipped"]
    requests = sum(int(p.as_int) for p in metrics["ci_orch.requests"])
    assert requests == len(calls)
    cost = sum(p.as_double for p in metrics["ci_orch.cost"])
    assert cost == pytest.approx(sum(c.cost_usd for c in calls), rel=1e-9)
    teams = {a.value.string_value for p in metrics["ci_orch.requests"] for a in p.attributes
             if a.key == "team"}
    assert teams == {"data"}
    assert sum(p.count for p in metrics["ci_orch.request.duration"]) == len(calls)


def test_endpoints_that_are_down_only_warn_and_the_run_exits_as_it_would(
    tmp_path: Path, server: ProviderServer, git_repo: GitRepo, caplog: pytest.LogCaptureFixture
) -> None:
    small_change(git_repo)
    _fallback_script(server)
    down = closed_port_url()
    blocked_dir = tmp_path / "file"
    blocked_dir.write_text("not a directory")
    cfg = config_file(tmp_path, server, ledger_url=f"sqlite:///{tmp_path}/l.sqlite",
                      telemetry={"prometheus_pushgateway": down, "otlp_endpoint": down,
                                 "export_timeout_s": 1,
                                 "audit_log": str(blocked_dir / "audit.jsonl")})
    with caplog.at_level(logging.WARNING, logger="ci_orch.telemetry"):
        job = review(git_repo, cfg, tmp_path / "out", ENV)
    assert job.exit_code == ExitCode.OK and job.report.status == "complete"
    warned = [r.getMessage() for r in caplog.records if r.name.startswith("ci_orch.telemetry")]
    assert any("Pushgateway http://127.0.0.1:" in w for w in warned), warned
    assert any("OTLP export to http://127.0.0.1:" in w or "OpenTelemetry SDK" in w
               for w in warned), warned
    assert any("audit log" in w for w in warned), warned
