"""`ci-orch config validate|schema`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ci_orch.cli._run import exits


@click.group()
def config() -> None:
    """Check the configuration or print its JSON Schema."""


@config.command()
@click.argument("path", required=False, type=click.Path(path_type=Path, dir_okay=False))
@exits
def validate(path: Path | None) -> int:
    """Validate PATH (default .ai-orchestrator.yml); print every problem with file, line, key.
    Runs the same checks `review` runs before its first call."""
    from ci_orch.config import find_config, load_config
    from ci_orch.routing.preflight import validate as preflight

    config = load_config(path)
    preflight(config)
    where = find_config(path) or "<zero-config defaults>"
    names = ", ".join(p.id for p in config.providers) or "none"
    click.echo(f"{where}: valid (team {config.team}; providers: {names})")
    return 0


@config.command()
@exits
def schema() -> int:
    """Print the JSON Schema of the config file (also in schemas/config.schema.json)."""
    from ci_orch.config import config_schema

    click.echo(json.dumps(config_schema(), indent=2))
    return 0
