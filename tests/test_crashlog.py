"""An internal error (exit 3) leaves crash.log in the report directory, with no data in it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ci_orch.cli import cli


def test_a_crash_writes_crash_log_without_the_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "ghp_" + "A1b2C3d4" * 4 + "e5F6"

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"a bug that quotes {secret}")

    monkeypatch.setattr("ci_orch.review.job.run_job", broken)
    (tmp_path / "c.diff").write_text("diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -0,0 +1 @@\n+x\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["review", "--diff-file", str(tmp_path / "c.diff"),
                                      "--report-dir", str(out), "--platform", "none"])
    assert result.exit_code == 3
    log = (out / "crash.log").read_text()
    assert f"details in {out / 'crash.log'}" in result.output
    assert "builtins.RuntimeError" in log and "in broken" in log and "ci-orch " in log
    assert secret not in log and secret not in result.output
