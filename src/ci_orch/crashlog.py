"""`crash.log`: what a maintainer needs from a bug report, and nothing a secret could hide in.

Only versions, the exception's type and the stack's file/line/function names are written:
an exception's message and a frame's source line may quote a diff, a prompt or a key.
"""

from __future__ import annotations

import platform
import sys
import traceback
from pathlib import Path

from ci_orch import __version__

PACKAGES = ("click", "pydantic", "httpx", "tiktoken", "unidiff", "PyGithub", "python-gitlab")


def write_crash_log(directory: Path, exc: BaseException) -> Path | None:
    """Write crash.log into `directory`; None when it cannot be written (never raises)."""
    lines = [
        f"ci-orch {__version__}",
        f"python {sys.version.split()[0]} on {platform.platform()}",
        *(f"{name} {_version(name)}" for name in PACKAGES),
        "",
        f"{type(exc).__module__}.{type(exc).__qualname__} (message withheld: it may quote data)",
        *(f'  File "{_short(f.filename)}", line {f.lineno}, in {f.name}'
          for f in traceback.extract_tb(exc.__traceback__)),
    ]
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "crash.log"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    except OSError:
        return None
    return path


def _version(name: str) -> str:
    from importlib import metadata  # only when a crash is written: it costs every start-up

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _short(filename: str) -> str:
    # Paths below site-packages (or the source tree) are enough to find the line.
    for marker in ("site-packages/", "src/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return Path(filename).name
