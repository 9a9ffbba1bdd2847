"""Write the report files, atomically, before anything is posted.

Files come first so a failed or rate-limited post loses nothing: the artifacts hold the
whole run whatever the platform answered.

Each file is written to a temporary file in the same directory, flushed to disk, and
renamed over the target (`os.replace` is atomic on POSIX and Windows), so a reader or an
artifact upload never sees half a file, and a crash leaves the previous file intact.

Report files are uploaded as artifacts and posted: they pass the egress filter twice, the
report's fields before rendering (a model's finding, a provider's error note) and each
rendered file after (what a renderer adds, such as paths).
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from ci_orch.egress.filter import Egress
from ci_orch.errors import CiOrchError, ExitCode
from ci_orch.report.interface import Renderer
from ci_orch.report.model import RunReport
from ci_orch.report.registry import renderers as all_renderers

log = logging.getLogger(__name__)


class ReportWriteError(CiOrchError):
    """A report file could not be written (the directory is not writable, the disk is full)."""

    exit_code = ExitCode.INTERNAL


def write_reports(
    report: RunReport,
    directory: Path | str,
    renderers: Sequence[Renderer] | None = None,
    *,
    egress: Egress | None = None,
) -> list[Path]:
    """Render and write every format that applies; returns the written paths in order.

    Without `egress` (the run's filter), one is built from the environment's keys and the
    built-in rules: a report is never written unfiltered.
    """
    egress = egress or Egress.build(None, os.environ)
    report = egress.scrub_model(report)
    target = Path(directory)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportWriteError(f"cannot create the report directory {target}: {exc}") from None
    written: list[Path] = []
    for renderer in renderers if renderers is not None else all_renderers():
        if not renderer.applies(report):
            log.info("report: %s does not apply to this run; not written", renderer.filename)
            continue
        content = renderer.render(report)
        data = egress.scrub_bytes(
            content.encode("utf-8") if isinstance(content, str) else content
        )
        written.append(write_atomic(target / renderer.filename, data))
    return written


def write_texts(
    directory: Path, files: Mapping[str, str | bytes], *, egress: Egress | None = None
) -> list[Path]:
    """Write other report files (`gate.json`, `gate.sarif`) the same way: scrubbed, atomic."""
    egress = egress or Egress.build(None, os.environ)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportWriteError(f"cannot create the report directory {directory}: {exc}") from None
    return [
        write_atomic(directory / name, egress.scrub_bytes(
            content.encode("utf-8") if isinstance(content, str) else content))
        for name, content in files.items()
    ]


def write_atomic(path: Path, data: bytes) -> Path:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)  # mkstemp makes 0600; these are artifacts others read
        os.replace(temp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise ReportWriteError(f"cannot write {path}: {exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return path
