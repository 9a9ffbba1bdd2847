"""`ci-orch providers check`: keys, prices and (with --probe) a one-token round trip."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import click

from ci_orch.cli._run import exits
from ci_orch.config import load_config
from ci_orch.errors import ExitCode
from ci_orch.providers.check import ProviderStatus, check_providers
from ci_orch.providers.errors import TransportError


@click.group()
def providers() -> None:
    """Inspect the configured model providers."""


@providers.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file (default: .ai-orchestrator.yml found from the current directory).",
)
@click.option("--probe", is_flag=True, help="Send a one-token request to each provider.")
@exits
def check(config_path: Path | None, probe: bool) -> int:
    """Show, for each provider, its key variable, its price and (with --probe) its latency."""
    config = load_config(config_path)
    if not config.providers:
        click.echo(
            "no providers configured: set OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY or "
            "OLLAMA_HOST, or list them under `providers:` in the config file",
            err=True,
        )
        return ExitCode.USAGE
    statuses = asyncio.run(check_providers(config.providers, os.environ, probe=probe))
    for status in statuses:
        click.echo(describe(status, probe=probe))
    if any(s.config_problem for s in statuses):
        return ExitCode.USAGE
    return ExitCode.OK if all(s.usable for s in statuses) else ExitCode.INCOMPLETE


def describe(status: ProviderStatus, *, probe: bool) -> str:
    c = status.config
    lines = [
        f"{c.id}: {c.type} {c.model}",
        f"  key:   {_key(status)}",
        f"  price: {_price(status)}",
    ]
    if probe and status.missing_key is None:
        lines.append(f"  probe: {_probe(status)}")
    return "\n".join(lines)


def _key(status: ProviderStatus) -> str:
    name = status.config.key_env
    if name is None:
        return "none needed"
    if status.missing_key:
        return (
            f"{name} is NOT set: export {name}=... in the job's environment "
            f"(or name another variable with providers[{status.config.id}].api_key_env)"
        )
    return f"{name} is set"


def _price(status: ProviderStatus) -> str:
    p = status.price
    cached = "" if p.cached_input_per_mtok is None else f", cached input ${p.cached_rate:g}"
    return f"${p.input_per_mtok:g} input / ${p.output_per_mtok:g} output per 1M tokens{cached}"


def _probe(status: ProviderStatus) -> str:
    error = status.probe_error
    if error is None:
        took = f" in {status.probe_ms:.0f} ms" if status.probe_ms is not None else ""
        return f"ok{took}"
    kind = type(error).__name__
    if isinstance(error, TransportError):
        hint = " (is base_url right and reachable from here?)"
    else:
        hint = " (try again later)" if error.retryable else ""
    return f"FAILED {kind}: {error}{hint}"
