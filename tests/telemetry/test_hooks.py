"""The router's attempt observer (what content capture hangs on), the eval entry point,
and the OTLP extra missing."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ci_orch.config import load_config
from ci_orch.report.model import Call
from ci_orch.telemetry import record_calls
from ci_orch.telemetry.jsonl import read
from ci_orch.testing.provider_server import ProviderServer
from tests.conftest import GitRepo
from tests.telemetry.support import ENV, answer, config_file, review, small_change


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    with ProviderServer({}) as srv:
        yield srv


def test_the_observer_sees_every_attempt_in_order_and_cannot_break_routing(
    tmp_path: Path, server: ProviderServer, git_repo: GitRepo
) -> None:
    small_change(git_repo)
    server.load({"models": {"gpt-primary": {"outcomes": [{"fault": "server_error"}],
                                            "then": answer()},
                            "claude-backup": answer()}})
    seen: list[tuple[Any, bool, bool]] = []

    def observer(attempt: Any, request: Any, response: Any) -> None:
        seen.append((attempt, request is not None, response is not None))
        raise RuntimeError("an observer bug")  # must be logged and dropped

    cfg = config_file(tmp_path, server, ledger_url=f"sqlite:///{tmp_path}/l.sqlite")
    job = review(git_repo, cfg, tmp_path / "out", ENV, on_attempt=observer)
    assert job.report.status == "complete"
    rows = [(a.chunk_id, a.provider, a.attempt, a.outcome, a.error_kind) for a, _, _ in seen]
    assert rows == [(c.chunk_id, c.provider, c.attempt, c.outcome, c.error_kind)
                    for c in job.report.calls]
    assert all(has_request for _, has_request, _ in seen)
    assert all(has_response for a, _, has_response in seen if a.outcome == "ok")
    # A run not handed the observer is not observed.
    before = len(seen)
    review(git_repo, cfg, tmp_path / "again", ENV)
    assert len(seen) == before


def _eval_config(tmp_path: Path, **telemetry: Any) -> Any:
    path = tmp_path / "eval.yml"
    items = ", ".join(f"{k}: {v!r}" if isinstance(v, str) else f"{k}: {v}"
                      for k, v in telemetry.items())
    path.write_text(f'ledger: {{url: "sqlite:///{tmp_path}/l.sqlite"}}\ntelemetry: {{{items}}}\n')
    return load_config(path, env={"CI_ORCH_TEAM": "ml"})


CALL = Call(chunk_id="case-1", provider="p", model="m", attempt=1, outcome="ok",
            input_tokens=100, output_tokens=10, cost_usd=0.002, latency_ms=1500)


def test_eval_calls_are_audited_with_task_eval(tmp_path: Path) -> None:
    config = _eval_config(tmp_path, audit_log=str(tmp_path / "a.jsonl"))
    assert record_calls([CALL, CALL.model_copy(update={"outcome": "skipped"})], config,
                        run_id="ev1", task="eval") == ()
    [record] = read(tmp_path / "a.jsonl")  # a provider passed over is not a call
    assert (record.task, record.team, record.run_id, record.repo) == ("eval", "ml", "ev1", None)
    assert record.cost_usd == 0.002 and record.latency_ms == 1500


def test_a_missing_otel_extra_is_a_warning_that_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.metrics", None)  # import fails
    config = _eval_config(tmp_path, otlp_endpoint="http://127.0.0.1:9/")
    warnings = record_calls([CALL], config, run_id="ev2", task="eval")
    assert len(warnings) == 1 and "pip install 'ci-orch[otel]'" in warnings[0]


def test_consensus_members_are_observed_too(
    tmp_path: Path, server: ProviderServer, git_repo: GitRepo
) -> None:
    import json

    small_change(git_repo, files=1)
    server.load({"models": {"gpt-primary": answer(), "claude-backup": answer()}})
    cfg = config_file(tmp_path, server, ledger_url=f"sqlite:///{tmp_path}/l.sqlite")
    data = json.loads(cfg.read_text())
    data["routing"] = {"strategy": "consensus", "consensus_n": 2, "cache": False}
    cfg.write_text(json.dumps(data))
    seen: list[tuple[str, str, bool]] = []
    job = review(git_repo, cfg, tmp_path / "out", ENV,
                 on_attempt=lambda a, req, resp: seen.append((a.chunk_id, a.provider,
                                                              req is not None)))
    ok = [c for c in job.report.calls if c.outcome == "ok"]
    assert {c.provider for c in ok} == {"primary", "backup"}
    assert sorted(seen) == sorted((c.chunk_id, c.provider, True) for c in job.report.calls)


def test_captured_content_joins_the_audit_record_of_its_own_call(
    tmp_path: Path, server: ProviderServer, git_repo: GitRepo
) -> None:
    small_change(git_repo)
    server.load({"models": {"gpt-primary": {"outcomes": [{"fault": "server_error"}],
                                            "then": answer("from primary")},
                            "claude-backup": answer("from backup")}})
    log = tmp_path / "calls.jsonl"
    cfg = config_file(tmp_path, server, ledger_url=f"sqlite:///{tmp_path}/l.sqlite",
                      telemetry={"audit_log": str(log), "log_content": True})
    job = review(git_repo, cfg, tmp_path / "out", ENV)
    records = read(log)
    calls = [c for c in job.report.calls if c.outcome != "skipped"]
    assert [(r.chunk_id, r.provider, r.attempt) for r in records] == [
        (c.chunk_id, c.provider, c.attempt) for c in calls]
    assert any(r.outcome == "error" for r in records)
    for r in records:
        assert r.prompt is not None and "[system]" in r.prompt
        if r.outcome == "error":
            assert r.answer is None  # the failed call had no answer to log
        else:
            assert r.answer is not None and f"from {r.provider}" in r.answer
