"""RunReport: the builder, the cost figures, the published schema, the files and the CLI."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from ci_orch.cli import cli
from ci_orch.report import RENDERERS, Renderer, ReportWriteError, RunReport, write_reports
from ci_orch.report.cost import percentile
from ci_orch.report.write import write_atomic
from ci_orch.verdict import Outcome, decide
from tests.test_report_support import HEAD, RAW_SECRET, cost, realistic_report

ROOT = Path(__file__).parent.parent
FILES = {"report.json", "summary.md", "results.sarif", "gl-code-quality-report.json",
         "gl-secret-detection-report.json"}


def test_builder_takes_every_part() -> None:
    r = realistic_report()
    assert (r.status, r.exit_code, r.repairs) == ("complete", 1, 1)
    assert r.context.head_sha == HEAD and r.context.number == 7
    assert (r.coverage.added_lines_total, r.coverage.added_lines_sent) == (8, 8)
    assert [(s.path, s.reason) for s in r.coverage.skipped_files] == [
        ("package-lock.json", "lockfile")]
    assert len(r.calls) == 6 and all(len(c.detail) <= 200 for c in r.calls)
    assert [c.fallback_from for c in r.calls if c.provider == "anthropic"] == ["openai"]
    assert [c.placement for c in r.findings] == ["inline", "summary", "file", "inline"]
    assert r.findings_omitted == 1
    assert r.gate.verdict == "block" and r.gate.blocked_outputs == ("suggestion:1",)
    # The model's suggestion is withheld output, never a finding on the author's line.
    assert [f.rule for f in r.gate.findings if f.blocking] == [
        "aws-access-key-id", "GPL-2.0-or-later"]
    assert [(w.rule, w.label) for w in r.gate.withheld_outputs] == [
        ("github-token", "suggestion:1")]
    assert r.redactions == {"aws-access-key-id": 1}
    assert "ignore previous" not in r.model_dump_json()  # the PR title is not carried


def test_cost_figures_equal_hand_computed_sums() -> None:
    r = realistic_report()
    anthropic = 3100 * 3.0 / 1e6 + 420 * 15.0 / 1e6              # 0.0156
    openai = (2000 - 1024) * 2.5 / 1e6 + 1024 * 1.25 / 1e6 + 300 * 10.0 / 1e6  # 0.00672
    assert r.cost.by_provider == pytest.approx({"anthropic": anthropic, "openai": openai})
    assert r.cost.total_usd == pytest.approx(anthropic + openai)    # the cache hit is free
    assert r.cost.remaining.run_usd == pytest.approx(0.5 - anthropic - openai)
    assert r.cost.saved_by_cache_usd == pytest.approx(cost("openai", 1500, 200))
    assert [c.cost_usd for c in r.calls if c.cache_hit] == [0.0]
    rows = {(m.provider, m.model): m for m in r.cost.by_model}
    gpt = rows[("openai", "gpt-4o")]
    assert (gpt.calls, gpt.ok, gpt.errors, gpt.cache_hits, gpt.fallbacks) == (4, 2, 2, 1, 0)
    assert (gpt.input_tokens, gpt.cached_input_tokens, gpt.output_tokens) == (3500, 1024, 500)
    # Latency over answered calls only (not the 3 ms cache hit, not the failed 180 and 950).
    assert (gpt.latency_p50_ms, gpt.latency_p95_ms) == (1300.0, 1300.0)
    assert rows[("anthropic", "claude-sonnet-4-5")].fallbacks == 1
    assert ("gemini", "gemini-2.5-pro") not in rows  # skipped: never called, costs nothing


def test_times_are_utc_even_when_given_naive() -> None:
    from datetime import datetime

    r = realistic_report(started_at=datetime(2026, 1, 2, 3, 4, 5), finished_at=None)
    assert r.started_at.utcoffset() is not None and r.finished_at.utcoffset() is not None
    assert r.started_at.isoformat() == "2026-01-02T03:04:05+00:00"
    assert r.finished_at > r.started_at


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(100, 0, -1)]
    assert (percentile(values, 0.5), percentile(values, 0.95), percentile(values, 1.0)) == (
        50.0, 95.0, 100.0)
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.95) == 7.0


def test_report_json_round_trips_and_matches_the_published_schema() -> None:
    r = realistic_report()
    text = RENDERERS["json"].render(r)
    assert isinstance(text, str)
    schema = json.loads((ROOT / "schemas" / "run-report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(json.loads(text))
    assert RunReport.model_validate_json(text) == r


def test_published_report_schema_is_current() -> None:
    result = CliRunner().invoke(cli, ["report", "schema"])
    assert result.exit_code == 0, result.output
    published = (ROOT / "schemas" / "run-report.schema.json").read_text()
    assert json.loads(result.output) == json.loads(published), (
        "regenerate: ci-orch report schema > schemas/run-report.schema.json")


def test_write_reports_writes_every_file_and_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "ci-orch-report"
    old = target / "summary.md"
    target.mkdir(parents=True)
    old.write_text("stale")
    paths = write_reports(realistic_report(), target)
    assert {p.name for p in paths} == FILES
    assert {p.name for p in target.iterdir()} == FILES  # nothing left behind
    assert old.read_text() != "stale"
    for path in paths:
        data = path.read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf") and data.endswith(b"\n")
        assert RAW_SECRET.encode() not in data
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        if path.suffix in (".json", ".sarif"):
            json.loads(data)


def test_the_json_is_written_before_a_failing_renderer(tmp_path: Path) -> None:
    class Broken(Renderer):
        name = "broken"
        filename = "broken.txt"

        def render(self, report: RunReport) -> str:
            raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        write_reports(realistic_report(), tmp_path, [RENDERERS["json"], Broken()])
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_failed_write_raises_and_cleans_up(tmp_path: Path) -> None:
    (tmp_path / "report.json").mkdir()  # os.replace cannot put a file over a directory
    with pytest.raises(ReportWriteError, match="cannot write"):
        write_atomic(tmp_path / "report.json", b"{}")
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ReportWriteError, match="report directory"):
        write_reports(realistic_report(), blocker / "sub")


def test_no_head_commit_means_no_secret_detection_file(tmp_path: Path) -> None:
    from ci_orch.context.model import PipelineContext

    ctx = PipelineContext(platform="local", event="diff-file", workspace=tmp_path)
    paths = write_reports(realistic_report(context=ctx), tmp_path / "out")
    assert {p.name for p in paths} == FILES - {"gl-secret-detection-report.json"}


def test_a_skipped_run_still_renders_every_file(tmp_path: Path) -> None:
    r = realistic_report(plan=None, added_lines_sent=0, attempts=[], findings=[],
                         findings_omitted=0, gate=None,
                         verdict=decide(Outcome(task="review", status="skipped")),
                         notes=["no provider key found: review skipped"])
    assert (r.gate.verdict, r.cost.total_usd, r.coverage.added_lines_total) == ("not-run", 0, 0)
    paths = write_reports(r, tmp_path)
    assert {p.name for p in paths} == FILES
    summary = (tmp_path / "summary.md").read_text()
    assert "review: skipped" in summary and "The gate did not run." in summary
    assert "No provider was called." in summary and "no provider key found" in summary
    secrets = json.loads((tmp_path / "gl-secret-detection-report.json").read_text())
    assert secrets["scan"]["status"] == "failure" and secrets["vulnerabilities"] == []


def test_cli_render_rewrites_the_files_from_report_json(tmp_path: Path) -> None:
    source = tmp_path / "report.json"
    source.write_text(RENDERERS["json"].render(realistic_report()))  # type: ignore[arg-type]
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["report", "render", str(source), "--dir", str(out),
                                      "--format", "markdown", "--format", "sarif"])
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(out)) == ["results.sarif", "summary.md"]
    bad = CliRunner().invoke(cli, ["report", "render", str(source), "--format", "pdf"])
    assert bad.exit_code == 2 and "unknown report format" in bad.output
    (tmp_path / "x.json").write_text('{"version": 1}')
    wrong = CliRunner().invoke(cli, ["report", "render", str(tmp_path / "x.json")])
    assert wrong.exit_code == 2 and "not a ci-orch report.json" in wrong.output
