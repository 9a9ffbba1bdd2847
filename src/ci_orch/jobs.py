"""The steps `review` and `generate` share around their pipelines, in the order that is
the promise: check what the user could have got wrong (config, event, report directory)
before any call is paid for; route with a ledger and providers that are always closed,
under SIGINT/SIGTERM handling; write every report file; only then may the caller print
or post.

Each command supplies only what differs: its pipeline (the `work` handed to `run_paid`)
and how its result becomes a report and a verdict.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Generic, TypeVar

from ci_orch.cancel import Cancellation, on_signals
from ci_orch.config.model import Config
from ci_orch.config.sections import PublishConfig
from ci_orch.config.trust import load_trusted_config
from ci_orch.context import Changes, load_changes
from ci_orch.egress.filter import Egress
from ci_orch.ledger.fallback import FallbackLedger, open_run_ledger
from ci_orch.providers.interface import Provider
from ci_orch.providers.registry import build_provider, missing_key
from ci_orch.report.directory import writable_dir
from ci_orch.report.model import RunReport
from ci_orch.report.write import write_reports
from ci_orch.routing import AttemptObserver, observe_all
from ci_orch.routing.preflight import validate
from ci_orch.telemetry import content_capture, record_run
from ci_orch.telemetry.content import ContentCapture
from ci_orch.verdict import Verdict

T = TypeVar("T")

ANY_KEY = "OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY or OLLAMA_HOST"
LEDGER = "shared ledger"  # what a run failed for when the policy requires the ledger


@dataclass(frozen=True, slots=True)
class Inputs:
    """Where the change, the config and the reports are; all optional (CI discovers them)."""

    diff_file: Path | None = None
    base: str | None = None
    head: str | None = None
    config_path: Path | None = None
    report_dir: Path | None = None


@dataclass(frozen=True, slots=True)
class Start:
    """Everything checked before any call is paid for."""

    config: Config
    changes: Changes
    egress: Egress
    directory: Path
    started: datetime
    notices: tuple[str, ...]  # for the report's notes (a config change waits for merge)

    def no_key_note(self, task: str, env: Mapping[str, str]) -> str | None:
        """Why `task` cannot call any provider (no key set), or None when one can be called."""
        if any(missing_key(p, env) is None for p in self.config.providers):
            return None
        names = ", ".join(sorted({p.key_env or p.id for p in self.config.providers}))
        return f"{task} skipped: no provider key available (set {names or ANY_KEY})"


def start(inputs: Inputs, env: Mapping[str, str]) -> Start:
    # On a pull/merge request the config decides where code and keys go: read from the base.
    trusted = load_trusted_config(inputs.config_path, env, Path.cwd())
    config = trusted.config
    validate(config)  # exactly what `config validate` checks
    egress = Egress.build(config, env)
    changes = load_changes(
        inputs.diff_file, inputs.base, inputs.head, env=env,
        context_lines=config.review.chunking.context_lines,
    )
    directory = writable_dir(inputs.report_dir or config.report.dir)
    return Start(config, changes, egress, directory, datetime.now(UTC), trusted.notices)


@dataclass(frozen=True, slots=True)
class Routing:
    """What a pipeline routes with; `run_paid` opens it and always closes it."""

    ledger: FallbackLedger
    providers: Mapping[str, Provider]
    run_id: str
    on_attempt: AttemptObserver | None
    cancel: Cancellation


@dataclass(frozen=True, slots=True)
class Paid(Generic[T]):
    result: T
    run_id: str
    content: ContentCapture | None  # prompts and answers, when telemetry.log_content is on
    signum: int | None  # the signal that cancelled the run, if one did
    notes: tuple[str, ...] = ()  # the ledger's, for the report (a fallback it took, ...)


def run_paid(
    begun: Start,
    env: Mapping[str, str],
    work: Callable[[Routing], Awaitable[T]],
    on_attempt: AttemptObserver | None = None,
) -> Paid[T]:
    """Run `work` with a ledger and providers, SIGINT/SIGTERM routed to its cancellation.

    `LedgerUnavailable` (a ledger the policy requires is down at start) propagates."""
    run_id = uuid.uuid4().hex[:12]
    content = content_capture(begun.config)
    observer = observe_all(content, on_attempt)
    with on_signals(Cancellation()) as cancel:
        result, notes = asyncio.run(_routed(begun.config, env, run_id, observer, cancel, work))
    return Paid(result, run_id, content, cancel.signum, notes)


async def _routed(
    config: Config,
    env: Mapping[str, str],
    run_id: str,
    on_attempt: AttemptObserver | None,
    cancel: Cancellation,
    work: Callable[[Routing], Awaitable[T]],
) -> tuple[T, tuple[str, ...]]:
    ledger = await open_run_ledger(config.ledger.url, required=config.policy.ledger_required)
    providers: dict[str, Provider] = {}
    try:
        # Built inside the try: a provider that cannot be built (a missing CA file) must
        # not leave the ledger's connection, or the providers built before it, open.
        for p in config.providers:
            providers[p.id] = build_provider(p, env)
        result = await work(Routing(ledger, providers, run_id, on_attempt, cancel))
        return result, ledger.notes()
    finally:
        await ledger.aclose()
        for provider in providers.values():
            await provider.aclose()


@dataclass(frozen=True, slots=True)
class Job:
    """What one `review` or `generate` run leaves behind, every file already written."""

    report: RunReport
    files: tuple[Path, ...]
    directory: Path  # where the report files went
    verdict: Verdict
    changes: Changes  # what was run on: publishers validate comment lines against it
    publish: PublishConfig  # how publishing this run may wait
    # The run's filter: it has learnt every secret the run met, so what is printed and
    # posted after the job passes it too, not only the process's environment-built one.
    egress: Egress

    @property
    def exit_code(self) -> int:
        return int(self.verdict.exit_code)


def finish(
    begun: Start,
    report: RunReport,
    verdict: Verdict,
    *,
    written: tuple[Path, ...] = (),
    paid: Paid[T] | None = None,
) -> Job:
    """Write every report file (after `written`, files the command wrote itself), then
    record the run's telemetry (which warns, never fails)."""
    files = write_reports(report, begun.directory, egress=begun.egress)
    job = Job(report, (*written, *files), begun.directory, verdict, begun.changes,
              begun.config.publish, begun.egress)
    if paid is not None:
        record_run(report, begun.config, run_id=paid.run_id, content=paid.content)
    return job
