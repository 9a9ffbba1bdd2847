"""`gate:`: the secret / licence / unsafe-code gate (docs/gate.md)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from ci_orch.config.base import Frozen

Severity = Literal["info", "low", "medium", "high", "critical"]

# The default licence policy: strong and network copyleft families, and share-alike content
# licences, i.e. the licences whose terms could reach the code that depends on them. A
# trailing `*` matches every SPDX id with that prefix.
DEFAULT_DENY: tuple[str, ...] = (
    "AGPL-*", "GPL-*", "LGPL-*", "SSPL-*", "EUPL-*", "OSL-*", "CC-BY-SA-*", "CC-BY-NC-SA-*",
)


Fixtures = Literal["warn", "block"]


class SecretsConfig(Frozen):
    enabled: bool = True
    test_fixtures: Fixtures = Field(
        "warn",
        description="private keys and keys without a live format under test/fixture paths: "
        "report as warnings (warn) or block",
    )
    disabled_rules: tuple[str, ...] = Field((), description="secret rule ids to turn off")
    patterns: dict[str, str] = Field(
        {},
        description="extra patterns to detect and redact (name -> regex; group 1 is the value "
        "if present), e.g. internal token formats or PII",
    )

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, value: dict[str, str]) -> dict[str, str]:
        for name, pattern in value.items():
            if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
                raise ValueError(f"pattern name {name!r}: use lowercase letters, digits and '-'")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {name!r} is not a valid regex: {exc}") from None
        return value


class LicensesConfig(Frozen):
    enabled: bool = True
    deny: tuple[str, ...] = Field(DEFAULT_DENY, description="SPDX ids (or `PREFIX-*`) that block")
    allow: tuple[str, ...] = Field((), description="SPDX ids (or `PREFIX-*`) that never block")
    verbatim_text: bool = Field(
        True, description="flag licence text pasted into a file that declares no SPDX licence"
    )


class UnsafeConfig(Frozen):
    enabled: bool = True
    fail_on: Severity = Field("high", description="unsafe-code findings at or above this block")
    disabled_rules: tuple[str, ...] = ()
    bandit: bool = Field(True, description="run bandit's high-confidence checks on Python")
    test_code: Fixtures = Field(
        "warn", description="unsafe-code findings in test code: report (warn) or block"
    )


class GateConfig(Frozen):
    scan_added_lines: bool = Field(
        True, description="scan the PR's own added lines, not only AI output"
    )
    fail_on: Severity = "high"
    baseline: str = ".ci-orch-baseline.json"
    secrets: SecretsConfig = SecretsConfig()
    licenses: LicensesConfig = LicensesConfig()
    unsafe: UnsafeConfig = UnsafeConfig()
    model_output: Literal["drop", "block"] = Field(
        "drop",
        description="model output the gate withholds (suggestions, generated patches, secrets "
        "in finding text): drop and report it (drop), or also fail the run (block)",
    )
