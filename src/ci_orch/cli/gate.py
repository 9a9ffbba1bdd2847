"""`ci-orch gate`: the standalone security gate. No model; the network only to publish
(`--platform`). Usable as a required check: exit 1 when blocked (or a finding reaches
`--fail-on`), 0 when clean, 2 on usage or config errors, whatever happens while publishing
(a required check must not turn green or red because a comment could not be posted)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import click

from ci_orch.cli._options import config_option, diff_source, fail_on_option
from ci_orch.cli._publish import (
    Ran,
    echo_untrusted,
    platform_option,
    prelude,
    publish_run,
    use_run_filter,
)
from ci_orch.cli._run import exits

FORMATS = ("text", "json", "sarif")


@click.command()
@diff_source
@config_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--report-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Also write gate.json and gate.sarif here (before anything is printed).",
)
@fail_on_option
@platform_option
@exits
def gate(
    diff_file: Path | None,
    base: str | None,
    head: str | None,
    config_path: Path | None,
    fmt: str,
    report_dir: Path | None,
    fail_on: str | None,
    platform: str,
) -> Ran:
    """Scan the change's added lines for secrets, denied licences and unsafe code."""
    from ci_orch.config.trust import load_trusted_config
    from ci_orch.context.changes import load_changes
    from ci_orch.egress.filter import Egress
    from ci_orch.gate import render
    from ci_orch.gate.baseline import load_baseline
    from ci_orch.gate.run import run_gate
    from ci_orch.report.build import gate_outcome, gate_report
    from ci_orch.report.directory import writable_dir
    from ci_orch.report.markdown import MarkdownRenderer
    from ci_orch.report.sarif import SarifRenderer
    from ci_orch.report.write import write_texts
    from ci_orch.verdict import decide

    prelude(config_path)
    # On a pull/merge request the config comes from the base: the PR cannot turn its gate off.
    trusted = load_trusted_config(config_path, os.environ, Path.cwd())
    full_config = trusted.config
    config = full_config.gate
    started = datetime.now(UTC)
    changes = load_changes(diff_file, base, head)
    if report_dir is not None:
        writable_dir(report_dir)
    workspace = changes.context.workspace if changes.context.workspace.is_dir() else Path.cwd()
    baseline_path = workspace / config.baseline
    result = run_gate(changes.diff, config, baseline=load_baseline(baseline_path))
    json_text = render.as_json(result, baseline_path=config.baseline)
    # One SARIF writer for the whole tool: the report's, ready for code-scanning upload.
    # Rendered once: it carries timestamps, and the file must equal what is printed.
    verdict = decide(gate_outcome(result, fail_on=fail_on))
    report = gate_report(changes.context, result, full_config.policy, started, verdict,
                         notes=trusted.notices)
    sarif_text = SarifRenderer().render(report)
    egress = Egress.build(full_config, os.environ)
    for file in changes.diff.files:  # a key in a file name is then scrubbed wherever shown
        egress.redactor.learn_names(file)
    use_run_filter(egress)
    if report_dir is not None:
        files = {"gate.json": json_text, "gate.sarif": sarif_text}
        write_texts(report_dir, files, egress=egress)
    outputs = {"json": json_text, "sarif": sarif_text}
    text = outputs.get(fmt) or render.as_text(result, baseline_path=config.baseline)
    if fmt == "text":  # previews quote the change's lines: keep them inert in an Actions log
        echo_untrusted(text.rstrip("\n"))
    else:
        click.echo(text, nl=False)
    directory = report_dir or Path(full_config.report.dir)
    publish_run(
        report, changes, directory, platform=platform,
        summary_md=MarkdownRenderer().render(report), last_line=fmt == "text",
        max_wait_s=full_config.publish.max_wait_s, egress=egress,
    )
    return Ran(report, directory)
