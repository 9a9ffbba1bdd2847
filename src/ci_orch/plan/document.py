"""The JSON document `ci-orch plan --format json` prints, written one chunk at a time."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from ci_orch.plan.model import Chunk, Estimate, Plan, PlanDocument
from ci_orch.plan.planner import DraftChunk

_CHUNKS_SLOT = '"chunks": []'


def json_frame(
    plan: Plan, estimates: Iterable[Estimate] = (), *, chunks: int | None = None
) -> tuple[str, str]:
    """The document around its chunks: the text before the first chunk and after the last.
    `chunks` is how many go between (default: the plan's own). The plan was validated when
    it was built, so it is not validated again."""
    rest = {**dict(plan), "chunks": ()}
    head = PlanDocument.model_construct(**rest, estimates=tuple(estimates))
    before, after = head.model_dump_json(indent=2).split(_CHUNKS_SLOT, 1)
    if not (len(plan.chunks) if chunks is None else chunks):
        return before + _CHUNKS_SLOT, after
    return before + '"chunks": [\n', "  ]" + after


def chunk_parts(chunks: Sequence[Chunk | DraftChunk]) -> Iterator[str]:
    """Each chunk's JSON, indented and separated to sit between the two halves of the frame.
    A draft's chunk is rendered here, so only one chunk's text is held at a time."""
    last = len(chunks) - 1
    for i, item in enumerate(chunks):
        chunk = item.render() if isinstance(item, DraftChunk) else item
        # JSON strings escape their newlines, so every newline here is layout and can be indented.
        body = chunk.model_dump_json(indent=2).replace("\n", "\n    ")
        yield "    " + body + (",\n" if i < last else "\n")


def json_parts(plan: Plan, estimates: Iterable[Estimate] = ()) -> Iterator[str]:
    """The document in pieces: a plan of a large diff is written without holding its whole
    text twice."""
    before, after = json_frame(plan, estimates)
    yield before
    yield from chunk_parts(plan.chunks)
    yield after
