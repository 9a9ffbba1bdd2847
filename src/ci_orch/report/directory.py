"""The report directory, checked before any money is spent.

A run whose report cannot be written would pay for answers it then loses, so every
command creates its directory and writes a probe file first; a directory it cannot write
is the user's mistake (exit 2), named with the fix.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ci_orch.errors import UsageError


def writable_dir(directory: Path | str) -> Path:
    target = Path(directory)
    try:
        target.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".ci-orch-probe-", dir=target)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(
            f"{target}: the report directory cannot be written ({exc.strerror or exc}); "
            "pass a writable --report-dir (or set report.dir / CI_ORCH_REPORT_DIR)"
        ) from None
    return target
