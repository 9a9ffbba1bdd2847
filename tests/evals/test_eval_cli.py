"""`ci-orch eval` end to end: files, baseline, and exit codes 0 / 1 / 2 / 4."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ci_orch.cli import cli
from ci_orch.ledger import open_ledger
from ci_orch.ledger.interface import AuditRow
from ci_orch.testing.provider_server import ProviderServer
from tests.evals._replay import ENV, GOOD, answer, config, dataset, finding, review_case


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    with ProviderServer({}) as srv:
        yield srv


def run_cli(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["eval", *map(str, args)], env=env or ENV)


def test_a_good_run_writes_every_file_and_exits_0(tmp_path: Path, server: ProviderServer) -> None:
    server.load({"models": {"good": {"json": GOOD}}})
    ds = dataset(tmp_path, [review_case("a"), review_case("b")])
    out = tmp_path / "out"
    result = run_cli(ds, "--providers", "p", "--report-dir", out,
                     "--config", config(tmp_path, server, {"p": "good"}))
    assert result.exit_code == 0, result.output
    assert "p/good: pass 100%" in result.output
    names = {p.name for p in out.iterdir()}
    assert {"eval.json", "eval-junit.xml", "eval.md"} <= names
    report = json.loads((out / "eval.json").read_text())
    assert len(report["run"]["trials"]) == 2 and report["run"]["status"] == "complete"


def test_a_blessed_baseline_then_a_worse_model_exits_1(tmp_path: Path, server: ProviderServer) -> None:
    cases = [review_case(f"case-{i}") for i in range(8)]
    ds = dataset(tmp_path, cases)
    cfg = config(tmp_path, server, {"p": "model"})
    base = tmp_path / "baseline.json"
    server.load({"models": {"model": {"json": GOOD}}})
    blessed = run_cli(ds, "--providers", "p", "--config", cfg, "--bless", "--baseline", base,
                      "--report-dir", tmp_path / "night1")
    assert blessed.exit_code == 0, blessed.output
    assert base.is_file() and "blessed" in blessed.output
    server.load({"models": {"model": {"json": answer(finding(26, "SQL injection"))}}})
    worse = run_cli(ds, "--providers", "p", "--config", cfg, "--baseline", base,
                    "--report-dir", tmp_path / "night2")
    assert worse.exit_code == 1, worse.output
    assert "FAIL" in worse.output
    before = base.read_bytes()
    forced = run_cli(ds, "--providers", "p", "--config", cfg, "--baseline", base, "--bless",
                     "--report-dir", tmp_path / "night3")
    assert forced.exit_code == 1 and "not blessed" in forced.output
    assert base.read_bytes() == before  # a failed run never replaces the baseline


def test_dataset_errors_exit_2_with_file_and_line(tmp_path: Path, server: ProviderServer) -> None:
    bad = review_case("bad")
    bad["expect"]["findings"][0]["severity"] = "urgent"
    ds = dataset(tmp_path, [review_case("ok"), bad])
    result = run_cli(ds, "--config", config(tmp_path, server, {"p": "good"}))
    assert result.exit_code == 2
    assert f"{ds}:2: case bad: expect.findings[0].severity: Input should be" in result.output


def test_unknown_provider_or_missing_key_exits_2(tmp_path: Path, server: ProviderServer) -> None:
    ds = dataset(tmp_path, [review_case("a")])
    cfg = config(tmp_path, server, {"p": "good"})
    unknown = run_cli(ds, "--config", cfg, "--providers", "nope")
    assert unknown.exit_code == 2 and "--providers: unknown nope; known: p" in unknown.output
    no_key = run_cli(ds, "--config", cfg, "--providers", "p", env={"OPENAI_API_KEY": ""})
    assert no_key.exit_code == 2 and "no API key for p (OPENAI_API_KEY)" in no_key.output


def test_an_incomplete_run_exits_4_when_fail_open_is_off_and_is_not_blessed(
    tmp_path: Path, server: ProviderServer
) -> None:
    server.load({"models": {"down": {"outcomes": [{"fault": "server_error", "times": 99}]}}})
    ds = dataset(tmp_path, [review_case("a")])
    cfg = config(tmp_path, server, {"p": "down"}, extra="policy: {fail_open: false}\n")
    base = tmp_path / "baseline.json"
    result = run_cli(ds, "--config", cfg, "--providers", "p", "--bless", "--baseline", base,
                     "--report-dir", tmp_path / "out")
    assert result.exit_code == 4, result.output
    assert "not blessed" in result.output and not base.exists()


def test_a_run_where_nothing_could_be_scored_exits_4_even_fail_open(
    tmp_path: Path, server: ProviderServer
) -> None:
    """Every call failed: no signal is not "no regression", whatever policy.fail_open says."""
    server.load({"models": {"down": {"outcomes": [{"fault": "server_error", "times": 99}]}}})
    ds = dataset(tmp_path, [review_case("a"), review_case("b")])
    result = run_cli(ds, "--providers", "p", "--report-dir", tmp_path / "out",
                     "--config", config(tmp_path, server, {"p": "down"}))
    assert result.exit_code == 4, result.output
    assert (tmp_path / "out" / "eval.json").is_file()  # files first, still


def test_eval_calls_are_audited_in_the_configured_ledger(
    tmp_path: Path, server: ProviderServer
) -> None:
    """The eval's own budget ledger is temporary, but its spend is real: the audit trail
    (what `ci-orch spend` reads) is the configured ledger's."""
    server.load({"models": {"good": {"json": GOOD}}})
    ds = dataset(tmp_path, [review_case("a"), review_case("b")])
    result = run_cli(ds, "--providers", "p", "--report-dir", tmp_path / "out",
                     "--config", config(tmp_path, server, {"p": "good"}))
    assert result.exit_code == 0, result.output

    async def rows() -> list[AuditRow]:
        ledger = open_ledger(f"sqlite:///{tmp_path}/real-ledger.sqlite")
        try:
            return list(await ledger.calls())
        finally:
            await ledger.aclose()

    recorded = [json.loads(r.body) for r in asyncio.run(rows())]
    assert len(recorded) == len(server.requests) == 2
    assert {r["task"] for r in recorded} == {"eval"}
    assert sum(r["cost_usd"] for r in recorded) > 0
