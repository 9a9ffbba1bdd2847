"""Cut one file into pieces that each fit the budget: whole file, groups of hunks, or parts of a
hunk split on line boundaries with a few overlap lines (shown as context, owned by no piece)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ci_orch.diff.model import FileChange, Hunk, Line
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


def _hunk_segments(
    path: str, h_index: int, hunk: Hunk, room: int, count: Counter, overlap: int
) -> list[_Segment]:
    rendered = [render_line(line) for line in hunk.lines]
    costs = count(rendered)
    if max(costs, default=0) > room:
        raise LineTooLong(path)
    if sum(costs) <= room:
        return [_segment(path, (h_index, 0), hunk.lines, hunk.section, rendered, costs, 0, count)]
    return _split(path, h_index, hunk, rendered, costs, room, overlap, count)


def _split(
    path: str,
    h_index: int,
    hunk: Hunk,
    rendered: list[str],
    costs: list[int],
    room: int,
    overlap: int,
    count: Counter,
) -> list[_Segment]:
    """Split a hunk that is too big on line boundaries; each part repeats `overlap` lines."""
    parts: list[_Segment] = []
    start = 0
    while start < len(hunk.lines):
        lead = max(start - overlap, 0) if parts else start
        while lead < start and sum(costs[lead:start]) + costs[start] > room:
            lead += 1  # the overlap must never stop the part from making progress
        end, used = start, sum(costs[lead:start])
        while end < len(hunk.lines) and used + costs[end] <= room:
            used += costs[end]
            end += 1
        seg = _segment(
            path, (h_index, len(parts)), hunk.lines[lead:end], hunk.section,
            rendered[lead:end], costs[lead:end], start - lead, count,
            part=f" (part {len(parts) + 1})",
        )
        parts.append(seg)
        start = end
    return parts


def _segment(
    path: str,
    order: tuple[int, int],
    lines: tuple[Line, ...],
    section: str,
    rendered: list[str],
    costs: list[int],
    lead: int,
    count: Counter,
    part: str = "",
) -> _Segment:
    """One hunk (or part): header plus lines; the first `lead` lines are overlap context."""
    head = hunk_header(lines, section, part)
    body = [render_line(ln, as_context=True) for ln in lines[:lead]] + rendered[lead:]
    owned = tuple((path, ln.new_no) for ln in lines[lead:] if ln.kind == "added" and ln.new_no)
    return _Segment(head + "".join(body), count([head])[0] + sum(costs), owned, order)
