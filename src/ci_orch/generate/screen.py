"""Generated patches through the output screen and the gate: what is kept back, and why.

Every parsed patch's added lines are screened as model output (secrets, hostile code), with
the file's head text as context for file-level rules; a hit blocks the patch. Descriptions
and summaries are prose: a secret in them is redacted, the patch kept. The gate then scans
what is left (licences, unsafe code); a patch it blocks is blocked too. A blocked patch is
model output withheld: reported with its rules and never written; whether that fails the run
is the verdict's decision (`gate.model_output`), not this module's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from ci_orch.gate import GateResult
from ci_orch.gate.output import OutputScreen, WithheldOutput
from ci_orch.generate.headtree import HeadTree
from ci_orch.generate.model import ChunkOutcome, PatchResult


def screen_patches(
    patches: Sequence[PatchResult], screen: OutputScreen, tree: HeadTree | None
) -> tuple[list[PatchResult], list[WithheldOutput]]:
    kept: list[PatchResult] = []
    withheld: list[WithheldOutput] = []
    for result in patches:
        reasons = _screened(result, screen, tree)
        withheld.extend(reasons)
        rules = [f"{w.kind}:{w.rule}" for w in reasons]
        kept.append(_blocked(result, rules) if rules else result)
    return kept, withheld


def screen_prose(
    patches: Sequence[PatchResult], outcomes: Sequence[ChunkOutcome], screen: OutputScreen
) -> tuple[list[PatchResult], list[ChunkOutcome], list[WithheldOutput]]:
    """Descriptions (written to index.json, used as suggestion titles) and chunk summaries,
    redacted."""
    withheld: list[WithheldOutput] = []
    out: list[PatchResult] = []
    for result in patches:
        screened = screen.prose(
            result.description, where="description", label=result.id, path=result.path
        )
        withheld.extend(screened.withheld)
        out.append(dataclasses.replace(result, description=screened.text))
    summaries: list[ChunkOutcome] = []
    for outcome in outcomes:
        screened = screen.prose(outcome.summary, where="summary", label=outcome.chunk.id)
        withheld.extend(screened.withheld)
        summaries.append(dataclasses.replace(outcome, summary=screened.text))
    return out, summaries, withheld


def blocked_by_gate(patches: Sequence[PatchResult], gate: GateResult) -> list[PatchResult]:
    rules: dict[str, set[str]] = {}
    for finding in gate.blocking:
        if finding.origin == "model":
            rules.setdefault(finding.label, set()).add(f"{finding.kind}:{finding.rule}")
    return [
        _blocked(p, sorted(rules[p.id])) if p.id in rules and p.status != "blocked" else p
        for p in patches
    ]


def _screened(
    result: PatchResult, screen: OutputScreen, tree: HeadTree | None
) -> tuple[WithheldOutput, ...]:
    if result.patch is None or result.status == "refused":
        return ()
    out: list[WithheldOutput] = []
    for file in result.patch.diff.files:
        added = "\n".join(ln.text for ln in file.added_lines())
        if not added:
            continue
        visible = "\n".join(
            ln.text for hunk in file.hunks for ln in hunk.lines if ln.kind != "removed"
        )
        head = (tree.show(file.path) if tree is not None else None) or ""
        out.extend(screen.code(
            file.path, added, where="patch", label=result.id, context=f"{visible}\n{head}"
        ))
    return tuple(out)


def _blocked(result: PatchResult, rules: Sequence[str]) -> PatchResult:
    reason = "model output withheld: " + ", ".join(sorted(set(rules)))
    return dataclasses.replace(result, status="blocked", reason=reason)
