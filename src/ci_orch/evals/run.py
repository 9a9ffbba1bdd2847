"""Replay a dataset: every case x selection x repeat, concurrently within the limits, under
the run's dollar cap, into one `EvalRun`.

Selections: with `providers` given, each provider alone (a config whose chain holds just
that provider, no fallback); without, the routed chain as configured. The response cache
is always off: a cached answer would measure yesterday's model. Trials are started in
(repeat, case, selection) order, at most `max_concurrency` of a selection at once (calls
are also limited across trials: `limits.SharedProviders`). When a run-wide cap runs out, trials
in flight finish (their reservations were already held) and every trial not yet started
is reported `skipped`.

The run also records the versions a baseline is keyed by, besides the dataset digest and
provider/model: the prompts' and the scorer's.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from ci_orch.config.model import Config
from ci_orch.errors import UsageError
from ci_orch.evals.limits import CappedLedger, SharedProviders, run_cap
from ci_orch.evals.model import (
    Budget,
    Case,
    Dataset,
    EvalRun,
    ProviderRef,
    ReviewCase,
    SkippedCase,
    Trial,
)
from ci_orch.evals.sandbox import network_isolated
from ci_orch.evals.score import (
    JUDGE_VERSION,
    SCORER_VERSION,
    ProviderJudge,
    case_results,
    suite_metrics,
)
from ci_orch.evals.trial import Selection, TrialEnv, run_trial
from ci_orch.generate.prompts import PROMPT_VERSION as GENERATE_PROMPTS
from ci_orch.ledger.interface import Cap, Ledger
from ci_orch.review.prompts import PROMPT_VERSION as REVIEW_PROMPTS
from ci_orch.routing import AttemptObserver

log = logging.getLogger(__name__)


# --- the replay --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EvalSettings:
    providers: tuple[str, ...] = ()  # empty: the routed chain
    repeats: int = 1
    max_cost: float | None = None
    judge: str | None = None


def eval_config(config: Config) -> Config:
    """The response cache off, whatever the config says."""
    return config.model_copy(update={"routing": config.routing.model_copy(update={"cache": False})})


def selections(config: Config, wanted: Sequence[str]) -> list[tuple[Selection, Config]]:
    by_id = {p.id: p for p in config.providers}
    if not by_id:
        raise UsageError("no providers configured or discovered; nothing to evaluate")
    unknown = [w for w in wanted if w not in by_id]
    if unknown:
        raise UsageError(f"--providers: unknown {', '.join(unknown)}; known: {', '.join(by_id)}")
    if not wanted:
        return [(Selection("chain", tuple(by_id), config.providers[0]), config)]
    out = []
    for pid in dict.fromkeys(wanted):
        routing = config.routing.model_copy(update={"fallback": ()})
        alone = config.model_copy(update={"providers": (by_id[pid],), "routing": routing})
        out.append((Selection(pid, (pid,), by_id[pid]), alone))
    return out


async def run_eval(
    dataset: Dataset,
    config: Config,
    settings: EvalSettings,
    *,
    ledger: Ledger,
    env: Mapping[str, str],
    on_attempt: AttemptObserver | None = None,
) -> EvalRun:
    config = eval_config(config)
    chosen = selections(config, settings.providers)
    run_id = uuid.uuid4().hex[:12]
    started = datetime.now(UTC)
    caps = run_cap(run_id, settings.max_cost)
    shared = SharedProviders(config, env)
    judge = _judge(config, settings.judge, shared, ledger, caps)
    te = TrialEnv(Path(dataset.path), run_id, shared, ledger, caps, env, judge, on_attempt)
    try:
        trials = await _all_trials(te, chosen, dataset.cases, settings.repeats)
    finally:
        await shared.aclose()
    return _assemble(dataset, config, settings, run_id, started, chosen, trials, judge)


def _judge(
    config: Config, judge_id: str | None, shared: SharedProviders, ledger: Ledger,
    caps: tuple[Cap, ...],
) -> ProviderJudge | None:
    if judge_id is None:
        return None
    if judge_id not in shared.adapters:
        known = ", ".join(shared.adapters)
        raise UsageError(f"--judge: unknown provider {judge_id}; known: {known}")
    view = shared.for_trial((judge_id,), config.routing.deadline_s)
    return ProviderJudge(view.providers[judge_id], CappedLedger(ledger, ()), caps)


async def _all_trials(
    te: TrialEnv,
    chosen: list[tuple[Selection, Config]],
    cases: Sequence[Case],
    repeats: int,
) -> list[Trial]:
    stop: list[str] = []
    gates = {
        sel.label: asyncio.Semaphore(max(p.max_concurrency for p in cfg.providers))
        for sel, cfg in chosen
    }

    async def one(sel: Selection, cfg: Config, case: Case, repeat: int) -> Trial:
        async with gates[sel.label]:
            if stop:
                return _skipped(sel, case, repeat, stop[0])
            trial, halt = await run_trial(te, sel, cfg, case, repeat)
            if halt and not stop:
                stop.append(trial.detail or "the run's budget ran out")
            return trial

    jobs = [
        one(sel, cfg, case, r)
        for r in range(max((c.repeats or repeats) for c in cases))
        for case in cases
        if r < (case.repeats or repeats)
        for sel, cfg in chosen
    ]
    return list(await asyncio.gather(*jobs))


def _skipped(sel: Selection, case: Case, repeat: int, why: str) -> Trial:
    return Trial(
        case_id=case.id, kind=case.kind, repeat=repeat, provider=sel.fallback.id,
        model=sel.fallback.model, selected=sel.label, outcome="skipped", error_kind="budget",
        detail=f"not started: {why}"[:300],
        clean=isinstance(case, ReviewCase) and case.expect.clean,
    )


def _assemble(
    dataset: Dataset,
    config: Config,
    settings: EvalSettings,
    run_id: str,
    started: datetime,
    chosen: list[tuple[Selection, Config]],
    trials: list[Trial],
    judge: ProviderJudge | None,
) -> EvalRun:
    tags = {c.id: c.tags for c in dataset.cases}
    judge_cost = judge.cost_usd if judge else 0.0
    skipped = tuple(
        SkippedCase(case_id=t.case_id, selected=t.selected, repeat=t.repeat, reason=t.detail)
        for t in trials if t.outcome == "skipped"
    )
    notes = _notes(judge, skipped, any(c.kind == "generate" for c in dataset.cases))
    errors = sum(t.outcome == "error" for t in trials)
    if errors:
        notes = (*notes, f"{errors} trial(s) ended in a provider or run error")
    used = {pid for sel, _ in chosen for pid in sel.provider_ids}
    return EvalRun(
        run_id=run_id,
        dataset_path=dataset.path,
        dataset_sha256=dataset.sha256,
        dataset_digest=dataset.digest,
        inputs=dataset.inputs,
        prompt_version=prompt_version(),
        scorer_version=scorer_version(config, settings.judge),
        mode="each" if settings.providers else "chain",
        providers=tuple(
            ProviderRef(id=p.id, type=p.type, model=p.model)
            for p in config.providers if p.id in used
        ),
        repeats=settings.repeats,
        started_at=started,
        finished_at=datetime.now(UTC),
        status="partial" if skipped or errors else "complete",
        budget=Budget(
            cap_usd=settings.max_cost,
            spent_usd=sum(t.cost_usd for t in trials) + judge_cost,
        ),
        skipped=skipped,
        trials=tuple(trials),
        cases=tuple(case_results(trials, tags)),
        metrics=tuple(suite_metrics(trials)),
        notes=notes,
    )


def _notes(
    judge: ProviderJudge | None, skipped: tuple[SkippedCase, ...], generates: bool
) -> tuple[str, ...]:
    notes = []
    if skipped:
        notes.append(f"{len(skipped)} trial(s) skipped: {skipped[0].reason}")
    if judge is not None:
        notes.append(
            f"judge: {judge.calls} call(s), {judge.failures} failed or unaffordable, "
            f"${judge.cost_usd:.6f}"
        )
    if generates and not network_isolated():
        notes.append("generation tests ran without network isolation (not root or no unshare)")
    return tuple(notes)


# --- the versions a baseline is keyed by -------------------------------------------------


def prompt_version() -> str:
    """The declared versions plus a digest of the templates: an edited prompt never compares
    against a baseline made with the old one, even if nobody bumped PROMPT_VERSION."""
    h = hashlib.sha256()
    for name, data in sorted(_templates(resources.files("ci_orch") / "data" / "prompts")):
        h.update(name.encode() + b"\0" + data + b"\n")
    return f"{REVIEW_PROMPTS}+{GENERATE_PROMPTS}@{h.hexdigest()[:12]}"


def scorer_version(config: Config, judge_id: str | None) -> str:
    """Judged runs score differently from hint-only runs, and per judge model."""
    if judge_id is None:
        return SCORER_VERSION
    model = next(p.model for p in config.providers if p.id == judge_id)
    return f"{SCORER_VERSION}+{JUDGE_VERSION}:{model}"


def _templates(node: Traversable, prefix: str = "") -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for child in node.iterdir():
        name = f"{prefix}{child.name}"
        if child.is_dir():
            out += _templates(child, name + "/")
        elif child.name.endswith(".md"):
            out.append((name, child.read_bytes()))
    return out
