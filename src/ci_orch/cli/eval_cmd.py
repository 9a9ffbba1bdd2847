"""`ci-orch eval`: replay a golden dataset against the providers and flag regressions."""

from __future__ import annotations

from pathlib import Path

import click

from ci_orch.cli._options import config_option
from ci_orch.cli._run import exits


def _ids(value: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (value or "").split(",") if p.strip())


@click.command("eval")
@click.argument("dataset", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--providers",
    metavar="ID,...",
    help="Evaluate each of these providers alone (default: the routed chain as configured).",
)
@click.option("--repeats", type=click.IntRange(min=1), default=1, show_default=True,
              help="Trials per case and provider (a case's own `repeats` wins).")
@click.option("--baseline", type=click.Path(path_type=Path, dir_okay=False),
              help="Baseline file (default: REPORT_DIR/eval-baseline.json).")
@click.option("--bless", is_flag=True, help="Make this run the baseline (complete runs only).")
@click.option("--max-cost", type=click.FloatRange(min=0, min_open=True), metavar="USD",
              help="Dollar cap for the whole run; trials past it are reported skipped.")
@click.option("--report-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Where eval.json, eval-junit.xml, eval.md and history go "
              "(default: report.dir, ci-orch-report).")
@config_option
@click.option("--judge", metavar="PROVIDER_ID",
              help="Ask this provider whether a well-placed finding that misses the keyword "
              "hints describes the expected issue.")
@click.option("--shared-ledger", is_flag=True,
              help="Use ledger.url from the config instead of a fresh temporary ledger "
              "(evals then count against the team and org day caps).")
@exits
def eval_cmd(
    dataset: Path,
    providers: str | None,
    repeats: int,
    baseline: Path | None,
    bless: bool,
    max_cost: float | None,
    report_dir: Path | None,
    config_path: Path | None,
    judge: str | None,
    shared_ledger: bool,
) -> int:
    """Replay DATASET (JSONL) and compare with the baseline. Exit 0 no regression,
    1 regression, 2 usage/config/dataset error, 4 incomplete run (fail_open off)."""
    from ci_orch.evals.job import EvalOptions, run_eval_job
    from ci_orch.evals.view import summary

    options = EvalOptions(
        dataset=dataset, providers=_ids(providers), repeats=repeats, baseline=baseline,
        bless=bless, max_cost=max_cost, report_dir=report_dir, config_path=config_path,
        judge=judge, shared_ledger=shared_ledger,
    )
    job = run_eval_job(options)
    click.echo(summary(job))
    return int(job.exit_code)
