"""eval.json (+ published schema), eval.md, history.jsonl and eval-trend.svg."""

from __future__ import annotations

import json
import random
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest

from ci_orch.evals.decide import compare
from ci_orch.evals.render import (
    EvalReport,
    json_schema,
    render_markdown,
    render_trend_svg,
    write_outputs,
)
from ci_orch.evals.store import append_history, bless, read_history
from tests.evals.test_compare_support import T0, case, make_run, noisy, scored_cases

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"


def _regression(tmp_path: Path):  # type: ignore[no-untyped-def]
    rng = random.Random(11)
    base = make_run(scored_cases(noisy(0.9, 20, rng)), run_id="base")
    worse_cases = scored_cases(noisy(0.5, 20, rng))
    worse_cases[3] = case("case-03", passes=2, fails=1, recall=0.6, precision=0.7)
    worse = make_run(worse_cases, run_id="worse", finished_at=T0 + timedelta(days=1))
    return worse, compare(worse, bless(base, tmp_path / "baseline.json"))


def test_published_eval_schema_is_current() -> None:
    published = json.loads((ROOT / "schemas" / "eval-report.schema.json").read_text())
    assert published == json_schema(), (
        "regenerate: python -c 'import json; from ci_orch.evals.render import json_schema; "
        "print(json.dumps(json_schema(), indent=2))' > schemas/eval-report.schema.json"
    )


def test_write_outputs_writes_every_file_and_eval_json_matches_the_schema(
    tmp_path: Path,
) -> None:
    run, comparison = _regression(tmp_path)
    out = tmp_path / "report"
    paths = write_outputs(run, comparison, out)
    names = sorted(p.name for p in paths)
    assert names == ["eval-junit.xml", "eval-trend.svg", "eval.json", "eval.md", "history.jsonl"]
    assert sorted(p.name for p in out.iterdir()) == names  # no temp files left
    data = json.loads((out / "eval.json").read_text())
    jsonschema.Draft202012Validator(json_schema()).validate(data)
    report = EvalReport.model_validate(data)
    assert report.comparison.verdict == "FAIL" and report.run == run


def test_history_appends_complete_runs_once_and_never_partial_ones(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    first = make_run(scored_cases([0.9] * 3), run_id="r1")
    assert append_history(first, path) and not append_history(first, path)
    partial = make_run(scored_cases([0.9] * 2), run_id="r2", status="partial")
    assert not append_history(partial, path)
    with path.open("a") as fh:
        fh.write("{not json\n")
    later = make_run(scored_cases([0.8] * 3), run_id="r3", finished_at=T0 + timedelta(days=1))
    assert append_history(later, path)
    records = read_history(path)
    assert [r.run_id for r in records] == ["r1", "r3"]
    entry = records[1].entries[0]
    assert entry.key == later.baseline_key("openai/gpt-4o-mini")
    assert entry.cases["case-00"] == (1, 1) and entry.recall == pytest.approx(0.8)


def test_markdown_has_table_verdicts_cases_flaky_spend_and_chart(tmp_path: Path) -> None:
    run, comparison = _regression(tmp_path)
    md = render_markdown(run, comparison)
    assert md.startswith("## ci-orch eval: ❌ FAIL")
    assert "| provider/model | metric | value | baseline | change (paired) | 95% CI" in md
    recall_row = next(line for line in md.splitlines() if "| recall |" in line)
    assert "❌ FAIL" in recall_row and " pts" in recall_row
    assert "### Most-regressed cases" in md and "### Why" in md
    assert "### Flaky cases (reported, not gated)" in md and "case-03" in md
    assert "Spent $" in md and "of $5.0000" in md
    assert "![trend](eval-trend.svg)" in md and "artifact" in md


def test_markdown_escapes_untrusted_names_and_says_when_nothing_compares() -> None:
    evil = "x](https://evil.example)<img src=x>@team|"
    run = make_run([case(evil, provider="p|<b>", model="m", passes=0, errors=2)])
    md = render_markdown(run, compare(run, None))
    assert "<img" not in md and "<b>" not in md and "](https://" not in md
    assert "no comparable baseline" in md
    assert "### Provider errors (excluded from quality metrics)" in md
    tables: list[list[int]] = [[]]
    for line in md.splitlines():
        if line.startswith("|"):
            tables[-1].append(line.count("|") - line.count("\\|"))
        elif tables[-1]:
            tables.append([])
    assert len(tables) >= 3
    assert all(len(set(cells)) == 1 for cells in tables if cells)  # no cell broke out


def test_trend_svg_parses_with_one_polyline_per_series() -> None:
    records = []
    for day in range(4):
        cases = scored_cases([0.8 + day * 0.02] * 4) + scored_cases(
            [0.7] * 4, provider="anthropic", model="claude<&>"
        )
        run = make_run(cases, run_id=f"r{day}", finished_at=T0 + timedelta(days=day))
        from ci_orch.evals.store import record_for

        records.append(record_for(run))
    svg = render_trend_svg(records)
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    lines = root.findall(f".//{SVG}polyline")
    # 2 provider/models x (F1, recall, precision, cost per case)
    assert len(lines) == 8
    series = sorted(p.get("data-series") or "" for p in lines)
    assert "anthropic/claude<&> F1" in series and "openai/gpt-4o-mini cost/case" in series
    f1 = next(p for p in lines if p.get("data-series") == "openai/gpt-4o-mini F1")
    points = [tuple(map(float, xy.split(","))) for xy in (f1.get("points") or "").split()]
    assert len(points) == 4
    assert points[0][1] > points[-1][1]  # F1 rises, so y (downwards) falls


def test_trend_svg_without_history_is_still_valid() -> None:
    root = ET.fromstring(render_trend_svg([]))  # noqa: S314
    assert root.findall(f".//{SVG}polyline") == []
    assert "no history yet" in "".join(root.itertext())


def test_eval_files_pass_the_egress_filter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "sk-proj-" + "Q7" * 20  # a configured provider key, as the job's env holds it
    monkeypatch.setenv("OPENAI_API_KEY", key)
    run, comparison = _regression(tmp_path)
    leaky = run.model_copy(update={"dataset_path": f"golden/{key}.jsonl"})
    paths = write_outputs(leaky, comparison, tmp_path / "report")
    assert paths and all(key not in p.read_text() for p in paths)
    assert "<redacted:" in (tmp_path / "report" / "eval.json").read_text()
