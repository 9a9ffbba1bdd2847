"""`ci-orch plan`: show how a diff would be chunked and what reviewing it would cost."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ci_orch.cli._options import config_option, diff_source
from ci_orch.cli._run import exits


@click.command()
@diff_source
@config_option
@click.option("--model", "provider_id", metavar="PROVIDER_ID", help="Plan for this provider.")
@click.option("--budget", type=click.IntRange(min=1), help="Token budget per chunk (overrides).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--schema", is_flag=True, help="Print the JSON Schema of --format json and exit.")
@exits
def plan(
    diff_file: Path | None,
    base: str | None,
    head: str | None,
    config_path: Path | None,
    provider_id: str | None,
    budget: int | None,
    fmt: str,
    schema: bool,
) -> int:
    """Chunk the diff for a model and estimate the review cost. No API key needed."""
    from ci_orch.cli import _plan_view as view
    from ci_orch.egress import streams
    from ci_orch.plan import document
    from ci_orch.plan.model import PlanDocument

    if schema:
        click.echo(json.dumps(PlanDocument.model_json_schema(), indent=2))
        return 0
    result = view.build(diff_file, base, head, config_path, provider_id, budget)
    # From here the streams filter with the config's patterns and key variables as well.
    streams.wrap_streams(result.egress)
    if fmt == "json":
        before, after = document.json_frame(
            result.plan.head(), result.estimates, chunks=len(result.plan.chunks)
        )
        click.echo(before, nl=False)
        # The chunks hold only text of the diff the egress filter already redacted, and
        # numbers: scanning their megabytes again on stdout would cost more than the plan.
        for part in document.chunk_parts(result.plan.chunks):
            streams.write_scrubbed(part)
        click.echo(after)
    else:
        click.echo(view.as_text(result))
    return 0
