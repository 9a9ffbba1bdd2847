"""`ci-orch report`: the run report's JSON schema, and re-rendering a saved report.json."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ci_orch.cli._run import exits


@click.group()
def report() -> None:
    """The run report (report.json) and the files rendered from it."""


@report.command()
@exits
def schema() -> int:
    """Print the JSON Schema of report.json."""
    from ci_orch.report.model import json_schema

    click.echo(json.dumps(json_schema(), indent=2))
    return 0


@report.command()
@click.argument("report_json", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where to write the files.",
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    help="Only these formats (json, markdown, sarif, codequality, secret-detection).",
)
@exits
def render(report_json: Path, directory: Path, formats: tuple[str, ...]) -> int:
    """Write summary.md, SARIF and the GitLab reports again from a saved report.json."""
    from pydantic import ValidationError

    from ci_orch.errors import UsageError
    from ci_orch.report import RunReport, renderers, write_reports

    chosen = renderers(formats or None)
    try:
        loaded = RunReport.model_validate_json(report_json.read_bytes())
    except ValidationError as exc:
        raise UsageError(
            f"{report_json} is not a ci-orch report.json: {exc.error_count()} schema error(s)"
        ) from None
    for path in write_reports(loaded, directory, chosen):
        click.echo(str(path))
    return 0
