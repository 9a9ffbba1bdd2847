"""One chunk: ask for patches, read them (one repair), check them, retry failures once."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ci_orch.egress.filter import Egress
from ci_orch.generate.ciconfig import ci_problem
from ci_orch.generate.headtree import HeadTree
from ci_orch.generate.model import ChunkOutcome, PatchResult
from ci_orch.generate.patches import PatchProblem, read_patch
from ci_orch.generate.prompts import follow_up, repair_note, retry_note
from ci_orch.generate.schema import GenerateAnswer, ModelPatch, UnreadablePatches, parse_answer
from ci_orch.generate.scope import scope_problem
from ci_orch.plan.model import Chunk
from ci_orch.providers.interface import ProviderRequest, ProviderResponse
from ci_orch.routing import AllProvidersFailed, RoutedRequest, Router


@dataclass(frozen=True, slots=True)
class _Answer:
    parsed: GenerateAnswer
    text: str
    provider: str
    repairs: int


@dataclass(frozen=True, slots=True)
class _Failure:
    result: PatchResult
    retry: bool


class _ChunkFailed(Exception):
    pass


def _decode(response: ProviderResponse) -> GenerateAnswer:
    return parse_answer(response.parsed if response.parsed is not None else response.text)


async def generate_chunk(
    router: Router, chunk: Chunk, request: ProviderRequest, tree: HeadTree, redactions: int = 0,
    *, allow_ci_changes: bool = False, egress: Egress | None = None,
) -> ChunkOutcome:
    """Patches for `chunk`; routing errors other than "this chunk failed" propagate."""
    session = _Session(router, chunk, tree, redactions, allow_ci_changes, egress)
    try:
        answer = await session.ask(request, repair=True)
    except _ChunkFailed as exc:
        return ChunkOutcome(chunk, "failed", reason=str(exc), repairs=session.repairs)
    checked = [
        check_patch(tree, mp, answer.provider, allow_ci_changes=allow_ci_changes)
        for mp in answer.parsed.patches
    ]
    retry = [c.result for c in checked if isinstance(c, _Failure) and c.retry]
    final = [c.result if isinstance(c, _Failure) else c for c in checked]
    if retry:
        fixed = await session.retry(request, answer.text, retry)
        final = [fixed.get(id(r), r) for r in final]
    return ChunkOutcome(
        chunk, "ok", tuple(final), answer.provider, repairs=session.repairs,
        summary=answer.parsed.summary,
    )


def check_patch(
    tree: HeadTree, mp: ModelPatch, provider: str | None, *, allow_ci_changes: bool = False
) -> PatchResult | _Failure:
    """An applicable PatchResult, or a failure saying whether a retry may help. A patch
    that reaches beyond the file it names, or into CI configuration, is refused outright:
    asking again would only invite a better disguise."""
    base = PatchResult(mp.path, mp.description[:300], "failed", provider=provider)
    try:
        patch = read_patch(mp.diff)
    except PatchProblem as exc:
        return _Failure(replace(base, reason=str(exc)), exc.retry)
    base = replace(base, path=mp.path or patch.paths[0], patch=patch)
    refused = scope_problem(patch, mp.path) or (None if allow_ci_changes else ci_problem(patch))
    if refused is not None:
        return _Failure(replace(base, status="refused", reason=refused), False)
    error = tree.check(patch)
    if error is not None:
        return _Failure(replace(base, reason=f"git apply --check: {error}"), True)
    return replace(base, status="applied")


class _Session:
    def __init__(
        self, router: Router, chunk: Chunk, tree: HeadTree, redactions: int, allow_ci: bool,
        egress: Egress | None,
    ) -> None:
        self.router, self.chunk, self.tree, self.redactions = router, chunk, tree, redactions
        self.allow_ci, self.egress = allow_ci, egress
        self.repairs = 0

    async def _route(self, request: ProviderRequest) -> tuple[ProviderResponse, str]:
        routed = RoutedRequest(
            request=request, task="generate", paths=self.chunk.files,
            redactions=self.redactions, chunk_id=self.chunk.id,
        )
        try:
            result = await self.router.route(routed)
        except AllProvidersFailed as exc:
            raise _ChunkFailed(f"{type(exc).__name__}: " + "; ".join(exc.failures)) from None
        return result.response, result.provider

    async def ask(self, request: ProviderRequest, *, repair: bool) -> _Answer:
        response, provider = await self._route(request)
        try:
            return _Answer(_decode(response), response.text, provider, 0)
        except UnreadablePatches as exc:
            if not repair:
                raise _ChunkFailed(f"unreadable patches: {exc}") from None
            problem = str(exc)
        self.repairs += 1
        fix = follow_up(request, response.text, repair_note(problem), self.egress)
        again, provider = await self._route(fix)
        try:
            return _Answer(_decode(again), again.text, provider, 1)
        except UnreadablePatches as exc:
            raise _ChunkFailed(f"unreadable patches after one repair: {exc}") from None

    async def retry(
        self, request: ProviderRequest, text: str, failed: list[PatchResult]
    ) -> dict[int, PatchResult]:
        """The one retry: every failed patch's error in one follow-up; id(old) -> new result."""
        note = retry_note([(r.path or "(no path)", r.reason) for r in failed])
        try:
            answer = await self.ask(follow_up(request, text, note, self.egress), repair=False)
        except _ChunkFailed as exc:
            return {
                id(r): replace(r, retried=True, reason=f"{r.reason} (retry: {exc})") for r in failed
            }
        out: dict[int, PatchResult] = {}
        for old in failed:
            match = _matching(answer.parsed.patches, old)
            if match is None:
                out[id(old)] = replace(old, retried=True, reason=f"{old.reason} (retry: no patch)")
                continue
            new = check_patch(self.tree, match, answer.provider, allow_ci_changes=self.allow_ci)
            result = new.result if isinstance(new, _Failure) else new
            out[id(old)] = replace(result, retried=True, path=old.path or result.path)
        return out


def _matching(patches: tuple[ModelPatch, ...], old: PatchResult) -> ModelPatch | None:
    for mp in patches:
        if old.path and mp.path == old.path:
            return mp
    for mp in patches:
        try:
            if old.path in read_patch(mp.diff).paths:
                return mp
        except PatchProblem:
            continue
    return patches[0] if len(patches) == 1 and not old.path else None
