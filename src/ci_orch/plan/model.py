"""The plan: chunks of prompt-ready diff text, and what was left out and why.

These models are the documented JSON output of `ci-orch plan --format json`
(schema: schemas/plan.schema.json, printed by `ci-orch plan --schema`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SkippedFile(_Out):
    path: str
    reason: str = Field(
        description="binary | submodule | deleted | not-included | excluded-by-config | lockfile "
        "| minified | generated | vendored | no-added-lines | line-too-long"
    )


class Chunk(_Out):
    id: str
    tokens: int = Field(description="tokens of `text` for the plan's tokenizer")
    text: str = Field(description="the exact diff text that would be sent")
    files: tuple[str, ...]
    added_lines: tuple[tuple[str, int], ...] = Field(
        description="[path, new-side line] of every added line this chunk owns"
    )

    @property
    def added_count(self) -> int:
        return len(self.added_lines)


class Plan(_Out):
    model: str
    budget_tokens: int
    tokenizer: str
    tokenizer_exact: bool
    added_lines_total: int = Field(description="added lines of every file the plan includes")
    added_lines_planned: int
    chunks: tuple[Chunk, ...]
    skipped_files: tuple[SkippedFile, ...]

    @property
    def coverage(self) -> float:
        return self.added_lines_planned / self.added_lines_total if self.added_lines_total else 1.0


class Estimate(_Out):
    provider: str
    model: str
    chunks: int
    input_tokens: int
    input_usd: float
    worst_case_usd: float = Field(
        description="every chunk answered with max_output_tokens: what budgets reserve"
    )


class PlanDocument(Plan):
    """What `ci-orch plan --format json` prints: the plan plus a cost estimate per provider."""

    estimates: tuple[Estimate, ...] = ()
