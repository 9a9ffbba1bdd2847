"""The egress filter on the process's own output: a logging filter and a stream wrapper.

The CLI installs both once (`wrap_streams`, `filter_logs`), so a message that carries a key
(an exception text, a provider's error body, a note) is scrubbed whether it goes through
`logging`, `click.echo` or `print`.
"""

from __future__ import annotations

import io
import logging
import sys
from typing import TextIO

from ci_orch.egress.filter import Egress

_ADD_MASK = "::add-mask::"
_STOP = "::stop-commands::"


class EgressLogFilter(logging.Filter):
    def __init__(self, egress: Egress) -> None:
        super().__init__()
        self.egress = egress

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.egress.scrub(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.egress.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self.egress.scrub(record.stack_info)
        return True


class ScrubbingStream(io.TextIOBase):
    """A text stream that scrubs whole lines before passing them on.

    Lines are held until their newline (or a flush), so a key written in two pieces is
    still seen whole. One kind of line passes as written: the GitHub Actions command
    `::add-mask::<value>`, which the runner consumes to hide that value in the log (it is
    never shown), unless it comes inside a `::stop-commands::` block, where the runner
    would print it.
    """

    def __init__(self, inner: TextIO, egress: Egress) -> None:
        super().__init__()
        self.inner = inner
        self.egress = egress
        self._pending = ""
        self._resume: str | None = None  # the line that ends a stop-commands block

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.inner, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self.inner, "errors", None)

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self.inner.isatty()

    def fileno(self) -> int:
        return self.inner.fileno()

    def write(self, text: str) -> int:
        self._pending += text
        cut = self._pending.rfind("\n") + 1
        if cut:
            done, self._pending = self._pending[:cut], self._pending[cut:]
            self.inner.write(self._scrubbed(done))
        return len(text)

    def flush(self) -> None:
        if self._pending:
            done, self._pending = self._pending, ""
            self.inner.write(self._scrubbed(done))
        self.inner.flush()

    def write_scrubbed(self, text: str) -> None:
        """Pass on `text` that the caller already ran through this run's `Egress` (the plan of
        a redacted diff): scanning megabytes of it a second time would double the command's
        cost. What is pending from ordinary writes goes out scrubbed, in order, first."""
        if self._pending:
            done, self._pending = self._pending, ""
            self.inner.write(self._scrubbed(done))
        self.inner.write(text)

    def _scrubbed(self, text: str) -> str:
        if "::" not in text:
            return self.egress.scrub(text)
        out: list[str] = []
        held: list[str] = []  # consecutive lines scrubbed as one text (a PEM stays whole)
        for line in text.splitlines(keepends=True):
            if self._passes(line.rstrip("\r\n")):
                out.append(self.egress.scrub("".join(held)))
                held = []
                out.append(line)
            else:
                held.append(line)
        out.append(self.egress.scrub("".join(held)))
        return "".join(out)

    def _passes(self, line: str) -> bool:
        if self._resume is not None:
            if line == self._resume:
                self._resume = None
            return False
        if line.startswith(_STOP):
            self._resume = f"::{line[len(_STOP):]}::"
            return False
        return line.startswith(_ADD_MASK)


def wrap_streams(egress: Egress) -> None:
    """Replace stdout and stderr with scrubbing wrappers. Called again (once the config is
    loaded and its key variables are known), it swaps the filter instead of wrapping twice."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if isinstance(stream, ScrubbingStream):
            stream.egress = egress
        else:
            setattr(sys, name, ScrubbingStream(stream, egress))


def write_scrubbed(text: str) -> None:
    """Write to stdout text already scrubbed by this run's `Egress`, skipping the second scan
    of the stream wrapper. Only for text whose every string came out of that filter."""
    stream = sys.stdout
    if isinstance(stream, ScrubbingStream):
        stream.write_scrubbed(text)
    else:
        stream.write(text)


def filter_logs(logger: logging.Logger, egress: Egress) -> None:
    """Put the egress filter on every handler of `logger`, replacing an earlier one."""
    for handler in logger.handlers:
        for old in [f for f in handler.filters if isinstance(f, EgressLogFilter)]:
            handler.removeFilter(old)
        handler.addFilter(EgressLogFilter(egress))
