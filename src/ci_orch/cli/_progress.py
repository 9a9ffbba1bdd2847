"""Progress for the terminal: a rich bar on a TTY, plain lines in CI logs."""

from __future__ import annotations

import sys

from ci_orch.review.chunks import ChunkOutcome
from ci_orch.review.progress import PlainLines, Progress, describe


class RichBar:
    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
        from rich.progress import Progress as RichProgress

        self._bar = RichProgress(
            TextColumn("ci-orch"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            console=Console(stderr=True),
            transient=True,
        )
        self._task = self._bar.add_task("planning", total=None)

    def planned(self, chunks: int, added_lines: int) -> None:
        self._bar.start()
        self._bar.update(self._task, total=chunks, description=f"{added_lines} added lines")

    def chunk_done(self, outcome: ChunkOutcome) -> None:
        self._bar.update(self._task, advance=1, description=describe(outcome))

    def close(self) -> None:
        self._bar.stop()


def terminal_progress() -> Progress:
    return RichBar() if sys.stderr.isatty() else PlainLines()
