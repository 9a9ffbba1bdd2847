"""The root of `.ai-orchestrator.yml`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ci_orch.config.base import Frozen
from ci_orch.config.gate import GateConfig
from ci_orch.config.policy import Policy
from ci_orch.config.providers import ProviderConfig
from ci_orch.config.routing import RoutingConfig
from ci_orch.config.sections import (
    GenerateConfig,
    LedgerConfig,
    PublishConfig,
    ReportConfig,
    ReviewConfig,
    TelemetryConfig,
)


class Config(Frozen):
    version: Literal[1] = 1
    team: str = Field("default", min_length=1, description="or env CI_ORCH_TEAM")
    policy: Policy = Policy()
    providers: tuple[ProviderConfig, ...] = ()
    routing: RoutingConfig = RoutingConfig()
    review: ReviewConfig = ReviewConfig()
    generate: GenerateConfig = GenerateConfig()
    gate: GateConfig = GateConfig()
    ledger: LedgerConfig = LedgerConfig()
    publish: PublishConfig = PublishConfig()
    report: ReportConfig = ReportConfig()
    telemetry: TelemetryConfig = TelemetryConfig()

    @model_validator(mode="after")
    def _references_resolve(self) -> Config:
        ids = [p.id for p in self.providers]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"provider ids must be unique; repeated: {', '.join(dupes)}")
        known = set(ids)
        for name, refs in (
            ("routing.fallback", self.routing.fallback),
            ("policy.blocked_providers", self.policy.blocked_providers),
        ):
            unknown = [r for r in refs if r not in known]
            if unknown and self.providers:
                raise ValueError(f"{name} names unknown providers: {', '.join(unknown)}")
        return self

    def provider(self, provider_id: str) -> ProviderConfig:
        for p in self.providers:
            if p.id == provider_id:
                return p
        raise KeyError(provider_id)
