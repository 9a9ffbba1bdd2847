"""Route one chunk and read its findings: parse, one repair attempt, and what went wrong."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ci_orch.egress.filter import Egress
from ci_orch.plan.model import Chunk
from ci_orch.plan.planner import DraftChunk
from ci_orch.providers.interface import ProviderRequest, ProviderResponse
from ci_orch.review.findings import ChunkReview, UnreadableFindings, parse_review
from ci_orch.review.prompts import repair_request
from ci_orch.routing import AllProvidersFailed, RoutedRequest, Router

ChunkStatus = Literal["ok", "failed", "skipped"]


@dataclass(frozen=True, slots=True)
class ChunkOutcome:
    chunk: Chunk | DraftChunk  # a review's outcomes hold where the text came from, not the text
    status: ChunkStatus
    review: ChunkReview | None = None
    provider: str | None = None
    reason: str = ""  # why it failed or was skipped; no content
    repairs: int = 0


def _read(response: ProviderResponse) -> ChunkReview:
    return parse_review(response.parsed if response.parsed is not None else response.text)


async def review_chunk(
    router: Router,
    chunk: Chunk | DraftChunk,
    request: ProviderRequest,
    egress: Egress | None = None,
    *,
    redactions: int,
) -> ChunkOutcome:
    """Findings for `chunk` (`redactions`: placeholders in its text); routing errors other
    than "this chunk failed" propagate."""
    routed = RoutedRequest(
        request=request,
        task="review",
        paths=chunk.files,
        redactions=redactions,
        input_tokens=request.input_tokens_estimate,
        chunk_id=chunk.id,
    )
    try:
        result = await router.route(routed)
    except AllProvidersFailed as exc:
        reason = f"{type(exc).__name__}: " + "; ".join(exc.failures)
        return ChunkOutcome(chunk, "failed", reason=reason)
    try:
        return ChunkOutcome(chunk, "ok", _read(result.response), result.provider)
    except UnreadableFindings as first:
        problem = str(first)
    # One repair attempt: the same chain, with the bad answer and what was wrong with it.
    fixed = repair_request(request, result.response.text, problem, egress)
    try:
        again = await router.route(
            RoutedRequest(request=fixed, task="review", paths=chunk.files, chunk_id=chunk.id)
        )
        return ChunkOutcome(chunk, "ok", _read(again.response), again.provider, repairs=1)
    except (AllProvidersFailed, UnreadableFindings) as exc:
        return ChunkOutcome(chunk, "failed", reason=f"unreadable findings: {exc}", repairs=1)
