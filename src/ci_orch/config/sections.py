"""The smaller top-level sections: review, generate, ledger, publish, report, telemetry."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ci_orch.config.base import Frozen

Profile = Literal["general", "security", "performance", "style", "tests"]
Enforcement = Literal["unrestricted", "standard", "design-first"]


class PathFilter(Frozen):
    include: tuple[str, ...] = ("**",)
    exclude: tuple[str, ...] = ()
    default_filters: bool = Field(
        True, description="skip lockfiles, minified, generated and vendored files"
    )


class Chunking(Frozen):
    context_lines: int = Field(3, ge=0, description="unchanged lines kept around each change")
    overlap_lines: int = Field(3, ge=0, description="lines repeated when a hunk is split")
    headroom_ratio: float = Field(
        0.1, ge=0, lt=1, description="share of the window kept free for tokenizer drift"
    )
    prompt_overhead_tokens: int = Field(
        3000, ge=0, description="system prompt, PR title and description, instructions"
    )


class ReviewConfig(Frozen):
    paths: PathFilter = PathFilter()
    chunking: Chunking = Chunking()
    profiles: tuple[Profile, ...] = ("general",)
    enforcement: Enforcement = "standard"
    instructions_file: str | None = None
    max_findings: int = Field(50, gt=0)


class GenerateConfig(Frozen):
    allow_ci_changes: bool = Field(
        False,
        description="let generated patches change CI configuration (workflows, GitLab CI, "
        "actions, pre-commit, CODEOWNERS, what a Dockerfile runs); refused by default",
    )


class LedgerConfig(Frozen):
    url: str = "sqlite:///.ci-orch/ledger.sqlite"


class PublishConfig(Frozen):
    max_wait_s: float = Field(
        300, ge=0, description="seconds a run may wait in all on GitHub / GitLab rate limits; "
        "what is left then is listed as not posted (rate-limited), never dropped silently"
    )


class ReportConfig(Frozen):
    dir: str = "ci-orch-report"


class TelemetryConfig(Frozen):
    """Audit trail and metrics (docs/telemetry.md). Every provider call is always recorded
    in the ledger; the rest is opt-in. Export failures are warnings, never failures."""

    audit_log: str | None = Field(
        None, description="also append every call's audit record to this JSONL file"
    )
    log_content: bool = Field(
        False, description="add prompts and answers to audit records (passed through the redactor)"
    )
    audit_retention_days: float = Field(
        90, gt=0, description="how long the ledger keeps audit records (for ci-orch spend)"
    )
    prometheus_pushgateway: str | None = Field(
        None, description="Pushgateway URL, e.g. http://pushgateway:9091"
    )
    otlp_endpoint: str | None = Field(
        None,
        description="OTLP/HTTP endpoint, e.g. http://collector:4318 (needs ci-orch[otel])",
    )
    export_timeout_s: float = Field(10, gt=0, description="per metrics export")
