"""Write an eval run's files: eval.json, eval-junit.xml, history.jsonl, eval-trend.svg, eval.md.

Files first (DESIGN.md): everything lands in `report_dir` before anything is posted.
Each file is written to a temporary name and renamed, so a crash never leaves half a
report. history.jsonl is appended (complete runs only, once per run id) before the chart
is drawn, so the chart includes this run. eval.json's schema is published as
schemas/eval-report.schema.json (`json_schema()`; a test keeps the file current).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ci_orch.evals.chart import render_trend_svg
from ci_orch.evals.comparison import Comparison
from ci_orch.evals.history import HISTORY_FILE, append_history, read_history
from ci_orch.evals.junit import render_junit
from ci_orch.evals.model import EvalRun
from ci_orch.evals.render_md import TREND_FILE, render_markdown

JSON_FILE = "eval.json"
JUNIT_FILE = "eval-junit.xml"
MARKDOWN_FILE = "eval.md"
SCHEMA_ID = "https://github.com/ci-orch/ci-orch/blob/main/schemas/eval-report.schema.json"


class EvalReport(BaseModel):
    """eval.json: the run and its regression decision."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = 1
    run: EvalRun
    comparison: Comparison


def json_schema() -> dict[str, object]:
    schema = EvalReport.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "ci-orch eval.json",
    }


def _write(path: Path, text: str) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_outputs(run: EvalRun, comparison: Comparison, report_dir: Path) -> list[Path]:
    """Write every eval file into `report_dir`; returns the paths written or appended."""
    report_dir.mkdir(parents=True, exist_ok=True)
    report = EvalReport(run=run, comparison=comparison)
    written = [
        _write(report_dir / JSON_FILE, report.model_dump_json(indent=2) + "\n"),
        _write(report_dir / JUNIT_FILE, render_junit(run, comparison)),
    ]
    history_path = report_dir / HISTORY_FILE
    if append_history(run, history_path) or history_path.exists():
        written.append(history_path)
    history = read_history(history_path)
    written.append(_write(report_dir / TREND_FILE, render_trend_svg(history)))
    written.append(_write(report_dir / MARKDOWN_FILE, render_markdown(run, comparison)))
    return written
