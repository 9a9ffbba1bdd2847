"""`ci-orch eval examples/golden/dataset.jsonl` end to end and offline: the scripted provider
server answers as the "good" provider (blessed as the baseline), then as a deliberately worse
one (a regression: exit 1, FAIL) and as a same-quality one with noise (no regression: exit 0),
and a recorded run replays exactly, with a changed prompt failing loudly."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ci_orch.cli import cli
from ci_orch.testing.provider_server import ProviderServer
from ci_orch.testing.responses import read_recordings
from tests.conftest import ROOT

GOLDEN = ROOT / "examples" / "golden"
DATASET = GOLDEN / "dataset.jsonl"
PROVIDERS = GOLDEN / "providers"


@dataclass
class Golden:
    server: ProviderServer
    config: Path
    baseline: Path
    report: dict[str, Any]
    exit_code: int
    recorded: Path


def _eval(config: Path, report_dir: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    args = ["eval", str(DATASET), "--config", str(config), "--report-dir", str(report_dir)]
    result = CliRunner().invoke(cli, [*args, *extra])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    report = json.loads((report_dir / "eval.json").read_text())
    return result.exit_code, report, result.output


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Golden]:
    """One provider server for the module, the good provider's run blessed as the baseline."""
    tmp = tmp_path_factory.mktemp("golden")
    recorded = tmp / "responses.jsonl"
    with ProviderServer(PROVIDERS / "good.yml", record_responses=recorded) as server:
        config = tmp / "ci-orch.yml"
        text = (GOLDEN / "ci-orch.yml").read_text()
        # The audit trail goes to the config's ledger: keep it in the test's folder.
        ledger = f"ledger: {{url: 'sqlite:///{tmp}/ledger.sqlite'}}\n"
        config.write_text(text.replace("http://127.0.0.1:8765", server.base_url) + ledger)
        code, report, _ = _eval(config, tmp / "good", "--bless")
        baseline = tmp / "good" / "eval-baseline.json"
        yield Golden(server, config, baseline, report, code, recorded)


def _metrics(report: dict[str, Any]) -> dict[str, Any]:
    (metrics,) = report["run"]["metrics"]
    return metrics  # type: ignore[no-any-return]


def _against_baseline(golden: Golden, tmp_path: Path, script: Any) -> tuple[int, dict[str, Any]]:
    baseline = tmp_path / "baseline.json"
    shutil.copy(golden.baseline, baseline)
    golden.server.load(script)
    try:
        code, report, _ = _eval(golden.config, tmp_path / "out", "--baseline", str(baseline))
    finally:
        golden.server.load(PROVIDERS / "good.yml")
    return code, report


def test_good_provider_passes_everything_and_is_blessed(golden: Golden) -> None:
    assert golden.exit_code == 0
    run = golden.report["run"]
    assert run["status"] == "complete" and len(run["trials"]) == 21
    assert all(t["outcome"] == "pass" for t in run["trials"]), [
        (t["case_id"], t["detail"]) for t in run["trials"] if t["outcome"] != "pass"
    ]
    metrics = _metrics(golden.report)
    assert metrics["recall"] == 1.0 and metrics["precision"] == 1.0
    assert metrics["pass_at_1"] == 1.0 and metrics["cost_per_case"] > 0
    assert json.loads(golden.baseline.read_text())  # blessed


def test_worse_provider_is_flagged_as_a_regression(golden: Golden, tmp_path: Path) -> None:
    code, report = _against_baseline(golden, tmp_path, PROVIDERS / "worse.yml")
    assert code == 1
    comparison = report["comparison"]
    assert comparison["verdict"] == "FAIL"
    (provider,) = comparison["providers"]
    failed = {m["metric"] for m in provider["metrics"] if m["verdict"] == "FAIL"}
    assert {"recall", "pass_rate"} <= failed
    assert "FAIL" in (tmp_path / "out" / "eval.md").read_text()
    # A failed run never replaces the baseline it was compared with.
    assert (tmp_path / "baseline.json").read_bytes() == golden.baseline.read_bytes()


def test_same_quality_with_noise_is_not_a_regression(golden: Golden, tmp_path: Path) -> None:
    code, report = _against_baseline(golden, tmp_path, PROVIDERS / "noisy.yml")
    assert code == 0
    assert report["comparison"]["verdict"] == "PASS"

    def lines(rep: dict[str, Any]) -> list[int]:
        return [m["finding"]["start_line"] for t in rep["run"]["trials"] for m in t["matched"]]

    # The noise is real: findings moved (within the location slack), and every answer took at
    # least the noisy script's 55 ms (the good one answers in 30).
    assert lines(report) != lines(golden.report) and len(lines(report)) == len(lines(golden.report))
    assert _metrics(report)["latency_p50_ms"] >= 55


def test_recorded_responses_replay_the_run_exactly(golden: Golden, tmp_path: Path) -> None:
    assert len(read_recordings(golden.recorded)) == 21  # one prompt per case
    code, report = _against_baseline(
        golden, tmp_path, {"defaults": {"replay": str(golden.recorded)}}
    )
    assert code == 0 and report["comparison"]["verdict"] == "PASS"
    assert _metrics(report)["recall"] == 1.0 and _metrics(report)["pass_at_1"] == 1.0


def test_a_changed_prompt_misses_the_recording_loudly(golden: Golden, tmp_path: Path) -> None:
    # One case with a new title: its prompt changes, so the replay has no answer for it.
    line = json.loads(DATASET.read_text().splitlines()[0])
    line["input"]["title"] = "A title the recording never saw"
    shutil.copytree(GOLDEN / "review" / line["id"], tmp_path / "review" / line["id"])
    dataset = tmp_path / "one.jsonl"
    dataset.write_text(json.dumps(line) + "\n")
    golden.server.load({"defaults": {"replay": str(golden.recorded)}})
    try:
        args = ["eval", str(dataset), "--config", str(golden.config)]
        CliRunner().invoke(cli, [*args, "--report-dir", str(tmp_path / "out")])
        requests = golden.server.requests
    finally:
        golden.server.load(PROVIDERS / "good.yml")
    run = json.loads((tmp_path / "out" / "eval.json").read_text())["run"]
    (trial,) = run["trials"]
    assert run["status"] == "partial" and trial["outcome"] == "error"
    assert "no recorded response" in trial["detail"] and "sha256:" in trial["detail"]
    # Not retried: the server said the same prompt will miss again.
    assert [r["outcome"] for r in requests].count("replay_miss") == 1
