"""Cancellation by SIGINT / SIGTERM: stop starting calls, cancel in-flight ones, keep the report.

CI cancels a job with SIGINT, then SIGTERM a few seconds later (GitHub gives 7.5 s between
them; GitLab sends SIGTERM), then SIGKILL. A run that simply died would lose what it had
paid for and leave its budget holds behind, so the job catches the first signal, lets the
pipeline wind down, and still writes report.json with status `cancelled`. A second signal
falls through to the default handler: the runner's patience is not ours to spend.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from types import FrameType
from typing import Any

Handler = Any  # what signal.getsignal returns: a callable, SIG_DFL or SIG_IGN

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Cancellation:
    """Set once by a signal; the pipeline awaits `wait()` next to its work."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def request(self, signum: int) -> None:
        if self.signum is not None:
            return
        self.signum = signum
        if self._loop is not None and self._event is not None:
            self._loop.call_soon_threadsafe(self._event.set)

    async def wait(self) -> None:
        """Return once cancellation is requested (at once if it already was)."""
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        if self.signum is not None:
            return
        await self._event.wait()


@contextlib.contextmanager
def on_signals(cancel: Cancellation) -> Iterator[Cancellation]:
    """Route SIGINT and SIGTERM to `cancel` for the block; restore the handlers after."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        cancel.request(signum)
        for sig in SIGNALS:  # a second signal ends the process the default way
            with contextlib.suppress(ValueError):
                signal.signal(sig, previous[sig])

    previous: dict[signal.Signals, Handler] = {}
    try:
        for sig in SIGNALS:
            old = signal.getsignal(sig)
            previous[sig] = signal.SIG_DFL if old is None else old
            signal.signal(sig, handler)
    except ValueError:  # not the main thread (tests driving a job in a worker): no signals
        yield cancel
        return
    try:
        yield cancel
    finally:
        for sig, old in previous.items():
            with contextlib.suppress(ValueError):
                signal.signal(sig, old)
