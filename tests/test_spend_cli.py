"""`ci-orch spend` argument handling: bad dates are usage errors, an unreachable ledger
says so, and an empty ledger is an empty report, not an error."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from click.testing import CliRunner

from ci_orch.cli import cli
from ci_orch.ledger import open_ledger
from tests.telemetry.support import spend_config


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["spend", *args])
    return result.exit_code, result.output


def test_a_bad_date_is_a_usage_error(tmp_path: Path) -> None:
    code, out = run("--ledger", f"sqlite:///{tmp_path}/l.sqlite", "--since", "last tuesday")
    assert code == 2 and "--since 'last tuesday'" in out and "2026-01-31" in out


def test_an_unreachable_redis_ledger_is_reported(tmp_path: Path) -> None:
    cfg = spend_config(tmp_path, ledger_url="redis://:hunter2@127.0.0.1:1/0", cap=10)
    code, out = run("--config", str(cfg))
    assert code == 4 and "127.0.0.1:1" in out and "hunter2" not in out


def test_a_ledger_that_does_not_exist_is_refused_not_created(tmp_path: Path) -> None:
    for missing in (tmp_path / "nope.sqlite", tmp_path / "no-dir" / "l.sqlite"):
        code, out = run("--ledger", f"sqlite:///{missing}")
        assert code == 2 and str(missing) in out and "no ledger file" in out
        assert not missing.exists() and not (tmp_path / "no-dir").exists()
    code, out = run("--ledger", "postgres://x")
    assert code == 2 and "ledger.url 'postgres://x' is not supported" in out


def test_an_empty_ledger_is_an_empty_report(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/l.sqlite"
    asyncio.run(open_ledger(url).aclose())  # a ledger that exists and holds nothing
    code, out = run("--ledger", url, "--format", "json", "--by", "provider",
                    "--config", str(spend_config(tmp_path, ledger_url=url, cap=10)))
    assert code == 0
    report = json.loads(out)
    assert report["groups"] == [] and report["total"]["requests"] == 0
    assert report["total"]["error_rate"] == 0.0 and report["budgets"] == []
    code, page = run("--ledger", url, "--format", "html")
    assert code == 0 and "No calls recorded in this period." in page
