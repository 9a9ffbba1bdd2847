"""`RunReport`: everything one run did, as frozen data with a published JSON schema.

This is the documented `report.json` (schema: schemas/run-report.schema.json, printed by
`ci-orch report schema`). Every other report file is rendered from it. It holds no secret,
no prompt and no diff text: gate previews are masked, redactions are counts, and provider
error details are cut short (report/build.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ci_orch.plan.model import SkippedFile

Status = Literal["complete", "partial", "failed", "cancelled", "skipped"]
Severity = Literal["info", "low", "medium", "high", "critical"]
# Most severe first: the order every list of findings is shown in.
SEVERITY_ORDER: dict[str, int] = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
ExitCodeValue = Literal[0, 1, 2, 3, 4, 130, 143]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Tool(_Out):
    name: Literal["ci-orch"] = "ci-orch"
    version: str


class RunContext(_Out):
    platform: Literal["github", "gitlab", "local"]
    event: str
    repo: str | None = Field(None, description="owner/name or group/project; None locally")
    number: int | None = Field(None, description="PR number or MR iid")
    base_sha: str | None = None
    head_sha: str | None = None
    actor: str | None = None
    is_fork: bool = False


class Coverage(_Out):
    added_lines_total: int = Field(ge=0, description="added lines of every file under review")
    added_lines_planned: int = Field(ge=0, description="added lines placed in some chunk")
    added_lines_sent: int = Field(ge=0, description="added lines in chunks answered successfully")
    skipped_files: tuple[SkippedFile, ...] = ()


class Call(_Out):
    """One provider attempt (or a provider passed over: outcome `skipped`)."""

    chunk_id: str
    provider: str
    model: str
    attempt: int = Field(ge=0)
    outcome: Literal["ok", "error", "skipped"]
    error_kind: str | None = None
    detail: str = Field("", max_length=200, description="short reason; never content")
    wait_s: float = Field(0.0, ge=0)
    latency_ms: float = Field(0.0, ge=0)
    input_tokens: int = Field(0, ge=0)
    cached_input_tokens: int = Field(0, ge=0)
    output_tokens: int = Field(0, ge=0)
    cost_usd: float = Field(0.0, ge=0, description="0 for cache hits")
    fallback_from: str | None = Field(None, description="the provider this call stood in for")
    cache_hit: bool = False


class ModelCost(_Out):
    """The cost table's row: one provider and model, over the calls actually made."""

    provider: str
    model: str
    calls: int
    ok: int
    errors: int
    input_tokens: int
    cached_input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_p50_ms: float | None = Field(description="nearest rank, calls that reached a provider")
    latency_p95_ms: float | None
    fallbacks: int = Field(description="calls made as a fallback for another provider")
    cache_hits: int


class Caps(_Out):
    per_request_usd: float
    per_run_usd: float
    per_team_day_usd: float
    per_org_day_usd: float


class Remaining(_Out):
    run_usd: float = Field(description="per-run cap minus this run's spend, not below 0")
    team_day_usd: float | None = Field(None, description="from the ledger, when known")
    org_day_usd: float | None = None


class Cost(_Out):
    currency: Literal["USD"] = "USD"
    total_usd: float = Field(ge=0)
    by_provider: dict[str, float]
    by_model: tuple[ModelCost, ...] = ()
    saved_by_cache_usd: float = Field(0.0, ge=0)
    caps: Caps
    remaining: Remaining


class ReviewFinding(_Out):
    path: str
    side: Literal["LEFT", "RIGHT"]
    start_line: int = Field(ge=1)
    end_line: int = Field(ge=1)
    severity: Severity
    category: str
    title: str
    body: str = ""
    placement: Literal["inline", "file", "summary"]
    fingerprint: str
    suggestion: str | None = None
    sources: tuple[str, ...] = ()


class GateFinding(_Out):
    """A gate finding. `preview` is masked; a secret's value never appears anywhere."""

    kind: Literal["secret", "license", "unsafe"]
    rule: str
    path: str
    line: int
    end_line: int
    column: tuple[int, int]
    severity: Severity
    confidence: Literal["low", "medium", "high"]
    fingerprint: str
    preview: str
    message: str = ""
    origin: Literal["added", "model"] = "added"
    label: str = ""
    blocking: bool = False
    context: str = Field("", description="why it does or does not block: test fixture, "
                         "example, no evidence of untrusted input, suppressed: nosec ...")


class WithheldOutput(_Out):
    """Model-written text the gate kept from being posted: never the author's finding."""

    rule: str
    kind: Literal["secret", "license", "unsafe"]
    label: str = Field("", description="which suggestion, finding or patch it came from")
    message: str = ""


class Gate(_Out):
    verdict: Literal["pass", "block", "not-run"]
    findings: tuple[GateFinding, ...] = ()
    suppressed: int = Field(0, description="findings accepted by the baseline or an inline marker")
    files_scanned: int = 0
    added_lines_scanned: int = 0
    model_outputs_scanned: int = 0
    elapsed_s: float = 0.0
    blocked_outputs: tuple[str, ...] = Field((), description="model outputs not to be posted")
    withheld_outputs: tuple[WithheldOutput, ...] = Field(
        (), description="model output withheld by the gate, with its rule (never blocks the "
        "author's change unless gate.model_output is block)"
    )


class KeptFinding(_Out):
    """An open finding of an earlier run on lines this increment did not touch."""

    fingerprint: str
    path: str
    side: Literal["LEFT", "RIGHT"] = "RIGHT"
    start_line: int = Field(ge=1)
    end_line: int = Field(ge=1)


class Increment(_Out):
    """Whether the run reviewed the whole change or only what changed since the last review."""

    mode: Literal["full", "incremental"]
    reason: str = Field("", description="why a full review (none to build on, a rebase, asked)")
    since_sha: str | None = Field(None, description="the last reviewed head, when incremental")
    added_lines_total: int = Field(0, ge=0, description="added lines of the whole change")
    added_lines_reviewed: int = Field(0, ge=0, description="added lines sent this run")
    kept: tuple[KeptFinding, ...] = Field(
        (), description="open findings outside the increment: they stay open, not re-checked")
    full_estimate_usd: float = Field(0.0, ge=0, description="estimated input cost of a full "
                                     "review of the change (the plan estimator)")
    increment_estimate_usd: float = Field(0.0, ge=0, description="the same estimate for what "
                                          "was sent")

    @property
    def saved_usd(self) -> float:
        return max(self.full_estimate_usd - self.increment_estimate_usd, 0.0)


class RunVerdict(_Out):
    """The run's one decision, as every surface shows it (ci_orch.verdict)."""

    conclusion: Literal["success", "failure", "neutral", "cancelled", "skipped"] = Field(
        description="the check run's conclusion"
    )
    title: str = Field(description="one line: what happened, the gate, fail-on, the exit code")


class RunReport(_Out):
    version: Literal[1] = Field(1, description="the report format's version")
    tool: Tool
    task: Literal["review", "generate", "gate"] = "review"
    started_at: datetime
    finished_at: datetime
    status: Status
    exit_code: ExitCodeValue
    verdict: RunVerdict
    notes: tuple[str, ...] = Field((), description="why a run is partial or skipped, etc.")
    context: RunContext
    coverage: Coverage
    calls: tuple[Call, ...] = ()
    cost: Cost
    findings: tuple[ReviewFinding, ...] = ()
    findings_omitted: int = Field(0, ge=0, description="left out by review.max_findings")
    repairs: int = Field(0, ge=0, description="answers that needed the one repair attempt")
    gate: Gate
    redactions: dict[str, int] = Field(
        default_factory=dict, description="values withheld from prompts, counted by kind"
    )
    increment: Increment | None = Field(
        None, description="full or incremental review, and what the increment saved")


def json_schema() -> dict[str, object]:
    """The published schema of report.json (schemas/run-report.schema.json)."""
    schema = RunReport.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/ci-orch/ci-orch/blob/main/schemas/run-report.schema.json",
        **schema,
    }
