"""Run one trial (a case, against one selection, once) and turn what happened into a `Trial`.

The trial's own config has the case's `timeout_s` as the router's deadline, so a slow trial
ends through the router and its calls are still accounted; `asyncio.wait_for` a little
later is the backstop for a call that hangs past it.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ci_orch.config.model import Config
from ci_orch.errors import CiOrchError
from ci_orch.evals import generation, review_case
from ci_orch.evals.assertions import failed_assertions
from ci_orch.evals.budget import CappedLedger, case_cap
from ci_orch.evals.model import GenerateCase, ReviewCase, Trial
from ci_orch.evals.providers import SharedProviders, TrialProviders
from ci_orch.evals.scoring import Judge
from ci_orch.evals.trial import Halt, Selection, call_fields, halt_of
from ci_orch.ledger.interface import Cap, Ledger, LedgerError
from ci_orch.review.pipeline import run_review

_BACKSTOP_S = 15.0  # past the router's deadline: a call hung past its own timeout


@dataclass(frozen=True, slots=True)
class TrialEnv:
    """What every trial of a run shares."""

    dataset_path: Path
    run_id: str
    shared: SharedProviders
    ledger: Ledger
    run_caps: tuple[Cap, ...]
    env: Mapping[str, str]
    judge: Judge | None


def trial_config(config: Config, timeout_s: float) -> Config:
    routing = config.routing.model_copy(update={"deadline_s": timeout_s})
    return config.model_copy(update={"routing": routing})


@dataclass(frozen=True, slots=True)
class _Ctx:
    """One trial's collaborators."""

    te: TrialEnv
    config: Config
    ledger: Ledger
    providers: TrialProviders
    run_id: str


async def run_trial(
    te: TrialEnv, sel: Selection, config: Config, case: ReviewCase | GenerateCase, repeat: int
) -> tuple[Trial, bool]:
    """The trial, and whether the run must stop (a run-wide budget ran out)."""
    name = f"{case.id}:{sel.label}:{repeat}"
    caps = (*te.run_caps, *case_cap(te.run_id, name, case.limits.max_usd))
    ctx = _Ctx(
        te,
        trial_config(config, case.limits.timeout_s),
        CappedLedger(te.ledger, caps),
        te.shared.for_trial(sel.provider_ids, case.limits.timeout_s + 2 * _BACKSTOP_S),
        f"{te.run_id}-{name}",
    )
    started = time.perf_counter()
    fields, halt = await _attempt(ctx, sel, case)
    base: dict[str, Any] = {
        "case_id": case.id, "kind": case.kind, "repeat": repeat, "selected": sel.label,
        "clean": isinstance(case, ReviewCase) and case.expect.clean,
        "latency_ms": (time.perf_counter() - started) * 1000,
    }
    if halt is None:
        return Trial(**base, **fields), False
    calls = {k: v for k, v in fields.items() if k in _CALL_KEYS}
    trial = Trial(
        **base, **{**_unanswered(sel), **calls},
        outcome=halt.outcome, error_kind=halt.kind, detail=halt.detail,
    )
    return trial, halt.stops_run


async def _attempt(
    ctx: _Ctx, sel: Selection, case: ReviewCase | GenerateCase
) -> tuple[dict[str, Any], Halt | None]:
    try:
        async with asyncio.timeout(case.limits.timeout_s + _BACKSTOP_S):
            if isinstance(case, ReviewCase):
                return await _review(ctx, sel, case)
            return await _generate(ctx, sel, case)
    except TimeoutError:
        return {}, Halt("error", "timeout", "the case's timeout_s passed")
    except LedgerError:
        raise  # budgets cannot be enforced: the run must stop, loudly
    except CiOrchError as exc:
        return {}, Halt("error", type(exc).__name__, str(exc).splitlines()[0][:300])


_CALL_KEYS = frozenset({
    "provider", "model", "cost_usd", "input_tokens", "cached_input_tokens", "output_tokens",
    "calls", "fallback_used", "answered_by", "call_latencies_ms",
})


def _unanswered(sel: Selection) -> dict[str, Any]:
    return {"provider": sel.fallback.id, "model": sel.fallback.model}


async def _review(
    ctx: _Ctx, sel: Selection, case: ReviewCase
) -> tuple[dict[str, Any], Halt | None]:
    path = ctx.te.dataset_path
    result = await run_review(
        review_case.case_changes(path, case),
        ctx.config,
        providers=ctx.providers.providers,
        ledger=ctx.ledger,
        run_id=ctx.run_id,
        settings=review_case.case_settings(path, case, ctx.config),
        env=ctx.te.env,
    )
    fields = call_fields(result.attempts, sel)
    halt = halt_of([(o.status, o.reason) for o in result.outcomes], result.attempts)
    if halt is not None:
        return fields, halt
    s = await review_case.score(case, result, ctx.te.judge)
    return {
        **fields,
        "outcome": "pass" if s.passed else "fail",
        "findings": len(result.findings),
        "matched": s.matched,
        "missed": s.missed,
        "mislocated": s.mislocated,
        "false_positives": s.false_positives,
        "forbidden_hits": s.forbidden_hits,
        "recall_found": s.recall_found,
        "recall_total": s.recall_total,
    }, None


async def _generate(
    ctx: _Ctx, sel: Selection, case: GenerateCase
) -> tuple[dict[str, Any], Halt | None]:
    path = ctx.te.dataset_path
    with tempfile.TemporaryDirectory(prefix="ci-orch-eval-") as tmp:
        root, home = Path(tmp) / "repo", Path(tmp) / "home"
        home.mkdir()
        result = await generation.generate_once(
            path, case, ctx.config, root, providers=ctx.providers.providers,
            ledger=ctx.ledger, run_id=ctx.run_id, env=ctx.te.env,
        )
        fields = call_fields(result.attempts, sel)
        halt = halt_of([(o.status, o.reason) for o in result.outcomes], result.attempts)
        if halt is not None:
            return fields, halt
        checked = await generation.check(path, case, result, root, home)
    failed = failed_assertions(case.expect.assertions, ctx.providers.answers)
    if case.expect.tests is not None:
        ok = bool(checked.tests_passed)
    else:
        ok = checked.patch_applied or bool(case.expect.assertions)
    return {
        **fields,
        "outcome": "pass" if ok and not failed else "fail",
        "findings": len(result.patches),
        "tests_passed": checked.tests_passed,
        "patch_applied": checked.patch_applied,
        "assertions_failed": failed,
        "detail": checked.detail[:300],
    }, None
