"""Write an eval run's files: eval.json, eval-junit.xml, history.jsonl, eval-trend.svg, eval.md.

Files first: everything lands in `report_dir` before anything is posted.
Each file is written to a temporary name and renamed, so a crash never leaves half a
report. history.jsonl is appended (complete runs only, once per run id) before the chart
is drawn, so the chart includes this run. eval.json's schema is published as
schemas/eval-report.schema.json (`json_schema()`; a test keeps the file current).

eval.md is the step summary / MR note of an eval run. Every string that comes from the
dataset, config or a model (case ids, provider and model names, paths, reasons that quote
them) goes through `mdtext.inline`. The trend chart is linked as `eval-trend.svg` and not
inlined as a data: URI: GitHub's Markdown renderer strips data: image sources
(github/markup#1614, #270), so an inline copy would cost part of the step summary's 1 MiB
limit for nothing. The SVG is an artifact next to this file; the link works wherever the two
are served together.

eval-trend.svg is a hand-written SVG line chart of the history (no matplotlib: image size).
Two panels over the last `MAX_RUNS` complete runs: F1, recall and precision on a fixed
0-1 scale (top), and cost per case in dollars scaled to its own maximum (bottom). One
<polyline> per provider/model x metric, colour by metric, dash pattern by provider/model,
with a dot on every point so a single run still shows. Labels are XML-escaped: provider
and model names come from config, not from us.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape, quoteattr

from pydantic import BaseModel, ConfigDict

from ci_orch.egress.filter import Egress
from ci_orch.evals.junit import render_junit
from ci_orch.evals.model import (
    Comparison,
    EvalRun,
    MetricComparison,
    ProviderComparison,
    SuiteMetrics,
)
from ci_orch.evals.store import HISTORY_FILE, HistoryRecord, append_history, read_history
from ci_orch.report.mdtext import inline
from ci_orch.report.write import write_atomic

# --- the files ---------------------------------------------------------------------------


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


def write_outputs(run: EvalRun, comparison: Comparison, report_dir: Path) -> list[Path]:
    """Write every eval file into `report_dir`; returns the paths written or appended.

    Eval files are artifacts that leave the job like any report, so they pass the egress
    filter too (model answers are quoted in them)."""
    egress = Egress.build(None, os.environ)

    def _write(path: Path, text: str) -> Path:
        return write_atomic(path, egress.scrub(text).encode("utf-8"))

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


# --- eval.md -----------------------------------------------------------------------------


TREND_FILE = "eval-trend.svg"
_ICON = {"PASS": "✅ PASS", "WARN": "⚠️ WARN", "FAIL": "❌ FAIL"}


def _num(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _pts(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.1f} pts"


def _p(value: float | None) -> str:
    if value is None:
        return "—"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _usd(value: float | None) -> str:
    return "—" if value is None else f"${value:.4f}"


def render_markdown(run: EvalRun, comparison: Comparison, chart: bool = True) -> str:
    lines = [f"## ci-orch eval: {_ICON[comparison.verdict]}", "", *_header(run)]
    notes = [f"- {inline(n)}" for n in (*comparison.notes, *run.notes)]
    lines += ["", *notes] if notes else []
    lines += _metric_table(run, comparison)
    lines += _reasons(comparison)
    lines += _regressed(comparison)
    lines += _flaky(comparison)
    lines += _errors(run, comparison)
    lines += _spend(run)
    if chart:
        lines += [
            "### Trend",
            "",
            f"![trend]({TREND_FILE})",
            "",
            f"The chart is the `{TREND_FILE}` artifact of this job (step summaries cannot "
            "load files that sit next to them).",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def _header(run: EvalRun) -> list[str]:
    cases = len({c.case_id for c in run.cases})
    return [
        f"Dataset {inline(run.dataset_path)} (digest {inline(run.dataset_digest[:12])}), "
        f"prompts {inline(run.prompt_version)}, scorer {inline(run.scorer_version)}: "
        f"{cases} case(s) x {run.repeats} repeat(s), run {inline(run.run_id)} "
        f"({run.status}).",
    ]


def _metric_table(run: EvalRun, comparison: Comparison) -> list[str]:
    lines = [
        "",
        "| provider/model | metric | value | baseline | change (paired) | 95% CI | p (BH) "
        "| verdict |",
        "|---|---|---:|---:|---:|---|---:|---|",
    ]
    for metrics in run.metrics:
        prov = comparison.for_key(metrics.key)
        label = inline(metrics.key)
        if prov is None or not prov.comparable:
            note = inline(prov.note) if prov else "not compared"
            lines.append(f"| {label} | — | — | — | — | — | — | {note} |")
            lines += _plain_rows(label, metrics)
            continue
        lines += [_metric_row(label, m) for m in prov.metrics]
        lines += _cost_row(label, prov)
    return [*lines, ""]


def _plain_rows(label: str, metrics: SuiteMetrics) -> list[str]:
    rows = []
    for name in ("pass_rate", "recall", "precision", "f1"):
        value = getattr(metrics, name)
        rows.append(f"| {label} | {name} | {_num(value)} | — | — | — | — | — |")
    cost = _usd(metrics.cost_per_case)
    return [*rows, f"| {label} | cost/case | {cost} | — | — | — | — | — |"]


def _metric_row(label: str, m: MetricComparison) -> str:
    ci = "—"
    if m.ci_low is not None and m.ci_high is not None:
        ci = f"[{m.ci_low * 100:+.1f}, {m.ci_high * 100:+.1f}] pts"
    return (
        f"| {label} | {m.metric} | {_num(m.value)} | {_num(m.baseline)} | {_pts(m.change)} "
        f"| {ci} | {_p(m.p_adjusted)} | {_ICON[m.verdict]} |"
    )


def _cost_row(label: str, prov: ProviderComparison) -> list[str]:
    c = prov.cost
    if c is None:
        return []
    rise = "—" if c.rise is None else f"{c.rise * 100:+.0f}%"
    return [
        f"| {label} | cost/case | {_usd(c.cost_per_case)} | {_usd(c.baseline_cost_per_case)} "
        f"| {rise} | — | — | {_ICON[c.verdict]} |"
    ]


def _reasons(comparison: Comparison) -> list[str]:
    items = [(p, r) for p in comparison.providers for r in p.reasons]
    if not items:
        return []
    lines = ["### Why", ""]
    lines += [f"- {inline(p.label)}: {inline(r)}" for p, r in items]
    return [*lines, ""]


def _regressed(comparison: Comparison) -> list[str]:
    rows = [(p, c) for p in comparison.providers for c in p.regressed_cases]
    if not rows:
        return []
    lines = [
        "### Most-regressed cases",
        "",
        "| provider/model | case | metric | baseline | now | change |",
        "|---|---|---|---:|---:|---:|",
    ]
    rows.sort(key=lambda pc: pc[1].change)
    for p, c in rows[:15]:
        lines.append(
            f"| {inline(p.label)} | {inline(c.case_id)} | {c.metric} | {_num(c.baseline)} "
            f"| {_num(c.value)} | {_pts(c.change)} |"
        )
    return [*lines, ""]


def _flaky(comparison: Comparison) -> list[str]:
    rows = [(p, f) for p in comparison.providers for f in p.flaky]
    if not rows:
        return []
    lines = [
        "### Flaky cases (reported, not gated)",
        "",
        "| provider/model | case | passed | Wilson 95% interval |",
        "|---|---|---:|---|",
    ]
    lines += [
        f"| {inline(p.label)} | {inline(f.case_id)} | {f.passes} of {f.scored} "
        f"| [{f.low:.2f}, {f.high:.2f}] |"
        for p, f in rows
    ]
    return [*lines, ""]


def _errors(run: EvalRun, comparison: Comparison) -> list[str]:
    rows = [m for m in run.metrics if (m.error_rate or 0) > 0]
    if not rows:
        return []
    lines = [
        "### Provider errors (excluded from quality metrics)",
        "",
        "| provider/model | error trials | error rate |",
        "|---|---:|---:|",
    ]
    for m in rows:
        prov = comparison.for_key(m.key)
        errors = prov.errors if prov else 0
        lines.append(f"| {inline(m.key)} | {errors} | {_num(m.error_rate, 2)} |")
    return [*lines, ""]


def _spend(run: EvalRun) -> list[str]:
    cap = run.budget.cap_usd
    spent = run.budget.spent_usd
    share = f" ({spent / cap:.0%} of the cap)" if cap else ""
    lines = ["### Spend", "", f"Spent {_usd(spent)} of {_usd(cap) if cap else 'no cap'}{share}."]
    if run.skipped:
        lines.append(
            f"The run stopped at the cap: {len(run.skipped)} trial(s) skipped "
            "(JUnit `skipped`); a partial run never becomes the baseline."
        )
    lines += [
        "",
        "| provider/model | cost | cost/case | tokens in | tokens out |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [_spend_row(m) for m in run.metrics]
    return [*lines, ""]


def _spend_row(m: SuiteMetrics) -> str:
    return (
        f"| {inline(m.key)} | {_usd(m.cost_usd)} | {_usd(m.cost_per_case)} "
        f"| {m.input_tokens} | {m.output_tokens} |"
    )


# --- eval-trend.svg ----------------------------------------------------------------------


MAX_RUNS = 30
WIDTH, LEFT, RIGHT = 860, 60, 290
TOP_Y, TOP_H, BOTTOM_Y, BOTTOM_H, HEIGHT = 30, 200, 280, 110, 430
QUALITY = (
    ("f1", "F1", "#1f77b4"),
    ("recall", "recall", "#2ca02c"),
    ("precision", "precision", "#ff7f0e"),
)
COST = ("cost_per_case", "cost/case", "#9467bd")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 5")

Series = tuple[str, str, str, str, list[tuple[int, float]]]  # label, metric, colour, dash, pts


def _x(index: int, count: int) -> float:
    span = WIDTH - LEFT - RIGHT
    return LEFT + (span * index / (count - 1) if count > 1 else span / 2)


def series(history: Sequence[HistoryRecord]) -> list[Series]:
    """Every provider/model x metric with at least one value, in a stable order."""
    runs = list(history)[-MAX_RUNS:]
    labels = sorted({e.label for r in runs for e in r.entries})
    out: list[Series] = []
    for n, label in enumerate(labels):
        dash = DASHES[n % len(DASHES)]
        for field, name, colour in (*QUALITY, COST):
            points = []
            for i, record in enumerate(runs):
                entry = next((e for e in record.entries if e.label == label), None)
                value = getattr(entry, field) if entry else None
                if value is not None:
                    points.append((i, float(value)))
            if points:
                out.append((label, name, colour, dash, points))
    return out


def render_trend_svg(history: Sequence[HistoryRecord]) -> str:
    runs = list(history)[-MAX_RUNS:]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">',
        "<title>ci-orch eval trend</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    lines = series(runs)
    cost_top = max((v for s in lines if s[1] == COST[1] for _, v in s[4]), default=0.0)
    parts += _axes(runs, cost_top)
    if not lines:
        parts.append(f'<text x="{LEFT + 10}" y="{TOP_Y + TOP_H / 2}">no history yet</text>')
    for row, (label, name, colour, dash, points) in enumerate(lines):
        parts.append(_polyline(points, len(runs), name, colour, dash, cost_top, label))
        parts.append(_legend(row, f"{label} {name}", colour, dash))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _y(metric: str, value: float, cost_top: float) -> float:
    if metric == COST[1]:
        share = value / cost_top if cost_top > 0 else 0.0
        return BOTTOM_Y + BOTTOM_H * (1 - share)
    return TOP_Y + TOP_H * (1 - min(1.0, max(0.0, value)))


def _polyline(
    points: list[tuple[int, float]],
    count: int,
    metric: str,
    colour: str,
    dash: str,
    cost_top: float,
    label: str,
) -> str:
    xy = [(_x(i, count), _y(metric, v, cost_top)) for i, v in points]
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>' for x, y in xy)
    raw = f"{label} {metric}"
    return (
        f'<g><title>{escape(raw)}</title><polyline points="{coords}" fill="none" '
        f'stroke="{colour}" stroke-width="2"{dash_attr} data-series={quoteattr(raw)}/>'
        f"{dots}</g>"
    )


def _legend(row: int, text: str, colour: str, dash: str) -> str:
    x, y = WIDTH - RIGHT + 15, TOP_Y + 14 * row
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line x1="{x}" y1="{y}" x2="{x + 22}" y2="{y}" stroke="{colour}" '
        f'stroke-width="2"{dash_attr}/><text x="{x + 27}" y="{y + 4}">{escape(text[:44])}</text>'
    )


def _axes(runs: Sequence[HistoryRecord], cost_top: float) -> list[str]:
    right = WIDTH - RIGHT
    out = []
    for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = TOP_Y + TOP_H * (1 - frac)
        out.append(f'<line x1="{LEFT}" y1="{y}" x2="{right}" y2="{y}" stroke="#dddddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4}" text-anchor="end">{frac:.2f}</text>')
    for y, text in ((BOTTOM_Y, f"${cost_top:.4f}"), (BOTTOM_Y + BOTTOM_H, "$0")):
        out.append(f'<line x1="{LEFT}" y1="{y}" x2="{right}" y2="{y}" stroke="#dddddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4}" text-anchor="end">{text}</text>')
    out.append(f'<text x="{LEFT}" y="{TOP_Y - 10}">quality (0-1)</text>')
    out.append(f'<text x="{LEFT}" y="{BOTTOM_Y - 10}">cost per case (USD)</text>')
    if runs:
        first, last = runs[0].finished_at.date(), runs[-1].finished_at.date()
        base = HEIGHT - 10
        out.append(f'<text x="{LEFT}" y="{base}">{first.isoformat()}</text>')
        out.append(f'<text x="{right}" y="{base}" text-anchor="end">{last.isoformat()}</text>')
    return out
