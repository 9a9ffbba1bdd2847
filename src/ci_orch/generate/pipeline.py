"""One generation run as library code: redact -> plan -> route -> read -> check -> screen -> gate.

Mirrors review/pipeline.py and takes its collaborators (providers, ledger, the head tree) as
arguments. Writing files is the caller's job (generate/job.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ci_orch.cancel import Cancellation
from ci_orch.config.model import Config
from ci_orch.context.changes import Changes
from ci_orch.diff.model import Diff
from ci_orch.egress.filter import Egress
from ci_orch.gate import GateResult, redact_context, redact_diff, run_gate
from ci_orch.gate.output import OutputScreen, with_withheld
from ci_orch.generate.chunks import generate_chunk
from ci_orch.generate.gatescan import patch_texts
from ci_orch.generate.headtree import HeadTree
from ci_orch.generate.model import ChunkOutcome, GenerateResult, PatchResult
from ci_orch.generate.prompts import GenerateTask, generate_request
from ci_orch.generate.screen import blocked_by_gate, screen_patches, screen_prose
from ci_orch.generate.targets import target_text
from ci_orch.ledger.interface import Ledger
from ci_orch.plan.estimate import smallest_target
from ci_orch.plan.model import Chunk
from ci_orch.plan.planner import Target, chunk_budget, plan_review
from ci_orch.providers.interface import Provider
from ci_orch.routing import AttemptObserver, Router
from ci_orch.runstatus import route_chunks, run_status


@dataclass(frozen=True, slots=True)
class GenerateSettings:
    task: GenerateTask
    targets: tuple[str, ...] = ()
    allow_ci_changes: bool = False  # generate.allow_ci_changes


def generate_target(config: Config) -> Target:
    return smallest_target(config, "generate")


async def run_generate(
    changes: Changes,
    config: Config,
    *,
    providers: Mapping[str, Provider],
    ledger: Ledger,
    tree: HeadTree,
    run_id: str,
    settings: GenerateSettings,
    env: Mapping[str, str] | None = None,
    egress: Egress | None = None,
    on_attempt: AttemptObserver | None = None,
    cancel: Cancellation | None = None,
) -> GenerateResult:
    """Patches for `changes`; on cancellation, those of the chunks answered so far, status
    `cancelled`."""
    cancel = cancel or Cancellation()
    egress = egress or Egress.build(config, env or {})
    redactor = egress.redactor
    redacted, _ = redact_diff(changes.diff, redactor)
    sendable = dataclasses.replace(changes, context=redact_context(changes.context, redactor))
    files = target_text(tree, settings.targets, redactor)
    target = generate_target(config)
    budget = chunk_budget(target, config.review.chunking) - target.tokenizer.count(files.text)
    plan = plan_review(
        redacted,
        target,
        paths=config.review.paths,
        chunking=config.review.chunking,
        sensitive_paths=config.routing.sensitive_globs,
        budget=budget,
    )
    chunks = list(plan.chunks)
    if not chunks and files.text:  # nothing changed under review: the targets alone
        chunks = [Chunk(id="targets", tokens=0, text="", files=files.files, added_lines=())]
    router = Router(config, providers, ledger, run_id=run_id, env=env, on_attempt=on_attempt)
    max_out = max((p.config.max_output_tokens for p in providers.values()), default=1)
    try:
        outcomes, notes = await _route_all(
            router, chunks, sendable, tree, settings, files.text, max_out, egress, cancel
        )
    finally:
        await router.release_holds()  # a safety net: cancelled calls release their own
    outcomes, patches, gate = _checked_output(outcomes, config, tree)
    if files.truncated:
        notes.append("target files were cut to fit the prompt")
    return GenerateResult(
        plan=plan,
        outcomes=tuple(outcomes),
        patches=tuple(patches),
        attempts=tuple(router.attempts),
        gate=gate,
        redactions=redactor.redactions(),
        status=run_status(outcomes, cancelled=cancel.requested),
        notes=(*notes, *router.notes()),
    )


def _checked_output(
    outcomes: list[ChunkOutcome], config: Config, tree: HeadTree
) -> tuple[list[ChunkOutcome], list[PatchResult], GateResult]:
    """Model output through the screen, then the gate: what may be written, and what is
    withheld and why (in the gate's result, as model-output findings)."""
    screen = OutputScreen.from_config(config.gate.secrets)
    patches = _numbered([p for o in outcomes for p in o.patches])
    patches, in_code = screen_patches(patches, screen, tree)
    patches, outcomes, in_prose = screen_prose(patches, outcomes, screen)
    scanned = [p for p in patches if p.status in ("applied", "failed")]
    gate = run_gate(Diff(files=()), config.gate, model_outputs=list(patch_texts(scanned)))
    patches = blocked_by_gate(patches, gate)
    return outcomes, patches, with_withheld(gate, [*in_code, *in_prose])


async def _route_all(
    router: Router,
    chunks: Sequence[Chunk],
    changes: Changes,
    tree: HeadTree,
    settings: GenerateSettings,
    files_text: str,
    max_out: int,
    egress: Egress,
    cancel: Cancellation,
) -> tuple[list[ChunkOutcome], list[str]]:
    ctx = changes.context

    async def ask(chunk: Chunk) -> ChunkOutcome:
        request = generate_request(
            chunk.text,
            files_text,
            task=settings.task,
            title=ctx.title,
            body=ctx.body,
            targets=settings.targets,
            max_output_tokens=max_out,
            egress=egress,
        )
        redactions = (chunk.text + files_text).count("<redacted:")
        return await generate_chunk(
            router, chunk, request, tree, redactions,
            allow_ci_changes=settings.allow_ci_changes, egress=egress,
        )

    outcomes, stopped = await route_chunks(chunks, ask, ChunkOutcome, cancel)
    return outcomes, [stopped] if stopped else []


def _numbered(patches: list[PatchResult]) -> list[PatchResult]:
    return [dataclasses.replace(p, id=f"p{i:03d}") for i, p in enumerate(patches, 1)]

