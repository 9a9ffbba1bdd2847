"""`summary.md`: the run on one screen, for the PR comment, the MR note and the job summary.

Every model- or author-written string goes through `mdtext.inline`. Tables stop at
`MAX_ROWS` rows so the whole text stays far below GitHub's 65,536-character comment limit
(https://docs.github.com/en/rest/issues/comments); report.json always has everything.
"""

from __future__ import annotations

from ci_orch.report.interface import Renderer
from ci_orch.report.markdown_cost import cost_section, usd
from ci_orch.report.mdtext import inline
from ci_orch.report.model import SEVERITY_ORDER, GateFinding, ReviewFinding, RunReport

MAX_ROWS = 50
BODY_CHARS = 600
_VERDICT = {"pass": "passed", "block": "**BLOCKED**", "not-run": "not run"}


class MarkdownRenderer(Renderer):
    name = "markdown"
    filename = "summary.md"

    def render(self, report: RunReport) -> str:
        # The gate's own summary carries gate content only: no coverage, cost or findings.
        body = [*_gate(report)] if report.task == "gate" else [
            *_gate(report), *_findings(report), *cost_section(report), *_coverage(report)]
        lines = [*_headline(report), *body, f"<sub>ci-orch {inline(report.tool.version, 30)} · "
                 "every call, finding and figure is in report.json</sub>"]
        return "\n".join(lines) + "\n"


def _where(path: str, start: int, end: int) -> str:
    span = f"{start}" if end == start else f"{start}–{end}"
    return f"{inline(path, 120)}:{span}"


def _headline(r: RunReport) -> list[str]:
    cov = r.coverage
    total = cov.added_lines_total
    share = f" ({cov.added_lines_sent / total:.0%})" if total else ""
    blocking = sum(f.blocking for f in r.gate.findings)
    gate = [f"- **Gate:** {_VERDICT[r.gate.verdict]} ({blocking} blocking of "
            f"{len(r.gate.findings)} findings)"]
    review = [] if r.task == "gate" else [
        f"- **Findings:** {len(r.findings) + r.findings_omitted}",
        f"- **Coverage:** {cov.added_lines_sent} of {cov.added_lines_total} added lines "
        f"reviewed{share}",
        f"- **Cost:** {usd(r.cost.total_usd)} (cache saved {usd(r.cost.saved_by_cache_usd)})",
        *_scope(r),
    ]
    lines = [
        f"## ci-orch {r.task}: {r.status}",
        "",
        f"**{inline(r.verdict.title, 300)}**",
        "",
        *gate,
        *review,
        f"- **Exit code:** {r.exit_code} (check: {r.verdict.conclusion})",
    ]
    withheld = r.gate.withheld_outputs
    if withheld:
        rules = ", ".join(sorted({inline(w.rule, 60) for w in withheld}))
        lines.append(f"- **Model output withheld:** {len(withheld)} ({rules}); never the "
                     "author's finding")
    if r.redactions:
        counts = ", ".join(f"{inline(k, 40)} ×{n}" for k, n in r.redactions.items())
        lines.append(f"- **Withheld from prompts:** {counts}")
    lines.append("")
    lines += [f"> {inline(note, 500)}" for note in r.notes]
    return [*lines, ""] if r.notes else lines


def _scope(r: RunReport) -> list[str]:
    inc = r.increment
    if inc is None:
        return []
    if inc.mode == "full":
        why = f" ({inline(inc.reason, 200)})" if inc.reason else ""
        return [f"- **Scope:** full review{why}"]
    return [f"- **Scope:** what changed since {inline((inc.since_sha or '')[:12], 20)}; "
            f"{len(inc.kept)} earlier findings on untouched code stay open"]


def _gate(r: RunReport) -> list[str]:
    out = ["### Security gate", ""]
    if r.gate.verdict == "not-run":
        return [*out, "The gate did not run.", ""]
    if not r.gate.findings:
        return [*out, f"No findings in {r.gate.added_lines_scanned} added lines and "
                f"{r.gate.model_outputs_scanned} model outputs.", ""]
    rows = sorted(r.gate.findings,
                  key=lambda f: (not f.blocking, SEVERITY_ORDER[f.severity], f.path))
    out += ["| Severity | Kind | Rule | Location | Source | Blocks | Detail |",
            "|---|---|---|---|---|---|---|"]
    out += [_gate_row(f) for f in rows[:MAX_ROWS]]
    return [*out, *_more(len(rows)), ""]


def _gate_row(f: GateFinding) -> str:
    detail = inline(f.message or f.rule, 200)
    if f.preview:
        detail += f" ({inline(f.preview, 60)})"
    source = "model output" if f.origin == "model" else "added line"
    where = _where(f.path, f.line, f.end_line)
    return (f"| {f.severity} | {f.kind} | {inline(f.rule, 80)} | {where} | {source} "
            f"| {_blocks(f)} | {detail} |")


def _blocks(f: GateFinding) -> str:
    if f.blocking:
        return "yes"
    return f"no ({inline(f.context, 60)})" if f.context else "no"


def _findings(r: RunReport) -> list[str]:
    out = ["### Review findings", ""]
    if not r.findings:
        none = "No findings." if r.status == "complete" else f"No findings (review {r.status})."
        return [*out, none, ""]
    # Where each finding is meant to go; the posted comment adds what could not go there.
    out += ["| Severity | Category | Location | Finding | Placement |", "|---|---|---|---|---|"]
    out += [_finding_row(f) for f in r.findings[:MAX_ROWS]]
    out += _more(len(r.findings))
    if r.findings_omitted:
        out += ["", f"{r.findings_omitted} more findings were left out by `review.max_findings`."]
    return [*out, "", *_summary_only(r.findings)]


def _finding_row(f: ReviewFinding) -> str:
    where = _where(f.path, f.start_line, f.end_line)
    return (f"| {f.severity} | {inline(f.category, 30)} | {where} | {inline(f.title, 160)} "
            f"| {f.placement} |")


def _summary_only(findings: tuple[ReviewFinding, ...]) -> list[str]:
    """Findings that cannot go on a diff line are only here, so their text is shown too."""
    shown = [f for f in findings[:MAX_ROWS] if f.placement == "summary"]
    if not shown:
        return []
    items = [f"- **{inline(f.title, 160)}** ({_where(f.path, f.start_line, f.end_line)}): "
             f"{inline(f.body, BODY_CHARS)}" for f in shown]
    return ["Not on the diff (shown here only):", "", *items, ""]


def _coverage(r: RunReport) -> list[str]:
    skipped = r.coverage.skipped_files
    if not skipped:
        return []
    out = ["<details><summary>Files not reviewed</summary>", "", "| File | Reason |", "|---|---|"]
    out += [f"| {inline(s.path, 160)} | {inline(s.reason, 40)} |" for s in skipped[:MAX_ROWS]]
    return [*out, *_more(len(skipped)), "", "</details>", ""]


def _more(count: int) -> list[str]:
    return ["", f"…and {count - MAX_ROWS} more in report.json."] if count > MAX_ROWS else []
