"""eval.md: the step summary / MR note of an eval run.

Every string that comes from the dataset, config or a model (case ids, provider and
model names, paths, reasons that quote them) goes through `mdtext.inline`. The trend chart
is linked as `eval-trend.svg` and not inlined as a data: URI: GitHub's Markdown renderer
strips data: image sources (github/markup#1614, #270), so an inline copy would cost part
of the step summary's 1 MiB limit for nothing. The SVG is an artifact next to this file;
the link works wherever the two are served together.
"""

from __future__ import annotations

from ci_orch.evals.comparison import Comparison, MetricComparison, ProviderComparison
from ci_orch.evals.model import EvalRun, SuiteMetrics
from ci_orch.report.mdtext import inline

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
