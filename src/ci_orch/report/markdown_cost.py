"""The cost part of summary.md: a table by provider and model, caps, and a Mermaid pie.

GitHub and GitLab both render ```mermaid fences in comments and job summaries.
"""

from __future__ import annotations

from ci_orch.report.mdtext import inline, mermaid_label
from ci_orch.report.model import Cost, ModelCost, RunReport

_HEAD = (
    "| Provider | Model | Calls | OK / errors | Input tokens (cached) | Output tokens "
    "| Cost (USD) | p50 | p95 | Fallbacks | Cache hits |\n"
    "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
)


def usd(value: float) -> str:
    return f"${value:,.4f}"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} ms"


def _row(r: ModelCost) -> str:
    cells = (
        inline(r.provider, 60), inline(r.model, 80), str(r.calls), f"{r.ok} / {r.errors}",
        f"{r.input_tokens:,} ({r.cached_input_tokens:,})", f"{r.output_tokens:,}",
        usd(r.cost_usd), _ms(r.latency_p50_ms), _ms(r.latency_p95_ms), str(r.fallbacks),
        str(r.cache_hits),
    )
    return "| " + " | ".join(cells) + " |"


def _total(rows: tuple[ModelCost, ...], cost: Cost) -> str:
    cells = (
        "**Total**", "", str(sum(r.calls for r in rows)),
        f"{sum(r.ok for r in rows)} / {sum(r.errors for r in rows)}",
        f"{sum(r.input_tokens for r in rows):,} ({sum(r.cached_input_tokens for r in rows):,})",
        f"{sum(r.output_tokens for r in rows):,}", f"**{usd(cost.total_usd)}**", "", "",
        str(sum(r.fallbacks for r in rows)), str(sum(r.cache_hits for r in rows)),
    )
    return "| " + " | ".join(cells) + " |"


def cost_section(report: RunReport) -> list[str]:
    cost = report.cost
    out = ["### Cost", ""]
    if cost.by_model:
        out += [_HEAD, *(_row(r) for r in cost.by_model), _total(cost.by_model, cost), ""]
    else:
        out += ["No provider was called.", ""]
    out += [_caps(cost), ""]
    out += increment_lines(report)
    out += _skipped(report)
    out += pie(cost)
    return out


def increment_lines(report: RunReport) -> list[str]:
    """Full or incremental, and what the increment saved against a full review (both sides
    estimated by the planner, so they compare like with like)."""
    inc = report.increment
    if inc is None:
        return []
    if inc.mode == "full":
        why = f": {inline(inc.reason, 200)}" if inc.reason else ""
        return [f"Full review{why}.", ""]
    since = inline((inc.since_sha or "")[:12], 20)
    kept = len(inc.kept)
    return [
        f"Incremental review since {since}: {inc.added_lines_reviewed:,} of "
        f"{inc.added_lines_total:,} added lines sent. Estimated input cost "
        f"{usd(inc.increment_estimate_usd)} against {usd(inc.full_estimate_usd)} for a full "
        f"review: **{usd(inc.saved_usd)} saved**. {kept} earlier finding"
        f"{'' if kept == 1 else 's'} outside the increment stay{'s' if kept == 1 else ''} "
        "open (add the ci-orch:full-review label to review everything).", ""]


def _caps(cost: Cost) -> str:
    caps, left = cost.caps, cost.remaining
    parts = [
        f"Spent **{usd(cost.total_usd)}** of the {usd(caps.per_run_usd)} run cap "
        f"({usd(left.run_usd)} left); the cache saved {usd(cost.saved_by_cache_usd)}.",
        f"Caps: {usd(caps.per_request_usd)} a request, {usd(caps.per_team_day_usd)} a team "
        f"a day, {usd(caps.per_org_day_usd)} the organisation a day.",
    ]
    if left.team_day_usd is not None:
        parts.append(f"Left today: {usd(left.team_day_usd)} for the team")
        if left.org_day_usd is not None:
            parts[-1] += f", {usd(left.org_day_usd)} for the organisation"
        parts[-1] += "."
    return " ".join(parts)


def _skipped(report: RunReport) -> list[str]:
    """Providers passed over (not called) and why, counted: the fallback story in one line."""
    counts: dict[tuple[str, str], int] = {}
    for call in report.calls:
        if call.outcome == "skipped":
            key = (call.provider, call.error_kind or "skipped")
            counts[key] = counts.get(key, 0) + 1
    if not counts:
        return []
    items = [f"{inline(p, 60)} ({inline(why, 40)}) ×{n}" for (p, why), n in sorted(counts.items())]
    return ["Not called: " + ", ".join(items) + ".", ""]


def pie(cost: Cost) -> list[str]:
    spent = {p: v for p, v in cost.by_provider.items() if v > 0}
    if not spent:
        return []
    lines = ["```mermaid", "pie title Cost by provider (USD)"]
    lines += [f'    "{mermaid_label(p)}" : {v:.6f}' for p, v in sorted(spent.items())]
    return [*lines, "```", ""]
