"""`ci-orch spend`: what the AI calls cost, by team, provider, model, repo or day."""

from __future__ import annotations

import os
from pathlib import Path
from typing import cast

import click

from ci_orch.cli._run import exits


@click.command()
@click.option("--ledger", "ledger_url", help="Ledger URL (default: the config's ledger.url).")
@click.option("--since", help="First UTC day (2026-01-31) or ISO time; default: all kept.")
@click.option("--until", help="Last UTC day, included (or an ISO time, excluded).")
@click.option("--by", type=click.Choice(["team", "provider", "model", "repo", "day"]),
              default="team", show_default=True, help="Group the table by.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv", "html"]),
              default="text", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here instead of stdout.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Config file (default: .ai-orchestrator.yml); gives the caps and ledger.")
@exits
def spend(
    ledger_url: str | None,
    since: str | None,
    until: str | None,
    by: str,
    fmt: str,
    output: Path | None,
    config_path: Path | None,
) -> int:
    """Spend, tokens, error and fallback rates, cache savings and budget use, from the ledger."""
    from ci_orch.config import load_config
    from ci_orch.spend import RENDERERS, By, Format, parse_bound, spend_report

    config = load_config(config_path, env=os.environ)
    report = spend_report(
        ledger_url or config.ledger.url,
        by=cast(By, by),  # click.Choice checked it
        policy=config.policy,
        since=parse_bound(since, end_of_day=False, option="--since"),
        until=parse_bound(until, end_of_day=True, option="--until"),
    )
    text = RENDERERS[cast(Format, fmt)](report)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        click.echo(str(output), err=True)
    return 0
