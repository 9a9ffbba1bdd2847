"""One trial: a case, against one selection, once, through the production pipeline, into a
`Trial`.

What every trial shares: who answered (after fallbacks), what it cost, and why a trial
that was not scored is `error` or `skipped`.

Attribution: a trial is credited to the provider/model that answered the most of its
chunks (ties: the first to answer), read from the router's attempt records, so a
fallback's answers count for the model that gave them, not for the one that was asked.

The trial's own config has the case's `timeout_s` as the router's deadline, so a slow trial
ends through the router and its calls are still accounted; `asyncio.wait_for` a little
later is the backstop for a call that hangs past it.

A review trial: the case's diff through the real review pipeline, then scoring.

`run_review` is production's pipeline (redaction, planning, prompts, chunking, parsing,
placement, the gate), so what is measured is what a pull request would get. The case's
`context_paths` go into the prompt the way a repository's instructions file does.

A generation trial: the case's files become a temporary git repository at base, the real
generate pipeline answers the case's prompt, the patches that `git apply --check` accepted
are applied, the case's test files are copied in, and the tests run (`sandbox.run_tests`).

The prompt file is the change request's description (title: its first line), which is
where `ci-orch generate` reads a request from; the target files are `input.targets`, or
every file of `input.files`.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ci_orch.config.model import Config
from ci_orch.config.providers import ProviderConfig
from ci_orch.context.changes import Changes
from ci_orch.context.model import PipelineContext
from ci_orch.diff.model import Diff
from ci_orch.diff.parse import parse_diff
from ci_orch.errors import CiOrchError, GitError
from ci_orch.evals.dataset import resolve
from ci_orch.evals.limits import RUN_SCOPE, CappedLedger, SharedProviders, TrialProviders, case_cap
from ci_orch.evals.model import GenerateCase, ReviewCase, Trial
from ci_orch.evals.sandbox import run_tests
from ci_orch.evals.score import Judge, Produced, ReviewScore, failed_assertions, score_review
from ci_orch.generate.headtree import HeadTree
from ci_orch.generate.model import GenerateResult
from ci_orch.generate.pipeline import GenerateSettings, run_generate
from ci_orch.generate.targets import MAX_TARGET_FILES
from ci_orch.ledger.interface import Cap, Ledger, LedgerError
from ci_orch.providers.interface import Provider
from ci_orch.review.pipeline import ReviewResult, run_review
from ci_orch.review.prompts import PromptSettings
from ci_orch.routing import Attempt, AttemptObserver

# --- what every trial shares -------------------------------------------------------------


# Caps whose exhaustion means no later trial can run either (vs. this case's own cap).
_RUN_WIDE = (f"budget {RUN_SCOPE}", "budget team:", "budget org:")


@dataclass(frozen=True, slots=True)
class Selection:
    """What a trial is run against: one provider alone, or the configured chain."""

    label: str  # the provider id, or "chain"
    provider_ids: tuple[str, ...]
    fallback: ProviderConfig  # credited when nobody answered


@dataclass(frozen=True, slots=True)
class Halt:
    """A trial that could not be scored: `outcome` error or skipped, and why."""

    outcome: str
    kind: str
    detail: str
    stops_run: bool = False


def call_fields(attempts: Sequence[Attempt], selection: Selection) -> dict[str, Any]:
    """The Trial fields read from the attempt records (attribution, cost, tokens, latency)."""
    called = [a for a in attempts if a.outcome != "skipped"]
    answered = [a for a in called if a.outcome == "ok"]
    votes = Counter(f"{a.provider}\0{a.model}" for a in answered)
    if votes:
        provider, model = votes.most_common(1)[0][0].split("\0", 1)
    else:
        provider, model = selection.fallback.id, selection.fallback.model
    return {
        "provider": provider,
        "model": model,
        "cost_usd": sum(a.cost_usd for a in called),
        "input_tokens": sum(a.input_tokens for a in called),
        "cached_input_tokens": sum(a.cached_input_tokens for a in called),
        "output_tokens": sum(a.output_tokens for a in called),
        "calls": len(called),
        "fallback_used": any(a.fallback_from for a in answered),
        "answered_by": tuple(dict.fromkeys(f"{a.provider}/{a.model}" for a in answered)),
        "call_latencies_ms": tuple(a.latency_ms for a in answered if not a.cache_hit),
    }


def halt_of(
    statuses: Sequence[tuple[str, str]], attempts: Sequence[Attempt]
) -> Halt | None:
    """None when every chunk was answered; else why the trial is skipped or an error.
    `statuses` are (chunk status, reason) pairs from the pipeline's outcomes."""
    if all(status == "ok" for status, _ in statuses):
        return None
    budget = [a.detail for a in attempts if a.error_kind == "budget"]
    reasons = [reason for status, reason in statuses if status == "skipped"]
    if any("budget" in r.lower() for r in reasons) or (budget and not _answered(attempts)):
        detail = (budget or reasons)[0]
        return Halt("skipped", "budget", detail[:300], any(s in detail for s in _RUN_WIDE))
    if any("deadline" in r.lower() for r in reasons):
        return Halt("error", "timeout", "the case's timeout_s passed")
    failed = [a for a in attempts if a.outcome == "error"] or list(attempts)
    kind = failed[-1].error_kind if failed and failed[-1].error_kind else "AllProvidersFailed"
    first = next((r for _, r in statuses if r), "no provider answered")
    return Halt("error", kind, first[:300])


def _answered(attempts: Sequence[Attempt]) -> bool:
    return any(a.outcome == "ok" for a in attempts)


# --- running one trial -------------------------------------------------------------------


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
    # Sees every call of every trial, those of a trial cut short by its timeout too.
    on_attempt: AttemptObserver | None = None


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
        case_changes(path, case),
        ctx.config,
        providers=ctx.providers.providers,
        ledger=ctx.ledger,
        run_id=ctx.run_id,
        settings=case_settings(path, case, ctx.config),
        env=ctx.te.env,
        on_attempt=ctx.te.on_attempt,
    )
    fields = call_fields(result.attempts, sel)
    halt = halt_of([(o.status, o.reason) for o in result.outcomes], result.attempts)
    if halt is not None:
        return fields, halt
    s = await score_review_trial(case, result, ctx.te.judge)
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
        result = await generate_once(
            path, case, ctx.config, root, providers=ctx.providers.providers,
            ledger=ctx.ledger, run_id=ctx.run_id, env=ctx.te.env, on_attempt=ctx.te.on_attempt,
        )
        fields = call_fields(result.attempts, sel)
        halt = halt_of([(o.status, o.reason) for o in result.outcomes], result.attempts)
        if halt is not None:
            return fields, halt
        checked = await check_generation(path, case, result, root, home)
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


# --- review trials -----------------------------------------------------------------------


MAX_CONTEXT_CHARS = 8_000  # context files share the instructions' room in the prompt


def case_changes(dataset_path: Path, case: ReviewCase) -> Changes:
    diff_path = resolve(dataset_path, case.input.diff_path)
    context = PipelineContext(
        platform="local",
        event="eval",
        workspace=dataset_path.resolve().parent,
        title=case.input.title or case.id,
        body=case.input.body,
    )
    diff = parse_diff(diff_path.read_bytes(), source=case.input.diff_path)
    return Changes(context, diff, f"eval case {case.id}")


def case_settings(dataset_path: Path, case: ReviewCase, config: Config) -> PromptSettings:
    blocks = []
    for relative in case.input.context_paths:
        text = resolve(dataset_path, relative).read_text(encoding="utf-8", errors="replace")
        blocks.append(f"--- {relative} ---\n{text}")
    return PromptSettings(
        profiles=config.review.profiles,
        enforcement=config.review.enforcement,
        instructions="\n".join(blocks)[:MAX_CONTEXT_CHARS],
    )


def produced(result: ReviewResult) -> list[Produced]:
    return [
        Produced(
            path=p.finding.path,
            side=p.finding.side,
            start_line=p.finding.start_line,
            end_line=p.finding.end_line,
            severity=p.finding.severity,
            category=p.finding.category,
            title=p.finding.title,
            body=p.finding.body,
        )
        for p in result.findings
    ]


async def score_review_trial(
    case: ReviewCase, result: ReviewResult, judge: Judge | None
) -> ReviewScore:
    return await score_review(case.expect, produced(result), judge)


log = logging.getLogger(__name__)


# --- generation trials -------------------------------------------------------------------


_GIT_ENV = {
    "GIT_AUTHOR_NAME": "ci-orch eval",
    "GIT_AUTHOR_EMAIL": "eval@ci-orch.invalid",
    "GIT_COMMITTER_NAME": "ci-orch eval",
    "GIT_COMMITTER_EMAIL": "eval@ci-orch.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
}


@dataclass(frozen=True, slots=True)
class GenerationCheck:
    patch_applied: bool
    tests_passed: bool | None
    detail: str


def _git(root: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(  # noqa: S603 - fixed git arguments, no shell
        ["git", "-c", "core.quotepath=off", *args],  # noqa: S607
        cwd=root, input=stdin, capture_output=True, check=False, env=_GIT_ENV,
    )


def base_repo(dataset_path: Path, case: GenerateCase, root: Path) -> str:
    """Copy the case's files to `root` and commit them; returns the commit."""
    shutil.copytree(resolve(dataset_path, case.input.files), root, symlinks=False)
    for args in (("init", "-q"), ("add", "-A"), ("commit", "-q", "-m", "base")):
        done = _git(root, *args)
        if done.returncode != 0:
            err = done.stderr.decode(errors="replace").strip().splitlines()
            raise GitError(f"git {args[0]} failed for case {case.id}: {err[-1] if err else ''}")
    return _git(root, "rev-parse", "HEAD").stdout.decode().strip()


def targets(case: GenerateCase, root: Path) -> tuple[str, ...]:
    if case.input.targets:
        return case.input.targets
    files = _git(root, "ls-files").stdout.decode("utf-8", "replace").splitlines()
    return tuple(sorted(files)[:MAX_TARGET_FILES])


async def generate_once(
    dataset_path: Path,
    case: GenerateCase,
    config: Config,
    root: Path,
    *,
    providers: Mapping[str, Provider],
    ledger: Ledger,
    run_id: str,
    env: Mapping[str, str],
    on_attempt: AttemptObserver | None = None,
) -> GenerateResult:
    sha = await asyncio.to_thread(base_repo, dataset_path, case, root)
    prompt = resolve(dataset_path, case.input.prompt_path).read_text("utf-8", errors="replace")
    title = prompt.strip().splitlines()[0][:200] if prompt.strip() else case.id
    context = PipelineContext(
        platform="local", event="eval", workspace=root, head_sha=sha, title=title, body=prompt
    )
    changes = Changes(context, Diff(files=()), f"eval case {case.id}")
    settings = GenerateSettings(case.input.task, targets(case, root))
    with HeadTree(root, sha) as tree:
        return await run_generate(
            changes, config, providers=providers, ledger=ledger, tree=tree,
            run_id=run_id, settings=settings, env=env, on_attempt=on_attempt,
        )


async def check_generation(
    dataset_path: Path, case: GenerateCase, result: GenerateResult, root: Path, home: Path
) -> GenerationCheck:
    """Apply the checked patches to the temporary repository, add the tests, run them."""
    applied = [p for p in result.patches if p.status == "applied" and p.patch is not None]
    ok = bool(applied)
    for p in applied:
        assert p.patch is not None  # noqa: S101 - filtered above
        done = await asyncio.to_thread(
            _git, root, "apply", f"-p{p.patch.strip}", "-", stdin=p.patch.text.encode()
        )
        ok = ok and done.returncode == 0
    tests = case.expect.tests
    if tests is None:
        return GenerationCheck(ok, None, "" if ok else "no patch applied")
    if tests.files_path:
        shutil.copytree(resolve(dataset_path, tests.files_path), root, dirs_exist_ok=True)
    verdict = await run_tests(tests, root, home)
    # Test output can quote model-written code: DEBUG only, like prompts and diffs.
    log.debug("case %s tests: %s\n%s", case.id, verdict.detail or "passed", verdict.output)
    return GenerationCheck(ok, verdict.passed, verdict.detail)
