"""`ci-orch generate` as one library call: config and changes in, patches and reports out.

Files first: patches/ and every report file are written before the caller prints anything.
The verdict is decided once (ci_orch.verdict): a patch the gate blocks is model output
withheld, not the author's fault, so it fails the job only with `gate.model_output: block`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ci_orch.cancel import Cancellation, on_signals, unless_cancelled
from ci_orch.config.model import Config
from ci_orch.config.sections import PublishConfig
from ci_orch.config.trust import load_trusted_config
from ci_orch.context import Changes, load_changes
from ci_orch.diff import git
from ci_orch.egress.filter import Egress
from ci_orch.errors import GitError, UsageError
from ci_orch.generate.headtree import HeadTree
from ci_orch.generate.model import GenerateResult, PatchResult
from ci_orch.generate.output import patch_notes, write_patches
from ci_orch.generate.pipeline import GenerateSettings, run_generate
from ci_orch.generate.prompts import TASKS, GenerateTask
from ci_orch.generate.suggest import suggestions
from ci_orch.generate.targets import normalise_targets
from ci_orch.ledger.fallback import LedgerUnavailable, open_run_ledger
from ci_orch.providers.registry import build_provider, missing_key
from ci_orch.report.build import build_report
from ci_orch.report.directory import writable_dir
from ci_orch.report.model import RunReport
from ci_orch.report.write import write_reports
from ci_orch.routing import AttemptObserver, observe_all
from ci_orch.routing.preflight import validate
from ci_orch.runstatus import why_not_complete
from ci_orch.telemetry import content_capture, record_run
from ci_orch.verdict import Outcome, Verdict, decide


@dataclass(frozen=True, slots=True)
class GenerateOptions:
    task: GenerateTask
    targets: tuple[str, ...] = ()
    diff_file: Path | None = None
    base: str | None = None
    head: str | None = None
    config_path: Path | None = None
    report_dir: Path | None = None
    fail_on: str | None = None


@dataclass(frozen=True, slots=True)
class GenerateJob:
    report: RunReport
    patches: tuple[PatchResult, ...]
    files: tuple[Path, ...]
    verdict: Verdict
    changes: Changes  # what the patches were made for: publishers validate lines against it
    publish: PublishConfig = PublishConfig()  # how publishing this run may wait
    # The run's filter: it has learnt every secret the run met, so what is printed and
    # posted after the job passes it too, not only the process's environment-built one.
    egress: Egress | None = None

    @property
    def exit_code(self) -> int:
        return int(self.verdict.exit_code)


def run_job(
    options: GenerateOptions,
    env: Mapping[str, str] | None = None,
    on_attempt: AttemptObserver | None = None,
) -> GenerateJob:
    """One generate run; `on_attempt` also sees every provider attempt (telemetry hooks)."""
    env = os.environ if env is None else env
    if options.task not in TASKS:
        raise UsageError(f"unknown task {options.task!r}; choose from {', '.join(TASKS)}")
    targets = normalise_targets(options.targets)
    trusted = load_trusted_config(options.config_path, env, Path.cwd())
    config = trusted.config
    validate(config)  # exactly what `config validate` checks, before any call is paid for
    egress = Egress.build(config, env)
    changes = load_changes(
        options.diff_file, options.base, options.head, env=env,
        context_lines=config.review.chunking.context_lines,
    )
    started = datetime.now(UTC)
    directory = writable_dir(options.report_dir or config.report.dir)
    if not any(missing_key(p, env) is None for p in config.providers):
        skipped = _skipped(changes, config, started)
        return _finish(*skipped, changes, (), directory, options.task, egress, config)
    settings = GenerateSettings(
        options.task, targets, allow_ci_changes=config.generate.allow_ci_changes
    )
    root, sha = _head(changes)
    run_id = uuid.uuid4().hex[:12]
    content = content_capture(config)
    observer = observe_all(content, on_attempt)
    with on_signals(Cancellation()) as cancel, HeadTree(root, sha) as tree:
        work = _generate(changes, config, tree, settings, env, run_id, egress, observer)
        try:
            result = asyncio.run(unless_cancelled(work, cancel))
        except LedgerUnavailable as exc:  # policy.ledger_required and the ledger is down
            stopped = _stopped(changes, config, options, started, why=str(exc))
            return _finish(*stopped, changes, (), directory, options.task, egress, config)
    if result is None:  # cancelled: what was in flight is lost, the report is not
        stopped = _stopped(changes, config, options, started, signum=cancel.signum)
        return _finish(*stopped, changes, (), directory, options.task, egress, config)
    generated = _generated(changes, config, result, options, started, trusted.notices, egress)
    job = _finish(*generated, changes, result.patches, directory, options.task, egress, config)
    record_run(job.report, config, run_id=run_id, content=content)  # warns, never fails
    return job


def _head(changes: Changes) -> tuple[Path, str]:
    """The repository and head commit patches are checked against."""
    try:
        root = git.repo_root(changes.context.workspace)
    except GitError:
        raise UsageError(
            "generate checks patches with git apply: run it inside a git checkout of the head"
        ) from None
    return root, git.resolve(root, changes.context.head_sha or "HEAD")


async def _generate(
    changes: Changes,
    config: Config,
    tree: HeadTree,
    settings: GenerateSettings,
    env: Mapping[str, str],
    run_id: str,
    egress: Egress,
    on_attempt: AttemptObserver | None,
) -> GenerateResult:
    ledger = await open_run_ledger(config.ledger.url, required=config.policy.ledger_required)
    providers = {p.id: build_provider(p, env) for p in config.providers}
    try:
        result = await run_generate(
            changes, config, providers=providers, ledger=ledger, tree=tree,
            run_id=run_id, settings=settings, env=env, egress=egress, on_attempt=on_attempt,
        )
        return dataclasses.replace(result, notes=(*result.notes, *ledger.notes()))
    finally:
        await ledger.aclose()
        for provider in providers.values():
            await provider.aclose()


def _generated(
    changes: Changes,
    config: Config,
    r: GenerateResult,
    options: GenerateOptions,
    started: datetime,
    notices: tuple[str, ...],
    egress: Egress,
) -> tuple[RunReport, Verdict]:
    task = options.task
    placed, omitted = suggestions(r.patches, changes.diff, task, cap=config.review.max_findings)
    verdict = decide(Outcome(
        task="generate", status=r.status, gate_ran=False,
        severities=tuple(p.finding.severity for p in placed),
        fail_on=options.fail_on, fail_open=config.policy.fail_open,
        withheld_outputs=sum(1 for p in r.patches if p.status == "blocked"),
        withheld_blocks=config.gate.model_output == "block",
        why=why_not_complete(r),
    ))
    retries = f"{r.retries} patch(es) retried once" if r.retries else ""
    notes = [
        *changes.context.trust_warnings(),
        *notices,
        f"task {task}: {len(r.patches)} patch(es)",
        *patch_notes(_scrubbed(r.patches, egress)),
        *([retries] if retries else []),
        *r.notes,
        *(f"{o.chunk.id}: {o.reason}" for o in r.outcomes if o.reason),
    ]
    report = build_report(
        context=changes.context, plan=r.plan, added_lines_sent=r.added_lines_sent,
        attempts=r.attempts, findings=[p.reported() for p in placed], gate=r.gate,
        policy=config.policy, verdict=verdict, started_at=started, findings_omitted=omitted,
        redactions=r.redactions.counts, repairs=r.repairs, notes=notes, task="generate",
    )
    return report, verdict


def _stopped(
    changes: Changes, config: Config, options: GenerateOptions, started: datetime, *,
    signum: int | None = None, why: str = "",
) -> tuple[RunReport, Verdict]:
    """Cancelled by a signal, or stopped because a ledger the policy requires is down."""
    verdict = decide(Outcome(
        task="generate", status="failed" if why else "cancelled", gate_ran=False,
        signal=signum, required_failed="shared ledger" if why else "",
        fail_open=config.policy.fail_open,
    ))
    note = why or f"task {options.task}: cancelled before the patches were checked"
    report = build_report(
        context=changes.context, plan=None, added_lines_sent=0, attempts=(), findings=(),
        gate=None, policy=config.policy, verdict=verdict, started_at=started, task="generate",
        notes=(note,),
    )
    return report, verdict


def _skipped(
    changes: Changes, config: Config, started: datetime
) -> tuple[RunReport, Verdict]:
    names = ", ".join(sorted({p.key_env or p.id for p in config.providers})) or (
        "OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY or OLLAMA_HOST"
    )
    verdict = decide(Outcome(
        task="generate", status="skipped", gate_ran=False, why="no provider key",
        fail_open=config.policy.fail_open,
    ))
    report = build_report(
        context=changes.context, plan=None, added_lines_sent=0, attempts=(), findings=(),
        gate=None, policy=config.policy, verdict=verdict, started_at=started, task="generate",
        notes=(f"generate skipped: no provider key available (set {names})",),
    )
    return report, verdict


def _scrubbed(patches: tuple[PatchResult, ...], egress: Egress) -> tuple[PatchResult, ...]:
    """Reasons quote git and the parser, which may quote the patch: mask secrets in them."""
    redactor = egress.redactor
    return tuple(dataclasses.replace(p, reason=redactor.redact(p.reason)) for p in patches)


def _finish(
    report: RunReport,
    verdict: Verdict,
    changes: Changes,
    patches: tuple[PatchResult, ...],
    directory: Path,
    task: str,
    egress: Egress,
    config: Config,
) -> GenerateJob:
    written = write_patches(_scrubbed(patches, egress), directory, task)
    files = write_reports(report, directory, egress=egress)
    return GenerateJob(
        report, patches, (*written, *files), verdict, changes, config.publish, egress
    )
