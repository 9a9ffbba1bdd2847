"""Cut one file into pieces that each fit the budget: whole file, groups of hunks, or parts of a
hunk split on line boundaries with a few overlap lines (shown as context, owned by no piece).

Counting is the costly part, so it is done only where a count can change a decision: o200k and
cl100k never make more tokens than a text has UTF-8 bytes, so a hunk or file whose bytes fit
needs no per-line counts, only one count of its whole text (exact, because counts add up over
line boundaries: see planner.py).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import dataclass, replace

from ci_orch.diff.model import FileChange, Hunk
from ci_orch.plan.render import file_header, hunk_header, render_line, render_lines

# A rendered hunk header costs a handful of tokens; this bound keeps the arithmetic simple and safe.
HUNK_HEADER_RESERVE = 40


@dataclass(frozen=True, slots=True)
class Counting:
    """Raw token counts: `lines` for many short texts (memoised: diffs repeat lines),
    `text` for one long text counted once."""

    lines: Callable[[list[str]], list[int]]
    text: Callable[[str], int]


def byte_bound(text: str) -> int:
    """An upper bound of the raw token count of `text`: its UTF-8 length."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


@dataclass(frozen=True, slots=True)
class Cut:
    """Lines [begin, end) of a hunk under their own header, the first `lead` shown as context;
    `part` numbers the pieces of a split hunk (0: not split). Rendered when asked: a plan of
    a large diff holds where its text comes from, not the text a second time."""

    hunk: Hunk
    begin: int
    end: int
    lead: int = 0
    part: int = 0

    def preamble(self) -> list[str]:
        """The hunk header and the overlap lines, shown as context."""
        lines = self.hunk.lines[self.begin : self.end]
        label = f" (part {self.part})" if self.part else ""
        head = hunk_header(lines, self.hunk.section, label)
        return [head, *(render_line(ln, as_context=True) for ln in lines[: self.lead])]

    def owned(self) -> array[int]:
        """New-side numbers of the added lines this cut owns (not its overlap lines)."""
        lines = self.hunk.lines[self.begin + self.lead : self.end]
        return array("I", [ln.new_no for ln in lines if ln.kind == "added" and ln.new_no])

    def render(self, rendered: list[str] | None = None) -> str:
        """The text; `rendered` holds the hunk's lines already rendered, when there are."""
        start = self.begin + self.lead
        if rendered is None:
            body = render_lines(self.hunk.lines[start : self.end])
        else:
            body = rendered[start : self.end]
        return "".join(self.preamble() + body)


@dataclass(frozen=True, slots=True)
class Piece:
    path: str
    order: tuple[int, int, int]  # (file, hunk, part): chunks keep the diff's own order
    header: str
    cuts: tuple[Cut, ...]
    raw_tokens: int
    # New-side numbers of the added lines the piece owns, 4 bytes each: held as
    # (path, line) pairs for every line of a 50 MB diff, they were a tenth of a review's memory.
    owned: array[int]

    @property
    def text(self) -> str:
        return self.header + "".join(c.render() for c in self.cuts)

    @property
    def added_count(self) -> int:
        return len(self.owned)

    def added(self) -> list[tuple[str, int]]:
        """[path, new-side line] of each added line the piece owns."""
        return [(self.path, no) for no in self.owned]


class LineTooLong(Exception):
    """One line of this file does not fit any chunk: it is generated or minified."""


@dataclass(frozen=True, slots=True)
class _Segment:
    cut: Cut
    text: str  # held while its file is cut, then let go: the piece keeps `cut`
    raw_tokens: int | None  # None until counted; `bound` caps it
    bound: int
    owned: array[int]
    order: tuple[int, int]

    @property
    def cost(self) -> int:
        if self.raw_tokens is None:
            raise ValueError("segment not counted")
        return self.raw_tokens

    def counted(self, count: Counting) -> _Segment:
        if self.raw_tokens is not None:
            return self
        tokens = count.text(self.text)
        return replace(self, raw_tokens=tokens, bound=tokens)


def cut_file(
    index: int, file: FileChange, budget: int, count: Counting, overlap: int
) -> list[Piece]:
    """The pieces of `file` (raw token costs, headers included), or LineTooLong."""
    header = file_header(file)
    continued = file_header(file, continued=True)
    header_cost, cont_cost = count.lines([header, continued])
    room = budget - max(header_cost, cont_cost) - HUNK_HEADER_RESERVE
    segments: list[_Segment] = []
    for h_index, hunk in enumerate(file.hunks):
        segments.extend(_hunk_segments(file.path, h_index, hunk, room, count, overlap))
    if header_cost + sum(s.bound for s in segments) > budget:
        segments = [s.counted(count) for s in segments]
        if header_cost + sum(s.cost for s in segments) > budget:
            first, later = (header, header_cost), (continued, cont_cost)
            return _group(file.path, index, first, later, segments, budget, count)
    return [_piece(file.path, index, header, header_cost, segments, count)]


def _group(
    path: str,
    index: int,
    first: tuple[str, int],
    later: tuple[str, int],
    segments: list[_Segment],
    budget: int,
    count: Counting,
) -> list[Piece]:
    """Next-fit the (counted) segments of one file into pieces, each opened by a file header."""
    pieces: list[Piece] = []
    current: list[_Segment] = []
    head, head_cost = first
    used = head_cost
    for segment in segments:
        if current and used + segment.cost > budget:
            pieces.append(_piece(path, index, head, head_cost, current, count))
            head, head_cost = later
            current, used = [], head_cost
        current.append(segment)
        used += segment.cost
    pieces.append(_piece(path, index, head, head_cost, current, count))
    return pieces


def _piece(
    path: str, index: int, header: str, header_cost: int, segs: list[_Segment], count: Counting
) -> Piece:
    if all(s.raw_tokens is not None for s in segs):
        body_cost = sum(s.cost for s in segs)
    else:
        body_cost = count.text("".join(s.text for s in segs))
    return Piece(
        path=path,
        order=(index, *segs[0].order) if segs else (index, 0, 0),
        header=header,
        cuts=tuple(s.cut for s in segs),
        raw_tokens=header_cost + body_cost,
        owned=_joined([s.owned for s in segs]),
    )


def _joined(parts: list[array[int]]) -> array[int]:
    if len(parts) == 1:
        return parts[0]
    out = array("I")
    for part in parts:
        out.extend(part)
    return out


@dataclass(frozen=True, slots=True)
class _HunkLines:
    """One hunk with its lines rendered (and counted, once needed), ready to be cut."""

    path: str
    index: int
    hunk: Hunk
    rendered: list[str]
    costs: list[int]
    count: Counting

    def segment(self, begin: int, end: int, lead: int = 0, part: int = 0) -> _Segment:
        """Lines [begin, end) under their own header; the first `lead` are overlap context.
        `part` numbers the pieces of a split hunk (0: not split)."""
        cut = Cut(self.hunk, begin, end, lead, part)
        text = cut.render(self.rendered)
        # Counted line by line once the hunk's lines are (the sum is exact: see planner.py).
        tokens = self._cost(cut) if self.costs else None
        bound = byte_bound(text) if tokens is None else tokens
        return _Segment(cut, text, tokens, bound, cut.owned(), (self.index, part))

    def _cost(self, cut: Cut) -> int:
        owned = self.costs[cut.begin + cut.lead : cut.end]
        return sum(self.count.lines(cut.preamble())) + sum(owned)


def _hunk_segments(
    path: str, h_index: int, hunk: Hunk, room: int, count: Counting, overlap: int
) -> list[_Segment]:
    rendered = render_lines(hunk.lines)
    view = _HunkLines(path, h_index, hunk, rendered, [], count)
    whole = view.segment(0, len(rendered))
    if whole.bound <= room:
        return [whole]  # every line fits too: no line is longer than the hunk
    view = replace(view, costs=count.lines(rendered))
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
