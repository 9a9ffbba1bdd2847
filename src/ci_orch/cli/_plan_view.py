"""Builds what `ci-orch plan` shows: the plan for the target and the per-provider estimates."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ci_orch.config import load_config
from ci_orch.context import load_changes
from ci_orch.egress.filter import Egress
from ci_orch.errors import UsageError
from ci_orch.gate.redact import redact_diff
from ci_orch.plan.estimate import choose_target, estimate_costs
from ci_orch.plan.model import Estimate
from ci_orch.plan.planner import Draft, draft_plan


@dataclass(frozen=True)
class PlanView:
    plan: Draft  # chunk texts are rendered from the diff as they are printed
    estimates: list[Estimate]
    source: str
    egress: Egress  # the filter the plan's diff went through; it filters the rest of the output


def build(
    diff_file: Path | None,
    base: str | None,
    head: str | None,
    config_path: Path | None,
    provider_id: str | None,
    budget: int | None,
    env: Mapping[str, str] | None = None,
) -> PlanView:
    """The plan of exactly what `review` would send: the diff redacted through the run's
    egress filter (configured patterns, every key variable the job holds), so the plan's
    text is already scrubbed when it is printed."""
    config = load_config(config_path)
    changes = load_changes(
        diff_file, base, head, context_lines=config.review.chunking.context_lines
    )
    egress = Egress.build(config, os.environ if env is None else env)
    diff, _ = redact_diff(changes.diff, egress.redactor)
    try:
        target = choose_target(config, provider_id)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None
    plan = draft_plan(
        diff,
        target,
        paths=config.review.paths,
        chunking=config.review.chunking,
        budget=budget,
        sensitive_paths=config.routing.sensitive_globs,
    )
    estimates = estimate_costs(diff, config, budget, known=plan)
    return PlanView(plan, estimates, changes.source, egress)


def as_text(view: PlanView) -> str:
    plan = view.plan
    counted = plan.tokenizer + ("" if plan.tokenizer_exact else ", estimated")
    lines = [
        f"Plan for {plan.model}: {len(plan.chunks)} chunk(s), budget {plan.budget_tokens} tokens "
        f"({counted}), diff from {view.source}",
        f"Added lines: {plan.added_lines_planned} of {plan.added_lines_total} planned "
        f"({plan.coverage:.1%} coverage)",
        "",
        f"{'chunk':<7}{'files':>6}{'added':>8}{'tokens':>9}  first file",
    ]
    for c in plan.chunks:
        first = c.files[0] if c.files else ""
        lines.append(f"{c.id:<7}{len(c.files):>6}{c.added_count:>8}{c.tokens:>9}  {first}")
    if plan.skipped_files:
        lines += ["", "Skipped files:"]
        lines += [f"  {s.path}: {s.reason}" for s in plan.skipped_files]
    lines += ["", _estimates_table(view.estimates)]
    return "\n".join(lines)


def _estimates_table(estimates: list[Estimate]) -> str:
    if not estimates:
        return (
            "No provider configured: set OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY or "
            "OLLAMA_HOST, or write .ai-orchestrator.yml, to see costs."
        )
    rows = [
        f"{'provider':<20}{'model':<28}{'chunks':>7}{'input tok':>11}{'input $':>10}{'worst $':>10}"
    ]
    rows += [
        f"{e.provider:<20}{e.model:<28}{e.chunks:>7}{e.input_tokens:>11}"
        f"{e.input_usd:>10.4f}{e.worst_case_usd:>10.4f}"
        for e in estimates
    ]
    return (
        "Estimated review cost (worst $: every chunk answered with max_output_tokens):\n"
        + "\n".join(rows)
    )
