"""Which findings block: one decision per finding from its kind, severity, confidence and
where it is (source, test code, docs and examples, generated output).

| kind | where / what | blocks? | reported as |
|---|---|---|---|
| any | below the kind's `fail_on` severity | no | below fail_on |
| secret | placeholder or example value (confidence low) | no | example value |
| secret | private key or non-live format, test path | `secrets.test_fixtures` | test fixture |
| secret | private key or non-live format, docs/examples | no | example (docs) |
| secret | any other, e.g. a live-format credential anywhere | yes | |
| licence | at or above `gate.fail_on` | yes | |
| unsafe | test code (`tests/`, `test_*.py`, `*_test.go`, `*.spec.ts`) | `test_code` | test code |
| unsafe | docs and examples | no | example code |
| unsafe | confidence below high (no evidence of untrusted input) | no | no evidence ... |
| unsafe | high confidence, at or above `gate.unsafe.fail_on` | yes | |

Generated, minified and bundled files are not scanned for unsafe code at all; inline
suppressions and the baseline are applied before this table (their findings are listed
as suppressed).
"""

from __future__ import annotations

from ci_orch.config.gate import GateConfig
from ci_orch.gate.model import Finding, at_least
from ci_orch.gate.where import path_kind

# Formats whose value says nothing about being live: a PEM block in a test's certs/ folder
# is how TLS tests work; a vendor-prefixed, checksummed token is live wherever it sits.
_SHAPE_ONLY = frozenset({"private-key"})


def decide(finding: Finding, config: GateConfig) -> tuple[bool, str]:
    """(blocks, why not) for one finding; `why not` is empty when it blocks."""
    if finding.kind == "unsafe":
        return _unsafe(finding, config)
    if not at_least(finding.severity, config.fail_on):
        return False, "below gate.fail_on"
    if finding.kind == "secret":
        return _secret(finding, config)
    return True, ""


def _secret(finding: Finding, config: GateConfig) -> tuple[bool, str]:
    if finding.confidence == "low":
        return False, "example value"
    not_live = finding.rule in _SHAPE_ONLY or finding.confidence != "high"
    where = path_kind(finding.path)
    if not_live and where == "test":
        return config.secrets.test_fixtures == "block", "test fixture"
    if not_live and where == "docs":
        return False, "example (docs)"
    return True, ""


def _unsafe(finding: Finding, config: GateConfig) -> tuple[bool, str]:
    where = path_kind(finding.path)
    if where == "test":
        return config.unsafe.test_code == "block", "test code"
    if where == "docs":
        return False, "example code"
    if where == "generated":
        return False, "generated file"
    if not at_least(finding.severity, config.unsafe.fail_on):
        return False, "below gate.unsafe.fail_on"
    if finding.confidence != "high":
        return False, "no evidence of untrusted input"
    return True, ""
