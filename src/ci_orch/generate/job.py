"""`ci-orch generate` as one library call: config and changes in, patches and reports out.

Files first: patches/ and every report file are written before the caller prints anything.
The verdict is decided once (ci_orch.verdict): a patch the gate blocks is model output
withheld, not the author's fault, so it fails the job only with `gate.model_output: block`.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ci_orch.context import Changes
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
from ci_orch.jobs import LEDGER, Inputs, Job, Paid, Routing, Start, finish, run_paid, start
from ci_orch.ledger.fallback import LedgerUnavailable
from ci_orch.report.build import build_report
from ci_orch.report.model import RunReport
from ci_orch.routing import AttemptObserver
from ci_orch.runstatus import RunStatus, why_not_complete
from ci_orch.verdict import Outcome, Verdict, decide


@dataclass(frozen=True, slots=True)
class GenerateOptions:
    task: GenerateTask
    targets: tuple[str, ...] = ()
    inputs: Inputs = Inputs()
    fail_on: str | None = None


@dataclass(frozen=True, slots=True)
class Generated:
    job: Job
    patches: tuple[PatchResult, ...]  # every patch with its status, also those not written

    @property
    def exit_code(self) -> int:
        return self.job.exit_code


def run_job(
    options: GenerateOptions,
    env: Mapping[str, str] | None = None,
    on_attempt: AttemptObserver | None = None,
) -> Generated:
    """One generate run; `on_attempt` also sees every provider attempt (telemetry hooks)."""
    env = os.environ if env is None else env
    if options.task not in TASKS:
        raise UsageError(f"unknown task {options.task!r}; choose from {', '.join(TASKS)}")
    targets = normalise_targets(options.targets)
    begun = start(options.inputs, env)
    no_key = begun.no_key_note("generate", env)
    if no_key:
        return _finish(begun, *_stopped(begun, "skipped", no_key), options.task)
    settings = GenerateSettings(
        options.task, targets, allow_ci_changes=begun.config.generate.allow_ci_changes
    )
    root, sha = _head(begun.changes)
    with HeadTree(root, sha) as tree:
        work = functools.partial(_generate, begun, tree, settings, env)
        try:
            paid = run_paid(begun, env, work, on_attempt)
        except LedgerUnavailable as exc:  # policy.ledger_required and the ledger is down
            return _finish(begun, *_stopped(begun, "failed", str(exc)), options.task)
    # Reasons quote git and the parser, which may quote the patch: scrubbed once, for the
    # notes and the patch files alike.
    patches = _scrubbed(paid.result.patches, begun.egress)
    report, verdict = _generated(begun, paid, options, patches)
    return _finish(begun, report, verdict, options.task, patches, paid)


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
    begun: Start,
    tree: HeadTree,
    settings: GenerateSettings,
    env: Mapping[str, str],
    routing: Routing,
) -> GenerateResult:
    return await run_generate(
        begun.changes, begun.config, providers=routing.providers, ledger=routing.ledger,
        tree=tree, run_id=routing.run_id, settings=settings, env=env, egress=begun.egress,
        on_attempt=routing.on_attempt, cancel=routing.cancel,
    )


def _generated(
    begun: Start,
    paid: Paid[GenerateResult],
    options: GenerateOptions,
    patches: tuple[PatchResult, ...],
) -> tuple[RunReport, Verdict]:
    changes, config, r = begun.changes, begun.config, paid.result
    task = options.task
    placed, omitted = suggestions(r.patches, changes.diff, task, cap=config.review.max_findings)
    verdict = decide(Outcome(
        task="generate", status=r.status, gate_ran=False,
        severities=tuple(p.finding.severity for p in placed),
        fail_on=options.fail_on, fail_open=config.policy.fail_open,
        withheld_outputs=sum(1 for p in r.patches if p.status == "blocked"),
        withheld_blocks=config.gate.model_output == "block",
        why=why_not_complete(r), signal=paid.signum,
        required_failed=LEDGER if r.ledger_lost else "",
    ))
    retries = f"{r.retries} patch(es) retried once" if r.retries else ""
    notes = [
        *changes.context.trust_warnings(),
        *begun.notices,
        f"task {task}: {len(r.patches)} patch(es)",
        *patch_notes(patches),
        *([retries] if retries else []),
        *r.notes,
        *paid.notes,
        *(f"{o.chunk.id}: {o.reason}" for o in r.outcomes if o.reason),
    ]
    report = build_report(
        context=changes.context, plan=r.plan, added_lines_sent=r.added_lines_sent,
        attempts=r.attempts, findings=[p.reported() for p in placed], gate=r.gate,
        policy=config.policy, verdict=verdict, started_at=begun.started,
        findings_omitted=omitted, redactions=r.redactions.counts, repairs=r.repairs,
        notes=notes, task="generate",
    )
    return report, verdict


def _stopped(begun: Start, status: RunStatus, note: str) -> tuple[RunReport, Verdict]:
    """No call was made: skipped (no provider key) or failed (a ledger the policy requires
    is down at the start)."""
    verdict = decide(Outcome(
        task="generate", status=status, gate_ran=False,
        why="no provider key" if status == "skipped" else "",
        required_failed=LEDGER if status == "failed" else "",
        fail_open=begun.config.policy.fail_open,
    ))
    report = build_report(
        context=begun.changes.context, plan=None, added_lines_sent=0, attempts=(),
        findings=(), gate=None, policy=begun.config.policy, verdict=verdict,
        started_at=begun.started, task="generate", notes=(note,),
    )
    return report, verdict


def _scrubbed(patches: tuple[PatchResult, ...], egress: Egress) -> tuple[PatchResult, ...]:
    """The patches with secrets masked in their reasons."""
    redactor = egress.redactor
    return tuple(dataclasses.replace(p, reason=redactor.redact(p.reason)) for p in patches)


def _finish(
    begun: Start,
    report: RunReport,
    verdict: Verdict,
    task: str,
    patches: tuple[PatchResult, ...] = (),
    paid: Paid[GenerateResult] | None = None,
) -> Generated:
    written = write_patches(patches, begun.directory, task)
    job = finish(begun, report, verdict, written=tuple(written), paid=paid)
    return Generated(job, patches)
