"""(task, changes, target model) -> chunks. Every added line of every included file lands in
exactly one chunk, at any budget; each chunk's text fits the budget, counted exactly.

Counting: every rendered line ends with a newline and the next starts with a space, a digit, `=`
or `@`. The o200k/cl100k pre-tokenizers never join text across such a boundary, so a chunk's
count is exactly the sum of its lines' counts (tests compare it with a count of the whole text).
Each distinct line is counted once.
"""

from __future__ import annotations

from dataclasses import dataclass

from ci_orch.config.sections import Chunking, PathFilter
from ci_orch.diff.filters import select_files
from ci_orch.diff.gcpause import paused_gc
from ci_orch.diff.globs import matches_any
from ci_orch.diff.model import Diff, FileChange
from ci_orch.errors import UsageError
from ci_orch.plan.model import Chunk, Plan, SkippedFile
from ci_orch.plan.pieces import HUNK_HEADER_RESERVE, Counting, LineTooLong, Piece, cut_file
from ci_orch.plan.tokens import Tokenizer

MIN_BUDGET = 2 * HUNK_HEADER_RESERVE + 64


@dataclass(frozen=True, slots=True)
class Target:
    """The model a plan is cut for."""

    name: str
    context_window: int
    max_output_tokens: int
    tokenizer: Tokenizer


def chunk_budget(target: Target, chunking: Chunking) -> int:
    """Window minus output reserve minus prompt overhead minus headroom."""
    return int(
        target.context_window
        - target.max_output_tokens
        - chunking.prompt_overhead_tokens
        - target.context_window * chunking.headroom_ratio
    )


@dataclass(frozen=True, slots=True)
class DraftChunk:
    """A chunk whose text is rendered from the diff when asked for."""

    id: str
    tokens: int
    files: tuple[str, ...]
    added_count: int
    pieces: tuple[Piece, ...]

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.pieces)

    @property
    def added_lines(self) -> tuple[tuple[str, int], ...]:
        return tuple(a for p in self.pieces for a in p.added())

    def render(self) -> Chunk:
        # Built from checked parts: validating 400,000 line pairs again would copy them all.
        return Chunk.model_construct(
            id=self.id,
            tokens=self.tokens,
            text=self.text,
            files=self.files,
            added_lines=self.added_lines,
        )


@dataclass(frozen=True, slots=True)
class Draft:
    """A plan that holds where each chunk's text comes from (the diff it was cut from), not
    the text: `ci-orch plan` renders and prints one chunk at a time; `plan()` renders all."""

    model: str
    budget_tokens: int
    tokenizer: str
    tokenizer_exact: bool
    added_lines_total: int
    added_lines_planned: int
    chunks: tuple[DraftChunk, ...]
    skipped_files: tuple[SkippedFile, ...]

    @property
    def coverage(self) -> float:
        return self.added_lines_planned / self.added_lines_total if self.added_lines_total else 1.0

    def head(self) -> Plan:
        """Every field of the plan but its chunks."""
        return self._plan(())

    def plan(self) -> Plan:
        return self._plan(tuple(c.render() for c in self.chunks))

    def _plan(self, chunks: tuple[Chunk, ...]) -> Plan:
        return Plan(
            model=self.model,
            budget_tokens=self.budget_tokens,
            tokenizer=self.tokenizer,
            tokenizer_exact=self.tokenizer_exact,
            added_lines_total=self.added_lines_total,
            added_lines_planned=self.added_lines_planned,
            chunks=chunks,
            skipped_files=self.skipped_files,
        )


def plan_review(
    diff: Diff,
    target: Target,
    *,
    paths: PathFilter,
    chunking: Chunking,
    budget: int | None = None,
    sensitive_paths: tuple[str, ...] = (),
) -> Plan:
    """Chunks of every included file. Files matching `sensitive_paths` (globs) are packed only
    with each other: their chunks need hardened or local providers, the rest need not wait."""
    draft = draft_plan(
        diff, target, paths=paths, chunking=chunking, budget=budget,
        sensitive_paths=sensitive_paths,
    )
    return draft.plan()


def draft_plan(
    diff: Diff,
    target: Target,
    *,
    paths: PathFilter,
    chunking: Chunking,
    budget: int | None = None,
    sensitive_paths: tuple[str, ...] = (),
) -> Draft:
    """The plan `plan_review` makes, with chunk texts left to render (`diff` must outlive it)."""
    budget = chunk_budget(target, chunking) if budget is None else budget
    if budget < MIN_BUDGET:
        raise UsageError(
            f"chunk budget of {budget} tokens is too small for {target.name}; use at least "
            f"{MIN_BUDGET} (--budget, or a larger context_window / smaller max_output_tokens)"
        )
    selection = select_files(diff, paths)
    skipped = [SkippedFile(path=s.path, reason=s.reason) for s in selection.skipped]
    tok = target.tokenizer
    raw_budget = tok.raw_budget(budget)
    with paused_gc():  # pieces and chunks hold no cycles: see gcpause
        pieces, too_long = _cut_all(selection.files, raw_budget, tok, chunking.overlap_lines)
        apart = {p.path for p in pieces if matches_any(p.path, sensitive_paths)}
        bins = _pack([p for p in pieces if p.path not in apart], raw_budget)
        bins += _pack([p for p in pieces if p.path in apart], raw_budget)
        del pieces
        chunks = _number(bins, tok)
    skipped += [SkippedFile(path=p, reason="line-too-long") for p in too_long]
    included = {f.path for f in selection.files} - set(too_long)
    return Draft(
        model=target.name,
        budget_tokens=budget,
        tokenizer=tok.name,
        tokenizer_exact=tok.exact,
        added_lines_total=sum(f.added_count for f in selection.files if f.path in included),
        added_lines_planned=sum(c.added_count for c in chunks),
        chunks=tuple(chunks),
        skipped_files=tuple(skipped),
    )


def _cut_all(
    files: tuple[FileChange, ...], raw_budget: int, tok: Tokenizer, overlap: int
) -> tuple[list[Piece], list[str]]:
    """Pieces in raw (unpadded) tokens; the padding is applied once, to whole chunks."""
    memo: dict[str, int] = {}

    def lines(texts: list[str]) -> list[int]:
        # Diffs repeat lines (blank lines, braces, imports): count each distinct text once.
        missing = [t for t in dict.fromkeys(texts) if t not in memo]
        memo.update(zip(missing, tok.raw_counts(missing), strict=True))
        return [memo[t] for t in texts]

    count = Counting(lines=lines, text=tok.raw_count)

    pieces: list[Piece] = []
    too_long: list[str] = []
    for index, file in enumerate(files):
        try:
            pieces.extend(cut_file(index, file, raw_budget, count, overlap))
        except LineTooLong:
            too_long.append(file.path)
    return pieces, too_long


def _pack(pieces: list[Piece], raw_budget: int) -> list[list[Piece]]:
    """First-fit decreasing (near the minimum number of chunks), each bin in diff order."""
    bins: list[list[Piece]] = []
    used: list[int] = []
    for piece in sorted(pieces, key=lambda p: (-p.raw_tokens, p.order)):
        for i, load in enumerate(used):
            if load + piece.raw_tokens <= raw_budget:
                bins[i].append(piece)
                used[i] += piece.raw_tokens
                break
        else:
            bins.append([piece])
            used.append(piece.raw_tokens)
    return [sorted(b, key=lambda p: p.order) for b in bins]


def _number(bins: list[list[Piece]], tok: Tokenizer) -> list[DraftChunk]:
    """Chunks in diff order (by their first piece), numbered."""
    bins.sort(key=lambda b: b[0].order)
    return [
        DraftChunk(
            id=f"c{i:03d}",
            tokens=tok.pad(sum(p.raw_tokens for p in b)),
            files=tuple(dict.fromkeys(p.path for p in b)),
            added_count=sum(p.added_count for p in b),
            pieces=tuple(b),
        )
        for i, b in enumerate(bins, 1)
    ]
