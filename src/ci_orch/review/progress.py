"""How a review reports progress: one call when the plan is known, one per finished chunk.

Lines name chunk ids, counts and providers only: never a prompt, a diff line or model text.
"""

from __future__ import annotations

import sys
from typing import Protocol, TextIO

from ci_orch.review.chunks import ChunkOutcome


class Progress(Protocol):
    def planned(self, chunks: int, added_lines: int) -> None: ...

    def chunk_done(self, outcome: ChunkOutcome) -> None: ...

    def close(self) -> None: ...


class Silent:
    def planned(self, chunks: int, added_lines: int) -> None:
        pass

    def chunk_done(self, outcome: ChunkOutcome) -> None:
        pass

    def close(self) -> None:
        pass


def describe(outcome: ChunkOutcome) -> str:
    lines = outcome.chunk.added_count
    if outcome.status == "ok" and outcome.review is not None:
        found = len(outcome.review.findings)
        return f"{outcome.chunk.id} ok via {outcome.provider}: {lines} lines, {found} finding(s)"
    return f"{outcome.chunk.id} {outcome.status}: {lines} lines ({outcome.reason.split(';')[0]})"


class PlainLines:
    """For CI logs: one line per chunk, so a log shows where a run stood when it stopped."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr  # looked up now: tests and wrappers swap it
        self._total = 0
        self._done = 0

    def planned(self, chunks: int, added_lines: int) -> None:
        self._total = chunks
        print(
            f"ci-orch: reviewing {added_lines} added lines in {chunks} chunk(s)",
            file=self._stream,
            flush=True,
        )

    def chunk_done(self, outcome: ChunkOutcome) -> None:
        self._done += 1
        print(
            f"ci-orch: [{self._done}/{self._total}] {describe(outcome)}",
            file=self._stream,
            flush=True,
        )

    def close(self) -> None:
        pass
