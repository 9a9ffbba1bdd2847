"""patches/*.diff and patches/index.json under the report directory, written atomically.

Only patches that apply and passed every check are written. Withheld and blocked patches
are never written (their text holds what was kept back), refused ones reach beyond what they
name, failed ones do not apply. index.json lists every patch with its status and reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from ci_orch.generate.model import PatchResult
from ci_orch.report.write import write_atomic

INDEX_VERSION = 1


def patch_filename(result: PatchResult) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", result.path).strip("-.")[:80] or "patch"
    return f"{result.id}-{slug}.diff"


def write_patches(patches: Sequence[PatchResult], report_dir: Path, task: str) -> list[Path]:
    directory = report_dir / "patches"
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("p[0-9][0-9][0-9]-*.diff"):  # a previous run's patches
        stale.unlink()
    written: list[Path] = []
    entries: list[dict[str, object]] = []
    for result in patches:
        file = None
        if result.status == "applied" and result.patch is not None:
            file = patch_filename(result)
            written.append(write_atomic(directory / file, result.patch.text.encode("utf-8")))
        entries.append(index_entry(result, file))
    index = {"version": INDEX_VERSION, "task": task, "patches": entries}
    data = json.dumps(index, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
    written.append(write_atomic(directory / "index.json", data))
    return written


def index_entry(result: PatchResult, file: str | None) -> dict[str, object]:
    return {
        "id": result.id,
        "path": result.path,
        "paths": list(result.patch.paths) if result.patch else [],
        "description": result.description,
        "status": result.status,
        "reason": result.reason,
        "retried": result.retried,
        "provider": result.provider,
        "file": f"patches/{file}" if file else None,
    }


def patch_notes(patches: Sequence[PatchResult]) -> list[str]:
    """The report has no patch section: one note per patch (status, path, reason's first line)."""
    notes = []
    for p in patches:
        reason = p.reason.splitlines()[0][:160] if p.reason else ""
        retry = " after 1 retry" if p.retried else ""
        tail = f" ({reason})" if reason else ""
        notes.append(f"patch {p.id} {p.path}: {p.status}{retry}{tail}")
    return notes
