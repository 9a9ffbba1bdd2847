"""The JSON document `ci-orch plan --format json` prints, written one chunk at a time."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ci_orch.plan.model import Estimate, Plan, PlanDocument

_CHUNKS_SLOT = '"chunks": []'


def json_parts(plan: Plan, estimates: Iterable[Estimate] = ()) -> Iterator[str]:
    """The document in pieces: a plan of a large diff is written without holding its whole
    text twice. The plan was validated when it was built, so it is not validated again."""
    rest = {**dict(plan), "chunks": ()}
    head = PlanDocument.model_construct(**rest, estimates=tuple(estimates))
    before, after = head.model_dump_json(indent=2).split(_CHUNKS_SLOT, 1)
    if not plan.chunks:
        yield before + _CHUNKS_SLOT + after
        return
    yield before + '"chunks": [\n'
    last = len(plan.chunks) - 1
    for i, chunk in enumerate(plan.chunks):
        # JSON strings escape their newlines, so every newline here is layout and can be indented.
        body = chunk.model_dump_json(indent=2).replace("\n", "\n    ")
        yield "    " + body + (",\n" if i < last else "\n")
    yield "  ]" + after
