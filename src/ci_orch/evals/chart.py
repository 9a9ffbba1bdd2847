"""eval-trend.svg: a hand-written SVG line chart of the history (no matplotlib: image size).

Two panels over the last `MAX_RUNS` complete runs: F1, recall and precision on a fixed
0-1 scale (top), and cost per case in dollars scaled to its own maximum (bottom). One
<polyline> per provider/model x metric, colour by metric, dash pattern by provider/model,
with a dot on every point so a single run still shows. Labels are XML-escaped: provider
and model names come from config, not from us.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from ci_orch.evals.history import HistoryRecord

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
