"""`ci-orch spend` as text (a terminal table), JSON (the whole report) and CSV (the groups)."""

from __future__ import annotations

import csv
import io

from ci_orch.spend.model import SpendReport, Totals

COLUMNS = (
    "requests", "errors", "error_rate", "fallbacks", "fallback_rate", "cache_hits",
    "input_tokens", "cached_input_tokens", "output_tokens", "cost_usd", "saved_usd",
)


def to_json(report: SpendReport) -> str:
    return report.model_dump_json(indent=2) + "\n"


def _values(t: Totals) -> list[object]:
    return [getattr(t, c) for c in COLUMNS]


def to_csv(report: SpendReport) -> str:
    """One row per group, then `(total)`; values unrounded. Cells that a spreadsheet would
    run as a formula (=, +, -, @ first) are quoted with a leading apostrophe (OWASP CSV
    injection), since team and repo names come from CI variables."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([report.by, *COLUMNS])
    for g in report.groups:
        writer.writerow([_cell(g.key), *_values(g.totals)])
    writer.writerow(["(total)", *_values(report.total)])
    return out.getvalue()


def _cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_text(report: SpendReport) -> str:
    head = [report.by, "requests", "errors", "fallbacks", "cache hits", "tokens in/out",
            "cost USD", "saved USD"]
    rows = [_text_row(g.key, g.totals) for g in report.groups]
    rows.append(_text_row("(total)", report.total))
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    lines = [_line(head, widths), _line(["-" * w for w in widths], widths)]
    lines += [_line(r, widths) for r in rows]
    lines += ["", f"Budget: ${report.cap_usd:,.2f} per team per UTC day "
              f"(near the cap from {report.near_at:.0%})"]
    for b in report.budgets:
        mark = f"  << near cap on {b.days_near_cap} day(s)" if b.near_cap else ""
        lines.append(
            f"  {_printable(b.team)}: latest {b.latest.day} {b.latest.utilisation:.1%}, "
            f"peak {b.peak.day} ${b.peak.cost_usd:,.4f} {b.peak.utilisation:.1%}{mark}")
    if not report.budgets:
        lines.append("  no spend recorded in this period")
    return "\n".join(lines) + "\n"


def _printable(text: str) -> str:
    """Team and repo names come from CI variables: no escape sequences to the terminal."""
    return "".join(c if c.isprintable() else "?" for c in text)


def _text_row(key: str, t: Totals) -> list[str]:
    return [
        _printable(key), str(t.requests), f"{t.errors} ({t.error_rate:.1%})",
        f"{t.fallbacks} ({t.fallback_rate:.1%})", str(t.cache_hits),
        f"{t.input_tokens:,}/{t.output_tokens:,}", f"{t.cost_usd:,.4f}", f"{t.saved_usd:,.4f}",
    ]


def _line(cells: list[str], widths: list[int]) -> str:
    first = cells[0].ljust(widths[0])
    rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
    return "  ".join([first, *rest]).rstrip()
