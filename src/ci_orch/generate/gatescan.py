"""What the gate scans of a patch: its added lines, with their new line numbers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ci_orch.gate import ScanText
from ci_orch.generate.model import PatchResult


def patch_texts(patches: Iterable[PatchResult]) -> Iterator[ScanText]:
    """One text per file of each parsed patch, labelled with the patch id, so the gate's
    `blocked_outputs` names the patches it blocks. Patches that failed are scanned too: their
    text is reported, and a secret in it must show in the gate section."""
    for result in patches:
        if result.patch is None:
            continue
        for file in result.patch.diff.files:
            added = list(file.added_lines())
            if not added:
                continue
            visible = "\n".join(
                ln.text for hunk in file.hunks for ln in hunk.lines if ln.kind != "removed"
            )
            yield ScanText(
                path=file.path,
                text="\n".join(ln.text for ln in added),
                lines=tuple(ln.new_no or 0 for ln in added),
                origin="model",
                label=result.id,
                context=visible,
            )
