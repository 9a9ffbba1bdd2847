"""The two charts of the HTML spend page, as inline SVG written by hand (no script, no
fonts, no network). Every label is escaped; names go in `data-*` attributes and `<title>`
tooltips, never into class names or styles."""

from __future__ import annotations

import math
from html import escape

from ci_orch.spend.model import DayCost

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f",
           "#bab0ac")
NEAR_CAP = "#d62728"
TEAM = "#4e79a7"


def esc(text: object) -> str:
    return escape(str(text), quote=True)


def money(usd: float) -> str:
    return f"${usd:,.2f}" if usd >= 1 or usd == 0 else f"${usd:,.4f}"


def axis_money(value: float, step: float) -> str:
    decimals = max(2, -math.floor(math.log10(step))) if step > 0 else 2
    return f"${value:,.{decimals}f}"


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """Round axis steps (1, 2 or 5 x 10^n) covering 0..top."""
    if top <= 0:
        return [0.0]
    raw = top / count
    base = 10 ** math.floor(math.log10(raw))
    step = next(m * base for m in (1, 2, 5, 10) if m * base >= raw)
    return [i * step for i in range(math.ceil(top / step + 1e-9) + 1)]


def color_of(providers: list[str]) -> dict[str, str]:
    return {p: PALETTE[i % len(PALETTE)] for i, p in enumerate(providers)}


def cost_by_day(days: tuple[DayCost, ...], providers: list[str], width: int = 1100) -> str:
    height, left, bottom, top_pad = 320, 70, 46, 12
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    ticks = nice_ticks(max((d.total_usd for d in days), default=0.0))
    scale = plot_h / ticks[-1] if ticks[-1] else 0.0
    slot = plot_w / max(len(days), 1)
    bar_w = max(min(slot * 0.7, 48), 2)
    colors = color_of(providers)
    out = [f'<svg id="cost-by-day" xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
           'aria-label="Cost by day, stacked by provider">']
    for t in ticks:
        y = top_pad + plot_h - t * scale
        out.append(f'<line class="grid" x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}"/>'
                   f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                   f'{esc(axis_money(t, ticks[-1] / max(len(ticks) - 1, 1)))}</text>')
    label_every = max(1, math.ceil(len(days) / 16))
    for i, day in enumerate(days):
        x = left + i * slot + (slot - bar_w) / 2
        out.append(f'<g class="day" data-day="{esc(day.day)}">')
        y = top_pad + plot_h
        for provider in providers:  # legend order, bottom up
            if provider not in day.by_provider:
                continue
            cost = day.by_provider[provider]
            h = cost * scale
            y -= h
            out.append(
                f'<rect class="seg" data-day="{esc(day.day)}" data-provider="{esc(provider)}" '
                f'data-cost="{cost:.9f}" '
                f'x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{colors[provider]}"><title>{esc(day.day)} {esc(provider)}: '
                f'{esc(money(cost))}</title></rect>')
        if i % label_every == 0:
            out.append(f'<text class="axis" x="{x + bar_w / 2:.1f}" y="{height - bottom + 18}" '
                       f'text-anchor="middle">{esc(day.day[5:])}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def legend(providers: list[str]) -> str:
    colors = color_of(providers)
    items = "".join(
        f'<li data-provider="{esc(p)}"><span class="swatch" style="background:{colors[p]}">'
        f'</span>{esc(p)}</li>'
        for p in providers
    )
    return f'<ul class="legend">{items}</ul>'


def cost_by_team(teams: dict[str, float], near: set[str], width: int = 1100) -> str:
    row_h, label_w, value_w = 30, 220, 190
    height = max(len(teams), 1) * row_h + 10
    top = max(teams.values(), default=0.0)
    plot_w = width - label_w - value_w
    out = [f'<svg id="cost-by-team" xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
           'aria-label="Cost by team">']
    for i, (team, cost) in enumerate(sorted(teams.items(), key=lambda kv: (-kv[1], kv[0]))):
        y = 5 + i * row_h
        w = max(cost / top * plot_w, 1) if top else 1
        hot = team in near
        name = team if len(team) <= 28 else team[:27] + "…"
        out.append(
            f'<g class="team" data-team="{esc(team)}">'
            f'<text class="label" x="{label_w - 8}" y="{y + 19}" text-anchor="end">'
            f'{esc(name)}</text>'
            f'<rect class="team-bar{" near-cap" if hot else ""}" data-team="{esc(team)}" '
            f'data-cost="{cost:.9f}" x="{label_w}" y="{y + 4}" width="{w:.1f}" height="22" '
            f'fill="{NEAR_CAP if hot else TEAM}"><title>{esc(team)}: {esc(money(cost))}'
            f'{" (near its daily cap)" if hot else ""}</title></rect>'
            f'<text class="value" x="{label_w + w + 6:.1f}" y="{y + 19}">{esc(money(cost))}'
            f'{" ▲ near cap" if hot else ""}</text></g>')
    out.append("</svg>")
    return "".join(out)
