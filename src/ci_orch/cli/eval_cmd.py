"""`ci-orch eval`: replay a golden dataset against the providers and flag regressions;
`ci-orch eval init`: write a starter dataset from the repository's history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ci_orch.cli._options import config_option
from ci_orch.cli._run import exits


def _ids(value: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (value or "").split(",") if p.strip())


class _EvalCommand(click.Command):
    """`eval DATASET` stays one command (the GitHub action calls its body directly), and on
    the command line `eval init ...` is handed to the init command, whose context click then
    invokes. (The action makes contexts without a parent: it always gets the replay.)"""

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        if parent is not None and args[:1] == ["init"]:
            return init_cmd.make_context(f"{info_name} init", args[1:], parent=parent, **extra)
        return super().make_context(info_name, args, parent=parent, **extra)


@click.command("init")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              default=Path(".ci-orch/golden"), show_default=True,
              help="Directory for dataset.jsonl, the case diffs and README.md.")
@click.option("--rev", default="HEAD", show_default=True, help="History to mine.")
@click.option("--scan", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Commits to look at, newest first.")
@click.option("--max-fixes", type=click.IntRange(min=0), default=20, show_default=True)
@click.option("--max-clean", type=click.IntRange(min=0), default=10, show_default=True)
@click.option("--max-lines", type=click.IntRange(min=1), default=200, show_default=True,
              help="Changed lines a commit may have to become a case.")
@click.option("--force", is_flag=True, help="Overwrite an existing dataset in --out.")
@exits
def init_cmd(out: Path, rev: str, scan: int, max_fixes: int, max_clean: int, max_lines: int,
             force: bool) -> int:
    """Write a starter golden dataset from this repository's history: its fix commits,
    reverted, as cases to catch, and small clean commits as cases to leave alone. Curate
    it before trusting its scores (see the README.md written next to it)."""
    from ci_orch.diff.git import repo_root
    from ci_orch.evals.init import StarterOptions, init_dataset

    root = repo_root(Path.cwd())
    options = StarterOptions(repo=root, out=out, rev=rev, scan=scan, max_fixes=max_fixes,
                             max_clean=max_clean, max_lines=max_lines)
    click.echo(init_dataset(options, force=force))
    return 0


@click.command("eval", cls=_EvalCommand,
               epilog="`ci-orch eval init` writes a starter DATASET from this repository's "
               "history (ci-orch eval init --help).")
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
    from ci_orch.evals.job import EvalOptions, run_eval_job, summary

    options = EvalOptions(
        dataset=dataset, providers=_ids(providers), repeats=repeats, baseline=baseline,
        bless=bless, max_cost=max_cost, report_dir=report_dir, config_path=config_path,
        judge=judge, shared_ledger=shared_ledger,
    )
    job = run_eval_job(options)
    click.echo(summary(job))
    return int(job.exit_code)
