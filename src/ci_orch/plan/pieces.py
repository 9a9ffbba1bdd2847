"""Cut one file into pieces that each fit the budget: whole file, groups of hunks, or parts of a
hunk split on line boundaries with a few overlap lines (shown as context, owned by no piece)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ci_orch.diff.model import FileChange, Hunk
from ci_orch.plan.render import file_header, hunk_header, render_line

# A rendered hunk header costs a handful of tokens; this bound keeps the arithmetic simple and safe.
HUNK_HEADER_RESERVE = 40

Counter = Callable[[list[str]], list[int]]


@dataclass(frozen=True, slots=True)
class Piece:
    path: str
    order: tuple[int, int, int]  # (file, hunk, part): chunks keep the diff's own order
    text: str
    raw_tokens: int
    added: tuple[tuple[str, int], ...]


class LineTooLong(Exception):
    """One line of this file does not fit any chunk: it is generated or minified."""


@dataclass(frozen=True, slots=True)
class _Segment:
    text: str
    raw_tokens: int
    added: tuple[tuple[str, int], ...]
    order: tuple[int, int]


def cut_file(
    index: int, file: FileChange, budget: int, count: Counter, overlap: int
) -> list[Piece]:
    """The pieces of `file` (raw token costs, headers included), or LineTooLong."""
    header = file_header(file)
    continued = file_header(file, continued=True)
    header_cost, cont_cost = count([header, continued])
    room = budget - max(header_cost, cont_cost) - HUNK_HEADER_RESERVE
    segments: list[_Segment] = []
    for h_index, hunk in enumerate(file.hunks):
        segments.extend(_hunk_segments(file.path, h_index, hunk, room, count, overlap))
    whole = header_cost + sum(s.raw_tokens for s in segments)
    if whole <= budget:
        return [_piece(file.path, index, header, header_cost, segments)]
    return _group(file.path, index, (header, header_cost), (continued, cont_cost), segments, budget)


def _group(
    path: str,
    index: int,
    first: tuple[str, int],
    later: tuple[str, int],
    segments: list[_Segment],
    budget: int,
) -> list[Piece]:
    """Next-fit the segments of one file into pieces, each opened by a file header."""
    pieces: list[Piece] = []
    current: list[_Segment] = []
    head, head_cost = first
    for segment in segments:
        used = head_cost + sum(s.raw_tokens for s in current)
        if current and used + segment.raw_tokens > budget:
            pieces.append(_piece(path, index, head, head_cost, current))
            head, head_cost = later
            current = []
        current.append(segment)
    pieces.append(_piece(path, index, head, head_cost, current))
    return pieces


def _piece(path: str, index: int, header: str, header_cost: int, segs: list[_Segment]) -> Piece:
    return Piece(
        path=path,
        order=(index, *segs[0].order) if segs else (index, 0, 0),
        text=header + "".join(s.text for s in segs),
        raw_tokens=header_cost + sum(s.raw_tokens for s in segs),
        added=tuple(a for s in segs for a in s.added),
    )


@dataclass(frozen=True, slots=True)
class _HunkLines:
    """One hunk with its lines rendered and counted once, ready to be cut into segments."""

    path: str
    index: int
    hunk: Hunk
    rendered: list[str]
    costs: list[int]
    count: Counter

    def segment(self, begin: int, end: int, lead: int = 0, part: int = 0) -> _Segment:
        """Lines [begin, end) under their own header; the first `lead` are overlap context.
        `part` numbers the pieces of a split hunk (0: not split)."""
        lines = self.hunk.lines[begin:end]
        label = f" (part {part})" if part else ""
        texts = [hunk_header(lines, self.hunk.section, label)]
        texts += [render_line(ln, as_context=True) for ln in lines[:lead]]
        texts += self.rendered[begin + lead : end]
        owned = tuple(
            (self.path, ln.new_no) for ln in lines[lead:] if ln.kind == "added" and ln.new_no
        )
        return _Segment("".join(texts), sum(self.count(texts)), owned, (self.index, part))


def _hunk_segments(
    path: str, h_index: int, hunk: Hunk, room: int, count: Counter, overlap: int
) -> list[_Segment]:
    rendered = [render_line(line) for line in hunk.lines]
    view = _HunkLines(path, h_index, hunk, rendered, count(rendered), count)
    if max(view.costs, default=0) > room:
        raise LineTooLong(path)
    if sum(view.costs) <= room:
        return [view.segment(0, len(rendered))]
    return _split(view, room, overlap)


def _split(view: _HunkLines, room: int, overlap: int) -> list[_Segment]:
    """Split a hunk on line boundaries; each part after the first repeats `overlap` lines."""
    costs, start = view.costs, 0
    parts: list[_Segment] = []
    while start < len(costs):
        lead = max(start - overlap, 0) if parts else start
        while lead < start and sum(costs[lead:start]) + costs[start] > room:
            lead += 1  # the overlap must never stop a part from making progress
        end, used = start, sum(costs[lead:start])
        while end < len(costs) and used + costs[end] <= room:
            used += costs[end]
            end += 1
        parts.append(view.segment(lead, end, start - lead, part=len(parts) + 1))
        start = end
    return parts
