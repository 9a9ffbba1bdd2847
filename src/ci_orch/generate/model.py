"""What one generation run produces: patch results per chunk, and the run's result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ci_orch.generate.patches import Patch
from ci_orch.plan.model import Chunk
from ci_orch.runstatus import RunResult

# refused: it changes files other than the one it names, or CI configuration (not allowed);
# blocked: model output withheld: its added lines hold a secret or hostile code, or the gate
# blocked them. Only the verdict (gate.model_output) decides whether that fails the run.
PatchStatus = Literal["applied", "failed", "refused", "blocked"]
ChunkStatus = Literal["ok", "failed", "skipped"]


@dataclass(frozen=True, slots=True)
class PatchResult:
    """`applied` means `git apply --check` passed against the head tree (nothing is applied);
    only applied patches are written."""

    path: str  # the file the model named, or the patch's first file
    description: str
    status: PatchStatus
    reason: str = ""  # why it failed or was blocked; git's message or the gate rule, no secret
    patch: Patch | None = None  # the final parsed version; None when it never parsed
    retried: bool = False
    provider: str | None = None
    id: str = ""  # p001, p002, ... in chunk order, given by the pipeline


@dataclass(frozen=True, slots=True)
class ChunkOutcome:
    chunk: Chunk
    status: ChunkStatus
    patches: tuple[PatchResult, ...] = ()
    provider: str | None = None
    reason: str = ""
    repairs: int = 0
    summary: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerateResult(RunResult[ChunkOutcome]):
    patches: tuple[PatchResult, ...]

    @property
    def retries(self) -> int:
        return sum(1 for p in self.patches if p.retried)
